"""Access statistics of recalled memories, written in batches off the recall path.

Recall used to end with an UPDATE of every returned row (row locks, WAL, a dead tuple each) inside
the caller's transaction. Counts are advisory (nothing decides on them in the request), so recall
only notes the ids here; one UPDATE per batch writes them in its own short transaction, a moment
later or when enough have piled up. A crash loses at most one batch of counts, never a memory.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import Principal

log = logging.getLogger(__name__)

FLUSH_AFTER_SECONDS = 2.0
FLUSH_AT_PENDING = 2000


@dataclass
class _Pending:
    creator_id: uuid.UUID
    count: int = 0
    last_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class AccessLog:
    """Pending access counts per engine; `flush()` writes them (tests and shutdown call it)."""

    def __init__(self, *, flush_after: float = FLUSH_AFTER_SECONDS, flush_at: int = FLUSH_AT_PENDING) -> None:
        self.flush_after = flush_after
        self.flush_at = flush_at
        self._pending: dict[AsyncEngine, dict[uuid.UUID, _Pending]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[int]] = set()

    def record(self, engine: AsyncEngine, creator_id: uuid.UUID, memory_ids: Iterable[uuid.UUID]) -> None:
        """Note that these memories were recalled now; written by the next flush."""
        now = datetime.now(UTC)
        pending = self._pending.setdefault(engine, {})
        for memory_id in memory_ids:
            entry = pending.setdefault(memory_id, _Pending(creator_id))
            entry.count += 1
            entry.last_at = now
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a sync caller): the next flush() writes them
            return
        if sum(len(p) for p in self._pending.values()) >= self.flush_at:
            self._spawn(loop)
        elif self._timer is None:
            self._timer = loop.call_later(self.flush_after, self._spawn, loop)

    def pending(self) -> int:
        return sum(len(p) for p in self._pending.values())

    def _spawn(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        task = loop.create_task(self.flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def flush(self) -> int:
        """Write every pending count (one UPDATE per engine); returns the rows touched. A database
        that is gone or failing loses its batch with a warning: the counts are advisory, and whoever
        recalled must never see the error."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        touched = 0
        batches, self._pending = self._pending, {}
        for engine, pending in batches.items():
            if not pending:
                continue
            try:
                touched += await self._write(engine, pending)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("memory access counts not written (%d memories): %s", len(pending), exc)
        return touched

    @staticmethod
    async def _write(engine: AsyncEngine, pending: dict[uuid.UUID, _Pending]) -> int:
        ids = list(pending)
        principal = Principal.for_creators(*{p.creator_id for p in pending.values()})
        async with tenant_session(principal, engine=engine) as session:
            result = await session.execute(
                # Into the narrow side table (migration 0014), never an UPDATE of fan_memories: a
                # memory row does not fit twice on its page, so each such update was a new heap
                # tuple and an HNSW, GIN and B-tree insert. The join skips memories deleted since.
                text(
                    "INSERT INTO fan_memory_access AS t (memory_id, creator_id, access_count, last_accessed_at)"
                    " SELECT m.id, m.creator_id, a.n, a.at"
                    " FROM unnest(CAST(:ids AS uuid[]), CAST(:counts AS integer[]),"
                    " CAST(:ats AS timestamptz[])) AS a(id, n, at)"
                    " JOIN fan_memories m ON m.id = a.id"
                    " ORDER BY m.id"
                    " ON CONFLICT (memory_id) DO UPDATE"
                    " SET access_count = t.access_count + excluded.access_count,"
                    " last_accessed_at = greatest(t.last_accessed_at, excluded.last_accessed_at)"
                ),
                {
                    "ids": ids,
                    "counts": [pending[i].count for i in ids],
                    "ats": [pending[i].last_at for i in ids],
                },
            )
            return int(getattr(result, "rowcount", 0) or 0)


ACCESS_LOG = AccessLog()
