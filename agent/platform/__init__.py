"""Platform adapters (sandbox by default) and how a creator's adapter is chosen."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from agent.platform.base import (
    OutboundMessage,
    PlatformAdapter,
    PlatformRejected,
    PlatformUnavailable,
    ScheduledPost,
    SendResult,
)
from agent.platform.onlyfansapi import DEFAULT_BASE_URL, OnlyFansApiAdapter
from agent.platform.sandbox import SandboxAdapter
from core.errors import ConfigurationError
from core.settings import Settings
from core.tenancy import Principal
from crm.creators import service as creator_service
from crm.creators.models import PlatformConnection

AdapterMode = Literal["sandbox", "onlyfansapi"]

__all__ = [
    "AdapterMode",
    "OnlyFansApiAdapter",
    "OutboundMessage",
    "PlatformAdapter",
    "PlatformRejected",
    "PlatformUnavailable",
    "SandboxAdapter",
    "ScheduledPost",
    "SendResult",
    "adapter_for_creator",
]


async def adapter_for_creator(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID, settings: Settings
) -> PlatformAdapter:
    """The adapter `settings.platform_adapter` names: the sandbox, or the creator's OnlyFansAPI
    connection. Called by the executor alone, so every decision path sends the same way."""
    mode: AdapterMode = settings.platform_adapter
    if mode == "sandbox":
        return SandboxAdapter()
    connections = await creator_service.list_connections(session, principal, creator_id=creator_id)
    connection: PlatformConnection | None = next(
        (c for c in connections if c.provider == "onlyfansapi"), None
    )
    if connection is None:
        raise ConfigurationError(f"creator {creator_id} has no OnlyFansAPI connection")
    api_key = creator_service.api_key_for(connection)
    if not api_key:
        raise ConfigurationError(f"the OnlyFansAPI connection of creator {creator_id} has no API key")
    return OnlyFansApiAdapter(
        base_url=connection.api_base_url or DEFAULT_BASE_URL,
        api_key=api_key,
        account_id=connection.account_id,
    )
