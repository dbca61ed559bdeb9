"""Let the app role read the schema revision (for /healthz).

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import context, op

from core.settings import get_settings

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def _app_role() -> str:
    return str(context.config.attributes.get("app_role") or get_settings().app_db_role)


def upgrade() -> None:
    op.execute(f'GRANT SELECT ON alembic_version TO "{_app_role()}"')


def downgrade() -> None:
    op.execute(f'REVOKE SELECT ON alembic_version FROM "{_app_role()}"')
