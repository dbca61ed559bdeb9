"""The pgvector and full-text SQL of fan memories.

Per-fan queries are exact: a MATERIALIZED CTE over the fan's active rows (the partial index
`ix_fan_memories_fan_active`) keeps the planner off the HNSW index, whose post-filtering would starve
a one-fan result. Cross-fan search uses HNSW with pgvector 0.8 iterative scans.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.db import fetch_in_one_round_trip
from core.tenancy import Principal
from crm.enums import MemoryKind
from memory.models import EMBEDDING_DIMENSIONS

BM25_K1 = 1.2
BM25_B = 0.75
RRF_K = 60
RECENCY_HALF_LIFE_DAYS = 180.0
# Final score = relevance dominates; importance and recency break near-ties.
W_RELEVANCE, W_IMPORTANCE, W_RECENCY = 0.8, 0.1, 0.1
# Relevance: the even mix of the scaled vector and BM25 scores, plus a lean to a named speaker's turns.
W_VECTOR, W_WORDS, W_SPEAKER = 0.5, 0.5, 0.4


def vector_literal(embedding: Sequence[float]) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in embedding) + "]"


@dataclass(frozen=True)
class MemoryRow:
    id: uuid.UUID
    fan_id: uuid.UUID
    kind: MemoryKind
    text: str
    importance: float
    confidence: float
    valid_from: datetime | None
    created_at: datetime
    details: dict[str, object]
    similarity: float = 0.0


_ROW_COLUMNS = "id, fan_id, kind, text, importance, confidence, valid_from, created_at, details"


def _row(r: object, similarity: float = 0.0) -> MemoryRow:
    m = r._mapping  # type: ignore[attr-defined]
    return MemoryRow(
        id=m["id"],
        fan_id=m["fan_id"],
        kind=MemoryKind(m["kind"]),
        text=m["text"],
        importance=float(m["importance"]),
        confidence=float(m["confidence"]),
        valid_from=m["valid_from"],
        created_at=m["created_at"],
        details=dict(m["details"] or {}),
        similarity=similarity,
    )


async def nearest_for_fan(
    session: AsyncSession,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    embedding: Sequence[float],
    limit: int,
) -> list[MemoryRow]:
    """The fan's active memories by exact cosine similarity, best first."""
    result = await session.execute(
        text(
            f"""
            WITH q AS MATERIALIZED (SELECT CAST(:q AS vector) AS embedding),
            fan_rows AS MATERIALIZED (
              SELECT {_ROW_COLUMNS}, 1 - (m.embedding <=> q.embedding) AS similarity
                FROM fan_memories m, q
               WHERE m.creator_id = :creator_id AND m.fan_id = :fan_id AND m.invalid_at IS NULL
                 AND m.embedding IS NOT NULL
            )
            SELECT * FROM fan_rows ORDER BY similarity DESC, valid_from, created_at, text LIMIT :limit
            """
        ),
        {"q": vector_literal(embedding), "creator_id": creator_id, "fan_id": fan_id, "limit": limit},
    )
    return [_row(r, float(r.similarity)) for r in result]


async def rows_with_slot(
    session: AsyncSession, *, creator_id: uuid.UUID, fan_id: uuid.UUID, slot: str
) -> list[MemoryRow]:
    result = await session.execute(
        text(
            f"SELECT {_ROW_COLUMNS} FROM fan_memories"
            " WHERE creator_id = :creator_id AND fan_id = :fan_id AND invalid_at IS NULL"
            " AND details->>'slot' = :slot ORDER BY created_at DESC"
        ),
        {"creator_id": creator_id, "fan_id": fan_id, "slot": slot},
    )
    return [_row(r) for r in result]


