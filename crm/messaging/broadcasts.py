"""Broadcasts that account for every fan: an approved broadcast freezes its audience into one
delivery row per member; deliveries are then sent in batches (by `agent.broadcasts`), each once.

- `freeze_audience` (called by the executor when the queue item runs): the `message_broadcasts` row
  with the segment snapshot and the count the approver saw, and one `pending` delivery per member in
  a single INSERT … SELECT. One broadcast per queue item (unique index), so a repeat returns it.
- A delivery ends `sent` (with its fan message), `failed` (the platform refused, or kept failing) or
  `skipped` with the reason (the fan opted out, a PPV to a fan whose subscription ended). A transient
  failure keeps it `pending` with its next attempt time.
- The broadcast is `sending` until no delivery is pending, then `sent` (`failed` when none was sent
  and some failed). Counters are counted from the deliveries, never kept twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.tenancy import Principal
from crm.enums import BroadcastStatus, DeliveryStatus, SubscriptionStatus
from crm.fans.models import FanPlatformAccount, FanProfile, FanSubscription
from crm.messaging.models import MessageBroadcast, MessageBroadcastDelivery
from crm.segments.models import FanSegment, FanSegmentMember

__all__ = [
    "Counters",
    "claim_batch",
    "counters",
    "due_broadcasts",
    "fans_with_live_subscription",
    "finish_if_done",
    "first_accounts",
    "freeze_audience",
    "get_broadcast",
    "list_broadcasts",
    "list_deliveries",
    "mark_purchased",
    "set_delivery",
]


_LIVE = (SubscriptionStatus.active, SubscriptionStatus.trial, SubscriptionStatus.cancelled)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Counters:
    recipients: int
    pending: int
    sent: int
    failed: int
    skipped: int
    purchased: int

    def as_dict(self) -> dict[str, int]:
        return {
            "recipients": self.recipients,
            "pending": self.pending,
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "purchased": self.purchased,
        }


async def get_broadcast(
    session: AsyncSession, principal: Principal, *, broadcast_id: uuid.UUID, lock: bool = False
) -> MessageBroadcast:
    stmt = sa.select(MessageBroadcast).where(MessageBroadcast.id == broadcast_id)
    if lock:
        stmt = stmt.with_for_update()
    found = (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()
    if found is None:
        raise NotFound("broadcast not found")
    return found


async def freeze_audience(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    hitl_item_id: uuid.UUID,
    segment_id: uuid.UUID,
    text: str,
    price: Decimal | None,
    audience_seen: int | None,
) -> MessageBroadcast:
    """The broadcast and one pending delivery per current member of the segment, in one statement.
    The same queue item twice returns the first broadcast."""
    existing = (
        await session.execute(
            sa.select(MessageBroadcast).where(MessageBroadcast.hitl_item_id == hitl_item_id)
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    segment = await session.get(FanSegment, segment_id)
    if segment is None:
        raise NotFound("the segment no longer exists")
    now = _now()
    broadcast = MessageBroadcast(
        id=uuid.uuid4(),
        creator_id=creator_id,
        segment_id=segment_id,
        text=text,
        price=price,
        status=BroadcastStatus.sending,
        hitl_item_id=hitl_item_id,
        audience_seen=audience_seen,
        frozen_at=now,
        snapshot={
            "segment_name": segment.name,
            "segment_rules": segment.rules,
            "segment_refreshed_at": segment.refreshed_at.isoformat() if segment.refreshed_at else None,
            "members_at_freeze": segment.member_count,
        },
    )
    session.add(broadcast)
    await session.flush()
    members = sa.select(
        sa.func.gen_random_uuid(),
        sa.literal(creator_id, MessageBroadcastDelivery.creator_id.type),
        sa.literal(broadcast.id, MessageBroadcastDelivery.broadcast_id.type),
        FanSegmentMember.fan_id,
        sa.literal(str(DeliveryStatus.pending)),
    ).where(FanSegmentMember.segment_id == segment_id)
    await session.execute(
        sa.insert(MessageBroadcastDelivery).from_select(
            ["id", "creator_id", "broadcast_id", "fan_id", "status"], members
        )
    )
    broadcast.recipient_count = int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(MessageBroadcastDelivery)
            .where(MessageBroadcastDelivery.broadcast_id == broadcast.id)
        )
        or 0
    )
    if broadcast.recipient_count == 0:
        broadcast.status = BroadcastStatus.sent
        broadcast.sent_at = now
    await session.flush()
    return broadcast


async def claim_batch(
    session: AsyncSession,
    principal: Principal,
    *,
    broadcast_id: uuid.UUID,
    limit: int,
    now: datetime | None = None,
) -> list[tuple[MessageBroadcastDelivery, FanProfile]]:
    """Up to `limit` due pending deliveries with their fans, row-locked for this transaction; rows
    another sender holds are skipped, so two senders never take the same delivery."""
    now = now or _now()
    stmt = (
        sa.select(MessageBroadcastDelivery, FanProfile)
        .join(FanProfile, FanProfile.id == MessageBroadcastDelivery.fan_id)
        .where(
            MessageBroadcastDelivery.broadcast_id == broadcast_id,
            MessageBroadcastDelivery.status == DeliveryStatus.pending,
            sa.or_(
                MessageBroadcastDelivery.next_attempt_at.is_(None),
                MessageBroadcastDelivery.next_attempt_at <= now,
            ),
        )
        .order_by(MessageBroadcastDelivery.id)
        .limit(limit)
        .with_for_update(of=MessageBroadcastDelivery, skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return [(r[0], r[1]) for r in (await session.execute(stmt)).all()]


async def first_accounts(
    session: AsyncSession, principal: Principal, *, fan_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, FanPlatformAccount]:
    """Each fan's first platform account (the one a message goes to), for a batch in one query."""
    if not fan_ids:
        return {}
    stmt = (
        sa.select(FanPlatformAccount)
        .where(FanPlatformAccount.fan_id.in_(list(fan_ids)))
        .order_by(FanPlatformAccount.fan_id, FanPlatformAccount.created_at, FanPlatformAccount.id)
        .ext(distinct_on(FanPlatformAccount.fan_id))
    )
    return {a.fan_id: a for a in (await session.scalars(stmt)).all()}


