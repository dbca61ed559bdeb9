"""The pgvector and full-text SQL of fan memories.

Per-fan queries are exact: a MATERIALIZED CTE over the fan's active rows (the partial index
`ix_fan_memories_fan_active`) keeps the planner off the HNSW index, whose post-filtering would starve
a one-fan result. Cross-fan search uses HNSW with pgvector 0.8 iterative scans.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import MemoryKind

BM25_K1 = 1.2
BM25_B = 0.75


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
            WITH fan_rows AS MATERIALIZED (
              SELECT {_ROW_COLUMNS}, 1 - (embedding <=> CAST(:q AS vector)) AS similarity
                FROM fan_memories
               WHERE creator_id = :creator_id AND fan_id = :fan_id AND invalid_at IS NULL
                 AND embedding IS NOT NULL
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


async def bm25_for_fan(
    session: AsyncSession,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    query: str,
    limit: int,
) -> list[tuple[uuid.UUID, float]]:
    """Okapi BM25 over the fan's active memories, computed from the stored tsvectors.

    Postgres' ts_rank has no inverse document frequency; within one fan's few hundred rows the
    exact BM25 costs a single scan and ranks rare words (names, places) the way people expect.
    """
    result = await session.execute(
        text(
            f"""
            WITH docs AS MATERIALIZED (
              SELECT id, search, valid_from, coalesce(context_text, text) AS body FROM fan_memories
               WHERE creator_id = :creator_id AND fan_id = :fan_id AND invalid_at IS NULL
            ),
            terms AS MATERIALIZED (
              SELECT d.id, u.lexeme, coalesce(array_length(u.positions, 1), 1) AS tf
                FROM docs d, unnest(d.search) u
            ),
            doclen AS (SELECT id, sum(tf)::float AS dl FROM terms GROUP BY id),
            corpus AS (SELECT greatest(count(*), 1)::float AS n, greatest(avg(dl), 1) AS avgdl FROM doclen),
            q AS (SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('english', :query))) AS lexeme),
            df AS (SELECT t.lexeme, count(*)::float AS df FROM terms t JOIN q USING (lexeme) GROUP BY t.lexeme)
            SELECT t.id,
                   sum(ln(1 + (c.n - df.df + 0.5) / (df.df + 0.5))
                       * t.tf * {BM25_K1 + 1} / (t.tf + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * l.dl / c.avgdl)))
                     AS score
              FROM terms t JOIN df USING (lexeme) JOIN doclen l USING (id) JOIN docs d USING (id)
                   CROSS JOIN corpus c
             GROUP BY t.id, d.valid_from, d.body
             ORDER BY score DESC, d.valid_from, d.body
             LIMIT :limit
            """
        ),
        {"creator_id": creator_id, "fan_id": fan_id, "query": query, "limit": limit},
    )
    return [(r.id, float(r.score)) for r in result]


async def load_rows(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, MemoryRow]:
    if not ids:
        return {}
    result = await session.execute(
        text(f"SELECT {_ROW_COLUMNS} FROM fan_memories WHERE id = ANY(:ids)"), {"ids": list(ids)}
    )
    return {r.id: _row(r) for r in result}


async def touch_accessed(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        await session.execute(
            text(
                "UPDATE fan_memories SET access_count = access_count + 1, last_accessed_at = now()"
                " WHERE id = ANY(:ids)"
            ),
            {"ids": list(ids)},
        )


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
            """
            WITH relaxed AS MATERIALIZED (
              SELECT id, fan_id, embedding <=> CAST(:q AS vector) AS distance
                FROM fan_memories
               WHERE creator_id = :creator_id AND invalid_at IS NULL
               ORDER BY embedding <=> CAST(:q AS vector)
               LIMIT :limit
            )
            SELECT id, fan_id, 1 - distance AS similarity FROM relaxed ORDER BY distance
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
