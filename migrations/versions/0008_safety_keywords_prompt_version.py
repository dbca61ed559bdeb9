"""Per-creator safety alert keywords; the prompt version on every queue item.

`creator_profiles.safety_keywords` maps an inbound signal code (possible_minor, self_harm, …) to the
creator's own alert words. `hitl_action_queue.prompt_version` names the prompt that produced a
draft, so edits can be traced back to it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "creator_profiles",
        sa.Column(
            "safety_keywords",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column("hitl_action_queue", sa.Column("prompt_version", sa.String(40), nullable=True))
    op.create_index(
        "ix_hitl_action_queue_creator_prompt_version",
        "hitl_action_queue",
        ["creator_id", "prompt_version"],
        postgresql_where=sa.text("prompt_version IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_hitl_action_queue_creator_prompt_version", table_name="hitl_action_queue")
    op.drop_column("hitl_action_queue", "prompt_version")
    op.drop_column("creator_profiles", "safety_keywords")
