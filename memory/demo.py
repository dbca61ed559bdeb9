"""Learn memories from seeded conversation histories, the way the product learns after each exchange.

The same extraction and reconciliation as the worker's job after a sent reply, done in bulk: every
history of a creator is read in one session, the facts of all of them are embedded in one batch (one
model call instead of one per fan), then reconciled fan by fan in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import SYSTEM, Principal
from crm.fans import service as fan_service
from memory import service as memory_service
from memory.embeddings import Embedder, get_embedder
from memory.extraction import CandidateFact, extract_facts
from memory.models import FanMemory
from memory.schemas import ExchangeMessage

Progress = Callable[[str, int, int], None]


class _Precomputed:
    """An embedder that answers from vectors computed in one batch (and asks the real one otherwise)."""

    def __init__(self, embedder: Embedder, vectors: dict[str, list[float]]) -> None:
        self.model_name = embedder.model_name
        self.dimensions = embedder.dimensions
        self._embedder = embedder
        self._vectors = vectors

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, await self._embedder.embed(missing), strict=True))
        return [self._vectors[t] for t in texts]


async def learn_from_histories(
    engine: AsyncEngine,
    creator_ids: tuple[uuid.UUID, ...],
    *,
    max_fans: int = 10_000,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> int:
    """Run extraction + reconciliation over every fan's history (pattern extractor, no LLM).

    Returns how many memories were added or superseded. Safe to run twice: duplicates are no-ops.
    """
    embedder = embedder or get_embedder()
    learned = 0
    for creator_id in creator_ids:
        principal = Principal.for_creators(creator_id)
        stage = f"memories {str(creator_id)[:8]}"
        found: list[tuple[uuid.UUID, list[CandidateFact], uuid.UUID | None]] = []
        async with tenant_session(principal, engine=engine) as s:
            fans = await fan_service.list_fans(s, principal, creator_id=creator_id, limit=max_fans)
            for fan in fans:
                history = await fan_service.recent_messages(s, principal, fan_id=fan.id, limit=50)
                exchange = [
                    ExchangeMessage(sender=m.sender.value, text=m.text, sent_at=m.sent_at, message_id=m.id)
                    for m in history
                ]
                facts = await extract_facts(exchange)
                if facts:
                    # What the fact came from, as memory_service.extract_and_reconcile records it.
                    source = next(
                        (m.message_id for m in reversed(exchange) if m.sender == "fan" and m.message_id),
                        None,
                    )
                    found.append((fan.id, facts, source))
        texts = list(dict.fromkeys(f.text for _, facts, _ in found for f in facts))
        batch = _Precomputed(embedder, dict(zip(texts, await embedder.embed(texts), strict=True)))
        async with tenant_session(principal, engine=engine) as s:
            for done, (fan_id, facts, source) in enumerate(found, start=1):
                outcomes = await memory_service.reconcile_facts(
                    s,
                    principal,
                    creator_id=creator_id,
                    fan_id=fan_id,
                    facts=facts,
                    source_message_id=source,
                    embedder=batch,
                )
                learned += sum(1 for o in outcomes if o.action != "duplicate")
                if progress is not None:
                    progress(stage, done, len(found))
    return learned


async def creators_without_memories(
    engine: AsyncEngine, creator_ids: Sequence[uuid.UUID]
) -> tuple[uuid.UUID, ...]:
    """The creators none of whose fans has a memory yet: their histories were never learned (a first
    start stopped before it got there). `learn_from_histories` commits one creator at a time."""
    if not creator_ids:
        return ()
    async with tenant_session(SYSTEM, engine=engine) as session:
        known = set(
            await session.scalars(
                sa.select(FanMemory.creator_id).where(FanMemory.creator_id.in_(creator_ids)).distinct()
            )
        )
    return tuple(c for c in creator_ids if c not in known)
