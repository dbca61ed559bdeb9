"""Fan memory: remember (with reconciliation), extract, recall, search across fans, forget, export.

Plain async functions, session and principal first; they flush, never commit. Row-level security
scopes every query to the principal's creators; the explicit creator/fan filters are for the indexes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.language_models import BaseChatModel
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.db import get_engine
from core.errors import NotFound
from core.tenancy import Principal
from crm.enums import MemoryKind
from crm.fans.models import FanProfile
from memory import repository as repo
from memory.access import ACCESS_LOG
from memory.embeddings import Embedder, embed_queries, get_embedder
from memory.extraction import CandidateFact, extract_facts, infer_slot
from memory.models import FanMemory, FanMemoryAccess
from memory.schemas import (
    ExchangeMessage,
    FanSearchHit,
    MemoryRecord,
    RecalledMemory,
    ReconcileAction,
    ReconcileOutcome,
    TranscriptTurn,
)
from memory.timeline import resolve_relative_times

# Cosine similarity (MiniLM, normalised) above which two facts say the same thing.
DUPLICATE_SIMILARITY = 0.9
SLOT_DUPLICATE_SIMILARITY = 0.97
# Above this, a fact with the opposite polarity ("likes X" / "dislikes X") contradicts the old one.
CONTRADICTION_SIMILARITY = 0.72
RECONCILE_NEIGHBOURS = 5
RRF_K = repo.RRF_K
# An imported turn's search words: its neighbours this many turns either side (same session), and
# its own words this many times (docs/memory.md, "LoCoMo").
WORDS_WINDOW = 2
OWN_WORDS_WEIGHT = 5

_NEGATION = re.compile(
    r"\b(?:not|no|never|don't|doesn't|do not|does not|dislikes?|hates?|can't stand|stopped|quit|no longer)\b",
    re.I,
)


def estimate_tokens(s: str) -> int:
    return max(1, (len(s) + 3) // 4)


def _now() -> datetime:
    return datetime.now(UTC)


def _normalise(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def _polarity(s: str) -> bool:
    return _NEGATION.search(s) is None


async def _get_fan(session: AsyncSession, fan_id: uuid.UUID) -> FanProfile:
    fan = await session.get(FanProfile, fan_id)
    if fan is None:
        raise NotFound("fan not found")
    return fan


# ---------------------------------------------------------------- remember / reconcile


async def _reconcile_one(
    session: AsyncSession,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    fact: CandidateFact,
    embedding: list[float],
    embedder: Embedder,
    source_message_id: uuid.UUID | None,
) -> ReconcileOutcome:
    slot = fact.slot or infer_slot(fact.text)
    neighbours = await repo.nearest_for_fan(
        session, creator_id=creator_id, fan_id=fan_id, embedding=embedding, limit=RECONCILE_NEIGHBOURS
    )
    same_text = next((n for n in neighbours if _normalise(n.text) == _normalise(fact.text)), None)
    # A slot fact differs by one word ("Lives in Austin" / "Lives in Dallas"): near-identity only.
    threshold = SLOT_DUPLICATE_SIMILARITY if slot else DUPLICATE_SIMILARITY
    duplicate = same_text or next(
        (n for n in neighbours if n.similarity >= threshold and _polarity(n.text) == _polarity(fact.text)),
        None,
    )
    if duplicate is not None:
        seen = dict(duplicate.details)
        seen["seen_count"] = int(str(seen.get("seen_count", 1))) + 1
        seen["last_seen_at"] = _now().isoformat()
        await session.execute(
            text(
                "UPDATE fan_memories SET confidence = least(1.0, confidence + 0.05),"
                " importance = greatest(importance, :importance), details = CAST(:details AS jsonb),"
                " updated_at = now() WHERE id = :id"
            ),
            {"id": duplicate.id, "importance": fact.importance, "details": json.dumps(seen)},
        )
        return ReconcileOutcome(
            action=ReconcileAction.duplicate,
            memory_id=duplicate.id,
            text=duplicate.text,
            kind=duplicate.kind,
            similarity=duplicate.similarity,
        )

    replaced: repo.MemoryRow | None = None
    if slot:
        slot_rows = await repo.rows_with_slot(session, creator_id=creator_id, fan_id=fan_id, slot=slot)
        replaced = slot_rows[0] if slot_rows else None
        if replaced is None:
            # An older fact written without a slot ("Lives in Denver", typed by a chatter).
            replaced = next((n for n in neighbours if infer_slot(n.text) == slot), None)
    if replaced is None:
        replaced = next(
            (
                n
                for n in neighbours
                if n.similarity >= CONTRADICTION_SIMILARITY
                and n.kind == fact.kind
                and _polarity(n.text) != _polarity(fact.text)
            ),
            None,
        )

    details: dict[str, Any] = {}
    if slot:
        details["slot"] = slot
    if fact.resolved_date:
        details["date"] = fact.resolved_date.isoformat()
    now = _now()
    memory = FanMemory(
        id=uuid.uuid4(),
        creator_id=creator_id,
        fan_id=fan_id,
        kind=fact.kind,
        text=fact.text,
        importance=fact.importance,
        confidence=0.8,
        source_message_id=source_message_id,
        valid_from=fact.valid_from or now,
        embedding=embedding,
        embedding_model=embedder.model_name,
        details=details,
    )
    session.add(memory)
    await session.flush()
    if replaced is None:
        return ReconcileOutcome(
            action=ReconcileAction.added, memory_id=memory.id, text=memory.text, kind=fact.kind
        )
    await session.execute(
        text(
            "UPDATE fan_memories SET invalid_at = :at, superseded_by = :new, updated_at = now() WHERE id = :old"
        ),
        {"at": fact.valid_from or now, "new": memory.id, "old": replaced.id},
    )
    return ReconcileOutcome(
        action=ReconcileAction.superseded,
        memory_id=memory.id,
        text=memory.text,
        kind=fact.kind,
        superseded_id=replaced.id,
        similarity=replaced.similarity,
    )


async def reconcile_facts(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    facts: Sequence[CandidateFact],
    source_message_id: uuid.UUID | None = None,
    embedder: Embedder | None = None,
) -> list[ReconcileOutcome]:
    """Add, no-op (duplicate) or supersede each candidate against the fan's active memories."""
    if not facts:
        return []
    await _get_fan(session, fan_id)
    embedder = embedder or get_embedder()
    vectors = await embedder.embed([f.text for f in facts])
    outcomes = []
    for fact, vector in zip(facts, vectors, strict=True):
        outcomes.append(
            await _reconcile_one(
                session,
                creator_id=creator_id,
                fan_id=fan_id,
                fact=fact,
                embedding=vector,
                embedder=embedder,
                source_message_id=source_message_id,
            )
        )
    return outcomes


