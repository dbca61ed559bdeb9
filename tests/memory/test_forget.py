"""Forget and export: delete a memory, erase a fan everywhere (GDPR), export a fan's data."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.errors import NotFound
from core.tenancy import SYSTEM
from crm import privacy
from crm.enums import MemoryKind
from memory import service
from memory.embeddings import LocalMiniLMEmbedder
from tests.factories import Tenant, make_fan, populate_every_table

CHECKPOINT_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")


async def _fan_threads(engine: AsyncEngine, fan_id: uuid.UUID) -> list[str]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.execute(
            text(
                "SELECT thread_id FROM agent_runs WHERE fan_id = :f"
                " UNION SELECT thread_id FROM hitl_action_queue WHERE fan_id = :f"
            ),
            {"f": fan_id},
        )
        return [r[0] for r in rows if r[0]]


async def _insert_checkpoints(owner_engine: AsyncEngine, thread_id: str) -> None:
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, checkpoint, metadata)"
                " VALUES (:t, '', 'c1', '{}'::jsonb, '{}'::jsonb)"
            ),
            {"t": thread_id},
        )
        await conn.execute(
            text(
                "INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)"
                " VALUES (:t, '', 'messages', '1', 'json', '\\x7b7d'::bytea)"
            ),
            {"t": thread_id},
        )
        await conn.execute(
            text(
                "INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel,"
                " type, blob) VALUES (:t, '', 'c1', 'task', 0, 'messages', 'json', '\\x7b7d'::bytea)"
            ),
            {"t": thread_id},
        )


async def _rows_left(engine: AsyncEngine, fan_id: uuid.UUID, threads: list[str]) -> dict[str, int]:
    left: dict[str, int] = {}
    async with tenant_session(SYSTEM, engine=engine) as s:
        tables = [
            r[0]
            for r in await s.execute(
                text(
                    "SELECT c.table_name FROM information_schema.columns c"
                    " JOIN information_schema.tables t USING (table_schema, table_name)"
                    " WHERE c.table_schema = 'public' AND c.column_name = 'fan_id'"
                    " AND t.table_type = 'BASE TABLE'"
                )
            )
        ]
        assert "fan_memories" in tables and "hitl_action_queue" in tables
        for table in tables:
            left[table] = (
                await s.execute(text(f'SELECT count(*) FROM "{table}" WHERE fan_id = :f'), {"f": fan_id})
            ).scalar_one()
        left["fan_profiles"] = (
            await s.execute(text("SELECT count(*) FROM fan_profiles WHERE id = :f"), {"f": fan_id})
        ).scalar_one()
        for table in CHECKPOINT_TABLES:
            left[table] = (
                await s.execute(
                    text(f"SELECT count(*) FROM {table} WHERE thread_id = ANY(:t)"), {"t": threads}
                )
            ).scalar_one()
    return left


async def test_erase_leaves_no_row_of_the_fan_anywhere(
    engine: AsyncEngine, owner_engine: AsyncEngine, tenant: Tenant, embedder: LocalMiniLMEmbedder
) -> None:
    p = tenant.principal()
    fan_id = await populate_every_table(engine, tenant.creator_id)
    bystander = await make_fan(engine, tenant.creator_id, name="Bystander")
    async with tenant_session(p, engine=engine) as s:
        await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Lives in Denver",
            kind=MemoryKind.personal_detail,
            embedder=embedder,
        )
        moved = await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Lives in Austin",
            kind=MemoryKind.personal_detail,
            embedder=embedder,
        )
        assert moved.superseded_id is not None
        await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=bystander,
            text="Lives in Austin",
            kind=MemoryKind.personal_detail,
            embedder=embedder,
        )
    threads = await _fan_threads(engine, fan_id)
    assert threads
    for thread in threads:
        await _insert_checkpoints(owner_engine, thread)
    before = await _rows_left(engine, fan_id, threads)
    assert before["fan_memories"] == 3 and before["checkpoints"] == len(threads)
    assert all(before[t] > 0 for t in before), before

    async with tenant_session(p, engine=engine) as s:
        counts = await privacy.erase_fan(s, p, fan_id=fan_id)
    assert counts["fan_memories"] == 3
    left = await _rows_left(engine, fan_id, threads)
    assert left == dict.fromkeys(left, 0)

    async with tenant_session(p, engine=engine) as s:
        assert len(await service.list_memories(s, p, fan_id=bystander)) == 1
        audit = (
            await s.execute(
                text("SELECT details FROM audit_log WHERE action = 'fan.erased' AND target_id = :f"),
                {"f": str(fan_id)},
            )
        ).scalar_one()
    assert "Denver" not in json.dumps(audit)


async def test_erase_of_another_tenants_fan_is_not_found(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID
) -> None:
    from tests.factories import make_tenant

    other = await make_tenant(engine)
    async with tenant_session(other.principal(), engine=engine) as s:
        with pytest.raises(NotFound):
            await privacy.erase_fan(s, other.principal(), fan_id=fan_id)
    async with tenant_session(tenant.principal(), engine=engine) as s:
        assert (
            await s.execute(text("SELECT count(*) FROM fan_profiles WHERE id = :f"), {"f": fan_id})
        ).scalar() == 1


async def test_delete_memory_removes_it_and_its_history(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Works as a nurse",
            kind=MemoryKind.personal_detail,
            embedder=embedder,
        )
        new = await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Works as a pilot",
            kind=MemoryKind.personal_detail,
            embedder=embedder,
        )
        keep = await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Likes jazz",
            kind=MemoryKind.preference,
            embedder=embedder,
        )
        assert await service.delete_memory(s, p, memory_id=new.memory_id) == 2
        rest = await service.list_memories(s, p, fan_id=fan_id, include_history=True)
        with pytest.raises(NotFound):
            await service.delete_memory(s, p, memory_id=new.memory_id)
    assert [m.id for m in rest] == [keep.memory_id]


async def test_export_has_every_table_and_the_history_without_vectors(
    engine: AsyncEngine, tenant: Tenant, embedder: LocalMiniLMEmbedder
) -> None:
    p = tenant.principal()
    fan_id = await populate_every_table(engine, tenant.creator_id)
    async with tenant_session(p, engine=engine) as s:
        await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Lives in Denver",
            kind=MemoryKind.personal_detail,
            embedder=embedder,
        )
        await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Lives in Austin",
            kind=MemoryKind.personal_detail,
            embedder=embedder,
        )
        data = await privacy.export_fan(s, p, fan_id=fan_id)
    encoded = json.dumps(data)
    assert data["fan_profiles"][0]["display_name"] == "Every Table"
    memories = data["fan_memories"]
    assert {m["text"] for m in memories} >= {"Lives in Denver", "Lives in Austin", "likes cosplay"}
    assert any(m["invalid_at"] for m in memories)
    assert all("embedding" not in m for m in memories)
    for table in ("fan_messages", "fan_transactions", "fan_notes", "hitl_action_queue", "fan_subscriptions"):
        assert len(data[table]) == 1, table
    # The access counts live in a table of their own, keyed by memory (the factory recalled one once).
    assert [a["access_count"] for a in data["fan_memory_access"]] == [1]
    assert "Every Table" in encoded
