"""Remember, extract and reconcile: supersede keeps history, duplicates are no-ops."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from crm.enums import MemoryKind
from memory import service
from memory.embeddings import LocalMiniLMEmbedder
from memory.schemas import ExchangeMessage, ReconcileAction
from tests.factories import Tenant


async def test_move_supersedes_and_recall_returns_only_the_current_fact(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        first = await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Lives in Denver",
            kind=MemoryKind.personal_detail,
            embedder=embedder,
        )
        assert first.action == ReconcileAction.added
    async with tenant_session(p, engine=engine) as s:
        outcomes = await service.extract_and_reconcile(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            embedder=embedder,
            messages=[
                ExchangeMessage(
                    sender="fan",
                    text="Big news, I just moved from Denver to Austin!",
                    sent_at=datetime(2026, 3, 2, 18, 0, tzinfo=UTC),
                ),
                ExchangeMessage(sender="creator", text="omg congrats babe, I live in Miami btw"),
            ],
        )
    assert [o.action for o in outcomes] == [ReconcileAction.superseded]
    assert outcomes[0].superseded_id == first.memory_id
    assert "Austin" in outcomes[0].text

    async with tenant_session(p, engine=engine) as s:
        history = await service.list_memories(s, p, fan_id=fan_id, include_history=True)
        active = await service.list_memories(s, p, fan_id=fan_id)
        recalled = await service.recall_for_fan(
            s, p, fan_id=fan_id, query="where does he live?", embedder=embedder
        )
    old = next(m for m in history if m.id == first.memory_id)
    assert old.invalid_at is not None and old.superseded_by == outcomes[0].memory_id
    assert [m.text for m in active] == [outcomes[0].text]
    texts = [m.text for m in recalled]
    assert any("Austin" in t for t in texts)
    assert "Lives in Denver" not in texts


async def test_new_job_supersedes_the_old_one(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        a = await service.extract_and_reconcile(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            embedder=embedder,
            messages=[ExchangeMessage(sender="fan", text="I work as a nurse at St. Mary's")],
        )
        b = await service.extract_and_reconcile(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            embedder=embedder,
            messages=[ExchangeMessage(sender="fan", text="I just got a new job as a paramedic!")],
        )
        active = await service.list_memories(s, p, fan_id=fan_id)
    assert a[0].action == ReconcileAction.added
    assert b[0].action == ReconcileAction.superseded and b[0].superseded_id == a[0].memory_id
    assert [m.text for m in active] == ["Works as a paramedic"]


async def test_duplicates_are_no_ops_that_raise_confidence(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        first = await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Loves hiking in the mountains",
            kind=MemoryKind.preference,
            embedder=embedder,
        )
        again = await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="loves hiking in the mountains!",
            kind=MemoryKind.preference,
            embedder=embedder,
        )
        near = await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Loves hiking in mountains",
            kind=MemoryKind.preference,
            embedder=embedder,
        )
        rows = await service.list_memories(s, p, fan_id=fan_id, include_history=True)
    assert again.action == ReconcileAction.duplicate and again.memory_id == first.memory_id
    assert near.action == ReconcileAction.duplicate and near.memory_id == first.memory_id
    assert len(rows) == 1
    assert rows[0].confidence > 0.8


async def test_contradiction_supersedes_instead_of_deleting(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        likes = await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Likes horror movies",
            kind=MemoryKind.preference,
            embedder=embedder,
        )
        other = await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Has a dog named Biscuit",
            kind=MemoryKind.personal_detail,
            embedder=embedder,
        )
        dislikes = await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Dislikes horror movies",
            kind=MemoryKind.preference,
            embedder=embedder,
        )
        history = await service.list_memories(s, p, fan_id=fan_id, include_history=True)
        active = await service.list_memories(s, p, fan_id=fan_id)
    assert dislikes.action == ReconcileAction.superseded and dislikes.superseded_id == likes.memory_id
    assert len(history) == 3
    assert {m.id for m in active} == {other.memory_id, dislikes.memory_id}


async def test_unrelated_facts_are_added(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        outcomes = await service.extract_and_reconcile(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            embedder=embedder,
            messages=[
                ExchangeMessage(
                    sender="fan",
                    text="My name is Jake. I have a cat named Luna. Please don't call me daddy.",
                    sent_at=datetime(2026, 3, 2, tzinfo=UTC),
                )
            ],
        )
    assert [o.action for o in outcomes] == [ReconcileAction.added] * 3
    assert {o.kind for o in outcomes} == {MemoryKind.personal_detail, MemoryKind.boundary}