async def remember(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    text: str,
    kind: MemoryKind,
    importance: float = 0.5,
    source_message_id: uuid.UUID | None = None,
    valid_from: datetime | None = None,
    slot: str | None = None,
    embedder: Embedder | None = None,
) -> ReconcileOutcome:
    """Store one fact about a fan, reconciled against what is already known."""
    fact = CandidateFact(
        kind=kind, text=text.strip(), importance=importance, valid_from=valid_from, slot=slot
    )
    (outcome,) = await reconcile_facts(
        session,
        principal,
        creator_id=creator_id,
        fan_id=fan_id,
        facts=[fact],
        source_message_id=source_message_id,
        embedder=embedder,
    )
    return outcome


async def extract_and_reconcile(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    messages: list[ExchangeMessage],
    model: BaseChatModel | None = None,
    embedder: Embedder | None = None,
) -> list[ReconcileOutcome]:
    """Learn from one exchange: at most one LLM call (none with model=None: the pattern extractor)."""
    facts = await extract_facts(messages, model=model)
    source = next((m.message_id for m in reversed(messages) if m.sender == "fan" and m.message_id), None)
    return await reconcile_facts(
        session,
        principal,
        creator_id=creator_id,
        fan_id=fan_id,
        facts=facts,
        source_message_id=source,
        embedder=embedder,
    )


# ---------------------------------------------------------------- transcript import


def contextualise_turn(turns: Sequence[TranscriptTurn], i: int, *, window: int = 1) -> str:
    """What a turn means in its conversation: who said it, when, and the turn it answers."""
    turn = turns[i]
    when = turn.session_label or (turn.sent_at.strftime("%-d %B %Y") if turn.sent_at else "")
    head = f"{turn.speaker}" + (f" ({when})" if when else "")
    parts = [f"{head}: {turn.text}"]
    for j in range(max(0, i - window), i):
        prev = turns[j]
        if prev.session_label == turn.session_label:
            parts.append(f"(replying to {prev.speaker}: {prev.text[:200]})")
    return " ".join(parts)


def search_document_for_turn(
    turns: Sequence[TranscriptTurn], i: int, context: str, *, context_window: int = 1
) -> str:
    """The words a turn is found by: its context, the turns around it in its session (the two before
    and the two replies after: measured, they help words but not the embedding), and its relative
    times pinned to the day it was sent.

    The turn's own words are in it `OWN_WORDS_WEIGHT` times, so in BM25 they outweigh everything it
    borrows from its neighbours (a field weight, as in BM25F): a neighbour's word should help find
    a turn, not outrank the turn that says the word itself. docs/memory.md has the measurements."""
    turn = turns[i]
    parts = [context, *[turn.text] * (OWN_WORDS_WEIGHT - 1)]
    # The earlier turns the embedded context leaves out.
    for prev in turns[max(0, i - WORDS_WINDOW) : max(0, i - context_window)]:
        if prev.session_label == turn.session_label:
            parts.append(f"(replying to {prev.speaker}: {prev.text[:200]})")
    for reply in turns[i + 1 : i + 1 + WORDS_WINDOW]:
        if reply.session_label == turn.session_label:
            parts.append(f"(answered by {reply.speaker}: {reply.text[:200]})")
    parts += [f"({meaning})" for meaning in resolve_relative_times(turn.text, turn.sent_at)]
    return " ".join(parts)


