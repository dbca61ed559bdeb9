"""The CRM schema: every table of DESIGN.md "Tables", with pgvector.

Generated from the ORM models, then read and tidied by hand. LangGraph's checkpoint tables are in
0002; row-level security, grants, append-only triggers and the GDPR erase function in 0003.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The extension needs a privileged role on most servers; the embedded bootstrap creates it.
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "agencies",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("slug", name=op.f("uq_agencies_slug")),
    )
    op.create_table(
        "audit_log",
        sa.Column("agency_id", sa.UUID(), nullable=True),
        sa.Column("creator_id", sa.UUID(), nullable=True),
        sa.Column(
            "actor_kind",
            sa.Enum(
                "staff",
                "api_token",
                "system",
                "webhook",
                name="auditactorkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target_type", sa.String(length=80), nullable=True),
        sa.Column("target_id", sa.String(length=80), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_audit_log_agency_id_agencies"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], unique=False)
    op.create_index(op.f("ix_audit_log_agency_id"), "audit_log", ["agency_id"], unique=False)
    op.create_index("ix_audit_log_creator_created", "audit_log", ["creator_id", "created_at"], unique=False)
    op.create_table(
        "creator_profiles",
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("handle", sa.String(length=120), nullable=False),
        sa.Column("voice", sa.Text(), server_default="", nullable=False),
        sa.Column("bio", sa.Text(), server_default="", nullable=False),
        sa.Column("rules", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("restricted_words", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("ppv_price_min", sa.Numeric(precision=10, scale=2), server_default="5", nullable=False),
        sa.Column("ppv_price_max", sa.Numeric(precision=10, scale=2), server_default="100", nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column(
            "auto_approve", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "ppv_price_min >= 0 AND ppv_price_max >= ppv_price_min",
            name=op.f("ck_creator_profiles_ppv_bounds"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_creator_profiles_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_profiles")),
    )
    op.create_index(op.f("ix_creator_profiles_agency_id"), "creator_profiles", ["agency_id"], unique=False)
    op.create_table(
        "staff_users",
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "owner",
                "admin",
                "manager",
                "chatter",
                name="staffrole",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_staff_users_agency_id_agencies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
    )
    op.create_index(op.f("ix_staff_users_agency_id"), "staff_users", ["agency_id"], unique=False)
    op.create_index(
        "uq_staff_users_email_lower", "staff_users", [sa.literal_column("lower(email)")], unique=True
    )
    op.create_table(
        "api_tokens",
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("staff_user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(length=64)), server_default="{}", nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_api_tokens_agency_id_agencies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_api_tokens_staff_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_agency_id"), "api_tokens", ["agency_id"], unique=False)
    op.create_index(op.f("ix_api_tokens_staff_user_id"), "api_tokens", ["staff_user_id"], unique=False)
    op.create_table(
        "automation_rules",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("trigger", sa.String(length=60), nullable=False),
        sa.Column("conditions", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("actions", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("is_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("auto_approve", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("priority", sa.Integer(), server_default="100", nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_automation_rules_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rules")),
    )
    op.create_index(op.f("ix_automation_rules_creator_id"), "automation_rules", ["creator_id"], unique=False)
    op.create_table(
        "chat_threads",
        sa.Column("staff_user_id", sa.UUID(), nullable=True),
        sa.Column("title", sa.String(length=200), server_default="New chat", nullable=False),
        sa.Column("thread_id", sa.String(length=200), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_chat_threads_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_chat_threads_staff_user_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_threads")),
        sa.UniqueConstraint("thread_id", name=op.f("uq_chat_threads_thread_id")),
    )
    op.create_index(op.f("ix_chat_threads_creator_id"), "chat_threads", ["creator_id"], unique=False)
    op.create_index(op.f("ix_chat_threads_staff_user_id"), "chat_threads", ["staff_user_id"], unique=False)
    op.create_table(
        "fan_profiles",
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("lifetime_spend", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column(
            "spend_tier",
            sa.Enum(
                "new",
                "low",
                "mid",
                "high",
                "whale",
                name="spendtier",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="new",
            nullable=False,
        ),
        sa.Column(
            "spend_by_kind", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "first_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_purchase_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_profiles_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_profiles")),
    )
    op.create_index(op.f("ix_fan_profiles_creator_id"), "fan_profiles", ["creator_id"], unique=False)
    op.create_index(
        "ix_fan_profiles_creator_last_active", "fan_profiles", ["creator_id", "last_active_at"], unique=False
    )
    op.create_index(
        "ix_fan_profiles_creator_spend",
        "fan_profiles",
        ["creator_id", sa.literal_column("lifetime_spend DESC")],
        unique=False,
    )
    op.create_table(
        "fan_segments",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("member_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_segments_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_segments")),
        sa.UniqueConstraint("creator_id", "name", name=op.f("uq_fan_segments_creator_id_name")),
    )
    op.create_index(op.f("ix_fan_segments_creator_id"), "fan_segments", ["creator_id"], unique=False)
    op.create_table(
        "message_templates",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=40), server_default="general", nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_message_templates_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("creator_id", "name", name=op.f("uq_message_templates_creator_id_name")),
    )
    op.create_index(
        op.f("ix_message_templates_creator_id"), "message_templates", ["creator_id"], unique=False
    )
    op.create_table(
        "platform_connections",
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.Column(
            "platform",
            sa.Enum(
                "onlyfans",
                "fansly",
                "fanvue",
                "other",
                name="platform",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=40), server_default="onlyfansapi", nullable=False),
        sa.Column("account_id", sa.String(length=120), nullable=False),
        sa.Column("platform_user_id", sa.String(length=120), nullable=True),
        sa.Column("api_base_url", sa.String(length=500), nullable=True),
        sa.Column("api_key_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("webhook_secret_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("health", sa.String(length=20), server_default="unknown", nullable=False),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_platform_connections_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_connections")),
        sa.UniqueConstraint(
            "platform", "account_id", name=op.f("uq_platform_connections_platform_account_id")
        ),
    )
    op.create_index(
        op.f("ix_platform_connections_creator_id"), "platform_connections", ["creator_id"], unique=False
    )
    op.create_table(
        "staff_creator_access",
        sa.Column("staff_user_id", sa.UUID(), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_staff_creator_access_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_creator_access_staff_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_creator_access")),
        sa.UniqueConstraint(
            "staff_user_id", "creator_id", name=op.f("uq_staff_creator_access_staff_user_id_creator_id")
        ),
    )
    op.create_index(
        op.f("ix_staff_creator_access_creator_id"), "staff_creator_access", ["creator_id"], unique=False
    )
    op.create_index(
        op.f("ix_staff_creator_access_staff_user_id"), "staff_creator_access", ["staff_user_id"], unique=False
    )
    op.create_table(
        "agent_runs",
        sa.Column("fan_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("thread_id", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("trigger_ref", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "running",
                "interrupted",
                "completed",
                "failed",
                "superseded",
                name="runstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="running",
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=40), nullable=True),
        sa.Column("model", sa.String(length=120), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("usage", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_agent_runs_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_agent_runs_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_runs")),
    )
    op.create_index(op.f("ix_agent_runs_creator_id"), "agent_runs", ["creator_id"], unique=False)
    op.create_index(op.f("ix_agent_runs_fan_id"), "agent_runs", ["fan_id"], unique=False)
    op.create_index(op.f("ix_agent_runs_thread_id"), "agent_runs", ["thread_id"], unique=False)
    op.create_table(
        "automation_rule_runs",
        sa.Column("rule_id", sa.UUID(), nullable=True),
        sa.Column("fan_id", sa.UUID(), nullable=True),
        sa.Column("trigger_event_id", sa.UUID(), nullable=True),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_automation_rule_runs_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_automation_rule_runs_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["automation_rules.id"],
            name=op.f("fk_automation_rule_runs_rule_id_automation_rules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rule_runs")),
    )
    op.create_index(
        op.f("ix_automation_rule_runs_creator_id"), "automation_rule_runs", ["creator_id"], unique=False
    )
    op.create_index(op.f("ix_automation_rule_runs_fan_id"), "automation_rule_runs", ["fan_id"], unique=False)
    op.create_index(
        op.f("ix_automation_rule_runs_rule_id"), "automation_rule_runs", ["rule_id"], unique=False
    )
    op.create_table(
        "fan_custom_requests",
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "quoted",
                "accepted",
                "in_progress",
                "delivered",
                "declined",
                "cancelled",
                name="customrequeststatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="requested",
            nullable=False,
        ),
        sa.Column("price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_custom_requests_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_fan_custom_requests_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_custom_requests")),
    )
    op.create_index(
        op.f("ix_fan_custom_requests_creator_id"), "fan_custom_requests", ["creator_id"], unique=False
    )
    op.create_index(op.f("ix_fan_custom_requests_fan_id"), "fan_custom_requests", ["fan_id"], unique=False)
    op.create_table(
        "fan_memories",
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "preference",
                "personal_detail",
                "key_date",
                "boundary",
                "purchase_pattern",
                "relationship",
                "conversation_fact",
                name="memorykind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("context_text", sa.Text(), nullable=True),
        sa.Column("importance", sa.Float(), server_default="0.5", nullable=False),
        sa.Column("confidence", sa.Float(), server_default="0.8", nullable=False),
        sa.Column("source_message_id", sa.UUID(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invalid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by", sa.UUID(), nullable=True),
        sa.Column("embedding", Vector(384), nullable=True),
        sa.Column("embedding_model", sa.String(length=120), nullable=True),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('english', coalesce(context_text, text))", persisted=True),
            nullable=False,
        ),
        sa.Column("access_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_accessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_memories_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_fan_memories_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by"],
            ["fan_memories.id"],
            name=op.f("fk_fan_memories_superseded_by_fan_memories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_memories")),
    )
    op.create_index(op.f("ix_fan_memories_creator_id"), "fan_memories", ["creator_id"], unique=False)
    op.create_index(
        "ix_fan_memories_embedding_hnsw",
        "fan_memories",
        ["embedding"],
        unique=False,
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.create_index(
        "ix_fan_memories_fan_active",
        "fan_memories",
        ["creator_id", "fan_id"],
        unique=False,
        postgresql_where=sa.text("invalid_at IS NULL"),
    )
    op.create_index(
        "ix_fan_memories_search", "fan_memories", ["search"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "fan_notes",
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column("author_kind", sa.String(length=20), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("pinned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_notes_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"], ["fan_profiles.id"], name=op.f("fk_fan_notes_fan_id_fan_profiles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_notes")),
    )
    op.create_index(op.f("ix_fan_notes_creator_id"), "fan_notes", ["creator_id"], unique=False)
    op.create_index(op.f("ix_fan_notes_fan_id"), "fan_notes", ["fan_id"], unique=False)
    op.create_table(
        "fan_platform_accounts",
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column(
            "platform",
            sa.Enum(
                "onlyfans",
                "fansly",
                "fanvue",
                "other",
                name="platform",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("platform_fan_id", sa.String(length=120), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("avatar_url", sa.String(length=1000), nullable=True),
        sa.Column(
            "platform_spend", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_platform_accounts_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_fan_platform_accounts_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_platform_accounts")),
        sa.UniqueConstraint(
            "creator_id",
            "platform",
            "platform_fan_id",
            name=op.f("uq_fan_platform_accounts_creator_id_platform_platform_fan_id"),
        ),
    )
    op.create_index(
        op.f("ix_fan_platform_accounts_creator_id"), "fan_platform_accounts", ["creator_id"], unique=False
    )
    op.create_index(
        op.f("ix_fan_platform_accounts_fan_id"), "fan_platform_accounts", ["fan_id"], unique=False
    )
    op.create_table(
        "fan_scores",
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_scores_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_fan_scores_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_scores")),
        sa.UniqueConstraint("fan_id", "kind", name=op.f("uq_fan_scores_fan_id_kind")),
    )
    op.create_index(op.f("ix_fan_scores_creator_id"), "fan_scores", ["creator_id"], unique=False)
    op.create_index(
        "ix_fan_scores_creator_kind_value", "fan_scores", ["creator_id", "kind", "value"], unique=False
    )
    op.create_table(
        "fan_segment_members",
        sa.Column("segment_id", sa.UUID(), nullable=False),
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_segment_members_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_fan_segment_members_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["fan_segments.id"],
            name=op.f("fk_fan_segment_members_segment_id_fan_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_segment_members")),
        sa.UniqueConstraint("segment_id", "fan_id", name=op.f("uq_fan_segment_members_segment_id_fan_id")),
    )
    op.create_index(
        op.f("ix_fan_segment_members_creator_id"), "fan_segment_members", ["creator_id"], unique=False
    )
    op.create_index(op.f("ix_fan_segment_members_fan_id"), "fan_segment_members", ["fan_id"], unique=False)
    op.create_table(
        "fan_tag_values",
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column("tag", sa.String(length=80), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=20), server_default="staff", nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_tag_values_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_fan_tag_values_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_tag_values")),
        sa.UniqueConstraint("fan_id", "tag", name=op.f("uq_fan_tag_values_fan_id_tag")),
    )
    op.create_index(op.f("ix_fan_tag_values_creator_id"), "fan_tag_values", ["creator_id"], unique=False)
    op.create_index("ix_fan_tag_values_creator_tag", "fan_tag_values", ["creator_id", "tag"], unique=False)
    op.create_table(
        "fan_transactions",
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column(
            "platform",
            sa.Enum(
                "onlyfans",
                "fansly",
                "fanvue",
                "other",
                name="platform",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "subscription",
                "tip",
                "ppv",
                "message",
                "post",
                "stream",
                "custom",
                "refund",
                "other",
                name="transactionkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="USD", nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_transactions_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_fan_transactions_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_transactions")),
        sa.UniqueConstraint(
            "creator_id",
            "platform",
            "external_id",
            name=op.f("uq_fan_transactions_creator_id_platform_external_id"),
        ),
    )
    op.create_index(op.f("ix_fan_transactions_creator_id"), "fan_transactions", ["creator_id"], unique=False)
    op.create_index(
        "ix_fan_transactions_fan_occurred", "fan_transactions", ["fan_id", "occurred_at"], unique=False
    )
    op.create_table(
        "webhook_events",
        sa.Column("creator_id", sa.UUID(), nullable=True),
        sa.Column("connection_id", sa.UUID(), nullable=True),
        sa.Column("fan_id", sa.UUID(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "queued",
                "processing",
                "processed",
                "failed",
                "ignored",
                name="webhookstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="received",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["platform_connections.id"],
            name=op.f("fk_webhook_events_connection_id_platform_connections"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_webhook_events_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_webhook_events_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint(
            "source", "idempotency_key", name=op.f("uq_webhook_events_source_idempotency_key")
        ),
    )
    op.create_index(op.f("ix_webhook_events_creator_id"), "webhook_events", ["creator_id"], unique=False)
    op.create_index(op.f("ix_webhook_events_fan_id"), "webhook_events", ["fan_id"], unique=False)
    op.create_index(
        "ix_webhook_events_unprocessed",
        "webhook_events",
        ["received_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('received', 'queued', 'failed')"),
    )
    op.create_table(
        "fan_identity_links",
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column("platform_account_id", sa.UUID(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("confidence", sa.Float(), server_default="1", nullable=False),
        sa.Column("linked_by", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_identity_links_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_fan_identity_links_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["platform_account_id"],
            ["fan_platform_accounts.id"],
            name=op.f("fk_fan_identity_links_platform_account_id_fan_platform_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_identity_links")),
        sa.UniqueConstraint(
            "fan_id", "platform_account_id", name=op.f("uq_fan_identity_links_fan_id_platform_account_id")
        ),
    )
    op.create_index(
        op.f("ix_fan_identity_links_creator_id"), "fan_identity_links", ["creator_id"], unique=False
    )
    op.create_index(op.f("ix_fan_identity_links_fan_id"), "fan_identity_links", ["fan_id"], unique=False)
    op.create_index(
        op.f("ix_fan_identity_links_platform_account_id"),
        "fan_identity_links",
        ["platform_account_id"],
        unique=False,
    )
    op.create_table(
        "fan_subscriptions",
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column("platform_account_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "expired",
                "cancelled",
                "trial",
                name="subscriptionstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("price", sa.Numeric(precision=10, scale=2), server_default="0", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renews_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("renewal_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_subscriptions_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_fan_subscriptions_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["platform_account_id"],
            ["fan_platform_accounts.id"],
            name=op.f("fk_fan_subscriptions_platform_account_id_fan_platform_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_subscriptions")),
        sa.UniqueConstraint("platform_account_id", name=op.f("uq_fan_subscriptions_platform_account_id")),
    )
    op.create_index(
        op.f("ix_fan_subscriptions_creator_id"), "fan_subscriptions", ["creator_id"], unique=False
    )
    op.create_index(
        "ix_fan_subscriptions_creator_status",
        "fan_subscriptions",
        ["creator_id", "status", "expires_at"],
        unique=False,
    )
    op.create_index(op.f("ix_fan_subscriptions_fan_id"), "fan_subscriptions", ["fan_id"], unique=False)
    op.create_table(
        "hitl_action_queue",
        sa.Column("fan_id", sa.UUID(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("thread_id", sa.String(length=200), nullable=True),
        sa.Column("run_id", sa.UUID(), nullable=True),
        sa.Column("source_message_id", sa.UUID(), nullable=True),
        sa.Column(
            "action_type",
            sa.Enum(
                "send_message",
                "send_ppv",
                "create_broadcast",
                "schedule_post",
                "update_custom_request_price",
                name="actiontype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("target_type", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.String(length=80), nullable=False),
        sa.Column("proposed_args", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("final_args", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("context", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("flags", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("priority", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "expired",
                "superseded",
                "executed",
                "failed",
                name="approvalstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("edited", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("superseded_by", sa.UUID(), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_hitl_action_queue_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_hitl_action_queue_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["agent_runs.id"],
            name=op.f("fk_hitl_action_queue_run_id_agent_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by"],
            ["hitl_action_queue.id"],
            name=op.f("fk_hitl_action_queue_superseded_by_hitl_action_queue"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hitl_action_queue")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_hitl_action_queue_idempotency_key")),
    )
    op.create_index(
        op.f("ix_hitl_action_queue_creator_id"), "hitl_action_queue", ["creator_id"], unique=False
    )
    op.create_index(
        "ix_hitl_action_queue_fan_status", "hitl_action_queue", ["fan_id", "status"], unique=False
    )
    op.create_index(
        "ix_hitl_action_queue_pending",
        "hitl_action_queue",
        ["creator_id", sa.literal_column("priority DESC"), "created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_hitl_action_queue_pending_expiry",
        "hitl_action_queue",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(op.f("ix_hitl_action_queue_run_id"), "hitl_action_queue", ["run_id"], unique=False)
    op.create_index(op.f("ix_hitl_action_queue_thread_id"), "hitl_action_queue", ["thread_id"], unique=False)
    op.create_table(
        "automation_rule_actions",
        sa.Column("run_id", sa.UUID(), nullable=True),
        sa.Column("hitl_item_id", sa.UUID(), nullable=True),
        sa.Column("fan_id", sa.UUID(), nullable=True),
        sa.Column(
            "action_type",
            sa.Enum(
                "send_message",
                "send_ppv",
                "create_broadcast",
                "schedule_post",
                "update_custom_request_price",
                name="actiontype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("args", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("executed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_automation_rule_actions_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_automation_rule_actions_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hitl_item_id"],
            ["hitl_action_queue.id"],
            name=op.f("fk_automation_rule_actions_hitl_item_id_hitl_action_queue"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["automation_rule_runs.id"],
            name=op.f("fk_automation_rule_actions_run_id_automation_rule_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rule_actions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_automation_rule_actions_idempotency_key")),
    )
    op.create_index(
        op.f("ix_automation_rule_actions_creator_id"), "automation_rule_actions", ["creator_id"], unique=False
    )
    op.create_index(
        op.f("ix_automation_rule_actions_fan_id"), "automation_rule_actions", ["fan_id"], unique=False
    )
    op.create_index(
        op.f("ix_automation_rule_actions_hitl_item_id"),
        "automation_rule_actions",
        ["hitl_item_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_automation_rule_actions_run_id"), "automation_rule_actions", ["run_id"], unique=False
    )
    op.create_table(
        "draft_feedback",
        sa.Column("fan_id", sa.UUID(), nullable=True),
        sa.Column("hitl_item_id", sa.UUID(), nullable=True),
        sa.Column("draft_text", sa.Text(), nullable=False),
        sa.Column("final_text", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("edit_ratio", sa.Float(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_draft_feedback_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_draft_feedback_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hitl_item_id"],
            ["hitl_action_queue.id"],
            name=op.f("fk_draft_feedback_hitl_item_id_hitl_action_queue"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_feedback")),
        sa.UniqueConstraint("hitl_item_id", name=op.f("uq_draft_feedback_hitl_item_id")),
    )
    op.create_index(
        "ix_draft_feedback_creator_created", "draft_feedback", ["creator_id", "created_at"], unique=False
    )
    op.create_index(op.f("ix_draft_feedback_creator_id"), "draft_feedback", ["creator_id"], unique=False)
    op.create_index(op.f("ix_draft_feedback_fan_id"), "draft_feedback", ["fan_id"], unique=False)
    op.create_table(
        "fan_messages",
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column("platform_account_id", sa.UUID(), nullable=True),
        sa.Column(
            "direction",
            sa.Enum(
                "inbound",
                "outbound",
                name="messagedirection",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "sender",
            sa.Enum(
                "fan",
                "creator",
                "agent",
                "staff",
                name="messagesender",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("platform_message_id", sa.String(length=120), nullable=True),
        sa.Column("price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("is_ppv", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("media_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("hitl_item_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_messages_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_fan_messages_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hitl_item_id"],
            ["hitl_action_queue.id"],
            name=op.f("fk_fan_messages_hitl_item_id_hitl_action_queue"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["platform_account_id"],
            ["fan_platform_accounts.id"],
            name=op.f("fk_fan_messages_platform_account_id_fan_platform_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_messages")),
        sa.UniqueConstraint(
            "creator_id", "platform_message_id", name=op.f("uq_fan_messages_creator_id_platform_message_id")
        ),
    )
    op.create_index(op.f("ix_fan_messages_creator_id"), "fan_messages", ["creator_id"], unique=False)
    op.create_index(
        "ix_fan_messages_fan_sent",
        "fan_messages",
        ["fan_id", sa.literal_column("sent_at DESC")],
        unique=False,
    )
    op.create_index(op.f("ix_fan_messages_hitl_item_id"), "fan_messages", ["hitl_item_id"], unique=False)
    op.create_table(
        "fan_subscription_events",
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column("subscription_id", sa.UUID(), nullable=False),
        sa.Column(
            "event_type",
            sa.Enum(
                "new",
                "renewed",
                "expired",
                "cancelled",
                "reactivated",
                "price_changed",
                name="subscriptioneventtype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_fan_subscription_events_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_fan_subscription_events_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["fan_subscriptions.id"],
            name=op.f("fk_fan_subscription_events_subscription_id_fan_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fan_subscription_events")),
    )
    op.create_index(
        op.f("ix_fan_subscription_events_creator_id"), "fan_subscription_events", ["creator_id"], unique=False
    )
    op.create_index(
        op.f("ix_fan_subscription_events_fan_id"), "fan_subscription_events", ["fan_id"], unique=False
    )
    op.create_index(
        op.f("ix_fan_subscription_events_subscription_id"),
        "fan_subscription_events",
        ["subscription_id"],
        unique=False,
    )
    op.create_table(
        "message_broadcasts",
        sa.Column("segment_id", sa.UUID(), nullable=True),
        sa.Column("template_id", sa.UUID(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "pending_approval",
                "scheduled",
                "sending",
                "sent",
                "cancelled",
                "failed",
                name="broadcaststatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="draft",
            nullable=False,
        ),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipient_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("hitl_item_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_message_broadcasts_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hitl_item_id"],
            ["hitl_action_queue.id"],
            name=op.f("fk_message_broadcasts_hitl_item_id_hitl_action_queue"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["fan_segments.id"],
            name=op.f("fk_message_broadcasts_segment_id_fan_segments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["message_templates.id"],
            name=op.f("fk_message_broadcasts_template_id_message_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_broadcasts")),
    )
    op.create_index(
        op.f("ix_message_broadcasts_creator_id"), "message_broadcasts", ["creator_id"], unique=False
    )
    op.create_index(
        op.f("ix_message_broadcasts_segment_id"), "message_broadcasts", ["segment_id"], unique=False
    )
    op.create_table(
        "message_broadcast_deliveries",
        sa.Column("broadcast_id", sa.UUID(), nullable=False),
        sa.Column("fan_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                "skipped",
                name="deliverystatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["message_broadcasts.id"],
            name=op.f("fk_message_broadcast_deliveries_broadcast_id_message_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_profiles.id"],
            name=op.f("fk_message_broadcast_deliveries_creator_id_creator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"],
            ["fan_profiles.id"],
            name=op.f("fk_message_broadcast_deliveries_fan_id_fan_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_broadcast_deliveries")),
        sa.UniqueConstraint(
            "broadcast_id", "fan_id", name=op.f("uq_message_broadcast_deliveries_broadcast_id_fan_id")
        ),
    )
    op.create_index(
        op.f("ix_message_broadcast_deliveries_creator_id"),
        "message_broadcast_deliveries",
        ["creator_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_message_broadcast_deliveries_fan_id"),
        "message_broadcast_deliveries",
        ["fan_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_message_broadcast_deliveries_fan_id"), table_name="message_broadcast_deliveries")
    op.drop_index(
        op.f("ix_message_broadcast_deliveries_creator_id"), table_name="message_broadcast_deliveries"
    )
    op.drop_table("message_broadcast_deliveries")
    op.drop_index(op.f("ix_message_broadcasts_segment_id"), table_name="message_broadcasts")
    op.drop_index(op.f("ix_message_broadcasts_creator_id"), table_name="message_broadcasts")
    op.drop_table("message_broadcasts")
    op.drop_index(op.f("ix_fan_subscription_events_subscription_id"), table_name="fan_subscription_events")
    op.drop_index(op.f("ix_fan_subscription_events_fan_id"), table_name="fan_subscription_events")
    op.drop_index(op.f("ix_fan_subscription_events_creator_id"), table_name="fan_subscription_events")
    op.drop_table("fan_subscription_events")
    op.drop_index(op.f("ix_fan_messages_hitl_item_id"), table_name="fan_messages")
    op.drop_index("ix_fan_messages_fan_sent", table_name="fan_messages")
    op.drop_index(op.f("ix_fan_messages_creator_id"), table_name="fan_messages")
    op.drop_table("fan_messages")
    op.drop_index(op.f("ix_draft_feedback_fan_id"), table_name="draft_feedback")
    op.drop_index(op.f("ix_draft_feedback_creator_id"), table_name="draft_feedback")
    op.drop_index("ix_draft_feedback_creator_created", table_name="draft_feedback")
    op.drop_table("draft_feedback")
    op.drop_index(op.f("ix_automation_rule_actions_run_id"), table_name="automation_rule_actions")
    op.drop_index(op.f("ix_automation_rule_actions_hitl_item_id"), table_name="automation_rule_actions")
    op.drop_index(op.f("ix_automation_rule_actions_fan_id"), table_name="automation_rule_actions")
    op.drop_index(op.f("ix_automation_rule_actions_creator_id"), table_name="automation_rule_actions")
    op.drop_table("automation_rule_actions")
    op.drop_index(op.f("ix_hitl_action_queue_thread_id"), table_name="hitl_action_queue")
    op.drop_index(op.f("ix_hitl_action_queue_run_id"), table_name="hitl_action_queue")
    op.drop_index(
        "ix_hitl_action_queue_pending_expiry",
        table_name="hitl_action_queue",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        "ix_hitl_action_queue_pending",
        table_name="hitl_action_queue",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_hitl_action_queue_fan_status", table_name="hitl_action_queue")
    op.drop_index(op.f("ix_hitl_action_queue_creator_id"), table_name="hitl_action_queue")
    op.drop_table("hitl_action_queue")
    op.drop_index(op.f("ix_fan_subscriptions_fan_id"), table_name="fan_subscriptions")
    op.drop_index("ix_fan_subscriptions_creator_status", table_name="fan_subscriptions")
    op.drop_index(op.f("ix_fan_subscriptions_creator_id"), table_name="fan_subscriptions")
    op.drop_table("fan_subscriptions")
    op.drop_index(op.f("ix_fan_identity_links_platform_account_id"), table_name="fan_identity_links")
    op.drop_index(op.f("ix_fan_identity_links_fan_id"), table_name="fan_identity_links")
    op.drop_index(op.f("ix_fan_identity_links_creator_id"), table_name="fan_identity_links")
    op.drop_table("fan_identity_links")
    op.drop_index(
        "ix_webhook_events_unprocessed",
        table_name="webhook_events",
        postgresql_where=sa.text("status IN ('received', 'queued', 'failed')"),
    )
    op.drop_index(op.f("ix_webhook_events_fan_id"), table_name="webhook_events")
    op.drop_index(op.f("ix_webhook_events_creator_id"), table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_index("ix_fan_transactions_fan_occurred", table_name="fan_transactions")
    op.drop_index(op.f("ix_fan_transactions_creator_id"), table_name="fan_transactions")
    op.drop_table("fan_transactions")
    op.drop_index("ix_fan_tag_values_creator_tag", table_name="fan_tag_values")
    op.drop_index(op.f("ix_fan_tag_values_creator_id"), table_name="fan_tag_values")
    op.drop_table("fan_tag_values")
    op.drop_index(op.f("ix_fan_segment_members_fan_id"), table_name="fan_segment_members")
    op.drop_index(op.f("ix_fan_segment_members_creator_id"), table_name="fan_segment_members")
    op.drop_table("fan_segment_members")
    op.drop_index("ix_fan_scores_creator_kind_value", table_name="fan_scores")
    op.drop_index(op.f("ix_fan_scores_creator_id"), table_name="fan_scores")
    op.drop_table("fan_scores")
    op.drop_index(op.f("ix_fan_platform_accounts_fan_id"), table_name="fan_platform_accounts")
    op.drop_index(op.f("ix_fan_platform_accounts_creator_id"), table_name="fan_platform_accounts")
    op.drop_table("fan_platform_accounts")
    op.drop_index(op.f("ix_fan_notes_fan_id"), table_name="fan_notes")
    op.drop_index(op.f("ix_fan_notes_creator_id"), table_name="fan_notes")
    op.drop_table("fan_notes")
    op.drop_index("ix_fan_memories_search", table_name="fan_memories", postgresql_using="gin")
    op.drop_index(
        "ix_fan_memories_fan_active",
        table_name="fan_memories",
        postgresql_where=sa.text("invalid_at IS NULL"),
    )
    op.drop_index(
        "ix_fan_memories_embedding_hnsw",
        table_name="fan_memories",
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.drop_index(op.f("ix_fan_memories_creator_id"), table_name="fan_memories")
    op.drop_table("fan_memories")
    op.drop_index(op.f("ix_fan_custom_requests_fan_id"), table_name="fan_custom_requests")
    op.drop_index(op.f("ix_fan_custom_requests_creator_id"), table_name="fan_custom_requests")
    op.drop_table("fan_custom_requests")
    op.drop_index(op.f("ix_automation_rule_runs_rule_id"), table_name="automation_rule_runs")
    op.drop_index(op.f("ix_automation_rule_runs_fan_id"), table_name="automation_rule_runs")
    op.drop_index(op.f("ix_automation_rule_runs_creator_id"), table_name="automation_rule_runs")
    op.drop_table("automation_rule_runs")
    op.drop_index(op.f("ix_agent_runs_thread_id"), table_name="agent_runs")
    op.drop_index(op.f("ix_agent_runs_fan_id"), table_name="agent_runs")
    op.drop_index(op.f("ix_agent_runs_creator_id"), table_name="agent_runs")
    op.drop_table("agent_runs")
    op.drop_index(op.f("ix_staff_creator_access_staff_user_id"), table_name="staff_creator_access")
    op.drop_index(op.f("ix_staff_creator_access_creator_id"), table_name="staff_creator_access")
    op.drop_table("staff_creator_access")
    op.drop_index(op.f("ix_platform_connections_creator_id"), table_name="platform_connections")
    op.drop_table("platform_connections")
    op.drop_index(op.f("ix_message_templates_creator_id"), table_name="message_templates")
    op.drop_table("message_templates")
    op.drop_index(op.f("ix_fan_segments_creator_id"), table_name="fan_segments")
    op.drop_table("fan_segments")
    op.drop_index("ix_fan_profiles_creator_spend", table_name="fan_profiles")
    op.drop_index("ix_fan_profiles_creator_last_active", table_name="fan_profiles")
    op.drop_index(op.f("ix_fan_profiles_creator_id"), table_name="fan_profiles")
    op.drop_table("fan_profiles")
    op.drop_index(op.f("ix_chat_threads_staff_user_id"), table_name="chat_threads")
    op.drop_index(op.f("ix_chat_threads_creator_id"), table_name="chat_threads")
    op.drop_table("chat_threads")
    op.drop_index(op.f("ix_automation_rules_creator_id"), table_name="automation_rules")
    op.drop_table("automation_rules")
    op.drop_index(op.f("ix_api_tokens_staff_user_id"), table_name="api_tokens")
    op.drop_index(op.f("ix_api_tokens_agency_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index("uq_staff_users_email_lower", table_name="staff_users")
    op.drop_index(op.f("ix_staff_users_agency_id"), table_name="staff_users")
    op.drop_table("staff_users")
    op.drop_index(op.f("ix_creator_profiles_agency_id"), table_name="creator_profiles")
    op.drop_table("creator_profiles")
    op.drop_index("ix_audit_log_creator_created", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_agency_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_action"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("agencies")
