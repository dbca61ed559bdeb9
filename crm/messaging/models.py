"""Templates and broadcasts to segments (a broadcast is a gated action)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm.base import JSONB, Base, CreatorOwned, IdPk, Timestamps, fan_fk, str_enum
from crm.enums import BroadcastStatus, DeliveryStatus


class MessageTemplate(IdPk, Timestamps, CreatorOwned, Base):
    __tablename__ = "message_templates"
    __table_args__ = (sa.UniqueConstraint("creator_id", "name"),)

    name: Mapped[str] = mapped_column(sa.String(120))
    category: Mapped[str] = mapped_column(sa.String(40), server_default="general")
    body: Mapped[str] = mapped_column(sa.Text)
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    # Per-platform bodies ({"fansly": "…"}); the fan's platform picks one, else `body`.
    variants: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class MessageBroadcast(IdPk, Timestamps, CreatorOwned, Base):
    """A broadcast whose audience was frozen when its queue item was approved and executed."""

    __tablename__ = "message_broadcasts"
    __table_args__ = (
        sa.Index(
            "uq_message_broadcasts_hitl_item_id",
            "hitl_item_id",
            unique=True,
            postgresql_where=sa.text("hitl_item_id IS NOT NULL"),
        ),
    )

    segment_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("fan_segments.id", ondelete="SET NULL"), index=True
    )
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("message_templates.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(sa.Text)
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    status: Mapped[BroadcastStatus] = mapped_column(str_enum(BroadcastStatus), server_default="draft")
    scheduled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    recipient_count: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    hitl_item_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("hitl_action_queue.id", ondelete="SET NULL")
    )
    # How many members the approver saw when the broadcast was proposed; `recipient_count` is the
    # audience frozen at approval.
    audience_seen: Mapped[int | None] = mapped_column(sa.Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    frozen_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class MessageBroadcastDelivery(IdPk, Timestamps, CreatorOwned, Base):
    """One frozen member of a broadcast: sent once (idempotency key `broadcast:<id>:<fan>`), failed,
    or skipped with the reason (opted out, subscription ended)."""

    __tablename__ = "message_broadcast_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("broadcast_id", "fan_id"),
        sa.Index("ix_message_broadcast_deliveries_broadcast_status", "broadcast_id", "status"),
    )

    broadcast_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("message_broadcasts.id", ondelete="CASCADE")
    )
    fan_id: Mapped[uuid.UUID] = fan_fk()
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus), server_default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(sa.Text)
    reason: Mapped[str | None] = mapped_column(sa.Text)  # why it was skipped
    attempts: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    fan_message_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("fan_messages.id", ondelete="SET NULL")
    )
    purchased_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