async def set_delivery(
    session: AsyncSession, principal: Principal, *, delivery: MessageBroadcastDelivery, **values: Any
) -> None:
    """Change a claimed delivery; written with the batch's next flush (at the latest, its commit)."""
    for key, value in values.items():
        setattr(delivery, key, value)


async def counters(session: AsyncSession, principal: Principal, *, broadcast_id: uuid.UUID) -> Counters:
    stmt = (
        sa.select(
            MessageBroadcastDelivery.status,
            sa.func.count(),
            sa.func.count(MessageBroadcastDelivery.purchased_at),
        )
        .where(MessageBroadcastDelivery.broadcast_id == broadcast_id)
        .group_by(MessageBroadcastDelivery.status)
    )
    by_status: dict[str, int] = {}
    purchased = 0
    for status, count, bought in (await session.execute(stmt)).all():
        by_status[str(status)] = int(count)
        purchased += int(bought)
    return Counters(
        recipients=sum(by_status.values()),
        pending=by_status.get("pending", 0),
        sent=by_status.get("sent", 0),
        failed=by_status.get("failed", 0),
        skipped=by_status.get("skipped", 0),
        purchased=purchased,
    )


async def finish_if_done(
    session: AsyncSession, principal: Principal, *, broadcast_id: uuid.UUID
) -> MessageBroadcast:
    """`sent` (or `failed`) once no delivery is pending; the broadcast row is locked to decide it."""
    broadcast = await get_broadcast(session, principal, broadcast_id=broadcast_id, lock=True)
    if broadcast.status != BroadcastStatus.sending:
        return broadcast
    count = await counters(session, principal, broadcast_id=broadcast_id)
    if count.pending == 0:
        broadcast.status = (
            BroadcastStatus.failed if count.sent == 0 and count.failed else BroadcastStatus.sent
        )
        broadcast.sent_at = _now()
        await session.flush()
    return broadcast


