"""Subscription state per platform account, and its append-only ledger of events.

`apply_subscription_event` moves the current state (one `fan_subscriptions` row per platform account)
and appends a `fan_subscription_events` row. Events can arrive late or twice (webhooks are
at-least-once): the same event (type + time) is recorded once, and an event older than the latest one
already applied is recorded in the ledger but does not move the current state back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, ValidationFailed
from core.tenancy import Principal
from crm.enums import SubscriptionEventType, SubscriptionStatus
from crm.enums import SubscriptionEventType as Event
from crm.fans import spend
from crm.fans.common import parse_enum
from crm.fans.models import FanSubscription, FanSubscriptionEvent
from crm.fans.repository import FanRepository

__all__ = ["DEFAULT_PERIOD", "apply_subscription_event", "get_subscription", "list_subscription_events"]

# A platform that does not say when a period ends: a month, like OnlyFans and Fansly.
DEFAULT_PERIOD = timedelta(days=30)


async def get_subscription(
    session: AsyncSession, principal: Principal, *, platform_account_id: uuid.UUID
) -> FanSubscription | None:
    return await FanRepository.from_session(session).get_subscription(platform_account_id)


async def list_subscription_events(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID, limit: int = 100
) -> list[FanSubscriptionEvent]:
    """The fan's subscription ledger, oldest first."""
    return await FanRepository.from_session(session).list_subscription_events(fan_id, limit=limit)


async def apply_subscription_event(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    platform_account_id: uuid.UUID,
    event_type: SubscriptionEventType | str,
    occurred_at: datetime,
    price: Decimal | float | None = None,
    expires_at: datetime | None = None,
    renews_at: datetime | None = None,
    details: Mapping[str, Any] | None = None,
) -> FanSubscription:
    event_type = parse_enum(SubscriptionEventType, event_type, "subscription event")
    if occurred_at.tzinfo is None:
        raise ValidationFailed("occurred_at must be timezone-aware")
    amount = None if price is None else spend.money(price)
    if amount is not None and amount < 0:
        raise ValidationFailed("a subscription price cannot be negative")
    repository = FanRepository.from_session(session)
    account = await repository.get_fan_account(fan_id=fan_id, platform_account_id=platform_account_id)
    if account is None:
        raise NotFound("platform account not found for this fan")
    if account.creator_id != creator_id:
        raise ValidationFailed("the fan does not belong to this creator")

    # One row per account, created race-free, then locked so events for it apply one at a time.
    await repository.insert_subscription_if_absent(
        {
            "creator_id": creator_id,
            "fan_id": fan_id,
            "platform_account_id": platform_account_id,
            "status": _status_after(event_type, None),
            "price": amount or Decimal("0"),
            "started_at": occurred_at,
            "renewal_count": 0,
        }
    )
    sub = await repository.lock_subscription(platform_account_id)

    if await repository.has_subscription_event(
        subscription_id=sub.id, event_type=event_type, occurred_at=occurred_at
    ):
        return sub
    latest = await repository.latest_subscription_event_at(sub.id)
    await repository.create(
        FanSubscriptionEvent(
            id=uuid.uuid4(),
            creator_id=creator_id,
            fan_id=fan_id,
            subscription_id=sub.id,
            event_type=event_type,
            occurred_at=occurred_at,
            amount=amount,
            details=dict(details or {}),
        )
    )
    if latest is None or occurred_at >= latest:
        _transition(sub, event_type, occurred_at, amount, expires_at, renews_at, first=latest is None)
    await session.flush()
    return sub


def _status_after(
    event_type: SubscriptionEventType, current: SubscriptionStatus | None
) -> SubscriptionStatus:
    if event_type in (
        SubscriptionEventType.new,
        SubscriptionEventType.renewed,
        SubscriptionEventType.reactivated,
    ):
        return SubscriptionStatus.active
    if event_type is SubscriptionEventType.expired:
        return SubscriptionStatus.expired
    if event_type is SubscriptionEventType.cancelled:
        return SubscriptionStatus.cancelled
    return current or SubscriptionStatus.active  # price_changed keeps the state


def _transition(
    sub: FanSubscription,
    event_type: SubscriptionEventType,
    occurred_at: datetime,
    price: Decimal | None,
    expires_at: datetime | None,
    renews_at: datetime | None,
    *,
    first: bool,
) -> None:
    was = None if first else sub.status
    sub.status = _status_after(event_type, was)
    if price is not None:
        sub.price = price
    if event_type in (Event.new, Event.renewed, Event.reactivated):
        if event_type is Event.new or was in (SubscriptionStatus.expired, None):
            sub.started_at = occurred_at
        if event_type is Event.new:
            sub.renewal_count = 0
        elif event_type is Event.renewed:
            sub.renewal_count += 1
        sub.auto_renew = True
        sub.expires_at = expires_at or renews_at or occurred_at + DEFAULT_PERIOD
        sub.renews_at = renews_at or sub.expires_at
    elif event_type is Event.expired:
        sub.auto_renew = False
        sub.renews_at = None
        sub.expires_at = expires_at or occurred_at
    elif event_type is Event.cancelled:
        sub.auto_renew = False
        sub.renews_at = None
        if expires_at is not None:
            sub.expires_at = expires_at
    elif event_type is Event.price_changed:
        if expires_at is not None:
            sub.expires_at = expires_at
        if renews_at is not None:
            sub.renews_at = renews_at
