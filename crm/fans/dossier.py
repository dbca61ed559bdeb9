"""The fan dossier: everything the agent and the inbox show about one fan, read in one place."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Statement
from core.errors import NotFound
from core.tenancy import Principal
from crm.enums import SpendTier, SubscriptionStatus
from crm.fans import spend
from crm.fans.common import OPEN_REQUEST_STATUSES, require_fan
from crm.fans.repository import REPLY_PROFILE_SQL, FanRepository
from crm.fans.schemas import (
    CustomRequestInfo,
    FanDossier,
    NoteInfo,
    PlatformAccountInfo,
    SubscriptionInfo,
    TagInfo,
)

__all__ = ["ReplyProfile", "get_dossier", "get_reply_profile"]

PINNED_NOTES = 10
RECENT_NOTES = 5


async def get_dossier(session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID) -> FanDossier:
    repository = FanRepository.from_session(session)
    fan = await require_fan(repository, fan_id)
    accounts = await repository.list_platform_accounts(fan_id)
    subs = await repository.list_subscriptions(fan_id)
    tags = await repository.list_tags(fan_id)
    scores = await repository.score_values(fan_id)
    pinned = await repository.latest_notes(fan_id, pinned=True, limit=PINNED_NOTES)
    recent = await repository.latest_notes(fan_id, pinned=False, limit=RECENT_NOTES)
    requests = await repository.list_custom_requests(fan_id, statuses=OPEN_REQUEST_STATUSES)
    sub_infos = sorted(
        (SubscriptionInfo.model_validate(s) for s in subs), key=_subscription_relevance, reverse=True
    )
    return FanDossier(
        id=fan.id,
        creator_id=fan.creator_id,
        display_name=fan.display_name,
        lifetime_spend=fan.lifetime_spend,
        spend_tier=fan.spend_tier,
        spend_by_kind={k: spend.money(v) for k, v in (fan.spend_by_kind or {}).items()},
        subscription=sub_infos[0] if sub_infos else None,
        subscriptions=sub_infos,
        platform_accounts=[PlatformAccountInfo.model_validate(a) for a in accounts],
        tags=[TagInfo.model_validate(t) for t in tags],
        scores=scores,
        pinned_notes=[NoteInfo.model_validate(n) for n in pinned],
        recent_notes=[NoteInfo.model_validate(n) for n in recent],
        open_custom_requests=[CustomRequestInfo.model_validate(r) for r in requests],
        first_seen_at=fan.first_seen_at,
        last_active_at=fan.last_active_at,
        last_inbound_at=fan.last_inbound_at,
        last_outbound_at=fan.last_outbound_at,
        last_purchase_at=fan.last_purchase_at,
        timezone=fan.timezone,
        language=fan.language,
    )


@dataclass(frozen=True)
class ReplySubscription:
    status: SubscriptionStatus
    expires_at: datetime | None


@dataclass(frozen=True)
class ReplyProfile:
    """The part of the dossier a reply draft reads (the reply graph's context), read in one statement."""

    id: uuid.UUID
    display_name: str
    language: str | None
    spend_tier: SpendTier
    lifetime_spend: Decimal
    subscription: ReplySubscription | None
    tags: tuple[str, ...]
    pinned_notes: tuple[str, ...]


async def get_reply_profile(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID
) -> ReplyProfile:
    """What `get_dossier` says about the fan's profile, subscription, tags and pinned notes, in one
    round trip instead of eight (NotFound when the fan is invisible)."""
    row = await FanRepository.from_session(session).reply_profile_row(fan_id, pinned_notes=PINNED_NOTES)
    return reply_profile_from_row(row)


def reply_profile_statement(fan_id: uuid.UUID) -> Statement:
    """`get_reply_profile`'s read, for a caller that sends it in a pipeline with others."""
    return REPLY_PROFILE_SQL, {"fan_id": fan_id, "pinned": PINNED_NOTES}


def reply_profile_from_row(row: Any | None) -> ReplyProfile:
    """The profile from its row (`reply_profile_statement`); NotFound when the fan is invisible."""
    if row is None:
        raise NotFound("fan not found")
    sub = row.subscription
    return ReplyProfile(
        id=row.id,
        display_name=row.display_name,
        language=row.language,
        spend_tier=SpendTier(row.spend_tier),
        lifetime_spend=Decimal(row.lifetime_spend),
        subscription=ReplySubscription(
            status=SubscriptionStatus(sub["status"]),
            expires_at=datetime.fromisoformat(sub["expires_at"]) if sub.get("expires_at") else None,
        )
        if sub
        else None,
        tags=tuple(row.tags or ()),
        pinned_notes=tuple(row.pinned_notes or ()),
    )


def _subscription_relevance(sub: SubscriptionInfo) -> tuple[int, datetime]:
    """Live subscriptions first (active, trial, or cancelled but not yet expired), then the latest."""
    live = sub.status in (SubscriptionStatus.active, SubscriptionStatus.trial, SubscriptionStatus.cancelled)
    return (1 if live else 0, sub.expires_at or sub.started_at)
