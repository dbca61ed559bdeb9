"""Every query of the numbers service: aggregates over the ledgers, computed in Postgres.

Built from the caller's session. Each query filters on `creator_id = ANY(:creator_ids)` and a
half-open time range, which the (creator_id, time) indexes of migrations 0010 and 0013 serve as range
scans; row-level security still applies underneath, so an id the principal may not see adds nothing.
The staff tables are not row-level secured (they are read at sign-in): lookups of names here are
limited to the caller's agency by the service.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, Self

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.tenancy import StaffRole
from crm.accounts.models import ApiToken, StaffCreatorAccess, StaffUser
from crm.approvals.models import HitlAction
from crm.approvals.service import AUTO_APPROVED_REASON
from crm.creators.models import CreatorProfile
from crm.enums import ApprovalStatus, MessageDirection, SubscriptionStatus, TransactionKind
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
            FanSubscription.creator_id.in_(creator_ids), *_has_access(now)
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

    # ------------------------------------------------------------ the team: decisions, replies, credit

    async def decisions(
        self, creator_ids: Ids, start: datetime, end: datetime, *, group: Grouping
    ) -> list[dict[str, Any]]:
        """Decided queue items in the window per decider (or per creator), plus one row for every
        AI-drafted item together (`ai_total`)."""
        sql = f"""
            SELECT key, is_ai, GROUPING(key) = 1 AS ai_total,
                   count(*) AS decided,
                   count(*) FILTER (WHERE status <> 'rejected') AS approved,
                   count(*) FILTER (WHERE status <> 'rejected' AND NOT edited) AS approved_as_drafted,
                   count(*) FILTER (WHERE edited) AS edited,
                   count(*) FILTER (WHERE status = 'rejected') AS rejected,
                   coalesce(sum(edit_distance) FILTER (WHERE edited), 0) AS chars_changed,
                   count(edit_distance) FILTER (WHERE edited) AS edits_measured,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY edit_distance) FILTER (WHERE edited)
                     AS median_chars_changed,
                   coalesce(sum(longer_text) FILTER (WHERE edited AND edit_distance IS NOT NULL), 0)
                     AS chars_drafted,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY waited) AS median_decision_seconds
              FROM (SELECT {_KEYS[group]} AS key, {_IS_AI} AS is_ai, h.status, h.edited, h.edit_distance,
                           greatest(length(h.proposed_args->>'text'), length(h.final_args->>'text'))
                             AS longer_text,
                           extract(epoch FROM h.decided_at - h.created_at) AS waited
                      FROM hitl_action_queue h
                      LEFT JOIN api_tokens tok ON tok.id = h.decided_by
                     WHERE h.creator_id = ANY(:creator_ids)
                       AND h.decided_at >= :start AND h.decided_at < :end
                       AND h.status IN ('approved', 'executed', 'failed', 'stale', 'rejected')) d
             GROUP BY GROUPING SETS ((key), (is_ai))
        """
        return await self._rows(sql, creator_ids=list(creator_ids), start=start, end=end)

    async def expired_undecided(
        self, creator_ids: Ids, start: datetime, end: datetime
    ) -> dict[uuid.UUID, int]:
        stmt = (
            sa.select(HitlAction.creator_id, sa.func.count())
            .where(
                HitlAction.creator_id.in_(creator_ids),
                HitlAction.status == ApprovalStatus.expired,
                HitlAction.decided_at >= start,
                HitlAction.decided_at < end,
            )
            .group_by(HitlAction.creator_id)
        )
        return {cid: int(n) for cid, n in await self.session.execute(stmt)}

    async def decision_buckets(
        self,
        creator_ids: Ids,
        start: datetime,
        end: datetime,
        *,
        unit: str,
        tz: str,
        staff_id: uuid.UUID | None,
    ) -> list[tuple[date, int, int, int]]:
        decider = sa.func.coalesce(ApiToken.staff_user_id, HitlAction.decided_by)
        bucket = _local_bucket(HitlAction.decided_at, unit, tz).label("bucket")
        rejected = HitlAction.status == ApprovalStatus.rejected
        stmt = (
            sa.select(
                bucket,
                sa.func.count().filter(sa.and_(~rejected, HitlAction.edited.is_(False))),
                sa.func.count().filter(sa.and_(~rejected, HitlAction.edited.is_(True))),
                sa.func.count().filter(rejected),
            )
            .select_from(HitlAction)
            .outerjoin(ApiToken, ApiToken.id == HitlAction.decided_by)
            .where(
                HitlAction.creator_id.in_(creator_ids),
                HitlAction.decided_at >= start,
                HitlAction.decided_at < end,
                HitlAction.status.in_(DECIDED),
            )
            .group_by(bucket)
        )
        if staff_id is not None:
            stmt = stmt.where(decider == staff_id)
        return [(day, int(a), int(e), int(r)) for day, a, e, r in await self.session.execute(stmt)]

    async def replies(
        self,
        creator_ids: Ids,
        start: datetime,
        end: datetime,
        *,
        sla_seconds: int,
        group: Grouping,
    ) -> list[dict[str, Any]]:
        """Replies sent in the window: an outbound message right after a fan's message, timed from
        the first fan message of that turn. One sort of the creators' messages (window functions)
        instead of a lookup per message; turns are looked for up to REPLY_LOOKBACK before the window,
        so a reply later than that is timed from the lookback's start (still a breach: the SLA is at
        most 7 days)."""
        sql = f"""
            WITH msgs AS (
              SELECT m.id, m.creator_id, m.fan_id, m.direction, m.sent_at, m.hitl_item_id,
                     lag(m.direction) OVER (PARTITION BY m.fan_id ORDER BY m.sent_at, m.id) AS prev_dir
                FROM fan_messages m
               WHERE m.creator_id = ANY(:creator_ids) AND m.sent_at >= :lookback AND m.sent_at < :end
            ), turns AS (
              SELECT msgs.*,
                     max(sent_at) FILTER (WHERE direction = 'inbound' AND prev_dir IS DISTINCT FROM 'inbound')
                       OVER (PARTITION BY fan_id ORDER BY sent_at, id ROWS UNBOUNDED PRECEDING) AS turn_start
                FROM msgs
            ), replies AS (
              SELECT {_KEYS[group].replace("h.creator_id", "r.creator_id")} AS key, {_IS_AI} AS is_ai,
                     extract(epoch FROM r.sent_at - coalesce(r.turn_start, :lookback)) AS waited
                FROM turns r
                LEFT JOIN hitl_action_queue h ON h.id = r.hitl_item_id
                LEFT JOIN api_tokens tok ON tok.id = h.decided_by
               WHERE r.direction = 'outbound' AND r.prev_dir = 'inbound' AND r.sent_at >= :start
            )
            SELECT key, is_ai, GROUPING(key) = 1 AS ai_total,
                   count(*) AS replies,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY waited) AS median_seconds,
                   count(*) FILTER (WHERE waited > :sla) AS breaches
              FROM replies
             GROUP BY GROUPING SETS ((key), (is_ai))
        """
        return await self._rows(
            sql,
            creator_ids=list(creator_ids),
            start=start,
            end=end,
            lookback=start - REPLY_LOOKBACK,
            sla=sla_seconds,
        )

    async def ppv_credit(
        self, creator_ids: Ids, start: datetime, end: datetime, *, hours: int, group: Grouping
    ) -> list[dict[str, Any]]:
        """Approved PPV offers sent in the window and the purchases credited to them: the fan's PPV
        purchase at the offer's price within `hours`, to the latest offer before it, one each."""
        sql = f"""
            WITH offers AS (
              SELECT m.id, m.creator_id, m.fan_id, m.sent_at, m.price,
                     {_KEYS[group]} AS key, {_IS_AI} AS is_ai
                FROM fan_messages m
                JOIN hitl_action_queue h ON h.id = m.hitl_item_id
                LEFT JOIN api_tokens tok ON tok.id = h.decided_by
               WHERE m.creator_id = ANY(:creator_ids) AND m.direction = 'outbound' AND m.is_ppv
                 AND m.price IS NOT NULL AND m.sent_at >= :start AND m.sent_at < :end
            ), per_purchase AS (
              SELECT DISTINCT ON (t.id) t.id AS purchase, t.occurred_at, t.amount, o.id AS offer
                FROM offers o
                JOIN fan_transactions t
                  ON t.fan_id = o.fan_id AND t.creator_id = o.creator_id AND t.kind = 'ppv'
                 AND t.amount = o.price AND t.occurred_at >= o.sent_at
                 AND t.occurred_at < o.sent_at + make_interval(hours => :hours)
               ORDER BY t.id, o.sent_at DESC
            ), sales AS (
              SELECT DISTINCT ON (offer) offer, amount FROM per_purchase ORDER BY offer, occurred_at
            )
            SELECT o.key, o.is_ai, GROUPING(o.key) = 1 AS ai_total,
                   count(*) AS offers, count(s.offer) AS sales, coalesce(sum(s.amount), 0) AS revenue
              FROM offers o LEFT JOIN sales s ON s.offer = o.id
             GROUP BY GROUPING SETS ((o.key), (o.is_ai))
        """
        return await self._rows(sql, creator_ids=list(creator_ids), start=start, end=end, hours=hours)

    async def tip_credit(
        self, creator_ids: Ids, start: datetime, end: datetime, *, hours: int, group: Grouping
    ) -> list[dict[str, Any]]:
        """Tips in the window credited to the latest message sent to the fan in the `hours` before."""
        sql = f"""
            SELECT key, is_ai, GROUPING(key) = 1 AS ai_total, count(*) AS tips,
                   coalesce(sum(amount), 0) AS revenue
              FROM (SELECT {_KEYS[group].replace("h.creator_id", "t.creator_id")} AS key,
                           {_IS_AI} AS is_ai, t.amount
                      FROM fan_transactions t
                      CROSS JOIN LATERAL (
                        SELECT o.hitl_item_id FROM fan_messages o
                         WHERE o.fan_id = t.fan_id AND o.direction = 'outbound'
                           AND o.sent_at <= t.occurred_at
                           AND o.sent_at > t.occurred_at - make_interval(hours => :hours)
                         ORDER BY o.sent_at DESC LIMIT 1) last_sent
                      LEFT JOIN hitl_action_queue h ON h.id = last_sent.hitl_item_id
                      LEFT JOIN api_tokens tok ON tok.id = h.decided_by
                     WHERE t.creator_id = ANY(:creator_ids) AND t.kind = 'tip'
                       AND t.occurred_at >= :start AND t.occurred_at < :end) credited
             GROUP BY GROUPING SETS ((key), (is_ai))
        """
        return await self._rows(sql, creator_ids=list(creator_ids), start=start, end=end, hours=hours)

    async def _rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        params.setdefault("auto_reason", AUTO_APPROVED_REASON)
        result = await self.session.execute(sa.text(sql), params)
        return [dict(row._mapping) for row in result]

    # ------------------------------------------------------------ per creator

    async def revenue_by_creator(
        self, creator_ids: Ids, start: datetime, end: datetime
    ) -> list[tuple[uuid.UUID, str, Decimal]]:
        stmt = (
            sa.select(FanTransaction.creator_id, FanTransaction.kind, sa.func.sum(FanTransaction.amount))
            .where(*self._money_in(creator_ids, start, end))
            .group_by(FanTransaction.creator_id, FanTransaction.kind)
        )
        return [(cid, str(kind), Decimal(total)) for cid, kind, total in await self.session.execute(stmt)]

    async def subscription_events_by_creator(
        self, creator_ids: Ids, start: datetime, end: datetime
    ) -> list[tuple[uuid.UUID, str, int]]:
        stmt = (
            sa.select(FanSubscriptionEvent.creator_id, FanSubscriptionEvent.event_type, sa.func.count())
            .where(*self._events_in(creator_ids, start, end))
            .group_by(FanSubscriptionEvent.creator_id, FanSubscriptionEvent.event_type)
        )
        return [(cid, str(kind), int(n)) for cid, kind, n in await self.session.execute(stmt)]

    async def active_by_creator(self, creator_ids: Ids, now: datetime) -> dict[uuid.UUID, int]:
        stmt = (
            sa.select(FanSubscription.creator_id, sa.func.count(sa.distinct(FanSubscription.fan_id)))
            .where(FanSubscription.creator_id.in_(creator_ids), *_has_access(now))
            .group_by(FanSubscription.creator_id)
        )
        return {cid: int(n) for cid, n in await self.session.execute(stmt)}

    # ------------------------------------------------------------ names

    async def creator_names(self, creator_ids: Ids) -> list[tuple[uuid.UUID, str, str]]:
        stmt = (
            sa.select(CreatorProfile.id, CreatorProfile.display_name, CreatorProfile.timezone)
            .where(CreatorProfile.id.in_(creator_ids))
            .order_by(CreatorProfile.display_name, CreatorProfile.id)
        )
        return [(cid, name, tz or "UTC") for cid, name, tz in await self.session.execute(stmt)]

    async def staff_working_on(
        self, agency_id: uuid.UUID, creator_ids: Ids
    ) -> list[tuple[uuid.UUID, str, str]]:
        """Staff of the agency who work on any of these creators: owners and admins (they see every
        creator), assigned managers and chatters, and the creators' own logins."""
        assigned = sa.select(StaffCreatorAccess.staff_user_id).where(
            StaffCreatorAccess.creator_id.in_(creator_ids)
        )
        stmt = (
            sa.select(StaffUser.id, StaffUser.display_name, StaffUser.role)
            .where(
                StaffUser.agency_id == agency_id,
                sa.or_(
                    StaffUser.role.in_([StaffRole.owner, StaffRole.admin]),
                    StaffUser.id.in_(assigned),
                    StaffUser.creator_id.in_(creator_ids),
                ),
            )
            .order_by(StaffUser.display_name, StaffUser.id)
        )
        return [(sid, name, str(role)) for sid, name, role in await self.session.execute(stmt)]

    async def staff_names(self, agency_id: uuid.UUID | None, ids: Ids) -> dict[uuid.UUID, tuple[str, str]]:
        if not ids:
            return {}
        stmt = sa.select(StaffUser.id, StaffUser.display_name, StaffUser.role).where(StaffUser.id.in_(ids))
        if agency_id is not None:
            stmt = stmt.where(StaffUser.agency_id == agency_id)
        return {sid: (name, str(role)) for sid, name, role in await self.session.execute(stmt)}