async def ingest_transcript(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    turns: Sequence[TranscriptTurn],
    kind: MemoryKind = MemoryKind.conversation_fact,
    importance: float = 0.3,
    embedder: Embedder | None = None,
    context_window: int = 1,
) -> list[uuid.UUID]:
    """Import a conversation history: each turn becomes a memory whose embedding carries its
    context (speaker, date, the turn it answers) and whose search words also carry the reply and
    its relative times as dates. The speaker is kept, so a question naming them leans to their
    turns. Turns are events, not attributes: stored as they are, without reconciliation."""
    await _get_fan(session, fan_id)
    embedder = embedder or get_embedder()
    contexts = [contextualise_turn(turns, i, window=context_window) for i in range(len(turns))]
    vectors = await embedder.embed(contexts)
    ids: list[uuid.UUID] = []
    for i, (turn, context, vector) in enumerate(zip(turns, contexts, vectors, strict=True)):
        details: dict[str, Any] = {"speaker": turn.speaker}
        if turn.ref:
            details["ref"] = turn.ref
        memory = FanMemory(
            id=uuid.uuid4(),
            creator_id=creator_id,
            fan_id=fan_id,
            kind=kind,
            text=f"{turn.speaker}: {turn.text}",
            context_text=context,
            search_text=search_document_for_turn(turns, i, context, context_window=context_window),
            importance=importance,
            valid_from=turn.sent_at,
            embedding=vector,
            embedding_model=embedder.model_name,
            details=details,
        )
        session.add(memory)
        ids.append(memory.id)
    await session.flush()
    return ids


# ---------------------------------------------------------------- recall


def _rrf(*rankings: Sequence[uuid.UUID], k: int = RRF_K) -> dict[uuid.UUID, float]:
    scores: dict[uuid.UUID, float] = {}
    for ranking in rankings:
        for rank, memory_id in enumerate(ranking):
            scores[memory_id] = scores.get(memory_id, 0.0) + 1.0 / (k + rank + 1)
    return scores


async def _query_vector(
    query: str, embedder: Embedder | None, query_vector: Sequence[float] | None
) -> list[float]:
    if query_vector is not None:
        return list(query_vector)
    (vector,) = await embed_queries(embedder or get_embedder(), [query])
    return vector


def _recalled(
    found: tuple[uuid.UUID, list[repo.RecallHit]] | None, engine: AsyncEngine | None, touch: bool
) -> list[RecalledMemory]:
    if found is None:
        raise NotFound("fan not found")
    creator_id, hits = found
    if touch and hits and engine is not None:
        ACCESS_LOG.record(engine, creator_id, [h.id for h in hits])
    return [
        RecalledMemory(
            id=h.id,
            kind=h.kind,
            text=h.text,
            importance=h.importance,
            score=round(h.score, 6),
            valid_from=h.valid_from,
        )
        for h in hits
    ]


async def recall_for_fan(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    query: str,
    k: int = 8,
    token_budget: int | None = 600,
    embedder: Embedder | None = None,
    touch: bool = True,
    query_vector: Sequence[float] | None = None,
) -> list[RecalledMemory]:
    """The fan's active memories most relevant to `query`: exact vector and BM25 rankings fused by
    RRF, then importance and recency; at most k, within the token budget (None: no budget). One
    SQL statement; the access counts are written later, in a batch (`memory.access`).

    `query_vector`: the query's embedding when the caller computed it already (e.g. while it read
    other things), so it is not computed twice."""
    vector = await _query_vector(query, embedder, query_vector)
    found = await repo.recall_for_fan(
        session, fan_id=fan_id, embedding=vector, query=query, k=k, token_budget=token_budget
    )
    engine = session.bind if isinstance(session.bind, AsyncEngine) else None
    return _recalled(found, engine, touch)


