"""Tenancy enforced by Postgres: the app role, RLS, append-only ledgers, the GDPR erase function.

- The app connects as a non-superuser role (settings.app_db_role) with DML rights only.
- Every creator-owned table has FORCE ROW LEVEL SECURITY: a row is visible when its creator is in
  the transaction-local `fanpilot.creator_ids`, or when a worker opened a system session
  (`fanpilot.system = on`). No setting, no rows.
- Ledgers reject UPDATE, DELETE and TRUNCATE. The one way past is `fanpilot_erase_fan()`, a
  SECURITY DEFINER function owned by this (migration) role, which audits the erase.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import context, op

from core.settings import get_settings

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen at this revision: a later table with creator_id adds its own policy in its migration
# (tests/test_tenancy.py checks that every creator-owned table has one).
CREATOR_SCOPED_TABLES = {
    "agent_runs": "creator_id",
    "automation_rule_actions": "creator_id",
    "automation_rule_runs": "creator_id",
    "automation_rules": "creator_id",
    "chat_threads": "creator_id",
    "creator_profiles": "id",
    "draft_feedback": "creator_id",
    "fan_custom_requests": "creator_id",
    "fan_identity_links": "creator_id",
    "fan_memories": "creator_id",
    "fan_messages": "creator_id",
    "fan_notes": "creator_id",
    "fan_platform_accounts": "creator_id",
    "fan_profiles": "creator_id",
    "fan_scores": "creator_id",
    "fan_segment_members": "creator_id",
    "fan_segments": "creator_id",
    "fan_subscription_events": "creator_id",
    "fan_subscriptions": "creator_id",
    "fan_tag_values": "creator_id",
    "fan_transactions": "creator_id",
    "hitl_action_queue": "creator_id",
    "message_broadcast_deliveries": "creator_id",
    "message_broadcasts": "creator_id",
    "message_templates": "creator_id",
    "platform_connections": "creator_id",
    "webhook_events": "creator_id",
}
APPEND_ONLY_TABLES = (
    "fan_subscription_events",
    "automation_rule_runs",
    "automation_rule_actions",
    "audit_log",
)

VISIBLE = "fanpilot_is_system() OR {col} = ANY (fanpilot_visible_creators())"
AUDIT_VISIBLE = (
    "fanpilot_is_system() OR creator_id = ANY (fanpilot_visible_creators())"
    " OR (creator_id IS NULL AND agency_id::text = current_setting('fanpilot.agency_id', true))"
)

# Rows the erase removes explicitly, child tables first (ledgers need the erase flag).
ERASE_ORDER = [
    "automation_rule_actions",
    "automation_rule_runs",
    "fan_subscription_events",
    "message_broadcast_deliveries",
    "draft_feedback",
    "fan_messages",
    "hitl_action_queue",
    "fan_memories",
    "fan_segment_members",
    "fan_tag_values",
    "fan_notes",
    "fan_scores",
    "fan_transactions",
    "fan_custom_requests",
    "fan_subscriptions",
    "fan_identity_links",
    "fan_platform_accounts",
    "webhook_events",
    "agent_runs",
]


def _app_role() -> tuple[str, str]:
    attrs = context.config.attributes
    settings = get_settings()
    role = attrs.get("app_role") or settings.app_db_role
    password = attrs.get("app_password") or settings.app_db_password.get_secret_value()
    return role, password


def upgrade() -> None:
    role, password = _app_role()
    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{password}';
          END IF;
        END $$;
        """
    )
    op.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')
    op.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    op.execute(f'REVOKE ALL ON alembic_version FROM "{role}"')

    op.execute(
        """
        CREATE FUNCTION fanpilot_visible_creators() RETURNS uuid[]
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
          SELECT coalesce(nullif(current_setting('fanpilot.creator_ids', true), ''), '{}')::uuid[]
        $$;
        CREATE FUNCTION fanpilot_is_system() RETURNS boolean
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
          SELECT coalesce(current_setting('fanpilot.system', true), '') = 'on'
        $$;
        """
    )
    for table, column in CREATOR_SCOPED_TABLES.items():
        predicate = VISIBLE.format(col=column)
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) WITH CHECK ({predicate})")
    op.execute("ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_log FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON audit_log USING ({AUDIT_VISIBLE}) WITH CHECK ({AUDIT_VISIBLE})"
    )

    op.execute(
        """
        CREATE FUNCTION fanpilot_reject_ledger_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          -- Only the erase function (running as the table owner, flag set) may remove rows.
          IF TG_OP IN ('DELETE', 'UPDATE')
             AND current_setting('fanpilot.gdpr_erase', true) = 'on'
             AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID)
          THEN
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
          END IF;
          RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
        END $$;
        """
    )
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION fanpilot_reject_ledger_change()"
        )
        op.execute(
            f"CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION fanpilot_reject_ledger_change()"
        )

    deletes = "\n".join(
        f"  DELETE FROM {t} WHERE fan_id = p_fan_id;\n"
        f"  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('{t}', n);"
        for t in ERASE_ORDER
    )
    op.execute(
        f"""
        CREATE FUNCTION fanpilot_erase_fan(p_fan_id uuid, p_actor_kind text, p_actor_id uuid)
        RETURNS jsonb
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
          v_creator uuid;
          v_agency uuid;
          v_threads text[];
          n bigint;
          counts jsonb := '{{}}'::jsonb;
        BEGIN
          -- RLS still applies (FORCE): the caller can erase only a fan it can see.
          SELECT f.creator_id, c.agency_id INTO v_creator, v_agency
            FROM fan_profiles f JOIN creator_profiles c ON c.id = f.creator_id
           WHERE f.id = p_fan_id;
          IF v_creator IS NULL THEN
            RAISE EXCEPTION 'fan % not found', p_fan_id USING ERRCODE = 'no_data_found';
          END IF;
          PERFORM set_config('fanpilot.gdpr_erase', 'on', true);

          SELECT coalesce(array_agg(DISTINCT t.thread_id), '{{}}') INTO v_threads FROM (
            SELECT thread_id FROM agent_runs WHERE fan_id = p_fan_id
            UNION SELECT thread_id FROM hitl_action_queue WHERE fan_id = p_fan_id
          ) t WHERE t.thread_id IS NOT NULL;
          DELETE FROM checkpoint_writes WHERE thread_id = ANY (v_threads);
          DELETE FROM checkpoint_blobs WHERE thread_id = ANY (v_threads);
          DELETE FROM checkpoints WHERE thread_id = ANY (v_threads);
          GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('checkpoints', n);

          UPDATE fan_memories SET superseded_by = NULL
           WHERE superseded_by IN (SELECT id FROM fan_memories WHERE fan_id = p_fan_id);
{deletes}
          DELETE FROM fan_profiles WHERE id = p_fan_id;

          INSERT INTO audit_log (agency_id, creator_id, actor_kind, actor_id, action, target_type,
                                 target_id, details)
          VALUES (v_agency, v_creator, p_actor_kind, p_actor_id, 'fan.erased', 'fan',
                  p_fan_id::text, jsonb_build_object('rows', counts));
          PERFORM set_config('fanpilot.gdpr_erase', 'off', true);
          RETURN counts;
        END $$;
        REVOKE ALL ON FUNCTION fanpilot_erase_fan(uuid, text, uuid) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION fanpilot_erase_fan(uuid, text, uuid) TO "{role}";
        """
    )


def downgrade() -> None:
    role, _ = _app_role()
    op.execute("DROP FUNCTION IF EXISTS fanpilot_erase_fan(uuid, text, uuid)")
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS append_only_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS fanpilot_reject_ledger_change()")
    for table in [*CREATOR_SCOPED_TABLES, "audit_log"]:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION IF EXISTS fanpilot_is_system()")
    op.execute("DROP FUNCTION IF EXISTS fanpilot_visible_creators()")
    op.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"')
    op.execute(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{role}"')
    op.execute(f'REVOKE USAGE ON SCHEMA public FROM "{role}"')
