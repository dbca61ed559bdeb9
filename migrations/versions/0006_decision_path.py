"""The one decision path: typed origin, delivery attempts, stale items, one pending reply per fan.

- `hitl_action_queue.origin` (reply_run | assistant_thread | automation_run | direct) replaces the
  `thread_id LIKE 'chat:%'` guess; existing rows are backfilled from thread and run ids.
- `stale`: the execution-time re-check no longer holds (the fan wrote again, the price left the
  creator's bounds, the fan can no longer receive it); nothing was sent, the reason is in `error`.
- `attempts` / `next_attempt_at` / `last_attempt_at` and `hitl_delivery_attempts`: every platform
  attempt of an approved item is recorded; a transient failure schedules the next one.
- At most one pending reply draft per fan, enforced by a partial unique index (older duplicates are
  superseded first).
- `fan_messages.media_ids` / `unlocked_at` (what was sold to whom) and `fan_profiles.messaging_blocked_at`
  (the fan can no longer be messaged), read by the re-check.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from core.settings import get_settings

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD_STATUSES = ("pending", "approved", "rejected", "expired", "superseded", "executed", "failed")
NEW_STATUSES = (*OLD_STATUSES, "stale")
ORIGINS = ("reply_run", "assistant_thread", "automation_run", "direct")
OUTCOMES = ("sent", "retry", "failed", "stale")
VISIBLE = "fanpilot_is_system() OR creator_id = ANY (fanpilot_visible_creators())"


def _app_role() -> str:
    return str(context.config.attributes.get("app_role") or get_settings().app_db_role)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.add_column(
        "hitl_action_queue",
        sa.Column("origin", sa.String(length=32), server_default="direct", nullable=False),
    )
    op.execute(
        """
        UPDATE hitl_action_queue SET origin = CASE
          WHEN thread_id LIKE 'chat:%' THEN 'assistant_thread'
          WHEN run_id IS NOT NULL OR thread_id LIKE 'reply:%' THEN 'reply_run'
          ELSE 'direct' END
        """
    )
    op.create_check_constraint("approvalorigin", "hitl_action_queue", _in("origin", ORIGINS))
    op.drop_constraint(op.f("ck_hitl_action_queue_approvalstatus"), "hitl_action_queue", type_="check")
    op.create_check_constraint("approvalstatus", "hitl_action_queue", _in("status", NEW_STATUSES))
    op.add_column(
        "hitl_action_queue", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("hitl_action_queue", sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
    op.add_column("hitl_action_queue", sa.Column("last_attempt_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_hitl_action_queue_delivery",
        "hitl_action_queue",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'approved'"),
    )
    # Keep the newest pending reply draft of each fan; the older ones never answer the conversation.
    op.execute(
        """
        UPDATE hitl_action_queue h SET status = 'superseded'
          FROM (SELECT id, row_number() OVER (PARTITION BY fan_id ORDER BY created_at DESC, id) AS n
                  FROM hitl_action_queue
                 WHERE status = 'pending' AND origin = 'reply_run' AND fan_id IS NOT NULL) d
         WHERE h.id = d.id AND d.n > 1
        """
    )
    op.create_index(
        "uq_hitl_action_queue_one_pending_reply",
        "hitl_action_queue",
        ["fan_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending' AND origin = 'reply_run'"),
    )

    op.create_table(
        "hitl_delivery_attempts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.Column("item_id", sa.UUID(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("adapter", sa.String(length=40), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("retry_after_seconds", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(_in("outcome", OUTCOMES), name=op.f("ck_hitl_delivery_attempts_outcome")),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_hitl_delivery_attempts_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["hitl_action_queue.id"],
            name=op.f("fk_hitl_delivery_attempts_item_id_hitl_action_queue"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hitl_delivery_attempts")),
        sa.UniqueConstraint("item_id", "attempt", name=op.f("uq_hitl_delivery_attempts_item_id")),
    )
    op.create_index(op.f("ix_hitl_delivery_attempts_creator_id"), "hitl_delivery_attempts", ["creator_id"])
    op.execute("ALTER TABLE hitl_delivery_attempts ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE hitl_delivery_attempts FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON hitl_delivery_attempts USING ({VISIBLE}) WITH CHECK ({VISIBLE})"
    )
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON hitl_delivery_attempts TO "{_app_role()}"')

    op.add_column(
        "fan_messages",
        sa.Column("media_ids", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
    )
    op.add_column("fan_messages", sa.Column("unlocked_at", sa.DateTime(timezone=True)))
    op.add_column("fan_profiles", sa.Column("messaging_blocked_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("fan_profiles", "messaging_blocked_at")
    op.drop_column("fan_messages", "unlocked_at")
    op.drop_column("fan_messages", "media_ids")
    op.drop_table("hitl_delivery_attempts")
    op.drop_index("uq_hitl_action_queue_one_pending_reply", table_name="hitl_action_queue")
    op.drop_index("ix_hitl_action_queue_delivery", table_name="hitl_action_queue")
    op.drop_column("hitl_action_queue", "last_attempt_at")
    op.drop_column("hitl_action_queue", "next_attempt_at")
    op.drop_column("hitl_action_queue", "attempts")
    op.execute("UPDATE hitl_action_queue SET status = 'failed' WHERE status = 'stale'")
    op.drop_constraint(op.f("ck_hitl_action_queue_approvalstatus"), "hitl_action_queue", type_="check")
    op.create_check_constraint("approvalstatus", "hitl_action_queue", _in("status", OLD_STATUSES))
    op.drop_constraint(op.f("ck_hitl_action_queue_approvalorigin"), "hitl_action_queue", type_="check")
    op.drop_column("hitl_action_queue", "origin")
