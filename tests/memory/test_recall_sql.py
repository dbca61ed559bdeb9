"""Recall in one statement: same ranking as recomputing everything, stored BM25 statistics kept
right by the triggers, odd query text, access counts written later in a batch."""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.db import tenant_session
from core.errors import NotFound
from crm import privacy
from crm.enums import MemoryKind
from memory import repository as repo
from memory import service
from memory.access import AccessLog
from memory.embeddings import LocalMiniLMEmbedder
from memory.schemas import TranscriptTurn
from tests.factories import Tenant, make_fan

TURNS = [
    ("Tom", "I just adopted a beagle puppy called Biscuit, he chews everything"),
    ("Ava", "Aww! How is Biscuit getting on with your cat?"),
    ("Tom", "The cat hates him. I am training Biscuit every morning before work"),
    ("Tom", "Work is busy, I am a nurse doing night shifts at the hospital"),
    ("Ava", "Night shifts sound rough, do you sleep during the day?"),
    ("Tom", "Yes, blackout curtains. Next month I am hiking in Patagonia with my brother"),
    ("Ava", "Patagonia! Send me pictures of the glaciers"),
    ("Tom", "I will. My brother Jake is a photographer so the pictures will be great"),
    ("Tom", "I also started learning the guitar, mostly blues"),
    ("Ava", "Blues guitar is so cool, who do you listen to?"),
    ("Tom", "B.B. King and Stevie Ray Vaughan, it's the bends I can't do yet"),
    ("Tom", "Biscuit howls when I play guitar"),
]
QUERIES = [
    "What is Tom's dog called?",
    "what does he do for work",
    "Where is Tom travelling next month?",
    "guitar music he likes",
    "brother photographer",
    "cat",
    "sleep during the day night shifts",
]