# The query's distinct lexemes, the OR of them as a tsquery (quoted, so any lexeme parses), and its
# embedding, parsed once: under a generic plan (a prepared statement after its fifth run) a
# `CAST(:embedding AS vector)` among the row expressions parses the 384-number literal again for
# every row, which made the statement several times slower (docs/memory.md).
_QUERY_TERMS = r"""
  q AS MATERIALIZED (
    SELECT lexemes, words, embedding,
           nullif(array_to_string(array(
             SELECT '''' || replace(replace(l, '\', '\\'), '''', '''''') || ''''
               FROM unnest(lexemes) l), ' | '), '')::tsquery AS any_word
      FROM (SELECT coalesce(tsvector_to_array(to_tsvector('english', :query)), '{}') AS lexemes,
                   coalesce(tsvector_to_array(to_tsvector('simple', :query)), '{}') AS words,
                   CAST(:embedding AS vector) AS embedding) t
  )"""


def _recall_sql(*, budgeted: bool) -> str:
    """One statement: the fan (RLS decides whether it exists), both arms, their fusion, importance
    and recency, and the token budget.

    Both arms score every active row of the fan in one pass (the exact vector scan reads them all
    anyway; a MATERIALIZED CTE keeps the planner off HNSW, whose post-filtering would starve a
    one-fan query): cosine similarity, min-max scaled over the fan's rows, and Okapi BM25 of the
    rows that contain a query word (from the stored document lengths and per-fan statistics),
    scaled by the best. Relevance is their even mix, plus a lean to the turns of a speaker the
    query names. docs/memory.md has the measurements behind each choice."""
    budget = (
        # Greedy, like packing a bag: take each memory in score order if it still fits.
        """
  walk (pos, used, taken, keep) AS (
    SELECT 0::bigint, 0::bigint, 0::bigint, false
    UNION ALL
    SELECT r.pos,
           w.used + CASE WHEN w.used + r.cost <= :budget THEN r.cost ELSE 0 END,
           w.taken + CASE WHEN w.used + r.cost <= :budget THEN 1 ELSE 0 END,
           w.used + r.cost <= :budget
      FROM walk w JOIN ranked r ON r.pos = w.pos + 1
     WHERE w.taken < :k
  ),
  chosen AS (SELECT r.* FROM ranked r JOIN walk w ON w.pos = r.pos AND w.keep)"""
        if budgeted
        else """
  chosen AS (SELECT * FROM ranked WHERE pos <= :k)"""
    )
    return f"""
WITH RECURSIVE
  fan AS MATERIALIZED (SELECT id, creator_id FROM fan_profiles WHERE id = :fan_id),
  {_QUERY_TERMS.strip()},
  fan_rows AS MATERIALIZED (
    SELECT m.id, m.kind, m.text, m.importance, m.valid_from, m.created_at, m.doc_length,
           1 - (m.embedding <=> q.embedding) AS similarity,
           CASE WHEN m.search @@ q.any_word THEN m.search END AS matched,
           coalesce(lower(split_part(m.details->>'speaker', ' ', 1)) = ANY (q.words), false) AS named
      FROM fan_memories m, fan, q
     WHERE m.creator_id = fan.creator_id AND m.fan_id = fan.id AND m.invalid_at IS NULL
  ),
  terms AS MATERIALIZED (
    SELECT r.id, u.lexeme, coalesce(array_length(u.positions, 1), 1) AS tf
      FROM fan_rows r, unnest(r.matched) u, q
     WHERE r.matched IS NOT NULL AND u.lexeme = ANY (q.lexemes)
  ),
  df AS (SELECT lexeme, count(*)::float8 AS df FROM terms GROUP BY lexeme),
  corpus AS MATERIALIZED (
    SELECT greatest(s.doc_count, 1)::float8 AS n,
           greatest(s.total_length::float8 / greatest(s.doc_count, 1), 1) AS avgdl
      FROM fan_memory_stats s, fan WHERE s.fan_id = fan.id
  ),
  bm25 AS (
    SELECT t.id,
           sum(ln(1 + (k.n - df.df + 0.5) / (df.df + 0.5))
               * t.tf * {BM25_K1 + 1} / (t.tf + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * r.doc_length / k.avgdl)))
             AS score
      FROM terms t JOIN df USING (lexeme) JOIN fan_rows r ON r.id = t.id CROSS JOIN corpus k
     GROUP BY t.id
  ),
  scale AS (
    SELECT (SELECT min(similarity) FROM fan_rows) AS lo, (SELECT max(similarity) FROM fan_rows) AS hi,
           (SELECT max(score) FROM bm25) AS best
  ),
  scored AS (
    SELECT r.id, r.kind, r.text, r.importance, r.valid_from, r.created_at, r.similarity,
           {W_RELEVANCE} * (
             {W_VECTOR} * CASE WHEN r.similarity IS NULL THEN 0
                               WHEN x.hi > x.lo THEN (r.similarity - x.lo) / (x.hi - x.lo) ELSE 1 END
             + {W_WORDS} * coalesce(b.score / nullif(x.best, 0), 0)
             + {W_SPEAKER} * r.named::int
           )
           + {W_IMPORTANCE} * r.importance
           + {W_RECENCY} * power(0.5::float8,
               greatest(0, extract(epoch FROM now() - coalesce(r.valid_from, r.created_at)))::float8
               / 86400 / {RECENCY_HALF_LIFE_DAYS}) AS score,
           (length(r.text) + 3) / 4 AS cost
      FROM fan_rows r LEFT JOIN bm25 b ON b.id = r.id CROSS JOIN scale x
  ),
  ranked AS (
    SELECT *, row_number() OVER (
      ORDER BY score DESC, similarity DESC NULLS LAST, valid_from, created_at, text
    ) AS pos
      FROM scored
  ),{budget}
SELECT fan.creator_id AS fan_creator_id, c.id, c.kind, c.text, c.importance, c.valid_from, c.score
  FROM fan LEFT JOIN chosen c ON true
 ORDER BY c.pos
"""


