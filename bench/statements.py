"""Count what a code path sends to Postgres: statements and round trips, a figure no machine load moves.

Both database clients of the product are psycopg 3 (SQLAlchemy's `postgresql+psycopg` dialect and
the LangGraph checkpointer), so counting at psycopg's cursor and connection covers every statement:

- a *statement* is one SQL command sent: each `execute`, each parameter set of an `executemany`, and
  the `BEGIN` / `COMMIT` / `ROLLBACK` psycopg sends itself;
- a *round trip* is one wait for the server: a statement outside pipeline mode, or one Sync a
  pipeline sends (everything queued before it goes out together).

`counting()` patches the psycopg classes for the duration of the block (benchmarks and profiling
only, never the product).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import AsyncCursor
from psycopg._pipeline_base import BasePipeline


@dataclass
class StatementCount:
    statements: int = 0
    round_trips: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    trace: list[str] | None = None  # every statement's first words, in order (when asked for)

    def as_dict(self, per: int = 1) -> dict[str, Any]:
        per = max(per, 1)
        return {
            "statements": round(self.statements / per, 2),
            "round_trips": round(self.round_trips / per, 2),
            "by_kind": {k: round(v / per, 2) for k, v in self.by_kind.most_common()},
        }


def _text(query: Any) -> str:
    sql = query.as_string() if hasattr(query, "as_string") else query
    if isinstance(sql, bytes):
        sql = sql.decode(errors="replace")
    return " ".join(str(sql).split())


def _kind(query: Any) -> str:
    sql = _text(query)
    words = str(sql).split()
    head = words[0].upper() if words else "(empty)"
    if head == "WITH":
        upper = str(sql).upper()
        head = next((w for w in ("INSERT", "UPDATE", "DELETE") if f"{w} " in upper), "SELECT")
        head = f"WITH…{head}"
    lowered = str(sql).lower()
    if "checkpoint" in lowered:
        return f"checkpointer {head}"
    if "set_config('fanpilot." in lowered:
        return "tenant settings"
    return head


def _in_pipeline(conn: Any) -> bool:
    return getattr(conn, "_pipeline", None) is not None


@contextmanager
def counting(*, trace: bool = False) -> Iterator[StatementCount]:
    """Count every statement and round trip psycopg sends inside the block (all connections)."""
    count = StatementCount(trace=[] if trace else None)
    cursor_execute = AsyncCursor.execute
    cursor_executemany = AsyncCursor.executemany
    exec_command = psycopg.BaseConnection._exec_command
    enqueue_sync_original = BasePipeline._enqueue_sync

    def note(query: Any, conn: Any, n: int = 1) -> None:
        kind = _kind(query)
        if count.trace is not None:
            pipelined = " (pipelined)" if _in_pipeline(conn) else ""
            count.trace.append(f"{n}x{pipelined} {_text(query)[:160]}")
        count.statements += n
        count.by_kind[kind] += n
        if not _in_pipeline(conn):
            count.round_trips += n

    async def execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        note(query, self._conn)
        return await cursor_execute(self, query, params, **kwargs)

    async def executemany(self: Any, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        params_seq = list(params_seq)
        note(query, self._conn, len(params_seq))
        return await cursor_executemany(self, query, params_seq, **kwargs)

    def command(self: Any, command: Any, result_format: Any = None) -> Any:
        note(command, self)
        if result_format is None:
            return exec_command(self, command)
        return exec_command(self, command, result_format)

    def enqueue_sync(self: Any) -> None:
        # Every Sync a pipeline sends (an explicit sync, a commit, leaving the pipeline) is one wait.
        count.round_trips += 1
        count.by_kind["(pipeline sync)"] += 1
        enqueue_sync_original(self)

    patches: list[tuple[Any, str, Any]] = [
        (AsyncCursor, "execute", execute),
        (AsyncCursor, "executemany", executemany),
        (psycopg.BaseConnection, "_exec_command", command),
        (BasePipeline, "_enqueue_sync", enqueue_sync),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
    try:
        yield count
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
