"""Automation rules, their timers, and their append-only ledgers of runs and executed steps."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm.base import JSONB, Base, CreatedAt, CreatorOwned, IdPk, Timestamps, fan_fk, str_enum
from crm.enums import ActionType


class TimerStatus(StrEnum):
    pending = "pending"
    fired = "fired"
    cancelled = "cancelled"


class TimerKind(StrEnum):
    delay = "delay"  # an event trigger with a delay: the rule is evaluated when it fires
    no_reply = "no_reply"  # "no reply from the creator N minutes after a fan message"
    wait = "wait"  # a `wait` step: the chain continues at `step` when it fires
    draft = "draft"  # a `draft_by_agent` step: the reply run starts when it fires (due at once)


class AutomationRule(IdPk, Timestamps, CreatorOwned, Base):
    """Trigger + conditions + action chain (`crm.automation.schemas.RuleSpec` is the contract)."""

    __tablename__ = "automation_rules"
    __table_args__ = (
        sa.UniqueConstraint("creator_id", "name"),
        sa.Index("ix_automation_rules_creator_trigger", "creator_id", "trigger", "is_enabled"),
    )

    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, server_default="")
    # The trigger's kind (an event type, `timer.no_creator_reply`, `schedule.after_expiry` …) and
    # its parameters (keywords, delay, minutes, days).
    trigger: Mapped[str] = mapped_column(sa.String(60))
    trigger_config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    is_enabled: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    priority: Mapped[int] = mapped_column(sa.Integer, server_default="100")
    cooldown_seconds: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    # Opt-in per action type with limits ({"send_ppv": {"max_price": "20", "per_fan_per_day": 1}});
    # empty: every fan-facing step waits for a person.
    auto_approval: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class AutomationRuleRun(IdPk, CreatedAt, CreatorOwned, Base):
    """Append-only: one row per evaluation of a rule for a fan and an event, matched or not, and why.
    At most one per (rule, fan, event key): the database refuses a second."""

    __tablename__ = "automation_rule_runs"
    __table_args__ = (
        sa.Index("uq_automation_rule_runs_event", "rule_id", "fan_id", "event_key", unique=True),
        sa.Index("ix_automation_rule_runs_rule_created", "rule_id", sa.text("created_at DESC")),
    )

    rule_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("automation_rules.id", ondelete="SET NULL"), index=True
    )
    fan_id: Mapped[uuid.UUID | None] = fan_fk(nullable=True)
    trigger_event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    trigger: Mapped[str | None] = mapped_column(sa.String(60))
    event_key: Mapped[str | None] = mapped_column(sa.String(200))
    matched: Mapped[bool] = mapped_column(sa.Boolean)
    outcome: Mapped[str] = mapped_column(sa.String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class AutomationRuleAction(IdPk, CreatedAt, CreatorOwned, Base):
    """Append-only: a step that ran (a rule's step, or an approved item's execution), once, keyed by
    its idempotency key."""

    __tablename__ = "automation_rule_actions"
    __table_args__ = (sa.Index("ix_automation_rule_actions_rule_fan", "rule_id", "fan_id", "created_at"),)

    run_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("automation_rule_runs.id", ondelete="SET NULL"), index=True
    )
    rule_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("automation_rules.id", ondelete="SET NULL")
    )
    hitl_item_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("hitl_action_queue.id", ondelete="SET NULL"), index=True
    )
    fan_id: Mapped[uuid.UUID | None] = fan_fk(nullable=True)
    step: Mapped[int | None] = mapped_column(sa.Integer)
    step_type: Mapped[str | None] = mapped_column(sa.String(40))  # a rule step; None: an item's execution
    action_type: Mapped[ActionType | None] = mapped_column(str_enum(ActionType))
    args: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # executed | failed | stale (an item's execution); queued | auto_approved | done | waiting |
    # stopped | skipped (a rule's step)
    status: Mapped[str] = mapped_column(sa.String(20))
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    error: Mapped[str | None] = mapped_column(sa.Text)
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    executed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class AutomationTimer(IdPk, Timestamps, CreatorOwned, Base):
    """A rule's pending moment: a delayed trigger, a no-reply follow-up, or a chain waiting at a step.
    The worker fires it when due and re-checks its condition then; it is cancelled, never deleted."""

    __tablename__ = "automation_timers"
    __table_args__ = (
        sa.UniqueConstraint("rule_id", "fan_id", "event_key", "step"),
        sa.Index("ix_automation_timers_due", "due_at", postgresql_where=sa.text("status = 'pending'")),
        sa.Index("ix_automation_timers_fan_status", "fan_id", "status"),
    )

    rule_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("automation_rules.id", ondelete="CASCADE")
    )
    fan_id: Mapped[uuid.UUID] = fan_fk(index=False)
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("automation_rule_runs.id", ondelete="SET NULL")
    )
    kind: Mapped[TimerKind] = mapped_column(str_enum(TimerKind))
    event_key: Mapped[str] = mapped_column(sa.String(200))
    step: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[TimerStatus] = mapped_column(str_enum(TimerStatus), server_default="pending")
    reason: Mapped[str | None] = mapped_column(sa.Text)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    fired_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