async def _ingest(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    p = tenant.principal()
    start = datetime(2025, 3, 1, 18, 0, tzinfo=UTC)
    turns = [
        TranscriptTurn(
            speaker=who,
            text=said,
            sent_at=start + timedelta(days=i // 4),
            session_label=f"session {i // 4 + 1}",
            ref=f"D{i // 4 + 1}:{i % 4 + 1}",
        )
        for i, (who, said) in enumerate(TURNS)
    ]
    async with tenant_session(p, engine=engine) as s:
        await service.ingest_transcript(
            s, p, creator_id=tenant.creator_id, fan_id=fan_id, turns=turns, embedder=embedder
        )
        for i, fact in enumerate(["Has a beagle named Biscuit", "Works night shifts as a nurse"]):
            await service.remember(
                s,
                p,
                creator_id=tenant.creator_id,
                fan_id=fan_id,
                text=fact,
                kind=MemoryKind.personal_detail,
                importance=0.6 + 0.2 * i,
                embedder=embedder,
            )


async def _reference_ranking(
    s: AsyncSession, fan_id: uuid.UUID, query: str, vector: list[float], k: int, budget: int | None
) -> list[str]:
    """Recall recomputed from scratch in Python: every tsvector unnested, N and avgdl counted, both
    arms scaled over all of the fan's rows."""
    rows = (
        await s.execute(
            text(
                "SELECT id, text, importance, valid_from, created_at, details->>'speaker' AS speaker,"
                " embedding <=> CAST(:q AS vector) AS distance"
                " FROM fan_memories WHERE fan_id = :f AND invalid_at IS NULL ORDER BY id"
            ),
            {"q": repo.vector_literal(vector), "f": fan_id},
        )
    ).all()
    terms = (
        await s.execute(
            text(
                "SELECT m.id, u.lexeme, coalesce(array_length(u.positions, 1), 1) AS tf"
                " FROM fan_memories m, unnest(m.search) u WHERE m.fan_id = :f AND m.invalid_at IS NULL"
            ),
            {"f": fan_id},
        )
    ).all()
    lexemes = set(
        (
            await s.execute(text("SELECT tsvector_to_array(to_tsvector('english', :q))"), {"q": query})
        ).scalar_one()
    )
    by_row = {r.id: r for r in rows}
    doc_len: dict[uuid.UUID, int] = {}
    tf: dict[tuple[uuid.UUID, str], int] = {}
    for t in terms:
        doc_len[t.id] = doc_len.get(t.id, 0) + t.tf
        tf[(t.id, t.lexeme)] = t.tf
    n = max(len(doc_len), 1)
    avgdl = max(sum(doc_len.values()) / n, 1)
    df = {lex: sum(1 for (_, word) in tf if word == lex) for lex in lexemes}
    bm25: dict[uuid.UUID, float] = {}
    for (memory_id, lex), f in tf.items():
        if lex in lexemes:
            idf = math.log(1 + (n - df[lex] + 0.5) / (df[lex] + 0.5))
            norm = f + repo.BM25_K1 * (1 - repo.BM25_B + repo.BM25_B * doc_len[memory_id] / avgdl)
            bm25[memory_id] = bm25.get(memory_id, 0.0) + idf * f * (repo.BM25_K1 + 1) / norm
    sims = {r.id: 1 - r.distance for r in rows if r.distance is not None}
    lo, hi = min(sims.values()), max(sims.values())
    best = max(bm25.values(), default=0.0)
    names = set(
        (
            await s.execute(text("SELECT tsvector_to_array(to_tsvector('simple', :q))"), {"q": query})
        ).scalar_one()
    )
    now = datetime.now(UTC)

    def score(memory_id: uuid.UUID) -> float:
        r = by_row[memory_id]
        vector = 0.0 if memory_id not in sims else (sims[memory_id] - lo) / (hi - lo) if hi > lo else 1.0
        words = bm25.get(memory_id, 0.0) / best if best else 0.0
        named = r.speaker is not None and r.speaker.split(" ")[0].lower() in names
        age = max(0.0, (now - (r.valid_from or r.created_at)).total_seconds() / 86400)
        return (
            repo.W_RELEVANCE * (repo.W_VECTOR * vector + repo.W_WORDS * words + repo.W_SPEAKER * named)
            + repo.W_IMPORTANCE * r.importance
            + repo.W_RECENCY * 0.5 ** (age / repo.RECENCY_HALF_LIFE_DAYS)
        )

    ranked = sorted(by_row, key=lambda i: (-score(i), -sims.get(i, -9.0)))
    out: list[str] = []
    used = 0
    for memory_id in ranked:
        cost = service.estimate_tokens(by_row[memory_id].text)
        if budget is not None and used + cost > budget:
            continue
        used += cost
        out.append(by_row[memory_id].text)
        if len(out) >= k:
            break
    return out


@pytest.mark.parametrize(("k", "budget"), [(10, None), (5, 60), (3, 25)])
async def test_one_statement_ranks_like_recomputing_everything(
    engine: AsyncEngine,
    tenant: Tenant,
    fan_id: uuid.UUID,
    embedder: LocalMiniLMEmbedder,
    k: int,
    budget: int | None,
) -> None:
    await _ingest(engine, tenant, fan_id, embedder)
    p = tenant.principal()
    vectors = await embedder.embed(QUERIES)
    async with tenant_session(p, engine=engine) as s:
        for query, vector in zip(QUERIES, vectors, strict=True):
            got = await service.recall_for_fan(
                s, p, fan_id=fan_id, query=query, k=k, token_budget=budget, query_vector=vector, touch=False
            )
            expected = await _reference_ranking(s, fan_id, query, vector, k, budget)
            assert [m.text for m in got] == expected, query
            if budget is not None:
                assert sum(service.estimate_tokens(m.text) for m in got) <= budget


async def test_recall_is_one_round_trip(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    await _ingest(engine, tenant, fan_id, embedder)
    p = tenant.principal()
    (vector,) = await embedder.embed(["the dog"])
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    async with tenant_session(p, engine=engine) as s:
        await s.execute(text("SELECT 1"))  # the principal's settings are applied before we count
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            got = await service.recall_for_fan(s, p, fan_id=fan_id, query="the dog", query_vector=vector)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert got and "Biscuit" in got[0].text
    assert len(statements) == 1


async def _stats(s: AsyncSession, fan_id: uuid.UUID) -> tuple[int, int]:
    row = (
        await s.execute(
            text("SELECT doc_count, total_length FROM fan_memory_stats WHERE fan_id = :f"), {"f": fan_id}
        )
    ).one_or_none()
    return (int(row.doc_count), int(row.total_length)) if row else (0, 0)


async def _recount(s: AsyncSession, fan_id: uuid.UUID) -> tuple[int, int]:
    row = (
        await s.execute(
            text(
                "SELECT count(*) AS n, coalesce(sum(l), 0) AS total FROM ("
                " SELECT sum(coalesce(array_length(u.positions, 1), 1)) AS l"
                " FROM fan_memories m, unnest(m.search) u WHERE m.fan_id = :f AND m.invalid_at IS NULL"
                " GROUP BY m.id) d"
            ),
            {"f": fan_id},
        )
    ).one()
    return int(row.n), int(row.total)


async def test_stored_statistics_follow_every_change(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    p = tenant.principal()
    other = await make_fan(engine, tenant.creator_id, name="Ann")
    await _ingest(engine, tenant, fan_id, embedder)
    async with tenant_session(p, engine=engine) as s:
        assert await _stats(s, fan_id) == await _recount(s, fan_id)
        assert (await _stats(s, fan_id))[0] == len(TURNS) + 2
        # Supersede (invalid_at set): "Lives in Austin" replaced by "Lives in Dallas".
        for city in ("Austin", "Dallas"):
            await service.remember(
                s,
                p,
                creator_id=tenant.creator_id,
                fan_id=fan_id,
                text=f"Lives in {city}",
                kind=MemoryKind.personal_detail,
                embedder=embedder,
            )
        await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=other,
            text="Loves sushi",
            kind=MemoryKind.preference,
            embedder=embedder,
        )
        assert await _stats(s, fan_id) == await _recount(s, fan_id)
        assert await _stats(s, other) == await _recount(s, other) == (1, 2)
        memories = await service.list_memories(s, p, fan_id=fan_id)
        await service.delete_memory(s, p, memory_id=memories[0].id)
        # An edit of the text changes the document length.
        await s.execute(
            text("UPDATE fan_memories SET context_text = 'short', text = 'short' WHERE id = :id"),
            {"id": memories[1].id},
        )
        # Punctuation only: no words, so not a BM25 document.
        await s.execute(
            text("UPDATE fan_memories SET context_text = NULL, text = '?!' WHERE id = :id"),
            {"id": memories[2].id},
        )
        assert await _stats(s, fan_id) == await _recount(s, fan_id)
        assert await _stats(s, other) == (1, 2)
    async with tenant_session(p, engine=engine) as s:
        await privacy.erase_fan(s, p, fan_id=fan_id)
    async with tenant_session(p, engine=engine) as s:
        assert await _stats(s, fan_id) == (0, 0)
        assert await _stats(s, other) == (1, 2)


async def test_statistics_are_tenant_scoped(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    from tests.factories import make_tenant

    await _ingest(engine, tenant, fan_id, embedder)
    stranger = await make_tenant(engine)
    async with tenant_session(stranger.principal(), engine=engine) as s:
        assert (await s.execute(text("SELECT count(*) FROM fan_memory_stats"))).scalar() == 0
        with pytest.raises(NotFound):
            await service.recall_for_fan(
                s, stranger.principal(), fan_id=fan_id, query="dog", embedder=embedder
            )


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "the and of",
        "it's Tom's",
        "back\\slash 'quote' \"dq\"",
        "a | b & !c <-> (d",
        "😀🐶",
        "x" * 500,
    ],
)
async def test_any_query_text_recalls_without_error(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder, query: str
) -> None:
    await _ingest(engine, tenant, fan_id, embedder)
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        got = await service.recall_for_fan(s, p, fan_id=fan_id, query=query, k=5, embedder=embedder)
    # The vector arm always answers; odd text only changes what the word arm finds.
    assert len(got) == 5


async def test_a_fan_without_memories_recalls_nothing(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        assert await service.recall_for_fan(s, p, fan_id=fan_id, query="anything", embedder=embedder) == []


async def test_access_counts_are_written_in_one_batch_a_moment_later(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    await _ingest(engine, tenant, fan_id, embedder)
    log = AccessLog(flush_after=0.05)
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        ids = [m.id for m in await service.list_memories(s, p, fan_id=fan_id)][:3]
    log.record(engine, tenant.creator_id, ids)
    log.record(engine, tenant.creator_id, ids[:1])
    assert log.pending() == 3
    for _ in range(100):
        if log.pending() == 0 and not log._tasks:
            break
        await asyncio.sleep(0.02)
    async with tenant_session(p, engine=engine) as s:
        counts = {
            r.id: r.access_count for r in await service.list_memories(s, p, fan_id=fan_id) if r.id in ids
        }
    assert counts == {ids[0]: 2, ids[1]: 1, ids[2]: 1}


async def test_access_counts_never_rewrite_the_memory_rows(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    """The counts go to fan_memory_access: a memory row (≈ 1.8 KB with its vector) keeps its tuple,
    so counting inserts nothing into its HNSW, GIN or B-tree indexes (migration 0014)."""
    await _ingest(engine, tenant, fan_id, embedder)
    p = tenant.principal()
    locate = text("SELECT id, ctid::text, xmin::text FROM fan_memories WHERE fan_id = :f ORDER BY id")
    async with tenant_session(p, engine=engine) as s:
        before = (await s.execute(locate, {"f": fan_id})).all()
    log = AccessLog()
    log.record(engine, tenant.creator_id, [r[0] for r in before])
    assert await log.flush() == len(before)
    log.record(engine, tenant.creator_id, [before[0][0]])
    assert await log.flush() == 1  # the second time an update of the small row, not a new one
    async with tenant_session(p, engine=engine) as s:
        after = (await s.execute(locate, {"f": fan_id})).all()
        rows = await s.execute(
            text("SELECT memory_id, access_count FROM fan_memory_access WHERE memory_id = ANY(:ids)"),
            {"ids": [r[0] for r in before]},
        )
        counts = {memory_id: count for memory_id, count in rows}
    assert after == before
    assert counts == {r[0]: 2 if r[0] == before[0][0] else 1 for r in before}


async def test_access_counts_never_cross_tenants(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    from tests.factories import make_tenant

    await _ingest(engine, tenant, fan_id, embedder)
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        ids = [m.id for m in await service.list_memories(s, p, fan_id=fan_id)][:2]
    stranger = await make_tenant(engine)
    log = AccessLog()
    # Recorded under the wrong creator: the flush runs as that creator and RLS hides the rows.
    log.record(engine, stranger.creator_id, ids)
    assert await log.flush() == 0


async def test_a_question_naming_a_speaker_leans_to_their_turns(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder
) -> None:
    p = tenant.principal()
    turns = [
        TranscriptTurn(speaker="Ava", text="I love hiking in the mountains", ref="D1:1"),
        TranscriptTurn(speaker="Tom", text="I love hiking in the mountains too", ref="D1:2"),
    ]
    async with tenant_session(p, engine=engine) as s:
        await service.ingest_transcript(
            s, p, creator_id=tenant.creator_id, fan_id=fan_id, turns=turns, embedder=embedder
        )
        for name in ("Tom", "Ava"):
            got = await service.recall_for_fan(
                s, p, fan_id=fan_id, query=f"What does {name} love doing?", k=1, embedder=embedder
            )
            assert got[0].text.startswith(f"{name}:"), name


def test_a_turns_search_words_carry_its_reply_and_its_dates() -> None:
    sent = datetime(2023, 7, 3, 13, 36, tzinfo=UTC)
    turns = [
        TranscriptTurn(speaker="Mel", text="We went camping last month!", sent_at=sent, session_label="s1"),
        TranscriptTurn(speaker="Caro", text="Where did you go?", sent_at=sent, session_label="s1"),
        TranscriptTurn(speaker="Mel", text="The beach", sent_at=sent, session_label="s2"),
    ]
    context = service.contextualise_turn(turns, 0)
    words = service.search_document_for_turn(turns, 0, context)
    assert words.startswith(context)
    assert "(answered by Caro: Where did you go?)" in words
    assert "(last month = June 2023)" in words
    # No reply across sessions.
    assert "answered by" not in service.search_document_for_turn(turns, 1, "")


def test_a_turns_own_words_outweigh_what_it_borrows_from_its_neighbours() -> None:
    turns = [
        TranscriptTurn(speaker="Ava", text="Do you still go bouldering?", session_label="s1"),
        TranscriptTurn(speaker="Tom", text="Every Tuesday after work", session_label="s1"),
    ]
    words = service.search_document_for_turn(turns, 1, service.contextualise_turn(turns, 1))
    assert words.count("Every Tuesday after work") == service.OWN_WORDS_WEIGHT > 1
    assert words.count("bouldering") == 1


def test_a_turns_search_words_reach_two_turns_either_side_within_its_session() -> None:
    said = ["one", "two", "three", "four", "five", "six"]
    sessions = ["s0", "s1", "s1", "s1", "s1", "s1"]
    turns = [
        TranscriptTurn(speaker="Ava" if n % 2 else "Tom", text=f"word{text}", session_label=session)
        for n, (text, session) in enumerate(zip(said, sessions, strict=True))
    ]
    # Turn 3 ("wordfour"): its context has the turn it answers (2); the words add 1 before it and
    # 4, 5 after it; nothing from the other session, nothing further away.
    words = service.search_document_for_turn(turns, 3, service.contextualise_turn(turns, 3))
    assert all(w in words for w in ("wordtwo", "wordthree", "wordfive", "wordsix"))
    assert words.count("wordtwo") == 1 and words.count("wordthree") == 1
    assert "wordone" not in words
    # Turn 2: turn 0 is two back but in another session.
    assert "wordone" not in service.search_document_for_turn(turns, 2, service.contextualise_turn(turns, 2))
    # A wider embedded context is not borrowed twice.
    wide = service.contextualise_turn(turns, 3, window=2)
    assert service.search_document_for_turn(turns, 3, wide, context_window=2).count("wordtwo") == 1


async def test_a_vanished_database_loses_its_batch_not_the_others(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder, caplog: Any
) -> None:
    from core.db import make_engine

    await _ingest(engine, tenant, fan_id, embedder)
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        ids = [m.id for m in await service.list_memories(s, p, fan_id=fan_id)][:2]
    gone = make_engine(
        engine.url.set(database="fanpilot_no_such_database").render_as_string(hide_password=False)
    )
    log = AccessLog()
    log.record(gone, tenant.creator_id, ids)
    log.record(engine, tenant.creator_id, ids)
    try:
        assert await log.flush() == 2
    finally:
        await gone.dispose()
    assert "not written" in caplog.text
    assert log.pending() == 0
