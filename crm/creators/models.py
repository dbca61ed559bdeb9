"""Creators (with their persona) and their platform connections (secrets encrypted in the vault)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm.base import JSONB, Base, IdPk, Timestamps, str_enum
from crm.enums import Platform


class CreatorProfile(IdPk, Timestamps, Base):
    """The creator and the persona the agent writes in. RLS filters this table on its own id."""

    __tablename__ = "creator_profiles"
    __table_args__ = (
        sa.CheckConstraint("ppv_price_min >= 0 AND ppv_price_max >= ppv_price_min", name="ppv_bounds"),
    )

    agency_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(sa.String(200))
    handle: Mapped[str] = mapped_column(sa.String(120))
    voice: Mapped[str] = mapped_column(sa.Text, server_default="")
    bio: Mapped[str] = mapped_column(sa.Text, server_default="")
    rules: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), server_default="{}")
    restricted_words: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), server_default="{}")
    ppv_price_min: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2), server_default="5")
    ppv_price_max: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2), server_default="100")
    timezone: Mapped[str] = mapped_column(sa.String(64), server_default="UTC")
    # Per-creator HITL policy: action types opted into auto-approval. Empty (nothing) by default.
    auto_approve: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # The creator's own alert words per inbound safety signal ({"possible_minor": ["prom"]}).
    safety_keywords: Mapped[dict[str, list[str]]] = mapped_column(JSONB, server_default="{}")
    is_active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())


class PlatformConnection(IdPk, Timestamps, Base):
    __tablename__ = "platform_connections"
    __table_args__ = (sa.UniqueConstraint("platform", "account_id"),)

    creator_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("creator_profiles.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[Platform] = mapped_column(str_enum(Platform))
    provider: Mapped[str] = mapped_column(sa.String(40), server_default="onlyfansapi")
    account_id: Mapped[str] = mapped_column(sa.String(120))
    platform_user_id: Mapped[str | None] = mapped_column(sa.String(120))
    api_base_url: Mapped[str | None] = mapped_column(sa.String(500))
    # Vault envelopes (key id + nonce + ciphertext); never logged, never returned by the API.
    api_key_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    webhook_secret_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    health: Mapped[str] = mapped_column(sa.String(20), server_default="unknown")
    last_checked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
