"""SQL of the automation domain: rules, the run/step ledgers, timers, and the fan facts rules read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.approvals.models import HitlAction
from crm.automation.models import (
    AutomationRule,
    AutomationRuleAction,
    AutomationRuleRun,
    AutomationTimer,
    TimerKind,
    TimerStatus,
)
from crm.enums import ActionType, ApprovalStatus, MessageDirection, SubscriptionStatus
from crm.fans.models import FanMessage, FanProfile, FanSubscription
from crm.segments.rules import compile_rule, parse_rule

_LIVE = (SubscriptionStatus.active, SubscriptionStatus.trial, SubscriptionStatus.cancelled)


@dataclass(frozen=True)
class ScheduleHit:
    """A fan whose subscription reached a rule's scheduled moment."""

    fan_id: uuid.UUID
    subscription_id: uuid.UUID
    at: datetime  # renews_at or expires_at
    started_at: datetime
    renewal_count: int
    event_key: str  # "renewal:<subscription>:<epoch>" / "expiry:<subscription>:<epoch>"


class AutomationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @classmethod
    def from_session(cls, session: AsyncSession) -> AutomationRepository:
        return cls(session)

    # ------------------------------------------------------------------ rules

    async def get_rule(self, rule_id: uuid.UUID, *, lock: bool = False) -> AutomationRule | None:
        stmt = sa.select(AutomationRule).where(AutomationRule.id == rule_id)
        if lock:
            stmt = stmt.with_for_update()
        return (
            await self.session.execute(stmt.execution_options(populate_existing=True))
        ).scalar_one_or_none()

    async def get_rule_by_name(self, creator_id: uuid.UUID, name: str) -> AutomationRule | None:
        stmt = sa.select(AutomationRule).where(
            AutomationRule.creator_id == creator_id, sa.func.lower(AutomationRule.name) == name.lower()
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list_rules(self, creator_ids: Sequence[uuid.UUID] | None) -> list[AutomationRule]:
        stmt = sa.select(AutomationRule)
        if creator_ids is not None:
            stmt = stmt.where(AutomationRule.creator_id.in_(list(creator_ids)))
        order = (AutomationRule.creator_id, *self.evaluation_order())
        return list((await self.session.scalars(stmt.order_by(*order))).all())

    @staticmethod
    def evaluation_order() -> tuple[Any, ...]:
        """Rules on the same trigger: higher priority first, then the older rule, then by id."""
        return (AutomationRule.priority.desc(), AutomationRule.created_at, AutomationRule.id)

    async def enabled_for_trigger(self, creator_id: uuid.UUID, trigger: str) -> list[AutomationRule]:
        stmt = (
            sa.select(AutomationRule)
            .where(
                AutomationRule.creator_id == creator_id,
                AutomationRule.trigger == trigger,
                AutomationRule.is_enabled.is_(True),
            )
            .order_by(*self.evaluation_order())
        )
        return list((await self.session.scalars(stmt)).all())

    async def enabled_triggers(self, creator_id: uuid.UUID) -> set[str]:
        stmt = (
            sa.select(AutomationRule.trigger)
            .distinct()
            .where(AutomationRule.creator_id == creator_id, AutomationRule.is_enabled.is_(True))
        )
        return set((await self.session.scalars(stmt)).all())

    async def enabled_with_triggers(
        self, triggers: Sequence[str], creator_ids: Sequence[uuid.UUID] | None = None
    ) -> list[AutomationRule]:
        """Every enabled rule on these triggers, across the creators the session sees."""
        stmt = (
            sa.select(AutomationRule)
            .where(AutomationRule.trigger.in_(list(triggers)), AutomationRule.is_enabled.is_(True))
            .order_by(AutomationRule.creator_id, *self.evaluation_order())
        )
        if creator_ids is not None:
            stmt = stmt.where(AutomationRule.creator_id.in_(list(creator_ids)))
        return list((await self.session.scalars(stmt)).all())

    async def add_rule(self, rule: AutomationRule) -> None:
        self.session.add(rule)
        await self.session.flush()

    async def delete_rule(self, rule: AutomationRule) -> None:
        await self.session.delete(rule)
        await self.session.flush()

    async def has_runs(self, rule_id: uuid.UUID) -> bool:
        stmt = sa.select(sa.exists().where(AutomationRuleRun.rule_id == rule_id))
        return bool((await self.session.execute(stmt)).scalar())

    # ------------------------------------------------------------------ runs (append-only)

    async def insert_runs(self, rows: Sequence[dict[str, Any]]) -> dict[uuid.UUID, uuid.UUID]:
        """Many run rows in one statement; rule id → new run id for the rows that were inserted (a
        (rule, fan, event key) that exists already is skipped, as in `insert_run`)."""
        if not rows:
            return {}
        stmt = (
            insert(AutomationRuleRun)
            .values([{"id": uuid.uuid4(), **row} for row in rows])
            .on_conflict_do_nothing(index_elements=["rule_id", "fan_id", "event_key"])
            .returning(AutomationRuleRun.rule_id, AutomationRuleRun.id)
        )
        return {r[0]: r[1] for r in (await self.session.execute(stmt)).all() if r[0] is not None}

    async def evaluated_rules(
        self, rule_ids: Sequence[uuid.UUID], fan_id: uuid.UUID, event_key: str
    ) -> set[uuid.UUID]:
        """Which of these rules already evaluated this event for this fan."""
        if not rule_ids:
            return set()
        stmt = sa.select(AutomationRuleRun.rule_id).where(
            AutomationRuleRun.rule_id.in_(list(rule_ids)),
            AutomationRuleRun.fan_id == fan_id,
            AutomationRuleRun.event_key == event_key,
        )
        return {r for r in (await self.session.scalars(stmt)).all() if r is not None}

    async def last_matches(
        self, rule_ids: Sequence[uuid.UUID], fan_id: uuid.UUID
    ) -> dict[uuid.UUID, datetime]:
        """When each of these rules last matched this fan."""
        if not rule_ids:
            return {}
        stmt = (
            sa.select(AutomationRuleRun.rule_id, sa.func.max(AutomationRuleRun.created_at))
            .where(
                AutomationRuleRun.rule_id.in_(list(rule_ids)),
                AutomationRuleRun.fan_id == fan_id,
                AutomationRuleRun.matched.is_(True),
            )
            .group_by(AutomationRuleRun.rule_id)
        )
        return {r[0]: r[1] for r in (await self.session.execute(stmt)).all() if r[0] is not None}

    async def get_run(self, run_id: uuid.UUID) -> AutomationRuleRun | None:
        return await self.session.get(AutomationRuleRun, run_id)

    async def fans_matched_since(self, rule_id: uuid.UUID, since: datetime) -> set[uuid.UUID]:
        stmt = (
            sa.select(AutomationRuleRun.fan_id)
            .distinct()
            .where(
                AutomationRuleRun.rule_id == rule_id,
                AutomationRuleRun.matched.is_(True),
                AutomationRuleRun.created_at > since,
            )
        )
        return {f for f in (await self.session.scalars(stmt)).all() if f is not None}

    async def recent_runs(
        self, *, rule_id: uuid.UUID | None = None, creator_id: uuid.UUID | None = None, limit: int = 20
    ) -> list[tuple[AutomationRuleRun, str | None]]:
        stmt = (
            sa.select(AutomationRuleRun, FanProfile.display_name)
            .outerjoin(FanProfile, FanProfile.id == AutomationRuleRun.fan_id)
            .order_by(AutomationRuleRun.created_at.desc(), AutomationRuleRun.id.desc())
            .limit(limit)
        )
        if rule_id is not None:
            stmt = stmt.where(AutomationRuleRun.rule_id == rule_id)
        if creator_id is not None:
            stmt = stmt.where(AutomationRuleRun.creator_id == creator_id)
        return [(r[0], r[1]) for r in (await self.session.execute(stmt)).all()]

    async def run_counts(
        self, rule_ids: Sequence[uuid.UUID], since: datetime
    ) -> dict[uuid.UUID, tuple[int, int]]:
        """(evaluations, matches) per rule since `since`."""
        if not rule_ids:
            return {}
        stmt = (
            sa.select(
                AutomationRuleRun.rule_id,
                sa.func.count(),
                sa.func.count().filter(AutomationRuleRun.matched.is_(True)),
            )
            .where(AutomationRuleRun.rule_id.in_(list(rule_ids)), AutomationRuleRun.created_at > since)
            .group_by(AutomationRuleRun.rule_id)
        )
        return {r[0]: (int(r[1]), int(r[2])) for r in (await self.session.execute(stmt)).all() if r[0]}

    # ------------------------------------------------------------------ steps (append-only)

    async def insert_step(self, values: dict[str, Any]) -> bool:
        stmt = (
            insert(AutomationRuleAction)
            .values(id=uuid.uuid4(), **values)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(AutomationRuleAction.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def steps_of_runs(self, run_ids: Sequence[uuid.UUID]) -> list[AutomationRuleAction]:
        if not run_ids:
            return []
        stmt = (
            sa.select(AutomationRuleAction)
            .where(AutomationRuleAction.run_id.in_(list(run_ids)))
            .order_by(AutomationRuleAction.created_at, AutomationRuleAction.step)
        )
        return list((await self.session.scalars(stmt)).all())

    async def auto_approvals_since(
        self, *, rule_id: uuid.UUID, fan_id: uuid.UUID, action_type: ActionType, since: datetime
    ) -> int:
        stmt = sa.select(sa.func.count()).where(
            AutomationRuleAction.rule_id == rule_id,
            AutomationRuleAction.fan_id == fan_id,
            AutomationRuleAction.action_type == action_type,
            AutomationRuleAction.status == "auto_approved",
            AutomationRuleAction.created_at > since,
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def pending_auto_approvals(
        self, *, older_than: datetime, limit: int, creator_ids: Sequence[uuid.UUID] | None = None
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(item id, creator id) of items a rule auto-approved whose decision never happened (the
        process died between the evaluation's commit and the decision)."""
        stmt = (
            sa.select(HitlAction.id, HitlAction.creator_id)
            .join(AutomationRuleAction, AutomationRuleAction.hitl_item_id == HitlAction.id)
            .where(
                AutomationRuleAction.status == "auto_approved",
                AutomationRuleAction.created_at < older_than,
                HitlAction.status == ApprovalStatus.pending,
                HitlAction.expires_at > sa.func.now(),
            )
            .order_by(AutomationRuleAction.created_at)
            .limit(limit)
        )
        if creator_ids is not None:
            stmt = stmt.where(HitlAction.creator_id.in_(list(creator_ids)))
        return [(r[0], r[1]) for r in (await self.session.execute(stmt)).all()]

    # ------------------------------------------------------------------ timers

    async def insert_timer(self, values: dict[str, Any]) -> uuid.UUID | None:
        stmt = (
            insert(AutomationTimer)
            .values(id=uuid.uuid4(), **values)
            .on_conflict_do_nothing(index_elements=["rule_id", "fan_id", "event_key", "step"])
            .returning(AutomationTimer.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def cancel_timers(
        self,
        *,
        fan_id: uuid.UUID,
        reason: str,
        kind: TimerKind | None = None,
        rule_id: uuid.UUID | None = None,
        except_event_key: str | None = None,
    ) -> int:
        clauses = [AutomationTimer.fan_id == fan_id, AutomationTimer.status == TimerStatus.pending]
        if kind is not None:
            clauses.append(AutomationTimer.kind == kind)
        if rule_id is not None:
            clauses.append(AutomationTimer.rule_id == rule_id)
        if except_event_key is not None:
            clauses.append(AutomationTimer.event_key != except_event_key)
        stmt = (
            sa.update(AutomationTimer)
            .where(*clauses)
            .values(status=TimerStatus.cancelled, reason=reason, updated_at=sa.func.now())
        )
        result = await self.session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def cancel_rule_timers(self, rule_id: uuid.UUID, reason: str) -> int:
        stmt = (
            sa.update(AutomationTimer)
            .where(AutomationTimer.rule_id == rule_id, AutomationTimer.status == TimerStatus.pending)
            .values(status=TimerStatus.cancelled, reason=reason, updated_at=sa.func.now())
        )
        result = await self.session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def due_timers(
        self, now: datetime, limit: int, creator_ids: Sequence[uuid.UUID] | None = None
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        stmt = (
            sa.select(AutomationTimer.id, AutomationTimer.creator_id)
            .where(AutomationTimer.status == TimerStatus.pending, AutomationTimer.due_at <= now)
            .order_by(AutomationTimer.due_at, AutomationTimer.id)
            .limit(limit)
        )
        if creator_ids is not None:
            stmt = stmt.where(AutomationTimer.creator_id.in_(list(creator_ids)))
        return [(r[0], r[1]) for r in (await self.session.execute(stmt)).all()]

    async def lock_timer(self, timer_id: uuid.UUID) -> AutomationTimer | None:
        """The timer, locked; None when another worker holds it right now."""
        stmt = (
            sa.select(AutomationTimer)
            .where(AutomationTimer.id == timer_id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def timers(
        self, *, rule_id: uuid.UUID | None = None, fan_id: uuid.UUID | None = None, limit: int = 50
    ) -> list[AutomationTimer]:
        stmt = sa.select(AutomationTimer).order_by(AutomationTimer.due_at.desc()).limit(limit)
        if rule_id is not None:
            stmt = stmt.where(AutomationTimer.rule_id == rule_id)
        if fan_id is not None:
            stmt = stmt.where(AutomationTimer.fan_id == fan_id)
        return list((await self.session.scalars(stmt)).all())

    async def pending_timer_counts(self, rule_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not rule_ids:
            return {}
        stmt = (
            sa.select(AutomationTimer.rule_id, sa.func.count())
            .where(AutomationTimer.rule_id.in_(list(rule_ids)), AutomationTimer.status == TimerStatus.pending)
            .group_by(AutomationTimer.rule_id)
        )
        return {r[0]: int(r[1]) for r in (await self.session.execute(stmt)).all()}

    # ------------------------------------------------------------------ the fan, as rules see it

    async def lock_fan(self, fan_id: uuid.UUID) -> FanProfile | None:
        """Evaluations for one fan happen one at a time: cooldowns and per-day limits hold under
        concurrency."""
        stmt = (
            sa.select(FanProfile)
            .where(FanProfile.id == fan_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def matching_rules(
        self, fan_id: uuid.UUID, conditions: Sequence[dict[str, Any] | None], now: datetime
    ) -> list[bool]:
        """For each condition set (None: no conditions), whether the fan matches it now: one query."""
        columns = [
            (sa.true() if c is None else compile_rule(parse_rule(c), now=now)).label(f"c{i}")
            for i, c in enumerate(conditions)
        ]
        if not columns:
            return []
        row = (await self.session.execute(sa.select(*columns).where(FanProfile.id == fan_id))).one_or_none()
        return [bool(v) for v in row] if row is not None else [False] * len(columns)

    async def matching_rules_for_fans(
        self, fan_ids: Sequence[uuid.UUID], conditions: dict[str, Any] | None, now: datetime
    ) -> dict[uuid.UUID, bool]:
        """For each fan, whether they match one condition set now: one query."""
        if not fan_ids:
            return {}
        where = sa.true() if conditions is None else compile_rule(parse_rule(conditions), now=now)
        stmt = sa.select(FanProfile.id, where.label("hit")).where(FanProfile.id.in_(list(fan_ids)))
        return {r[0]: bool(r[1]) for r in (await self.session.execute(stmt)).all()}

    async def matching_fans(
        self, creator_id: uuid.UUID, conditions: dict[str, Any] | None, now: datetime, *, limit: int
    ) -> tuple[int, list[FanProfile]]:
        where = sa.true() if conditions is None else compile_rule(parse_rule(conditions), now=now)
        base = sa.select(FanProfile).where(FanProfile.creator_id == creator_id, where)
        total = int(
            (await self.session.execute(sa.select(sa.func.count()).select_from(base.subquery()))).scalar_one()
        )
        sample = base.order_by(FanProfile.lifetime_spend.desc(), FanProfile.id).limit(limit)
        return total, list((await self.session.scalars(sample)).all())

    async def message_after(
        self, fan_id: uuid.UUID, *, direction: MessageDirection, after: datetime
    ) -> datetime | None:
        """When the first message in this direction after `after` was sent (None: there is none)."""
        stmt = sa.select(sa.func.min(FanMessage.sent_at)).where(
            FanMessage.fan_id == fan_id, FanMessage.direction == direction, FanMessage.sent_at > after
        )
        return (await self.session.execute(stmt)).scalar()

    async def get_message(self, message_id: uuid.UUID) -> FanMessage | None:
        return await self.session.get(FanMessage, message_id)

    async def schedule_hits(
        self,
        *,
        creator_id: uuid.UUID,
        trigger: str,
        days: int,
        now: datetime,
        grace: timedelta,
        rule_id: uuid.UUID | None = None,
        limit: int = 1000,
    ) -> list[ScheduleHit]:
        """Subscriptions at the rule's moment within the catch-up window: renewing in `days` days
        (live, auto-renew on), or expired `days` days ago. With `rule_id`, only those the rule has
        not evaluated yet."""
        offset = timedelta(days=days)
        sub = FanSubscription
        if trigger == "schedule.before_renewal":
            moment: Any = sub.renews_at
            prefix = "renewal:"
            clauses = [
                sub.status.in_(_LIVE),
                sub.auto_renew.is_(True),
                sub.renews_at.is_not(None),
                sub.renews_at - offset <= now,
                sub.renews_at - offset > now - grace,
                sub.renews_at > now,
            ]
        else:
            moment = sub.expires_at
            prefix = "expiry:"
            clauses = [
                sub.status == SubscriptionStatus.expired,
                sub.expires_at.is_not(None),
                sub.expires_at + offset <= now,
                sub.expires_at + offset > now - grace,
            ]
        key = sa.func.concat(
            prefix,
            sa.cast(sub.id, sa.Text),
            ":",
            sa.cast(sa.func.floor(sa.extract("epoch", moment)), sa.BigInteger),
        )
        stmt = sa.select(sub.fan_id, sub.id, moment, sub.started_at, sub.renewal_count, key).where(
            sub.creator_id == creator_id, *clauses
        )
        if rule_id is not None:
            stmt = stmt.where(
                ~sa.exists().where(
                    AutomationRuleRun.rule_id == rule_id,
                    AutomationRuleRun.fan_id == sub.fan_id,
                    AutomationRuleRun.event_key == key,
                )
            )
        stmt = stmt.order_by(moment, sub.id).limit(limit)
        return [
            ScheduleHit(r[0], r[1], r[2], r[3], int(r[4]), str(r[5]))
            for r in (await self.session.execute(stmt)).all()
        ]

    async def live_subscription(self, fan_id: uuid.UUID) -> FanSubscription | None:
        stmt = (
            sa.select(FanSubscription)
            .where(FanSubscription.fan_id == fan_id)
            .order_by(FanSubscription.status.in_(_LIVE).desc(), FanSubscription.started_at.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
