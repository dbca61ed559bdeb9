"""Who a fan is: the profile behind each platform account, found by id, platform id, name or tier."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationFailed
from core.tenancy import Principal
from crm.enums import Platform, SpendTier
from crm.fans.common import normalize_tag, parse_enum, require_creator, require_fan
from crm.fans.models import FanPlatformAccount, FanProfile
from crm.fans.money import sync_platform_spend
from crm.fans.repository import FanRepository

__all__ = [
    "get_fan",
    "get_fan_by_platform_id",
    "get_platform_account",
    "list_fans",
    "search_fans_by_name",
    "upsert_fan_from_platform",
]


def _placeholder_name(platform_fan_id: str) -> str:
    return f"Fan {platform_fan_id}"


async def get_fan(session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID) -> FanProfile:
    return await require_fan(FanRepository.from_session(session), fan_id)


async def get_fan_by_platform_id(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    platform: Platform | str,
    platform_fan_id: str,
) -> FanProfile | None:
    return await FanRepository.from_session(session).get_fan_by_platform_id(
        creator_id=creator_id,
        platform=parse_enum(Platform, platform, "platform"),
        platform_fan_id=str(platform_fan_id),
    )


async def get_platform_account(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID
) -> FanPlatformAccount | None:
    """The fan's first platform account (the one seen first), or None for a fan without one."""
    return await FanRepository.from_session(session).first_platform_account(fan_id)


async def upsert_fan_from_platform(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    platform: Platform | str,
    platform_fan_id: str,
    username: str | None = None,
    display_name: str | None = None,
    platform_spend: Mapping[str, Any] | None = None,
) -> tuple[FanProfile, FanPlatformAccount, bool]:
    """The fan behind a platform account, created on first sight. Safe under concurrent calls."""
    require_creator(principal, creator_id)
    platform = parse_enum(Platform, platform, "platform")
    platform_fan_id = str(platform_fan_id).strip()
    if not platform_fan_id:
        raise ValidationFailed("platform_fan_id must not be empty")
    repository = FanRepository.from_session(session)
    created = False
    account = await repository.get_account_by_platform_id(
        creator_id=creator_id, platform=platform, platform_fan_id=platform_fan_id
    )
    if account is None:
        fan_id = uuid.uuid4()
        await repository.insert_fan(
            fan_id=fan_id,
            creator_id=creator_id,
            display_name=(display_name or username or _placeholder_name(platform_fan_id))[:200],
        )
        account_id = await repository.insert_account_if_absent(
            creator_id=creator_id,
            fan_id=fan_id,
            platform=platform,
            platform_fan_id=platform_fan_id,
            username=username,
            display_name=display_name,
        )
        if account_id is None:
            # Another transaction created this account first: ours is an orphan profile.
            await repository.delete_fan(fan_id)
        else:
            created = True
            await repository.insert_identity_link(
                creator_id=creator_id,
                fan_id=fan_id,
                platform_account_id=account_id,
                method="first_seen",
                confidence=1.0,
            )
        account = await repository.get_account_by_platform_id(
            creator_id=creator_id, platform=platform, platform_fan_id=platform_fan_id
        )
        assert account is not None  # ours, or the one that won the race
    fan = await require_fan(repository, account.fan_id)
    if not created:
        if username and account.username != username:
            account.username = username
        if display_name and account.display_name != display_name:
            account.display_name = display_name
        better_name = display_name or username
        if better_name and fan.display_name == _placeholder_name(platform_fan_id):
            fan.display_name = better_name[:200]
        await session.flush()
    if platform_spend:
        fan = await sync_platform_spend(
            session, principal, fan_id=fan.id, platform_account_id=account.id, spending=platform_spend
        )
    return fan, account, created


async def search_fans_by_name(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID, query: str, limit: int = 20
) -> list[FanProfile]:
    """Fans whose name or platform username contains `query` (case-insensitive), top spenders first."""
    query = query.strip()
    if not query:
        return []
    return await FanRepository.from_session(session).search_fans_by_name(
        creator_id=creator_id, text=query, limit=limit
    )


async def list_fans(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    tier: SpendTier | str | None = None,
    tag: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[FanProfile]:
    """A creator's fans, top spenders first, optionally of one spend tier and/or with one tag."""
    return await FanRepository.from_session(session).list_fans(
        creator_id=creator_id,
        tier=None if tier is None else parse_enum(SpendTier, tier, "spend tier"),
        tag=None if tag is None else normalize_tag(tag),
        limit=limit,
        offset=offset,
    )