@dataclass(frozen=True)
class RecallHit:
    id: uuid.UUID
    kind: MemoryKind
    text: str
    importance: float
    valid_from: datetime | None
    score: float


_RECALL_SQL = {budgeted: _recall_sql(budgeted=budgeted) for budgeted in (False, True)}
# The same statements with psycopg's `%(name)s` parameters, for the one-round-trip path.
_RECALL_SQL_PSYCOPG = {
    budgeted: re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", statement) for budgeted, statement in _RECALL_SQL.items()
}


def _recall_params(
    fan_id: uuid.UUID, embedding: Sequence[float], query: str, k: int, token_budget: int | None
) -> dict[str, object]:
    params: dict[str, object] = {
        "fan_id": fan_id,
        "embedding": vector_literal(embedding),
        "query": query,
        "k": k,
    }
    if token_budget is not None:
        params["budget"] = token_budget
    return params


def _recall_result(rows: Sequence[Sequence[Any]]) -> tuple[uuid.UUID, list[RecallHit]] | None:
    """Rows of (fan creator id, id, kind, text, importance, valid_from, score): one row with a NULL
    id when the fan has no memories, none when the principal cannot see the fan."""
    if not rows:
        return None
    hits = [
        RecallHit(
            id=r[1],
            kind=MemoryKind(r[2]),
            text=str(r[3]),
            importance=float(r[4]),
            valid_from=r[5],
            score=float(r[6]),
        )
        for r in rows
        if r[1] is not None
    ]
    return rows[0][0], hits


async def recall_for_fan(
    session: AsyncSession,
    *,
    fan_id: uuid.UUID,
    embedding: Sequence[float],
    query: str,
    k: int,
    token_budget: int | None,
) -> tuple[uuid.UUID, list[RecallHit]] | None:
    """The fan's best memories for a query in one statement: (creator id, hits), or None when the
    principal cannot see the fan."""
    params = _recall_params(fan_id, embedding, query, k, token_budget)
    rows = (await session.execute(text(_RECALL_SQL[token_budget is not None]), params)).all()
    return _recall_result(rows)


