"""Tenancy and auth: agencies, staff, their creator assignments, API tokens, the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm.base import JSONB, Base, CreatedAt, IdPk, Timestamps, str_enum
from crm.enums import AuditActorKind, StaffRole


class Agency(IdPk, Timestamps, Base):
    __tablename__ = "agencies"

    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    # Owners and admins must sign in with a second factor (crm.accounts.two_factor).
    require_two_factor: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())


class StaffUser(IdPk, Timestamps, Base):
    __tablename__ = "staff_users"
    __table_args__ = (
        sa.Index("uq_staff_users_email_lower", sa.func.lower(sa.text("email")), unique=True),
        # A creator login is bound to exactly one creator profile; no other role is.
        sa.CheckConstraint("(role = 'creator') = (creator_id IS NOT NULL)", name="creator_binding"),
    )

    agency_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(320))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole))
    password_hash: Mapped[str | None] = mapped_column(sa.Text)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Set for the `creator` role only: the one creator profile this login is.
    creator_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("creator_profiles.id", ondelete="CASCADE"), index=True
    )
    # An open invitation: the SHA-256 of the one-time token, until it is accepted or expires.
    invite_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Two-factor sign-in (TOTP, RFC 6238): the seed as a vault envelope, enabled once confirmed.
    totp_secret_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    totp_recovery_hashes: Mapped[list[str]] = mapped_column(ARRAY(sa.String(64)), server_default="{}")


class StaffCreatorAccess(IdPk, CreatedAt, Base):
    """Which creators a chatter or manager works on. Read at login, before any principal exists."""

    __tablename__ = "staff_creator_access"
    __table_args__ = (sa.UniqueConstraint("staff_user_id", "creator_id"),)

    staff_user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    creator_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("creator_profiles.id", ondelete="CASCADE"), index=True
    )


class ApiToken(IdPk, Timestamps, Base):
    """Integration tokens: shown once, stored as a SHA-256 hash, scoped, revocable."""

    __tablename__ = "api_tokens"

    agency_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    staff_user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    token_prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(sa.String(64)), server_default="{}")
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class AuditLog(IdPk, CreatedAt, Base):
    """Append-only: who did what to which object. Never personal data in `details`."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_creator_created", "creator_id", "created_at"),)

    agency_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("agencies.id", ondelete="SET NULL"), index=True
    )
    # No FK: entries outlive the creator rows they describe.
    creator_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor_kind: Mapped[AuditActorKind] = mapped_column(str_enum(AuditActorKind))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(80))
    target_id: Mapped[str | None] = mapped_column(sa.String(80))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class LoginLockout(IdPk, Timestamps, Base):
    """Failed sign-ins of one staff member from one device ('' = any client without a trusted-device
    cookie). A lock ends by itself; a trusted device has its own counter, so strangers cannot lock
    the staff member out of the devices they signed in from before."""

    __tablename__ = "login_lockouts"
    __table_args__ = (sa.UniqueConstraint("staff_user_id", "device"),)

    staff_user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("staff_users.id", ondelete="CASCADE")
    )
    device: Mapped[str] = mapped_column(sa.String(64), server_default="")
    failures: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    locks: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
