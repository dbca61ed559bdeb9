"""The Postgres checkpointer on the app role's connection.

The checkpoint tables come from migration 0002 (the app role cannot run DDL), so `setup()` is never
called here. psycopg settings follow langgraph-checkpoint-postgres: autocommit, no prepared
statements (pgbouncer-safe), dict rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import plain_url


def libpq_url(engine: AsyncEngine) -> str:
    return plain_url(engine.url.render_as_string(hide_password=False))


@asynccontextmanager
async def open_checkpointer(engine: AsyncEngine) -> AsyncIterator[AsyncPostgresSaver]:
    conn = await AsyncConnection.connect(
        libpq_url(engine), autocommit=True, prepare_threshold=0, row_factory=dict_row
    )
    async with conn:
        yield AsyncPostgresSaver(conn)  # type: ignore[arg-type]
