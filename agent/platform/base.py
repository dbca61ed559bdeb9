"""Platform adapters: how an approved action reaches the fan's platform."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from core.errors import AppError, ServiceUnavailable


@dataclass(frozen=True)
class OutboundMessage:
    creator_id: uuid.UUID
    fan_id: uuid.UUID
    platform_fan_id: str | None
    text: str
    idempotency_key: str  # the queue item id: the platform de-duplicates retries with it
    price: Decimal | None = None
    media_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScheduledPost:
    creator_id: uuid.UUID
    text: str
    publish_at: datetime
    idempotency_key: str
    price: Decimal | None = None


@dataclass(frozen=True)
class SendResult:
    adapter: str
    platform_message_id: str
    raw: dict[str, Any] = field(default_factory=dict)


class PlatformRejected(AppError):
    """The platform refused the request (4xx): retrying will not help; the item fails."""

    status_code = 502

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class PlatformUnavailable(ServiceUnavailable):
    """The platform kept failing (5xx / network) after retries; the item stays approved for a retry."""


class PlatformAdapter(Protocol):
    name: str

    async def send_message(self, message: OutboundMessage) -> SendResult: ...

    async def schedule_post(self, post: ScheduledPost) -> SendResult: ...
