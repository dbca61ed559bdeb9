"""hitl_action_queue: gated actions waiting for (or past) a human decision. Nothing here has run
until its status says executed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm.base import JSONB, Base, CreatedAt, CreatorOwned, IdPk, Timestamps, fan_fk, str_enum
from crm.enums import ActionType, ApprovalOrigin, ApprovalStatus, DeliveryOutcome


class HitlAction(IdPk, Timestamps, CreatorOwned, Base):
    __tablename__ = "hitl_action_queue"
    __table_args__ = (
        sa.Index(
            "ix_hitl_action_queue_pending",
            "creator_id",
            sa.text("priority DESC"),
            "created_at",
            postgresql_where=sa.text("status = 'pending'"),
        ),
        sa.Index(
            "ix_hitl_action_queue_pending_expiry",
            "expires_at",
            postgresql_where=sa.text("status = 'pending'"),
        ),
        sa.Index("ix_hitl_action_queue_fan_status", "fan_id", "status"),
        # The performance page: decisions and flags of a creator in a window are range scans.
        sa.Index(
            "ix_hitl_action_queue_creator_decided",
            "creator_id",
            "decided_at",
            postgresql_where=sa.text("decided_at IS NOT NULL"),
        ),
        sa.Index("ix_hitl_action_queue_creator_created", "creator_id", "created_at"),
        sa.Index(
            "ix_hitl_action_queue_delivery",
            "next_attempt_at",
            postgresql_where=sa.text("status = 'approved'"),
        ),
        # One pending reply draft per fan: a newer draft supersedes the older one, never sits beside it.
        sa.Index(
            "uq_hitl_action_queue_one_pending_reply",
            "fan_id",
            unique=True,
            postgresql_where=sa.text("status = 'pending' AND origin = 'reply_run'"),
        ),
    )

    fan_id: Mapped[uuid.UUID | None] = fan_fk(nullable=True, index=False)
    # Idempotent write before interrupt(): the node derives this from run + step, so a re-run
    # of the node after resume finds the row it wrote instead of writing a second one.
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    thread_id: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("agent_runs.id", ondelete="SET NULL"), index=True
    )
    source_message_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    origin: Mapped[ApprovalOrigin] = mapped_column(str_enum(ApprovalOrigin), server_default="direct")
    action_type: Mapped[ActionType] = mapped_column(str_enum(ActionType))
    target_type: Mapped[str] = mapped_column(sa.String(40))  # fan | segment | custom_request | creator
    target_id: Mapped[str] = mapped_column(sa.String(80))
    proposed_args: Mapped[dict[str, Any]] = mapped_column(JSONB)
    final_args: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    context: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    confidence: Mapped[float | None] = mapped_column(sa.Float)
    priority: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    status: Mapped[ApprovalStatus] = mapped_column(str_enum(ApprovalStatus), server_default="pending")
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    edited: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    # Levenshtein distance between the drafted and the approved text (0: sent as drafted), set when
    # the item is approved or edited; None for a rejection or an action without text.
    edit_distance: Mapped[int | None] = mapped_column(sa.Integer)
    superseded_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("hitl_action_queue.id", ondelete="SET NULL")
    )
    executed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(sa.Text)
    # The prompt (agent/prompts.py PROMPT_VERSION) that produced a drafted item: edits trace back to it.
    prompt_version: Mapped[str | None] = mapped_column(sa.String(40))
    # Delivery of an approved item: platform attempts so far, and when the next one is due.
    attempts: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class DeliveryAttempt(IdPk, CreatedAt, CreatorOwned, Base):
    """One platform attempt of an approved item: what happened, so the inbox can say why."""

    __tablename__ = "hitl_delivery_attempts"
    __table_args__ = (sa.UniqueConstraint("item_id", "attempt", name="uq_hitl_delivery_attempts_item_id"),)

    item_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("hitl_action_queue.id", ondelete="CASCADE")
    )
    attempt: Mapped[int] = mapped_column(sa.Integer)
    outcome: Mapped[DeliveryOutcome] = mapped_column(
        sa.Enum(
            DeliveryOutcome,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
            create_constraint=True,
            name="outcome",
        )
    )
    adapter: Mapped[str | None] = mapped_column(sa.String(40))
    http_status: Mapped[int | None] = mapped_column(sa.Integer)
    retry_after_seconds: Mapped[float | None] = mapped_column(sa.Float)
    error: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
