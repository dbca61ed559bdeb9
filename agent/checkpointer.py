"""The Postgres checkpointer on the app role's connections.

The checkpoint tables come from migration 0002 (the app role cannot run DDL), so `setup()` is never
called here. psycopg settings follow langgraph-checkpoint-postgres: autocommit, no prepared
statements (pgbouncer-safe), dict rows. Connections come from one small pool per event loop and
engine URL: opening a connection (TLS/SCRAM handshake) costs more than a whole checkpoint read.
A pooled connection is pinged before use only after it sat idle (`core.db.PING_AFTER_IDLE_SECONDS`)
or when the server wrote to it while idle (it does when it ends the session): psycopg_pool's stock
check costs a round trip per checkout, and a run checks out a connection for every checkpoint read
and write.
"""

from __future__ import annotations

import asyncio
import select
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.ext.asyncio import AsyncEngine

from core import db as core_db
from core.db import plain_url

POOL_SIZE = 4
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncConnectionPool[Any]]] = (
    weakref.WeakKeyDictionary()
)


# When each pooled connection was opened or last given back.
_used_at: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], float] = weakref.WeakKeyDictionary()


async def _stamp(conn: psycopg.AsyncConnection[Any]) -> None:
    _used_at[conn] = time.monotonic()


def _server_spoke(conn: psycopg.AsyncConnection[Any]) -> bool:
    """Whether an idle connection has something to read: a server that ends a session (a restart,
    an administrator's terminate) says so and closes the socket. One syscall, no round trip."""
    try:
        readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    except (OSError, ValueError, psycopg.OperationalError):
        return True
    return bool(readable)


async def _check_if_idle(conn: psycopg.AsyncConnection[Any]) -> None:
    """Ping a connection that sat idle or that the server wrote to while idle; one used moments ago
    is as good as a ping's answer. A broken one raises, so the pool drops it and hands out another
    (the pool also drops any connection returned broken)."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the pooled connection is closed")
    last = _used_at.get(conn)
    recent = last is not None and time.monotonic() - last < core_db.PING_AFTER_IDLE_SECONDS
    if recent and not _server_spoke(conn):
        return
    await AsyncConnectionPool.check_connection(conn)


def libpq_url(engine: AsyncEngine) -> str:
    return plain_url(engine.url.render_as_string(hide_password=False))


async def _pool(url: str) -> AsyncConnectionPool[Any]:
    by_url = _pools.setdefault(asyncio.get_running_loop(), {})
    pool = by_url.get(url)
    if pool is None:
        pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
            check=_check_if_idle,
            configure=_stamp,
            reset=_stamp,
            open=False,
        )
        by_url[url] = pool
        await pool.open()
    return pool


class _WriteAwareSaver(AsyncPostgresSaver):
    """A saver that forgets what it assumed about the threads (`_on_write`) as soon as it writes."""

    def _on_write(self) -> None:
        """Forget what this saver assumed about its threads (each subclass names its own assumption;
        a saver that assumes nothing has nothing to forget)."""

    async def aput(self, *args: Any, **kwargs: Any) -> RunnableConfig:
        self._on_write()
        return await super().aput(*args, **kwargs)

    async def aput_writes(self, *args: Any, **kwargs: Any) -> None:
        self._on_write()
        await super().aput_writes(*args, **kwargs)


class ReadOnceSaver(_WriteAwareSaver):
    """A checkpointer that reads a thread's latest checkpoint once for two consecutive readers.

    Continuing a run reads the latest checkpoint twice in a row: the caller's `aget_state` (which
    item does the run wait on?) and the graph's own load when it resumes. The second read of the
    same thread's latest checkpoint gets the first one's result (one round trip and one decode
    fewer); any write, or a read of something else, forgets it. The two reads are microseconds
    apart, and a resume racing another one was possible with two reads as well: the executor's row
    lock runs the item at most once either way."""

    _kept: tuple[tuple[str, str], CheckpointTuple | None] | None = None

    @staticmethod
    def _latest_of(config: RunnableConfig) -> tuple[str, str] | None:
        configurable = config.get("configurable") or {}
        if configurable.get("checkpoint_id"):
            return None
        return str(configurable.get("thread_id")), str(configurable.get("checkpoint_ns", ""))

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        key = self._latest_of(config)
        kept, self._kept = self._kept, None
        if key is not None and kept is not None and kept[0] == key:
            return kept[1]
        found = await super().aget_tuple(config)
        if key is not None:
            self._kept = (key, found)
        return found

    def _on_write(self) -> None:
        self._kept = None


class NewThreadSaver(_WriteAwareSaver):
    """A checkpointer for a run on a thread its caller created a moment ago (`reply:<new run id>`):
    the graph's opening read of that thread's latest checkpoint answers "none" without a round trip.
    Only until this saver writes to the thread; every other read asks the database."""

    def __init__(self, conn: Any, *, new_thread: str) -> None:
        super().__init__(conn)
        self._new_thread: str | None = new_thread

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        configurable = config.get("configurable") or {}
        fresh = (
            self._new_thread is not None
            and configurable.get("thread_id") == self._new_thread
            and not configurable.get("checkpoint_ns")
            and not configurable.get("checkpoint_id")
        )
        return None if fresh else await super().aget_tuple(config)

    def _on_write(self) -> None:
        self._new_thread = None


@asynccontextmanager
async def open_checkpointer(
    engine: AsyncEngine, *, read_once: bool = False, new_thread: str | None = None
) -> AsyncIterator[AsyncPostgresSaver]:
    """A checkpointer on the pool of this engine's database (connections are borrowed per call).
    `read_once`: a `ReadOnceSaver`, for a caller that reads the state right before resuming it.
    `new_thread`: a `NewThreadSaver`, for a run on the thread the caller has just created."""
    pool: Any = await _pool(libpq_url(engine))
    if new_thread is not None:
        yield NewThreadSaver(pool, new_thread=new_thread)
    else:
        yield (ReadOnceSaver if read_once else AsyncPostgresSaver)(pool)


async def close_pools(engine: AsyncEngine | None = None) -> None:
    """Close this event loop's checkpointer pool for `engine` (all of them without one): before the
    loop ends (a CLI command, shutdown) or the database goes away (a scratch database)."""
    by_url = _pools.get(asyncio.get_running_loop(), {})
    urls = [libpq_url(engine)] if engine is not None else list(by_url)
    for url in urls:
        pool = by_url.pop(url, None)
        if pool is not None:
            await pool.close()