Grouping = Literal["person", "creator"]
REPLY_LOOKBACK = timedelta(days=14)
DECIDED = (
    ApprovalStatus.approved,
    ApprovalStatus.executed,
    ApprovalStatus.failed,
    ApprovalStatus.stale,
    ApprovalStatus.rejected,
)
# Who a decision is credited to: the staff member (an API token counts as the person it acts as),
# auto-approval, a script without a person (CLI), or — for messages that did not come through the
# queue — the platform (typed there by the creator).
_KEYS = {
    "person": """CASE WHEN h.id IS NULL THEN 'platform'
                      WHEN h.decided_by IS NULL THEN
                        CASE WHEN h.decision_reason = :auto_reason THEN 'auto' ELSE 'script' END
                      ELSE coalesce(tok.staff_user_id, h.decided_by)::text END""",
    "creator": "h.creator_id::text",
}
# An AI draft: anything the agent queued (a reply run, the assistant, an automation), not a person.
_IS_AI = "coalesce(h.origin <> 'direct', false)"


def _has_access(now: datetime) -> list[Any]:
    return [
        FanSubscription.status.in_(
            [SubscriptionStatus.active, SubscriptionStatus.cancelled, SubscriptionStatus.trial]
        ),
        sa.or_(FanSubscription.expires_at.is_(None), FanSubscription.expires_at > now),
    ]
