"""Every query of the numbers service: aggregates over the ledgers, computed in Postgres.

Built from the caller's session. Each query filters on `creator_id = ANY(:creator_ids)` and a
half-open time range, which the (creator_id, time) indexes of migration 0010 serve as range scans;
row-level security still applies underneath, so an id the principal may not see adds nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from crm.creators.models import CreatorProfile
from crm.enums import MessageDirection, SubscriptionStatus, TransactionKind
from crm.fans.models import (
    FanMessage,
    FanProfile,
    FanScore,
    FanSubscription,
    FanSubscriptionEvent,
    FanTransaction,
)

__all__ = ["AnalyticsRepository"]

Ids = Sequence[uuid.UUID]


def _local_bucket(column: Any, unit: str, tz: str) -> Any:
    """The local calendar day that starts the bucket a timestamp falls in."""
    return sa.cast(sa.func.date_trunc(unit, sa.func.timezone(tz, column)), sa.Date)


class AnalyticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @classmethod
    def from_session(cls, session: AsyncSession) -> Self:
        return cls(session)

    async def timezones(self, creator_ids: Ids) -> dict[uuid.UUID, str]:
        stmt = sa.select(CreatorProfile.id, CreatorProfile.timezone).where(CreatorProfile.id.in_(creator_ids))
        return {row.id: row.timezone for row in await self.session.execute(stmt)}

    # ------------------------------------------------------------ money

    def _money_in(
        self, creator_ids: Ids, start: datetime, end: datetime, fan_ids: Ids | None = None
    ) -> list[Any]:
        where = [
            FanTransaction.creator_id.in_(creator_ids),
            FanTransaction.occurred_at >= start,
            FanTransaction.occurred_at < end,
        ]
        if fan_ids is not None:
            where.append(FanTransaction.fan_id.in_(fan_ids))
        return where

    async def revenue_by_kind(
        self, creator_ids: Ids, start: datetime, end: datetime, *, fan_ids: Ids | None = None
    ) -> list[tuple[str, int, Decimal]]:
        stmt = (
            sa.select(FanTransaction.kind, sa.func.count(), sa.func.sum(FanTransaction.amount))
            .where(*self._money_in(creator_ids, start, end, fan_ids))
            .group_by(FanTransaction.kind)
        )
        return [(str(kind), int(n), Decimal(total)) for kind, n, total in await self.session.execute(stmt)]

    async def paying_fans(
        self, creator_ids: Ids, start: datetime, end: datetime, *, fan_ids: Ids | None = None
    ) -> int:
        stmt = sa.select(sa.func.count(sa.distinct(FanTransaction.fan_id))).where(
            *self._money_in(creator_ids, start, end, fan_ids), FanTransaction.amount > 0
        )
        return int(await self.session.scalar(stmt) or 0)

    async def first_transaction_at(self, creator_ids: Ids) -> datetime | None:
        stmt = sa.select(sa.func.min(FanTransaction.occurred_at)).where(
            FanTransaction.creator_id.in_(creator_ids)
        )
        return await self.session.scalar(stmt)

    async def revenue_buckets(
        self,
        creator_ids: Ids,
        start: datetime,
        end: datetime,
        *,
        unit: str,
        tz: str,
        fan_ids: Ids | None = None,
    ) -> list[tuple[date, str, Decimal]]:
        bucket = _local_bucket(FanTransaction.occurred_at, unit, tz).label("bucket")
        stmt = (
            sa.select(bucket, FanTransaction.kind, sa.func.sum(FanTransaction.amount))
            .where(*self._money_in(creator_ids, start, end, fan_ids))
            .group_by(bucket, FanTransaction.kind)
        )
        return [(day, str(kind), Decimal(total)) for day, kind, total in await self.session.execute(stmt)]

    async def top_spenders(
        self,
        creator_ids: Ids,
        start: datetime,
        end: datetime,
        *,
        kinds: Sequence[TransactionKind] | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Fans by net spend in the window (refunds subtract), with their spend per kind."""
        where = self._money_in(creator_ids, start, end)
        if kinds:
            where.append(FanTransaction.kind.in_(list(kinds)))
        per_kind = (
            sa.select(
                FanTransaction.fan_id,
                FanTransaction.kind,
                sa.func.sum(FanTransaction.amount).label("amount"),
                sa.func.count().label("n"),
                sa.func.max(FanTransaction.occurred_at).label("last_at"),
            )
            .where(*where)
            .group_by(FanTransaction.fan_id, FanTransaction.kind)
            .subquery()
        )
        spent = sa.func.sum(per_kind.c.amount).label("spent")
        stmt = (
            sa.select(
                FanProfile.id,
                FanProfile.creator_id,
                FanProfile.display_name,
                FanProfile.lifetime_spend,
                FanProfile.spend_tier,
                spent,
                sa.func.sum(per_kind.c.n).label("transactions"),
                sa.func.max(per_kind.c.last_at).label("last_at"),
                sa.func.jsonb_object_agg(per_kind.c.kind, per_kind.c.amount).label("by_kind"),
            )
            .join(per_kind, per_kind.c.fan_id == FanProfile.id)
            .group_by(FanProfile.id)
            .having(sa.func.sum(per_kind.c.amount) > 0)
            .order_by(spent.desc(), FanProfile.display_name, FanProfile.id)
            .limit(limit)
        )
        return [dict(row._mapping) for row in await self.session.execute(stmt)]

    # ------------------------------------------------------------ subscriptions

    def _events_in(self, creator_ids: Ids, start: datetime, end: datetime) -> list[Any]:
        return [
            FanSubscriptionEvent.creator_id.in_(creator_ids),
            FanSubscriptionEvent.occurred_at >= start,
            FanSubscriptionEvent.occurred_at < end,
        ]

    async def subscription_events(self, creator_ids: Ids, start: datetime, end: datetime) -> dict[str, int]:
        stmt = (
            sa.select(FanSubscriptionEvent.event_type, sa.func.count())
            .where(*self._events_in(creator_ids, start, end))
            .group_by(FanSubscriptionEvent.event_type)
        )
        return {str(kind): int(n) for kind, n in await self.session.execute(stmt)}

    async def subscription_buckets(
        self, creator_ids: Ids, start: datetime, end: datetime, *, unit: str, tz: str
    ) -> list[tuple[date, str, int]]:
        bucket = _local_bucket(FanSubscriptionEvent.occurred_at, unit, tz).label("bucket")
        stmt = (
            sa.select(bucket, FanSubscriptionEvent.event_type, sa.func.count())
            .where(*self._events_in(creator_ids, start, end))
            .group_by(bucket, FanSubscriptionEvent.event_type)
        )
        return [(day, str(kind), int(n)) for day, kind, n in await self.session.execute(stmt)]

    async def active_subscriptions(self, creator_ids: Ids, now: datetime) -> int:
        stmt = sa.select(sa.func.count(sa.distinct(FanSubscription.fan_id))).where(
            FanSubscription.creator_id.in_(creator_ids),
            FanSubscription.status.in_(
                [SubscriptionStatus.active, SubscriptionStatus.cancelled, SubscriptionStatus.trial]
            ),
            sa.or_(FanSubscription.expires_at.is_(None), FanSubscription.expires_at > now),
        )
        return int(await self.session.scalar(stmt) or 0)

    # ------------------------------------------------------------ scores

    async def at_risk(
        self,
        creator_ids: Ids,
        *,
        min_score: float,
        limit: int,
        order: str,
        subscribed_only: bool,
        now: datetime,
    ) -> list[dict[str, Any]]:
        """Fans whose churn-risk score is at least `min_score`, with their latest subscription."""
        latest_sub = (
            sa.select(FanSubscription.status, FanSubscription.expires_at)
            .where(FanSubscription.fan_id == FanProfile.id)
            .order_by(FanSubscription.started_at.desc().nulls_last(), FanSubscription.id)
            .limit(1)
            .correlate(FanProfile)
            .lateral("latest_sub")
        )
        stmt = (
            sa.select(
                FanProfile.id,
                FanProfile.creator_id,
                FanProfile.display_name,
                FanProfile.lifetime_spend,
                FanProfile.spend_tier,
                FanProfile.last_active_at,
                FanScore.value.label("churn_risk"),
                FanScore.computed_at,
                latest_sub.c.status,
                latest_sub.c.expires_at,
            )
            .join(FanScore, sa.and_(FanScore.fan_id == FanProfile.id, FanScore.kind == "churn_risk"))
            .outerjoin(latest_sub, sa.true())
            .where(FanScore.creator_id.in_(creator_ids), FanScore.value >= min_score)
        )
        if subscribed_only:
            stmt = stmt.where(
                latest_sub.c.status.in_([SubscriptionStatus.active, SubscriptionStatus.cancelled]),
                sa.or_(latest_sub.c.expires_at.is_(None), latest_sub.c.expires_at > now),
            )
        ranking: list[Any] = (
            [FanProfile.lifetime_spend.desc(), FanScore.value.desc()]
            if order == "spend"
            else [FanScore.value.desc(), FanProfile.lifetime_spend.desc()]
        )
        stmt = stmt.order_by(*ranking, FanProfile.display_name, FanProfile.id).limit(limit)
        return [dict(row._mapping) for row in await self.session.execute(stmt)]

    # ------------------------------------------------------------ conversations

    async def reply_times(
        self, creator_ids: Ids, start: datetime, end: datetime, *, sla_seconds: int, now: datetime
    ) -> dict[str, Any]:
        """Fan turns (an inbound message whose previous message was ours, or the first) in the window,
        and how long each waited for our next outbound message."""
        sql = sa.text(
            """
            WITH turns AS (
              SELECT m.sent_at,
                     (SELECT o.sent_at FROM fan_messages o
                       WHERE o.fan_id = m.fan_id AND o.direction = 'outbound' AND o.sent_at > m.sent_at
                       ORDER BY o.sent_at LIMIT 1) AS replied_at
                FROM fan_messages m
               WHERE m.creator_id = ANY(:creator_ids) AND m.direction = 'inbound'
                 AND m.sent_at >= :start AND m.sent_at < :end
                 AND coalesce((SELECT p.direction FROM fan_messages p
                                WHERE p.fan_id = m.fan_id
                                  AND (p.sent_at, p.id) < (m.sent_at, m.id)
                                ORDER BY p.sent_at DESC, p.id DESC LIMIT 1), 'outbound') = 'outbound'
            ), waits AS (
              SELECT extract(epoch FROM replied_at - sent_at) AS waited,
                     extract(epoch FROM :now - sent_at) AS age
                FROM turns
            )
            SELECT count(*) AS fan_turns,
                   count(waited) AS replied,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY waited) AS median_seconds,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY waited) AS p90_seconds,
                   count(*) FILTER (WHERE waited <= :sla) AS within_sla,
                   count(*) FILTER (WHERE waited > :sla OR (waited IS NULL AND age > :sla)) AS breaches
              FROM waits
            """
        )
        params = {
            "creator_ids": list(creator_ids),
            "start": start,
            "end": end,
            "sla": sla_seconds,
            "now": now,
        }
        return dict((await self.session.execute(sql, params)).one()._mapping)

    async def unanswered(self, creator_ids: Ids, *, now: datetime, sla_seconds: int) -> dict[str, Any]:
        waiting = sa.and_(
            FanProfile.last_inbound_at.is_not(None),
            sa.or_(
                FanProfile.last_outbound_at.is_(None),
                FanProfile.last_inbound_at > FanProfile.last_outbound_at,
            ),
        )
        age = sa.func.extract("epoch", sa.literal(now) - FanProfile.last_inbound_at)
        stmt = sa.select(
            sa.func.count().label("unanswered"),
            sa.func.count().filter(age > sla_seconds).label("over_sla"),
            sa.func.max(age).label("oldest_seconds"),
        ).where(FanProfile.creator_id.in_(creator_ids), waiting)
        return dict((await self.session.execute(stmt)).one()._mapping)

    # ------------------------------------------------------------ PPV prices

    async def ppv_purchases_by_price(
        self, creator_ids: Ids, start: datetime, end: datetime
    ) -> list[tuple[Decimal, int, Decimal, int]]:
        stmt = (
            sa.select(
                FanTransaction.amount,
                sa.func.count(),
                sa.func.sum(FanTransaction.amount),
                sa.func.count(sa.distinct(FanTransaction.fan_id)),
            )
            .where(*self._money_in(creator_ids, start, end), FanTransaction.kind == TransactionKind.ppv)
            .group_by(FanTransaction.amount)
        )
        return [(Decimal(p), int(n), Decimal(r), int(b)) for p, n, r, b in await self.session.execute(stmt)]

    async def ppv_offers_by_price(
        self, creator_ids: Ids, start: datetime, end: datetime
    ) -> list[tuple[Decimal, int, int]]:
        stmt = (
            sa.select(FanMessage.price, sa.func.count(), sa.func.count(FanMessage.unlocked_at))
            .where(
                FanMessage.creator_id.in_(creator_ids),
                FanMessage.direction == MessageDirection.outbound,
                FanMessage.is_ppv.is_(True),
                FanMessage.price.is_not(None),
                FanMessage.sent_at >= start,
                FanMessage.sent_at < end,
            )
            .group_by(FanMessage.price)
        )
        return [(Decimal(str(p)), int(n), int(u)) for p, n, u in await self.session.execute(stmt)]
