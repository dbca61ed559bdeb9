"""The fan CRM: one profile per real person, their platform accounts, money, messages and notes."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm.base import JSONB, Base, CreatedAt, CreatorOwned, IdPk, Timestamps, fan_fk, str_enum
from crm.enums import (
    CustomRequestStatus,
    MessageDirection,
    MessageSender,
    Platform,
    SpendTier,
    SubscriptionEventType,
    SubscriptionStatus,
    TransactionKind,
)


class FanProfile(IdPk, Timestamps, CreatorOwned, Base):
    """One real person, for one creator, across platforms. Spend columns are rollups."""

    __tablename__ = "fan_profiles"
    __table_args__ = (
        sa.Index("ix_fan_profiles_creator_spend", "creator_id", sa.text("lifetime_spend DESC")),
        sa.Index("ix_fan_profiles_creator_last_active", "creator_id", "last_active_at"),
    )

    display_name: Mapped[str] = mapped_column(sa.String(200))
    lifetime_spend: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), server_default="0")
    spend_tier: Mapped[SpendTier] = mapped_column(str_enum(SpendTier), server_default="new")
    spend_by_kind: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    first_seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    last_active_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_inbound_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_outbound_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_purchase_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    language: Mapped[str | None] = mapped_column(sa.String(16))
    # Set when the fan blocked the creator or opted out: nothing more may be sent to them.
    messaging_blocked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class FanPlatformAccount(IdPk, Timestamps, CreatorOwned, Base):
    """A fan's account on one platform. platform_fan_id is the de-duplication key."""

    __tablename__ = "fan_platform_accounts"
    __table_args__ = (sa.UniqueConstraint("creator_id", "platform", "platform_fan_id"),)

    fan_id: Mapped[uuid.UUID] = fan_fk()
    platform: Mapped[Platform] = mapped_column(str_enum(Platform))
    platform_fan_id: Mapped[str] = mapped_column(sa.String(120))
    username: Mapped[str | None] = mapped_column(sa.String(200))
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    avatar_url: Mapped[str | None] = mapped_column(sa.String(1000))
    platform_spend: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class FanSubscription(IdPk, Timestamps, CreatorOwned, Base):
    """The current subscription state of one platform account."""

    __tablename__ = "fan_subscriptions"
    __table_args__ = (
        sa.UniqueConstraint("platform_account_id"),
        sa.Index("ix_fan_subscriptions_creator_status", "creator_id", "status", "expires_at"),
    )

    fan_id: Mapped[uuid.UUID] = fan_fk()
    platform_account_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("fan_platform_accounts.id", ondelete="CASCADE")
    )
    status: Mapped[SubscriptionStatus] = mapped_column(str_enum(SubscriptionStatus))
    price: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2), server_default="0")
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    renews_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    auto_renew: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    renewal_count: Mapped[int] = mapped_column(sa.Integer, server_default="0")


class FanSubscriptionEvent(IdPk, CreatedAt, CreatorOwned, Base):
    """Append-only ledger of subscription changes."""

    __tablename__ = "fan_subscription_events"

    fan_id: Mapped[uuid.UUID] = fan_fk()
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("fan_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[SubscriptionEventType] = mapped_column(str_enum(SubscriptionEventType))
    occurred_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class FanIdentityLink(IdPk, CreatedAt, CreatorOwned, Base):
    """Evidence that a platform account belongs to a fan profile (how two accounts were merged)."""

    __tablename__ = "fan_identity_links"
    __table_args__ = (sa.UniqueConstraint("fan_id", "platform_account_id"),)

    fan_id: Mapped[uuid.UUID] = fan_fk()
    platform_account_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("fan_platform_accounts.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(sa.String(40))  # first_seen | manual | handle_match
    confidence: Mapped[float] = mapped_column(sa.Float, server_default="1")
    linked_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class FanNote(IdPk, Timestamps, CreatorOwned, Base):
    __tablename__ = "fan_notes"

    fan_id: Mapped[uuid.UUID] = fan_fk()
    author_kind: Mapped[str] = mapped_column(sa.String(20))  # staff | agent
    author_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    body: Mapped[str] = mapped_column(sa.Text)
    pinned: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())


class FanScore(IdPk, Timestamps, CreatorOwned, Base):
    """Latest value of a score per fan (churn_risk, engagement, purchase_propensity …), 0..1."""

    __tablename__ = "fan_scores"
    __table_args__ = (
        sa.UniqueConstraint("fan_id", "kind"),
        sa.Index("ix_fan_scores_creator_kind_value", "creator_id", "kind", "value"),
    )

    fan_id: Mapped[uuid.UUID] = fan_fk(index=False)
    kind: Mapped[str] = mapped_column(sa.String(40))
    value: Mapped[float] = mapped_column(sa.Float)
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class FanTransaction(IdPk, CreatedAt, CreatorOwned, Base):
    __tablename__ = "fan_transactions"
    __table_args__ = (
        sa.UniqueConstraint("creator_id", "platform", "external_id"),
        sa.Index("ix_fan_transactions_fan_occurred", "fan_id", "occurred_at"),
    )

    fan_id: Mapped[uuid.UUID] = fan_fk(index=False)
    platform: Mapped[Platform] = mapped_column(str_enum(Platform))
    kind: Mapped[TransactionKind] = mapped_column(str_enum(TransactionKind))
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    currency: Mapped[str] = mapped_column(sa.String(3), server_default="USD")
    occurred_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    external_id: Mapped[str | None] = mapped_column(sa.String(120))
    description: Mapped[str | None] = mapped_column(sa.Text)


class FanCustomRequest(IdPk, Timestamps, CreatorOwned, Base):
    __tablename__ = "fan_custom_requests"

    fan_id: Mapped[uuid.UUID] = fan_fk()
    description: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[CustomRequestStatus] = mapped_column(
        str_enum(CustomRequestStatus), server_default="requested"
    )
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    due_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class FanTagValue(IdPk, CreatedAt, CreatorOwned, Base):
    __tablename__ = "fan_tag_values"
    __table_args__ = (
        sa.UniqueConstraint("fan_id", "tag"),
        sa.Index("ix_fan_tag_values_creator_tag", "creator_id", "tag"),
    )

    fan_id: Mapped[uuid.UUID] = fan_fk(index=False)
    tag: Mapped[str] = mapped_column(sa.String(80))
    value: Mapped[str | None] = mapped_column(sa.String(200))
    source: Mapped[str] = mapped_column(sa.String(20), server_default="staff")  # staff|agent|rule|import


class FanMessage(IdPk, CreatedAt, CreatorOwned, Base):
    __tablename__ = "fan_messages"
    __table_args__ = (
        sa.UniqueConstraint("creator_id", "platform_message_id"),
        sa.Index("ix_fan_messages_fan_sent", "fan_id", sa.text("sent_at DESC")),
    )

    fan_id: Mapped[uuid.UUID] = fan_fk(index=False)
    platform_account_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("fan_platform_accounts.id", ondelete="SET NULL")
    )
    direction: Mapped[MessageDirection] = mapped_column(str_enum(MessageDirection))
    sender: Mapped[MessageSender] = mapped_column(str_enum(MessageSender))
    text: Mapped[str] = mapped_column(sa.Text)
    sent_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    platform_message_id: Mapped[str | None] = mapped_column(sa.String(120))
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    is_ppv: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    media_count: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    media_ids: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    unlocked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))  # a PPV was bought
    hitl_item_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("hitl_action_queue.id", ondelete="SET NULL"), index=True
    )
