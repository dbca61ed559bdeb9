"""Automation rules and their append-only ledgers of runs and executed actions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm.base import JSONB, Base, CreatedAt, CreatorOwned, IdPk, Timestamps, fan_fk, str_enum
from crm.enums import ActionType


class AutomationRule(IdPk, Timestamps, CreatorOwned, Base):
    __tablename__ = "automation_rules"

    name: Mapped[str] = mapped_column(sa.String(120))
    trigger: Mapped[str] = mapped_column(sa.String(60))  # event type, e.g. subscriptions.expired
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    is_enabled: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    # Opt-in only; the HITL gate still decides per action type (creator policy).
    auto_approve: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    priority: Mapped[int] = mapped_column(sa.Integer, server_default="100")


class AutomationRuleRun(IdPk, CreatedAt, CreatorOwned, Base):
    """Append-only: one row per evaluation of a trigger (rule or agent run)."""

    __tablename__ = "automation_rule_runs"

    rule_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("automation_rules.id", ondelete="SET NULL"), index=True
    )
    fan_id: Mapped[uuid.UUID | None] = fan_fk(nullable=True)
    trigger_event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    matched: Mapped[bool] = mapped_column(sa.Boolean)
    outcome: Mapped[str] = mapped_column(sa.String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class AutomationRuleAction(IdPk, CreatedAt, CreatorOwned, Base):
    """Append-only: an action that was executed (or failed), once, keyed by its idempotency key."""

    __tablename__ = "automation_rule_actions"

    run_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("automation_rule_runs.id", ondelete="SET NULL"), index=True
    )
    hitl_item_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("hitl_action_queue.id", ondelete="SET NULL"), index=True
    )
    fan_id: Mapped[uuid.UUID | None] = fan_fk(nullable=True)
    action_type: Mapped[ActionType] = mapped_column(str_enum(ActionType))
    args: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(sa.String(20))  # executed | failed
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    error: Mapped[str | None] = mapped_column(sa.Text)
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    executed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
