"""Compute and store fan scores (`fan_scores`, one row per fan and kind) from transactions, messages
and subscription history: for one fan after an event, or for every fan of a creator on a schedule.
Set-based: one aggregate query per batch of fans, one upsert per batch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.tenancy import Principal
from crm.enums import MessageDirection, SubscriptionStatus
from crm.fans.models import FanMessage, FanProfile, FanScore, FanSubscription, FanTransaction
from crm.scores import formulas

__all__ = ["compute_scores"]

BATCH = 1000
_LIVE = (SubscriptionStatus.active, SubscriptionStatus.trial, SubscriptionStatus.cancelled)


def _days(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds() / 86400)


async def _signals(
    session: AsyncSession, fan_ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, formulas.Signals]:
    d14, d30, d90 = now - timedelta(days=14), now - timedelta(days=30), now - timedelta(days=90)
    ids = list(fan_ids)
    txn = FanTransaction
    money = (
        sa.select(
            txn.fan_id,
            sa.func.count().filter(txn.amount > 0, txn.occurred_at > d30),
            sa.func.count().filter(txn.amount > 0, txn.occurred_at > d90),
            sa.func.coalesce(sa.func.sum(txn.amount).filter(txn.amount > 0, txn.occurred_at > d30), 0),
            sa.func.coalesce(
                sa.func.sum(txn.amount).filter(txn.amount > 0, txn.occurred_at > d90, txn.occurred_at <= d30),
                0,
            ),
        )
        .where(txn.fan_id.in_(ids))
        .group_by(txn.fan_id)
    )
    msg = FanMessage
    inbound, outbound = MessageDirection.inbound, MessageDirection.outbound
    messages = (
        sa.select(
            msg.fan_id,
            sa.func.count().filter(msg.direction == inbound, msg.sent_at > d14),
            sa.func.count().filter(msg.direction == inbound, msg.sent_at > d30),
            sa.func.count().filter(msg.direction == outbound, msg.is_ppv.is_(True), msg.sent_at > d90),
            sa.func.count().filter(
                msg.direction == outbound,
                msg.is_ppv.is_(True),
                msg.sent_at > d90,
                msg.unlocked_at.is_not(None),
            ),
        )
        .where(msg.fan_id.in_(ids), msg.sent_at > d90)
        .group_by(msg.fan_id)
    )
    sub = FanSubscription
    live = sa.and_(sub.status.in_(_LIVE), sa.or_(sub.expires_at.is_(None), sub.expires_at > now))
    subs = (
        sa.select(
            sub.fan_id,
            sa.func.count(),
            sa.func.count().filter(live),
            sa.func.bool_or(sa.and_(live, sub.auto_renew.is_(True))),
        )
        .where(sub.fan_id.in_(ids))
        .group_by(sub.fan_id)
    )
    fans = sa.select(
        FanProfile.id, FanProfile.last_active_at, FanProfile.first_seen_at, FanProfile.last_purchase_at
    ).where(FanProfile.id.in_(ids))
    by_money = {r[0]: r[1:] for r in (await session.execute(money)).all()}
    by_msg = {r[0]: r[1:] for r in (await session.execute(messages)).all()}
    by_sub = {r[0]: r[1:] for r in (await session.execute(subs)).all()}
    out: dict[uuid.UUID, formulas.Signals] = {}
    for fan_id, last_active, first_seen, last_purchase in (await session.execute(fans)).all():
        p30, p90, s30, s_prev = by_money.get(fan_id, (0, 0, 0, 0))
        i14, i30, ppv_sent, ppv_unlocked = by_msg.get(fan_id, (0, 0, 0, 0))
        known, live_count, renewing = by_sub.get(fan_id, (0, 0, False))
        out[fan_id] = formulas.Signals(
            days_since_active=_days(now, last_active or first_seen) or 0.0,
            days_since_purchase=_days(now, last_purchase),
            inbound_14d=int(i14),
            inbound_30d=int(i30),
            purchases_30d=int(p30),
            purchases_90d=int(p90),
            spend_30d=float(s30),
            spend_prev_60d=float(s_prev),
            ppv_sent_90d=int(ppv_sent),
            ppv_unlocked_90d=int(ppv_unlocked),
            has_subscription=bool(known),
            live=bool(live_count) or not known,
            auto_renew=bool(renewing),
        )
    return out


async def _store(
    session: AsyncSession,
    creator_ids: dict[uuid.UUID, uuid.UUID],
    signals: dict[uuid.UUID, formulas.Signals],
    now: datetime,
) -> int:
    rows: list[dict[str, Any]] = []
    for fan_id, sig in signals.items():
        values = formulas.scores(sig)
        details = {"formula": formulas.VERSION, "signals": sig.as_dict()}
        for kind, value in values.items():
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "creator_id": creator_ids[fan_id],
                    "fan_id": fan_id,
                    "kind": kind,
                    "value": value,
                    "computed_at": now,
                    "details": details,
                }
            )
    if not rows:
        return 0
    stmt = insert(FanScore)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["fan_id", "kind"],
            set_={
                "value": stmt.excluded.value,
                "computed_at": stmt.excluded.computed_at,
                "details": stmt.excluded.details,
                "updated_at": sa.func.now(),
            },
        ),
        rows,
    )
    return len(signals)


async def compute_scores(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID | None = None,
    fan_ids: Sequence[uuid.UUID] | None = None,
    now: datetime | None = None,
) -> int:
    """Recompute churn risk, upsell readiness and engagement for these fans (or every fan of the
    creator, or every fan the session sees). Returns how many fans were scored."""
    now = now or datetime.now(UTC)
    stmt = sa.select(FanProfile.id, FanProfile.creator_id).order_by(FanProfile.id)
    if fan_ids is not None:
        stmt = stmt.where(FanProfile.id.in_(list(fan_ids)))
    if creator_id is not None:
        stmt = stmt.where(FanProfile.creator_id == creator_id)
    owners = {r[0]: r[1] for r in (await session.execute(stmt)).all()}
    ids = list(owners)
    scored = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        scored += await _store(session, owners, await _signals(session, chunk, now), now)
    await session.flush()
    return scored
