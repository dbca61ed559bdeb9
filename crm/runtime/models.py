"""Runtime records: inbound webhook events, agent runs, chat threads, draft feedback."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm.base import JSONB, Base, CreatedAt, CreatorOwned, IdPk, Timestamps, fan_fk, str_enum
from crm.enums import RunStatus, WebhookStatus


class WebhookEvent(IdPk, Timestamps, Base):
    """The raw inbound event, stored before the 2xx. creator_id is set once the source is known."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        sa.UniqueConstraint("source", "idempotency_key"),
        sa.Index(
            "ix_webhook_events_unprocessed",
            "received_at",
            postgresql_where=sa.text("status IN ('received', 'queued', 'failed')"),
        ),
    )

    creator_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("creator_profiles.id", ondelete="CASCADE"), index=True
    )
    connection_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("platform_connections.id", ondelete="SET NULL")
    )
    # Set once processed; a GDPR erase of the fan removes their raw events with them.
    fan_id: Mapped[uuid.UUID | None] = fan_fk(nullable=True)
    source: Mapped[str] = mapped_column(sa.String(40))
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    event_type: Mapped[str] = mapped_column(sa.String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[WebhookStatus] = mapped_column(str_enum(WebhookStatus), server_default="received")
    attempts: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    processed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(sa.Text)


class AgentRun(IdPk, Timestamps, CreatorOwned, Base):
    __tablename__ = "agent_runs"

    fan_id: Mapped[uuid.UUID | None] = fan_fk(nullable=True)
    kind: Mapped[str] = mapped_column(sa.String(40))  # reply | welcome | winback | thank_you | assistant
    thread_id: Mapped[str] = mapped_column(sa.String(200), index=True)
    trigger: Mapped[str] = mapped_column(sa.String(40))  # webhook | manual | rule | chat
    trigger_ref: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus), server_default="running")
    provider: Mapped[str | None] = mapped_column(sa.String(40))
    model: Mapped[str | None] = mapped_column(sa.String(120))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(sa.Text)
    usage: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class ChatThread(IdPk, Timestamps, CreatorOwned, Base):
    __tablename__ = "chat_threads"

    staff_user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200), server_default="New chat")
    thread_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    last_message_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class DraftFeedback(IdPk, CreatedAt, CreatorOwned, Base):
    """What the agent drafted vs. what the human sent: later drafts learn the creator's voice."""

    __tablename__ = "draft_feedback"
    __table_args__ = (sa.Index("ix_draft_feedback_creator_created", "creator_id", "created_at"),)

    fan_id: Mapped[uuid.UUID | None] = fan_fk(nullable=True)
    hitl_item_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("hitl_action_queue.id", ondelete="SET NULL"), unique=True
    )
    draft_text: Mapped[str] = mapped_column(sa.Text)
    final_text: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.String(20))  # approved | edited | rejected
    reason: Mapped[str | None] = mapped_column(sa.Text)
    edit_ratio: Mapped[float | None] = mapped_column(sa.Float)