async def due_broadcasts(
    session: AsyncSession, principal: Principal, *, now: datetime | None = None, limit: int = 20
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(broadcast id, creator id) of broadcasts still sending: a crashed sender's work resumes."""
    now = now or _now()
    pending_due = sa.exists().where(
        MessageBroadcastDelivery.broadcast_id == MessageBroadcast.id,
        MessageBroadcastDelivery.status == DeliveryStatus.pending,
        sa.or_(
            MessageBroadcastDelivery.next_attempt_at.is_(None),
            MessageBroadcastDelivery.next_attempt_at <= now,
        ),
    )
    nothing_pending = ~sa.exists().where(
        MessageBroadcastDelivery.broadcast_id == MessageBroadcast.id,
        MessageBroadcastDelivery.status == DeliveryStatus.pending,
    )
    stmt = (
        sa.select(MessageBroadcast.id, MessageBroadcast.creator_id)
        .where(MessageBroadcast.status == BroadcastStatus.sending, sa.or_(pending_due, nothing_pending))
        .order_by(MessageBroadcast.frozen_at)
        .limit(limit)
    )
    return [(r[0], r[1]) for r in (await session.execute(stmt)).all()]


async def fans_with_live_subscription(
    session: AsyncSession, principal: Principal, *, fan_ids: Sequence[uuid.UUID], now: datetime | None = None
) -> set[uuid.UUID]:
    """The fans who can unlock paid content: a live subscription, or none on record (the CRM does not
    know better than the platform)."""
    if not fan_ids:
        return set()
    now = now or _now()
    live = sa.and_(
        FanSubscription.status.in_(_LIVE),
        sa.or_(FanSubscription.expires_at.is_(None), FanSubscription.expires_at > now),
    )
    stmt = (
        sa.select(FanSubscription.fan_id, sa.func.count(), sa.func.count().filter(live))
        .where(FanSubscription.fan_id.in_(list(fan_ids)))
        .group_by(FanSubscription.fan_id)
    )
    known = {r[0]: int(r[2]) for r in (await session.execute(stmt)).all()}
    return {f for f in fan_ids if known.get(f, 1) > 0}


async def list_broadcasts(
    session: AsyncSession, principal: Principal, *, creator_ids: Sequence[uuid.UUID], limit: int = 50
) -> list[MessageBroadcast]:
    stmt = (
        sa.select(MessageBroadcast)
        .where(MessageBroadcast.creator_id.in_(list(creator_ids)))
        .order_by(MessageBroadcast.created_at.desc(), MessageBroadcast.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    *,
    broadcast_id: uuid.UUID,
    status: DeliveryStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[tuple[MessageBroadcastDelivery, str]]:
    """Per-fan status, with the fan's name."""
    stmt = (
        sa.select(MessageBroadcastDelivery, FanProfile.display_name)
        .join(FanProfile, FanProfile.id == MessageBroadcastDelivery.fan_id)
        .where(MessageBroadcastDelivery.broadcast_id == broadcast_id)
        .order_by(MessageBroadcastDelivery.status, FanProfile.display_name, MessageBroadcastDelivery.id)
        .limit(limit)
        .offset(offset)
    )
    if status is not None:
        stmt = stmt.where(MessageBroadcastDelivery.status == status)
    return [(r[0], r[1]) for r in (await session.execute(stmt)).all()]


async def mark_purchased(
    session: AsyncSession, principal: Principal, *, fan_message_id: uuid.UUID, at: datetime
) -> int:
    """The fan unlocked the PPV a delivery sent them."""
    result = await session.execute(
        sa.update(MessageBroadcastDelivery)
        .where(
            MessageBroadcastDelivery.fan_message_id == fan_message_id,
            MessageBroadcastDelivery.purchased_at.is_(None),
        )
        .values(purchased_at=at, updated_at=sa.func.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
