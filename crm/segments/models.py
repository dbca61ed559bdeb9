"""Segments: a JSON rule set evaluated to SQL, with materialised membership."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm.base import JSONB, Base, CreatedAt, CreatorOwned, IdPk, Timestamps, fan_fk


class FanSegment(IdPk, Timestamps, CreatorOwned, Base):
    __tablename__ = "fan_segments"
    __table_args__ = (sa.UniqueConstraint("creator_id", "name"),)

    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, server_default="")
    rules: Mapped[dict[str, Any]] = mapped_column(JSONB)
    member_count: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    refreshed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class FanSegmentMember(IdPk, CreatedAt, CreatorOwned, Base):
    __tablename__ = "fan_segment_members"
    __table_args__ = (sa.UniqueConstraint("segment_id", "fan_id"),)

    segment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("fan_segments.id", ondelete="CASCADE")
    )
    fan_id: Mapped[uuid.UUID] = fan_fk()
    # Added by a rule's `add_to_segment` step (or a person): a refresh keeps it although the rules
    # do not select the fan.
    pinned: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
