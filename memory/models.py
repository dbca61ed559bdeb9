"""fan_memories: what the agent remembers about a fan, with history (supersede, never delete)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects.postgresql import TSVECTOR, UUID
from sqlalchemy.orm import Mapped, mapped_column

from crm.base import JSONB, Base, CreatorOwned, IdPk, Timestamps, fan_fk, str_enum
from crm.enums import MemoryKind

EMBEDDING_DIMENSIONS = 384


class FanMemory(IdPk, Timestamps, CreatorOwned, Base):
    __tablename__ = "fan_memories"
    __table_args__ = (
        # Per-fan recall is an exact scan of this fan's active rows.
        sa.Index(
            "ix_fan_memories_fan_active",
            "creator_id",
            "fan_id",
            postgresql_where=sa.text("invalid_at IS NULL"),
        ),
        # Cross-fan search: HNSW over half-precision copies (half the index, a faster build); the
        # column keeps full precision for the exact per-fan scan.
        sa.Index(
            "ix_fan_memories_embedding_hnsw",
            sa.text(f"(embedding::halfvec({EMBEDDING_DIMENSIONS})) halfvec_cosine_ops"),
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
        ),
        sa.Index("ix_fan_memories_search", "search", postgresql_using="gin"),
    )

    fan_id: Mapped[uuid.UUID] = fan_fk(index=False)
    kind: Mapped[MemoryKind] = mapped_column(str_enum(MemoryKind))
    text: Mapped[str] = mapped_column(sa.Text)
    # Text that is embedded: the fact plus context (speaker, date, the turn it answers).
    context_text: Mapped[str | None] = mapped_column(sa.Text)
    # Words it is found by when they differ from context_text (imported turns add the reply and
    # their relative times as dates).
    search_text: Mapped[str | None] = mapped_column(sa.Text)
    importance: Mapped[float] = mapped_column(sa.Float, server_default="0.5")
    confidence: Mapped[float] = mapped_column(sa.Float, server_default="0.8")
    source_message_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    valid_from: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    invalid_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    superseded_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("fan_memories.id", ondelete="SET NULL")
    )
    embedding: Mapped[list[float] | None] = mapped_column(Vector(EMBEDDING_DIMENSIONS))
    embedding_model: Mapped[str | None] = mapped_column(sa.String(120))
    search: Mapped[Any] = mapped_column(
        TSVECTOR,
        sa.Computed("to_tsvector('english', coalesce(search_text, context_text, text))", persisted=True),
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # BM25's |d|: word positions in `search` (migration 0007 defines the expression).
    doc_length: Mapped[int] = mapped_column(
        sa.Integer,
        sa.Computed(
            "fanpilot_tsvector_length(to_tsvector('english', coalesce(search_text, context_text, text)))",
            persisted=True,
        ),
    )


class FanMemoryStats(Base):
    """Per fan: BM25's corpus statistics over the active memories that have words (N, total |d|),
    kept by triggers on fan_memories (migration 0007); recall reads them instead of recounting."""

    __tablename__ = "fan_memory_stats"

    fan_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("fan_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    creator_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("creator_profiles.id", ondelete="CASCADE"), index=True
    )
    doc_count: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    total_length: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class FanMemoryAccess(Base):
    """How often recall returned a memory and when last (advisory; `memory.access` writes them in
    batches). Apart from `fan_memories` so that counting never rewrites a 1.8 KB memory row and its
    HNSW/GIN entries (migration 0014)."""

    __tablename__ = "fan_memory_access"

    memory_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("fan_memories.id", ondelete="CASCADE"), primary_key=True
    )
    creator_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("creator_profiles.id", ondelete="CASCADE"), index=True
    )
    access_count: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    last_accessed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
