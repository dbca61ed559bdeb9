"""Recall and search see one tenant's fans only; search ranks fans by their memories."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.errors import NotFound
from crm.enums import MemoryKind
from memory import service
from memory.access import ACCESS_LOG
from memory.embeddings import LocalMiniLMEmbedder
from tests.factories import Tenant, make_fan, make_tenant


async def _remember(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder, *facts: str
) -> None:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        for fact in facts:
            await service.remember(
                s,
                p,
                creator_id=tenant.creator_id,
                fan_id=fan_id,
                text=fact,
                kind=MemoryKind.preference,
                embedder=embedder,
            )


async def test_recall_and_search_never_cross_tenants(
    engine: AsyncEngine, embedder: LocalMiniLMEmbedder
) -> None:
    a, b = await make_tenant(engine), await make_tenant(engine)
    fan_a = await make_fan(engine, a.creator_id, name="Alice's fan")
    fan_b = await make_fan(engine, b.creator_id, name="Bob's fan")
    await _remember(engine, a, fan_a, embedder, "Loves scuba diving in Thailand")
    await _remember(engine, b, fan_b, embedder, "Loves scuba diving in Mexico")

    pa = a.principal()
    async with tenant_session(pa, engine=engine) as s:
        with pytest.raises(NotFound):
            await service.recall_for_fan(s, pa, fan_id=fan_b, query="scuba", embedder=embedder)
        assert (
            await service.search_fans(s, pa, creator_id=b.creator_id, query="scuba diving", embedder=embedder)
            == []
        )
        hits = await service.search_fans(
            s, pa, creator_id=a.creator_id, query="scuba diving", embedder=embedder
        )
        own = await service.recall_for_fan(s, pa, fan_id=fan_a, query="scuba", embedder=embedder)
    assert [h.fan_id for h in hits] == [fan_a]
    assert [m.text for m in own] == ["Loves scuba diving in Thailand"]


async def test_recall_is_per_fan_and_counts_access(
    engine: AsyncEngine, tenant: Tenant, embedder: LocalMiniLMEmbedder
) -> None:
    tom = await make_fan(engine, tenant.creator_id, name="Tom")
    ann = await make_fan(engine, tenant.creator_id, name="Ann")
    await _remember(engine, tenant, tom, embedder, "Has a golden retriever named Max", "Works night shifts")
    await _remember(engine, tenant, ann, embedder, "Has a cat named Mochi")
    p = tenant.principal()
    await ACCESS_LOG.flush()  # what earlier tests left pending
    async with tenant_session(p, engine=engine) as s:
        got = await service.recall_for_fan(
            s, p, fan_id=tom, query="what pet does he have?", embedder=embedder
        )
        again = await service.recall_for_fan(s, p, fan_id=tom, query="dog", k=1, embedder=embedder)
        untouched = await service.list_memories(s, p, fan_id=tom)
    # Counted off the recall path: nothing is written in the recalling transaction...
    assert {r.access_count for r in untouched} == {0}
    assert await ACCESS_LOG.flush() == 2
    async with tenant_session(p, engine=engine) as s:
        records = await service.list_memories(s, p, fan_id=tom)
    assert got[0].text == "Has a golden retriever named Max"
    assert "Has a cat named Mochi" not in [m.text for m in got]
    assert [m.text for m in again] == ["Has a golden retriever named Max"]
    counts = {r.text: r.access_count for r in records}
    assert counts == {"Has a golden retriever named Max": 2, "Works night shifts": 1}


async def test_token_budget_limits_recall(
    engine: AsyncEngine, tenant: Tenant, embedder: LocalMiniLMEmbedder
) -> None:
    fan = await make_fan(engine, tenant.creator_id)
    await _remember(
        engine, tenant, fan, embedder, "Likes tea", "Loves long walks on the beach at sunset with dogs"
    )
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        small = await service.recall_for_fan(
            s, p, fan_id=fan, query="beach walks", token_budget=5, embedder=embedder
        )
    assert [m.text for m in small] == ["Likes tea"]


async def test_search_ranks_fans_by_their_best_memory(
    engine: AsyncEngine, tenant: Tenant, embedder: LocalMiniLMEmbedder
) -> None:
    gamer = await make_fan(engine, tenant.creator_id, name="Gamer")
    hiker = await make_fan(engine, tenant.creator_id, name="Hiker")
    cook = await make_fan(engine, tenant.creator_id, name="Cook")
    await _remember(engine, tenant, gamer, embedder, "Plays Elden Ring every night", "Lives in Ohio")
    await _remember(engine, tenant, hiker, embedder, "Goes hiking in the Rockies on weekends")
    await _remember(engine, tenant, cook, embedder, "Bakes sourdough bread")
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        hits = await service.search_fans(
            s, p, creator_id=tenant.creator_id, query="video games", embedder=embedder
        )
        hikes = await service.search_fans(
            s, p, creator_id=tenant.creator_id, query="Rockies", embedder=embedder
        )
    assert hits[0].fan_id == gamer and hits[0].display_name == "Gamer"
    assert hits[0].memories[0].text == "Plays Elden Ring every night"
    assert hikes[0].fan_id == hiker
