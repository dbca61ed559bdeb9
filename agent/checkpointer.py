"""The Postgres checkpointer on the app role's connections.

The checkpoint tables come from migration 0002 (the app role cannot run DDL), so `setup()` is never
called here. psycopg settings follow langgraph-checkpoint-postgres: autocommit, no prepared
statements (pgbouncer-safe), dict rows. Connections come from one small pool per event loop and
engine URL: opening a connection (TLS/SCRAM handshake) costs more than a whole checkpoint read.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import plain_url

POOL_SIZE = 4
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncConnectionPool[Any]]] = (
    weakref.WeakKeyDictionary()
)


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
            check=AsyncConnectionPool.check_connection,
            open=False,
        )
        by_url[url] = pool
        await pool.open()
    return pool


@asynccontextmanager
async def open_checkpointer(engine: AsyncEngine) -> AsyncIterator[AsyncPostgresSaver]:
    """A checkpointer on the pool of this engine's database (connections are borrowed per call)."""
    yield AsyncPostgresSaver(await _pool(libpq_url(engine)))  # type: ignore[arg-type]


async def close_pools(engine: AsyncEngine | None = None) -> None:
    """Close this event loop's checkpointer pool for `engine` (all of them without one): before the
    loop ends (a CLI command, shutdown) or the database goes away (a scratch database)."""
    by_url = _pools.get(asyncio.get_running_loop(), {})
    urls = [libpq_url(engine)] if engine is not None else list(by_url)
    for url in urls:
        pool = by_url.pop(url, None)
        if pool is not None:
            await pool.close()