async def recall_for_fan_in_one_round_trip(
    principal: Principal,
    *,
    engine: AsyncEngine | None,
    fan_id: uuid.UUID,
    embedding: Sequence[float],
    query: str,
    k: int,
    token_budget: int | None,
) -> tuple[uuid.UUID, list[RecallHit]] | None:
    """`recall_for_fan` in a transaction of its own: BEGIN, the tenant settings, the statement and
    COMMIT leave as one pipeline, and the server answers once (`core.db.fetch_in_one_round_trip`)."""
    params = _recall_params(fan_id, embedding, query, k, token_budget)
    rows = await fetch_in_one_round_trip(
        principal, _RECALL_SQL_PSYCOPG[token_budget is not None], params, engine=engine
    )
    return _recall_result(rows)


async def load_rows(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, MemoryRow]:
    if not ids:
        return {}
    result = await session.execute(
        text(f"SELECT {_ROW_COLUMNS} FROM fan_memories WHERE id = ANY(:ids)"), {"ids": list(ids)}
    )
    return {r.id: _row(r) for r in result}


async def vector_search_creator(
    session: AsyncSession,
    *,
    creator_id: uuid.UUID,
    embedding: Sequence[float],
    limit: int,
    ef_search: int = 100,
) -> list[tuple[uuid.UUID, uuid.UUID, float]]:
    """(memory id, fan id, similarity) across a creator's fans via HNSW with iterative scans."""
    await session.execute(
        text(
            "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),"
            " set_config('hnsw.ef_search', :ef, true)"
        ),
        {"ef": str(max(ef_search, limit))},
    )
    result = await session.execute(
        text(
            f"""
            WITH q AS MATERIALIZED (SELECT CAST(:q AS vector) AS embedding),
            relaxed AS MATERIALIZED (
              SELECT id, fan_id, embedding
                FROM fan_memories
               WHERE creator_id = :creator_id AND invalid_at IS NULL
               ORDER BY embedding::halfvec({EMBEDDING_DIMENSIONS}) <=> CAST(:q AS halfvec({EMBEDDING_DIMENSIONS}))
               LIMIT :limit
            )
            -- The index ranks half-precision copies; the result is re-ranked at full precision
            -- (the query vector parsed once, not per row as a generic plan would).
            SELECT r.id, r.fan_id, 1 - (r.embedding <=> q.embedding) AS similarity
              FROM relaxed r, q
             ORDER BY r.embedding <=> q.embedding
            """
        ),
        {"q": vector_literal(embedding), "creator_id": creator_id, "limit": limit},
    )
    return [(r.id, r.fan_id, float(r.similarity)) for r in result]


async def fulltext_search_creator(
    session: AsyncSession, *, creator_id: uuid.UUID, query: str, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID, float]]:
    """Full-text matches across a creator's fans: rows matching the whole web-style query first,
    then rows matching any of its words, each by ts_rank_cd (GIN index on `search`)."""
    result = await session.execute(
        text(
            """
            WITH q AS (
              SELECT websearch_to_tsquery('english', :query) AS strict,
                     nullif(replace(plainto_tsquery('english', :query)::text, ' & ', ' | '), '')::tsquery
                       AS loose
            )
            SELECT m.id, m.fan_id, ts_rank_cd(m.search, q.loose) AS rank, m.search @@ q.strict AS all_words
              FROM fan_memories m, q
             WHERE m.creator_id = :creator_id AND m.invalid_at IS NULL AND q.loose IS NOT NULL
               AND m.search @@ q.loose
             ORDER BY all_words DESC, rank DESC
             LIMIT :limit
            """
        ),
        {"creator_id": creator_id, "query": query, "limit": limit},
    )
    return [(r.id, r.fan_id, float(r.rank) + (1.0 if r.all_words else 0.0)) for r in result]


async def fan_names(session: AsyncSession, fan_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    if not fan_ids:
        return {}
    result = await session.execute(
        text("SELECT id, display_name FROM fan_profiles WHERE id = ANY(:ids)"), {"ids": list(fan_ids)}
    )
    return {r.id: r.display_name for r in result}
