"""Re-check at execution time what the approver saw when they decided.

Minutes or hours can pass between a decision and the platform call (a retry, a sweeper, a worker
restart). Before sending, the executor asks whether the action still holds; a reason means it ends
`stale`, nothing is sent, and the inbox shows the reason:

- the fan can still receive it: not blocked/opted out; a PPV needs a live subscription (active,
  trial, or cancelled but not yet expired), because an expired fan cannot unlock paid content. A fan
  with no subscription on record is not refused: the CRM does not know better than the approver;
- a reply draft still answers the conversation: no newer message from the fan arrived after the
  draft was queued (a chatter never sends a reply to a conversation that moved on);
- a PPV price is inside the creator's *current* bounds (they may have changed since);
- the same media was not already sold to this fan (an unlocked PPV with any of the same media).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.tenancy import Principal
from crm.approvals.models import HitlAction
from crm.creators.models import CreatorProfile
from crm.enums import ActionType, ApprovalOrigin, MessageDirection, SubscriptionStatus
from crm.fans.models import FanMessage, FanProfile, FanSubscription

_LIVE = (SubscriptionStatus.active, SubscriptionStatus.trial, SubscriptionStatus.cancelled)


@dataclass(frozen=True)
class _Facts:
    fan_exists: bool
    fan_blocked: bool
    newer_fan_message: bool
    price_min: Decimal | None
    price_max: Decimal | None
    subscriptions_known: int
    subscriptions_live: int
    already_sold: bool


async def _facts(session: AsyncSession, item: HitlAction, *, media_ids: list[str], now: datetime) -> _Facts:
    """Everything the re-check needs, in one round trip (scalar subqueries; each is an index lookup)."""
    fan = sa.select(FanProfile.messaging_blocked_at).where(FanProfile.id == item.fan_id)
    newer = sa.exists().where(
        FanMessage.fan_id == item.fan_id,
        FanMessage.direction == MessageDirection.inbound,
        FanMessage.created_at > item.created_at,
    )
    live = sa.and_(
        FanSubscription.status.in_(_LIVE),
        sa.or_(FanSubscription.expires_at.is_(None), FanSubscription.expires_at > now),
    )
    subs = sa.select(sa.func.count()).where(FanSubscription.fan_id == item.fan_id)
    sold: Any = sa.false()
    if media_ids:
        sold = sa.exists().where(
            FanMessage.fan_id == item.fan_id,
            FanMessage.is_ppv.is_(True),
            FanMessage.unlocked_at.is_not(None),
            FanMessage.media_ids.op("?|")(sa.cast(media_ids, sa.ARRAY(sa.Text))),
        )
    bounds = sa.select(CreatorProfile.ppv_price_min, CreatorProfile.ppv_price_max).where(
        CreatorProfile.id == item.creator_id
    )
    stmt = sa.select(
        sa.exists(fan),
        fan.scalar_subquery().is_not(None),
        newer,
        bounds.with_only_columns(CreatorProfile.ppv_price_min).scalar_subquery(),
        bounds.with_only_columns(CreatorProfile.ppv_price_max).scalar_subquery(),
        subs.scalar_subquery(),
        subs.where(live).scalar_subquery(),
        sold,
    )
    row = (await session.execute(stmt)).one()
    return _Facts(*row)


def _price_reason(price: Decimal, low: Decimal | None, high: Decimal | None) -> str | None:
    if low is None or high is None:
        return "the creator no longer exists"
    if not low <= price <= high:
        return f"the price ${price:.2f} is outside the creator's current bounds (${low:.2f}–${high:.2f})"
    return None


async def stale_reason(
    session: AsyncSession, principal: Principal, *, item: HitlAction, args: dict[str, Any]
) -> str | None:
    """Why the approved action no longer holds, or None when it may be sent as approved."""
    to_fan = item.action_type in (ActionType.send_message, ActionType.send_ppv) and item.fan_id is not None
    priced = item.action_type == ActionType.send_ppv or (
        item.action_type == ActionType.create_broadcast and args.get("price") is not None
    )
    if not to_fan and not priced:
        return None
    media_ids = (
        [str(m) for m in args.get("media_ids") or []] if item.action_type == ActionType.send_ppv else []
    )
    facts = await _facts(session, item, media_ids=media_ids, now=datetime.now(UTC))
    if to_fan:
        if not facts.fan_exists:
            return "the fan no longer exists"
        if facts.fan_blocked:
            return "the fan can no longer be messaged (blocked or opted out)"
        if item.origin == ApprovalOrigin.reply_run and facts.newer_fan_message:
            return "the fan wrote again after this draft; a fresh draft answers the whole conversation"
    if priced:
        reason = _price_reason(Decimal(str(args["price"])), facts.price_min, facts.price_max)
        if reason:
            return reason
    if item.action_type == ActionType.send_ppv:
        if facts.subscriptions_known and not facts.subscriptions_live:
            return "the fan's subscription has ended, so they cannot unlock paid content"
        if facts.already_sold:
            return "this fan already bought some of this media"
    return None