async def recall_for_fan_in_one_round_trip(
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    query: str,
    k: int = 8,
    token_budget: int | None = 600,
    embedder: Embedder | None = None,
    touch: bool = True,
    query_vector: Sequence[float] | None = None,
    engine: AsyncEngine | None = None,
) -> list[RecalledMemory]:
    """`recall_for_fan` for a caller with no session open: a transaction of its own under the
    principal's row-level security, sent with the tenant settings as one pipeline, so the server
    answers once (a tenant session costs BEGIN, settings, statement and COMMIT: four waits).
    The one exception to "session first": the transaction is this one statement."""
    vector = await _query_vector(query, embedder, query_vector)
    engine = engine or get_engine()
    found = await repo.recall_for_fan_in_one_round_trip(
        principal, engine=engine, fan_id=fan_id, embedding=vector, query=query, k=k, token_budget=token_budget
    )
    return _recalled(found, engine, touch)


async def search_fans(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    query: str,
    k: int = 20,
    memories_per_fan: int = 3,
    embedder: Embedder | None = None,
) -> list[FanSearchHit]:
    """Fans of a creator whose memories match `query` (HNSW + full text, RRF), best first, each with
    their best matching memories."""
    (vector,) = await embed_queries(embedder or get_embedder(), [query])
    pool = max(100, 5 * k)
    by_vector = await repo.vector_search_creator(session, creator_id=creator_id, embedding=vector, limit=pool)
    by_words = await repo.fulltext_search_creator(session, creator_id=creator_id, query=query, limit=pool)
    fused = _rrf([m for m, _, _ in by_vector], [m for m, _, _ in by_words])
    rows = await repo.load_rows(session, list(fused))
    per_fan: dict[uuid.UUID, list[tuple[float, repo.MemoryRow]]] = {}
    for memory_id, score in fused.items():
        row = rows.get(memory_id)
        if row is not None:
            per_fan.setdefault(row.fan_id, []).append((score, row))
    ranked = []
    for fan_id, hits in per_fan.items():
        hits.sort(key=lambda pair: -pair[0])
        # The best memory decides; further matches add a little (a fan who said it twice).
        fan_score = hits[0][0] + 0.1 * sum(s for s, _ in hits[1:memories_per_fan])
        ranked.append((fan_score, fan_id, hits[:memories_per_fan]))
    ranked.sort(key=lambda t: -t[0])
    ranked = ranked[:k]
    names = await repo.fan_names(session, [fan_id for _, fan_id, _ in ranked])
    return [
        FanSearchHit(
            fan_id=fan_id,
            display_name=names.get(fan_id),
            score=round(score, 6),
            memories=[
                RecalledMemory(
                    id=row.id,
                    kind=row.kind,
                    text=row.text,
                    importance=row.importance,
                    score=round(s, 6),
                    valid_from=row.valid_from,
                )
                for s, row in hits
            ],
        )
        for score, fan_id, hits in ranked
    ]


# ---------------------------------------------------------------- read, forget, export


async def list_memories(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID, include_history: bool = False
) -> list[MemoryRecord]:
    stmt = select(FanMemory).where(FanMemory.fan_id == fan_id).order_by(FanMemory.created_at, FanMemory.id)
    if not include_history:
        stmt = stmt.where(FanMemory.invalid_at.is_(None))
    memories = (await session.scalars(stmt)).all()
    # Access counts live apart from the memory rows (migration 0014); no row yet: never recalled.
    counts: dict[uuid.UUID, int] = {}
    if memories:
        result = await session.execute(
            select(FanMemoryAccess.memory_id, FanMemoryAccess.access_count).where(
                FanMemoryAccess.memory_id.in_([m.id for m in memories])
            )
        )
        counts = {memory_id: count for memory_id, count in result}
    return [
        MemoryRecord.model_validate(
            {**{f: getattr(m, f) for f in _RECORD_FIELDS}, "access_count": counts.get(m.id, 0)}
        )
        for m in memories
    ]


_RECORD_FIELDS = [f for f in MemoryRecord.model_fields if f != "access_count"]


async def delete_memory(
    session: AsyncSession, principal: Principal, *, memory_id: uuid.UUID, include_history: bool = True
) -> int:
    """Forget one fact; with its history (the versions it superseded) unless told otherwise."""
    memory = await session.get(FanMemory, memory_id)
    if memory is None:
        raise NotFound("memory not found")
    ids = [memory_id]
    if include_history:
        result = await session.execute(
            text(
                """
                WITH RECURSIVE chain AS (
                  SELECT id FROM fan_memories WHERE superseded_by = :id
                  UNION SELECT m.id FROM fan_memories m JOIN chain c ON m.superseded_by = c.id
                )
                SELECT id FROM chain
                """
            ),
            {"id": memory_id},
        )
        ids += [r[0] for r in result]
    await session.execute(
        text("UPDATE fan_memories SET superseded_by = NULL WHERE superseded_by = ANY(:ids)"), {"ids": ids}
    )
    await session.execute(text("DELETE FROM fan_memories WHERE id = ANY(:ids)"), {"ids": ids})
    session.expunge(memory)
    return len(ids)
