"""`memory.service.recall_for_fan_in_one_round_trip`: recall for a caller with no session open sends
its transaction, the tenant settings and the fused statement as one pipeline — the same memories as
recall in a tenant session, one wait for the server, and row-level security as strict."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.statements import counting
from core.db import tenant_session
from core.errors import NotFound
from memory import repository as repo
from memory import service
from memory.access import ACCESS_LOG
from memory.embeddings import LocalMiniLMEmbedder
from tests.factories import Tenant, make_fan, make_tenant
from tests.memory.test_recall_sql import QUERIES, _ingest


@pytest.mark.parametrize(("k", "budget"), [(10, None), (4, 40)])
async def test_the_same_memories_as_recall_in_a_tenant_session(
    engine: AsyncEngine,
    tenant: Tenant,
    fan_id: uuid.UUID,
    embedder: LocalMiniLMEmbedder,
    k: int,
    budget: int | None,
) -> None:
    await _ingest(engine, tenant, fan_id, embedder)
    p = tenant.principal()
    for query, vector in zip(QUERIES, await embedder.embed(QUERIES), strict=True):
        async with tenant_session(p, engine=engine) as s:
            expected = await service.recall_for_fan(
                s, p, fan_id=fan_id, query=query, k=k, token_budget=budget, query_vector=vector, touch=False
            )
        got = await service.recall_for_fan_in_one_round_trip(
            p,
            fan_id=fan_id,
            query=query,
            k=k,
            token_budget=budget,
            query_vector=vector,
            touch=False,
            engine=engine,
        )
        # Scores carry now() (recency), which moves between the two calls.
        assert [(m.id, m.text, m.kind, m.valid_from) for m in got] == [
            (m.id, m.text, m.kind, m.valid_from) for m in expected
        ], query
        assert got and len(got) <= k


async def test_one_round_trip_and_nothing_else(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    await _ingest(engine, tenant, fan_id, embedder)
    p = tenant.principal()
    (vector,) = await embedder.embed(["the dog"])
    with counting(trace=True) as count:
        got = await service.recall_for_fan_in_one_round_trip(
            p, fan_id=fan_id, query="the dog", query_vector=vector, touch=False, engine=engine
        )
    assert got and "Biscuit" in got[0].text
    assert count.round_trips == 1, count.trace
    # BEGIN, the tenant settings, the statement, COMMIT.
    assert count.statements == 4, count.trace
    with counting(trace=True) as count:
        async with tenant_session(p, engine=engine) as s:
            await service.recall_for_fan(
                s, p, fan_id=fan_id, query="the dog", query_vector=vector, touch=False
            )
    assert count.round_trips == 4, count.trace  # what the pipeline saves


async def test_another_creators_fan_is_not_found(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    await _ingest(engine, tenant, fan_id, embedder)
    stranger = await make_tenant(engine)
    with pytest.raises(NotFound):
        await service.recall_for_fan_in_one_round_trip(
            stranger.principal(), fan_id=fan_id, query="dog", embedder=embedder, engine=engine
        )
    with pytest.raises(NotFound):
        await service.recall_for_fan_in_one_round_trip(
            tenant.principal(), fan_id=uuid.uuid4(), query="dog", embedder=embedder, engine=engine
        )


async def test_a_fan_without_memories_recalls_nothing(
    engine: AsyncEngine, tenant: Tenant, embedder: LocalMiniLMEmbedder
) -> None:
    quiet = await make_fan(engine, tenant.creator_id, name="Quiet")
    got = await service.recall_for_fan_in_one_round_trip(
        tenant.principal(), fan_id=quiet, query="anything", embedder=embedder, engine=engine
    )
    assert got == []


async def test_the_access_counts_follow_in_a_batch_and_the_pool_stays_usable(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    await _ingest(engine, tenant, fan_id, embedder)
    p = tenant.principal()
    for _ in range(3):  # more calls than a small pool has connections, each back in a good state
        got = await service.recall_for_fan_in_one_round_trip(
            p, fan_id=fan_id, query="guitar", k=2, embedder=embedder, engine=engine
        )
    await ACCESS_LOG.flush()
    async with tenant_session(p, engine=engine) as s:
        counts = (
            (
                await s.execute(
                    text("SELECT access_count FROM fan_memory_access WHERE memory_id = ANY(:ids)"),
                    {"ids": [m.id for m in got]},
                )
            )
            .scalars()
            .all()
        )
    assert sorted(counts) == [3, 3]


_TYPES = {"fan_id": "uuid", "query": "text", "embedding": "text", "k": "bigint", "budget": "bigint"}


@pytest.mark.parametrize("budgeted", [False, True])
async def test_the_generic_plan_parses_the_query_vector_once(
    engine: AsyncEngine, tenant: Tenant, budgeted: bool
) -> None:
    """After five runs on a connection the statement is prepared and planned generically; then a
    parameter cast among the row expressions runs per row (the 384-number literal parsed for every
    memory of the fan). The plan must compare rows with the vector the `q` CTE cast once."""
    names: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}::{_TYPES[match.group(1)]}"

    statement = re.sub(r"(?<![:\w]):(\w+)", placeholder, repo._RECALL_SQL[budgeted])
    async with tenant_session(tenant.principal(), engine=engine) as s:
        plan = (await s.execute(text("EXPLAIN (GENERIC_PLAN, VERBOSE) " + statement))).scalars().all()
    distances = [line for line in plan if "<=>" in line]
    assert distances, plan
    assert not [line for line in distances if "$" in line], distances
