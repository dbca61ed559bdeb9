"""The schema as Postgres sees it: migrations, RLS on every creator-owned table, ledgers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from core import embedded
from core.db import tenant_session
from core.tenancy import NOBODY, Principal
from migrations import runner
from migrations.models import APPEND_ONLY_TABLES, CREATOR_SCOPED_TABLES, Base
from tests.conftest import ProvisionedDatabase, _replace_db
from tests.factories import make_tenant, populate_every_table

DESIGN_TABLES = {
    "agencies",
    "staff_users",
    "staff_creator_access",
    "api_tokens",
    "audit_log",
    "creator_profiles",
    "platform_connections",
    "fan_profiles",
    "fan_platform_accounts",
    "fan_subscriptions",
    "fan_subscription_events",
    "fan_identity_links",
    "fan_memories",
    "fan_notes",
    "fan_scores",
    "fan_segments",
    "fan_segment_members",
    "fan_transactions",
    "fan_custom_requests",
    "fan_tag_values",
    "fan_messages",
    "automation_rules",
    "automation_rule_runs",
    "automation_rule_actions",
    "message_templates",
    "message_broadcasts",
    "message_broadcast_deliveries",
    "hitl_action_queue",
    "webhook_events",
    "agent_runs",
    "chat_threads",
    "draft_feedback",
    "checkpoints",
    "checkpoint_blobs",
    "checkpoint_writes",
    "checkpoint_migrations",
}


def test_migrations_go_up_down_and_up_again(test_db: ProvisionedDatabase) -> None:
    name = test_db.name + "_updown"
    embedded.ensure_database(test_db.admin_url, name)
    owner = _replace_db(test_db.urls.owner, name)
    try:
        runner.upgrade(owner)
        assert runner.current(owner) is not None
        runner.downgrade(owner)
        assert runner.current(owner) is None
        engine = sa.create_engine(owner.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            left = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            ).scalar()
        engine.dispose()
        assert left == 0
        runner.upgrade(owner)
        assert runner.current(owner) == runner.current(test_db.urls.owner)
    finally:
        embedded.drop_database(test_db.admin_url, name)


async def test_every_design_table_exists_with_pgvector_and_hnsw(owner_engine: AsyncEngine) -> None:
    async with owner_engine.connect() as conn:
        tables = set(
            (
                await conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname='public'"))
            ).scalars()
        )
        column = (
            await conn.execute(
                sa.text(
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = 'fan_memories'::regclass AND attname = 'embedding'"
                )
            )
        ).scalar()
        hnsw = (
            await conn.execute(
                sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_fan_memories_embedding_hnsw'")
            )
        ).scalar()
    assert tables >= DESIGN_TABLES
    assert column == "vector(384)"
    # Migration 0007: the cross-fan index holds half-precision copies of the 384-d vectors.
    assert hnsw is not None and "hnsw" in hnsw and "halfvec(384)) halfvec_cosine_ops" in hnsw


async def test_every_creator_owned_table_forces_rls(owner_engine: AsyncEngine) -> None:
    with_creator = {t.name for t in Base.metadata.sorted_tables if "creator_id" in t.c} | {"creator_profiles"}
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.text(
                    "SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity "
                    "AND relnamespace = 'public'::regnamespace"
                )
            )
        ).scalars()
        forced = set(rows)
    # Auth data read at login, before a principal exists: assignments and a creator login's binding.
    assert with_creator - {"staff_creator_access", "staff_users"} <= forced
    assert set(CREATOR_SCOPED_TABLES) <= forced


async def test_app_role_is_not_superuser_and_cannot_bypass_rls(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
    assert row == (False, False)


async def test_principal_for_a_sees_nothing_of_b_on_every_table(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine, creators=2)
    a, b = tenant.creator_ids
    await populate_every_table(engine, a)
    await populate_every_table(engine, b)
    for table, column in CREATOR_SCOPED_TABLES.items():
        async with tenant_session(Principal.for_creators(a), engine=engine) as s:
            of_b = (
                await s.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :b"), {"b": b})
            ).scalar()
            of_a = (
                await s.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :a"), {"a": a})
            ).scalar()
        assert of_b == 0, table
        assert of_a >= 1, table


async def test_no_principal_reads_nothing(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    await populate_every_table(engine, tenant.creator_id)
    for table in CREATOR_SCOPED_TABLES:
        async with tenant_session(NOBODY, engine=engine) as s:
            assert (await s.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar() == 0, table


async def test_principal_cannot_insert_rows_for_another_creator(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine, creators=2)
    a, b = tenant.creator_ids
    with pytest.raises(ProgrammingError, match="row-level security"):
        async with tenant_session(Principal.for_creators(a), engine=engine) as s:
            await s.execute(
                sa.text("INSERT INTO fan_profiles (creator_id, display_name) VALUES (:b, 'intruder')"),
                {"b": b},
            )


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
async def test_ledgers_reject_update_and_delete(engine: AsyncEngine, table: str) -> None:
    tenant = await make_tenant(engine)
    await populate_every_table(engine, tenant.creator_id)
    if table == "audit_log":
        async with tenant_session(tenant.principal(), engine=engine) as s:
            await s.execute(
                sa.text(
                    "INSERT INTO audit_log (creator_id, actor_kind, action) VALUES (:c, 'system', 'test')"
                ),
                {"c": tenant.creator_id},
            )
    for statement in (f"UPDATE {table} SET created_at = now()", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with tenant_session(tenant.principal(), engine=engine) as s:
                await s.execute(sa.text(statement))


async def test_gdpr_erase_is_the_one_way_past_the_ledgers(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    fan_id = await populate_every_table(engine, tenant.creator_id)
    keep_id = await populate_every_table(engine, tenant.creator_id)
    async with tenant_session(tenant.principal(), engine=engine) as s:
        counts = (
            await s.execute(sa.text("SELECT fanpilot_erase_fan(:f, 'system', NULL)"), {"f": fan_id})
        ).scalar()
    assert counts["fan_subscription_events"] == 1
    async with tenant_session(tenant.principal(), engine=engine) as s:
        for table in CREATOR_SCOPED_TABLES:
            cols = (
                await s.execute(
                    sa.text(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = :t AND column_name = 'fan_id'"
                    ),
                    {"t": table},
                )
            ).scalar()
            if cols:
                gone = (
                    await s.execute(sa.text(f"SELECT count(*) FROM {table} WHERE fan_id = :f"), {"f": fan_id})
                ).scalar()
                kept = (
                    await s.execute(
                        sa.text(f"SELECT count(*) FROM {table} WHERE fan_id = :f"), {"f": keep_id}
                    )
                ).scalar()
                assert gone == 0, table
                assert kept >= 1, table
        audit = (
            await s.execute(
                sa.text("SELECT details FROM audit_log WHERE action = 'fan.erased' AND target_id = :f"),
                {"f": str(fan_id)},
            )
        ).scalar_one()
    assert "Every Table" not in str(audit)  # who, when, which id: no personal data


async def test_erase_of_a_fan_the_caller_cannot_see_fails(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine, creators=2)
    fan_of_b = await populate_every_table(engine, tenant.creator_ids[1])
    with pytest.raises(DBAPIError, match="not found"):
        async with tenant_session(tenant.principal(tenant.creator_ids[0]), engine=engine) as s:
            await s.execute(sa.text("SELECT fanpilot_erase_fan(:f, 'system', NULL)"), {"f": fan_of_b})
    async with tenant_session(tenant.principal(), engine=engine) as s:
        assert (
            await s.execute(sa.text("SELECT count(*) FROM fan_profiles WHERE id = :f"), {"f": fan_of_b})
        ).scalar() == 1
