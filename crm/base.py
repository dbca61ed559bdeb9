"""Column helpers shared by every ORM model: UUID keys, timestamps, tenant column, enums as text."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from core.db import Base

__all__ = ["JSONB", "Base", "CreatedAt", "CreatorOwned", "IdPk", "Timestamps", "fan_fk", "str_enum"]


def str_enum(enum: type[StrEnum]) -> sa.Enum:
    return sa.Enum(
        enum,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        create_constraint=True,
        name=enum.__name__.lower(),
    )


class IdPk:
    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, default=uuid.uuid4, server_default=sa.text("gen_random_uuid()")
    )


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now(), nullable=False
    )


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


class CreatorOwned:
    """Every creator-owned row carries creator_id; RLS filters on it."""

    @declared_attr
    def creator_id(cls) -> Mapped[uuid.UUID]:  # noqa: N805
        return mapped_column(
            UUID(as_uuid=True),
            sa.ForeignKey("creator_profiles.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )


def fan_fk(*, nullable: bool = False, index: bool = True) -> Any:
    return mapped_column(
        UUID(as_uuid=True),
        sa.ForeignKey("fan_profiles.id", ondelete="CASCADE"),
        nullable=nullable,
        index=index,
    )
