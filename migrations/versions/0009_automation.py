"""Automation that runs: rule triggers, cooldown and auto-approval limits, timers, one run per
(rule, fan, event), template variants, frozen broadcast audiences with per-fan deliveries.

- `automation_rules`: `trigger_config` (keywords, delay, minutes, days), `cooldown_seconds`,
  `auto_approval` (per action type: price ceiling, per fan per day) replaces the unused boolean
  `auto_approve`; names are unique per creator.
- `automation_rule_runs`: `trigger` and `event_key`, unique per (rule, fan, event key): a redelivered
  or concurrently processed event is evaluated once, enforced here.
- `automation_rule_actions`: `rule_id`, `step`, `step_type`; `action_type` is null for steps that are
  not gated actions (tag, wait, …).
- `automation_timers` (new, creator-owned, RLS): delayed triggers, no-reply follow-ups, waiting chains.
- `message_templates.variants`; `message_broadcasts.audience_seen` / `snapshot` / `frozen_at`, one
  broadcast per queue item; `message_broadcast_deliveries` attempts, skip reason, the sent message,
  `purchased_at`.
- `fan_segment_members.pinned`: added by a rule step, kept by refreshes.

Revision ID: 0009
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from core.settings import get_settings

revision = "0009"
down_revision = "0010"
branch_labels = None
depends_on = None

VISIBLE = "fanpilot_is_system() OR creator_id = ANY (fanpilot_visible_creators())"
TIMER_KINDS = ("delay", "no_reply", "wait", "draft")
TIMER_STATUSES = ("pending", "fired", "cancelled")


def _app_role() -> str:
    return str(context.config.attributes.get("app_role") or get_settings().app_db_role)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())

    op.add_column("automation_rules", sa.Column("description", sa.Text(), server_default="", nullable=False))
    op.add_column("automation_rules", sa.Column("trigger_config", jsonb, server_default="{}", nullable=False))
    op.add_column(
        "automation_rules", sa.Column("cooldown_seconds", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("automation_rules", sa.Column("auto_approval", jsonb, server_default="{}", nullable=False))
    op.drop_column("automation_rules", "auto_approve")
    op.create_unique_constraint(
        op.f("uq_automation_rules_creator_id_name"), "automation_rules", ["creator_id", "name"]
    )
    op.create_index(
        "ix_automation_rules_creator_trigger", "automation_rules", ["creator_id", "trigger", "is_enabled"]
    )

    op.add_column("automation_rule_runs", sa.Column("trigger", sa.String(length=60), nullable=True))
    op.add_column("automation_rule_runs", sa.Column("event_key", sa.String(length=200), nullable=True))
    op.create_index(
        "uq_automation_rule_runs_event",
        "automation_rule_runs",
        ["rule_id", "fan_id", "event_key"],
        unique=True,
    )
    op.create_index(
        "ix_automation_rule_runs_rule_created",
        "automation_rule_runs",
        ["rule_id", sa.text("created_at DESC")],
    )

    op.add_column("automation_rule_actions", sa.Column("rule_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_automation_rule_actions_rule_id_automation_rules"),
        "automation_rule_actions",
        "automation_rules",
        ["rule_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column("automation_rule_actions", sa.Column("step", sa.Integer(), nullable=True))
    op.add_column("automation_rule_actions", sa.Column("step_type", sa.String(length=40), nullable=True))
    op.alter_column(
        "automation_rule_actions", "action_type", existing_type=sa.String(length=32), nullable=True
    )
    op.create_index(
        "ix_automation_rule_actions_rule_fan", "automation_rule_actions", ["rule_id", "fan_id", "created_at"]
    )

    op.create_table(
        "automation_timers",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.Column("rule_id", sa.UUID(), nullable=False),
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("step", sa.Integer(), server_default="0", nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), server_default="pending", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("facts", jsonb, server_default="{}", nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(_in("kind", TIMER_KINDS), name=op.f("ck_automation_timers_timerkind")),
        sa.CheckConstraint(_in("status", TIMER_STATUSES), name=op.f("ck_automation_timers_timerstatus")),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_automation_timers_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["automation_rules.id"],
            name=op.f("fk_automation_timers_rule_id_automation_rules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_automation_timers_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["automation_rule_runs.id"],
            name=op.f("fk_automation_timers_run_id_automation_rule_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_timers")),
        sa.UniqueConstraint(
            "rule_id",
            "fan_id",
            "event_key",
            "step",
            name=op.f("uq_automation_timers_rule_id_fan_id_event_key_step"),
        ),
    )
    op.create_index(op.f("ix_automation_timers_creator_id"), "automation_timers", ["creator_id"])
    op.create_index(
        "ix_automation_timers_due",
        "automation_timers",
        ["due_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_automation_timers_fan_status", "automation_timers", ["fan_id", "status"])
    op.execute("ALTER TABLE automation_timers ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE automation_timers FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON automation_timers USING ({VISIBLE}) WITH CHECK ({VISIBLE})"
    )
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON automation_timers TO "{_app_role()}"')

    op.add_column("message_templates", sa.Column("variants", jsonb, server_default="{}", nullable=False))

    op.add_column("message_broadcasts", sa.Column("audience_seen", sa.Integer(), nullable=True))
    op.add_column("message_broadcasts", sa.Column("snapshot", jsonb, server_default="{}", nullable=False))
    op.add_column("message_broadcasts", sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_message_broadcasts_hitl_item_id",
        "message_broadcasts",
        ["hitl_item_id"],
        unique=True,
        postgresql_where=sa.text("hitl_item_id IS NOT NULL"),
    )

    op.add_column("message_broadcast_deliveries", sa.Column("reason", sa.Text(), nullable=True))
    op.add_column(
        "message_broadcast_deliveries",
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "message_broadcast_deliveries",
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("message_broadcast_deliveries", sa.Column("fan_message_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_message_broadcast_deliveries_fan_message_id_fan_messages"),
        "message_broadcast_deliveries",
        "fan_messages",
        ["fan_message_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column(
        "message_broadcast_deliveries", sa.Column("purchased_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_message_broadcast_deliveries_broadcast_status",
        "message_broadcast_deliveries",
        ["broadcast_id", "status"],
    )

    op.add_column(
        "fan_segment_members", sa.Column("pinned", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    op.drop_column("fan_segment_members", "pinned")

    op.drop_index(
        "ix_message_broadcast_deliveries_broadcast_status", table_name="message_broadcast_deliveries"
    )
    op.drop_column("message_broadcast_deliveries", "purchased_at")
    op.drop_constraint(
        op.f("fk_message_broadcast_deliveries_fan_message_id_fan_messages"),
        "message_broadcast_deliveries",
        type_="foreignkey",
    )
    op.drop_column("message_broadcast_deliveries", "fan_message_id")
    op.drop_column("message_broadcast_deliveries", "next_attempt_at")
    op.drop_column("message_broadcast_deliveries", "attempts")
    op.drop_column("message_broadcast_deliveries", "reason")

    op.drop_index("uq_message_broadcasts_hitl_item_id", table_name="message_broadcasts")
    op.drop_column("message_broadcasts", "frozen_at")
    op.drop_column("message_broadcasts", "snapshot")
    op.drop_column("message_broadcasts", "audience_seen")

    op.drop_column("message_templates", "variants")

    op.drop_table("automation_timers")

    op.drop_index("ix_automation_rule_actions_rule_fan", table_name="automation_rule_actions")
    # Steps that were not gated actions cannot stay in a column that requires one: they go (the
    # ledger trigger allows it only to the owner with the erase flag, which this migration sets).
    op.execute("SET LOCAL fanpilot.gdpr_erase = 'on'")
    op.execute("DELETE FROM automation_rule_actions WHERE action_type IS NULL")
    op.execute("SET LOCAL fanpilot.gdpr_erase = 'off'")
    op.alter_column(
        "automation_rule_actions", "action_type", existing_type=sa.String(length=32), nullable=False
    )
    op.drop_column("automation_rule_actions", "step_type")
    op.drop_column("automation_rule_actions", "step")
    op.drop_constraint(
        op.f("fk_automation_rule_actions_rule_id_automation_rules"),
        "automation_rule_actions",
        type_="foreignkey",
    )
    op.drop_column("automation_rule_actions", "rule_id")

    op.drop_index("ix_automation_rule_runs_rule_created", table_name="automation_rule_runs")
    op.drop_index("uq_automation_rule_runs_event", table_name="automation_rule_runs")
    op.drop_column("automation_rule_runs", "event_key")
    op.drop_column("automation_rule_runs", "trigger")

    op.drop_index("ix_automation_rules_creator_trigger", table_name="automation_rules")
    op.drop_constraint(op.f("uq_automation_rules_creator_id_name"), "automation_rules", type_="unique")
    op.add_column(
        "automation_rules",
        sa.Column("auto_approve", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.drop_column("automation_rules", "auto_approval")
    op.drop_column("automation_rules", "cooldown_seconds")
    op.drop_column("automation_rules", "trigger_config")
    op.drop_column("automation_rules", "description")
