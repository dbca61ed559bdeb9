"""The owner's performance page: how much each decision changed a draft, and indexes for its queries.

- `hitl_action_queue.edit_distance`: the Levenshtein distance between the drafted text and the text
  that was approved (0 when sent as drafted), written by the decision service when an item is
  approved or edited; None for rejections and actions without text. Items decided before this
  migration are filled in here, computed in Python by the same function the service uses.
- `ix_hitl_action_queue_creator_decided` (creator, decided_at; decided items only) and
  `ix_hitl_action_queue_creator_created` (creator, created_at): decisions and flags of a creator in a
  window become range scans instead of a walk over every item.

No new table, so no new policy: `hitl_action_queue` keeps its row-level security.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crm.approvals.editdistance import text_edit_distance

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    op.add_column("hitl_action_queue", sa.Column("edit_distance", sa.Integer(), nullable=True))
    op.create_index(
        "ix_hitl_action_queue_creator_decided",
        "hitl_action_queue",
        ["creator_id", "decided_at"],
        postgresql_where=sa.text("decided_at IS NOT NULL"),
    )
    op.create_index("ix_hitl_action_queue_creator_created", "hitl_action_queue", ["creator_id", "created_at"])
    _backfill_edit_distance()


def _backfill_edit_distance() -> None:
    bind = op.get_bind()
    # Row-level security is forced on the owner too: the backfill reads every creator's items.
    bind.execute(sa.text("SELECT set_config('fanpilot.system', 'on', true)"))
    rows = bind.execute(
        sa.text(
            "SELECT id, proposed_args, final_args FROM hitl_action_queue"
            " WHERE decided_at IS NOT NULL AND proposed_args ? 'text'"
            " AND status NOT IN ('rejected', 'pending', 'expired', 'superseded')"
        )
    ).all()
    update = sa.text("UPDATE hitl_action_queue SET edit_distance = :distance WHERE id = :id")
    values = [
        {"id": row.id, "distance": text_edit_distance(row.proposed_args, row.final_args)} for row in rows
    ]
    for start in range(0, len(values), BATCH):
        bind.execute(update, values[start : start + BATCH])


def downgrade() -> None:
    op.drop_index("ix_hitl_action_queue_creator_created", table_name="hitl_action_queue")
    op.drop_index("ix_hitl_action_queue_creator_decided", table_name="hitl_action_queue")
    op.drop_column("hitl_action_queue", "edit_distance")
