"""Two-factor sign-in and login lockout.

- `agencies.require_two_factor`: owners and admins of the agency must sign in with a TOTP code.
- `staff_users.totp_secret_encrypted` (vault envelope), `totp_enabled_at` (NULL while enrolling),
  `totp_last_step` (a code is accepted once), `totp_recovery_hashes` (SHA-256 of one-time codes).
- `login_lockouts`: failed sign-ins per staff member and device ('' = a client without a trusted-device
  cookie). Auth table like `staff_users` (read before a principal exists): no RLS, guarded by the API.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from core.settings import get_settings

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def _app_role() -> str:
    return str(context.config.attributes.get("app_role") or get_settings().app_db_role)


def upgrade() -> None:
    op.add_column(
        "agencies", sa.Column("require_two_factor", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("staff_users", sa.Column("totp_secret_encrypted", sa.LargeBinary(), nullable=True))
    op.add_column("staff_users", sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("staff_users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column(
        "staff_users",
        sa.Column(
            "totp_recovery_hashes", postgresql.ARRAY(sa.String(64)), server_default="{}", nullable=False
        ),
    )
    op.create_table(
        "login_lockouts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("staff_user_id", sa.UUID(), nullable=False),
        sa.Column("device", sa.String(length=64), server_default="", nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locks", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_login_lockouts_staff_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_lockouts")),
        sa.UniqueConstraint("staff_user_id", "device", name=op.f("uq_login_lockouts_staff_user_id")),
    )
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON login_lockouts TO "{_app_role()}"')


def downgrade() -> None:
    op.drop_table("login_lockouts")
    op.drop_column("staff_users", "totp_recovery_hashes")
    op.drop_column("staff_users", "totp_last_step")
    op.drop_column("staff_users", "totp_enabled_at")
    op.drop_column("staff_users", "totp_secret_encrypted")
    op.drop_column("agencies", "require_two_factor")
