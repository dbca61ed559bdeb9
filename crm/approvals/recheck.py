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


async def _fan_reason(session: AsyncSession, item: HitlAction, fan: FanProfile | None) -> str | None:
    if fan is None:
        return "the fan no longer exists"
    if fan.messaging_blocked_at is not None:
        return "the fan can no longer be messaged (blocked or opted out)"
    return None


async def _newer_fan_message(session: AsyncSession, item: HitlAction) -> bool:
    stmt = sa.select(
        sa.exists().where(
            FanMessage.fan_id == item.fan_id,
            FanMessage.direction == MessageDirection.inbound,
            FanMessage.created_at > item.created_at,
        )
    )
    return bool((await session.execute(stmt)).scalar())


async def _subscription_ended(session: AsyncSession, item: HitlAction, now: datetime) -> bool:
    """The fan has subscriptions on record and none of them is live."""
    live = sa.and_(
        FanSubscription.status.in_(_LIVE),
        sa.or_(FanSubscription.expires_at.is_(None), FanSubscription.expires_at > now),
    )
    stmt = sa.select(
        sa.func.count(),
        sa.func.count().filter(live),
    ).where(FanSubscription.fan_id == item.fan_id)
    known, live_count = (await session.execute(stmt)).one()
    return bool(known) and not live_count


async def _already_sold(session: AsyncSession, item: HitlAction, media_ids: list[str]) -> bool:
    if not media_ids:
        return False
    stmt = sa.select(
        sa.exists().where(
            FanMessage.fan_id == item.fan_id,
            FanMessage.is_ppv.is_(True),
            FanMessage.unlocked_at.is_not(None),
            FanMessage.media_ids.op("?|")(sa.cast(media_ids, sa.ARRAY(sa.Text))),
        )
    )
    return bool((await session.execute(stmt)).scalar())


def _price_reason(price: Decimal, creator: CreatorProfile) -> str | None:
    low, high = Decimal(creator.ppv_price_min), Decimal(creator.ppv_price_max)
    if not low <= price <= high:
        return f"the price ${price:.2f} is outside the creator's current bounds (${low:.2f}–${high:.2f})"
    return None


async def stale_reason(
    session: AsyncSession, principal: Principal, *, item: HitlAction, args: dict[str, Any]
) -> str | None:
    """Why the approved action no longer holds, or None when it may be sent as approved."""
    now = datetime.now(UTC)
    if item.action_type in (ActionType.send_message, ActionType.send_ppv) and item.fan_id is not None:
        reason = await _fan_reason(session, item, await session.get(FanProfile, item.fan_id))
        if reason:
            return reason
        if item.origin == ApprovalOrigin.reply_run and await _newer_fan_message(session, item):
            return "the fan wrote again after this draft; a fresh draft answers the whole conversation"
    if item.action_type == ActionType.send_ppv:
        creator = await session.get(CreatorProfile, item.creator_id)
        if creator is None:
            return "the creator no longer exists"
        reason = _price_reason(Decimal(str(args["price"])), creator)
        if reason:
            return reason
        if await _subscription_ended(session, item, now):
            return "the fan's subscription has ended, so they cannot unlock paid content"
        if await _already_sold(session, item, [str(m) for m in args.get("media_ids") or []]):
            return "this fan already bought some of this media"
    if item.action_type == ActionType.create_broadcast and args.get("price") is not None:
        creator = await session.get(CreatorProfile, item.creator_id)
        if creator is not None:
            return _price_reason(Decimal(str(args["price"])), creator)
    return None
