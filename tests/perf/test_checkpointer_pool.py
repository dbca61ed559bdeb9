"""The checkpointer's pooled connections: pinged only after sitting idle, and one the server dropped
while idle is replaced instead of failing the next checkpoint read."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent import checkpointer
from bench.statements import counting
from core import db
from tests.conftest import ProvisionedDatabase


async def _backend_pid(engine: AsyncEngine) -> int:
    pool = await checkpointer._pool(checkpointer.libpq_url(engine))
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT pg_backend_pid() AS pid")).fetchone()
    assert row is not None
    return int(row["pid"])


async def test_a_connection_used_moments_ago_is_not_pinged(engine: AsyncEngine) -> None:
    await checkpointer.close_pools(engine)  # a fresh pool: its one connection, used in turn
    await _backend_pid(engine)  # the pool's connection, returned just now
    with counting(trace=True) as count:
        await _backend_pid(engine)
    assert count.trace is not None
    assert [t for t in count.trace if "pg_backend_pid" not in t] == []
    assert count.statements == 1


async def test_an_idle_connection_is_pinged(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    await checkpointer.close_pools(engine)
    await _backend_pid(engine)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with counting() as count:
        await _backend_pid(engine)
    assert count.statements == 2  # the ping, then the query


async def _terminate(test_db: ProvisionedDatabase, pid: int) -> None:
    admin = db.make_engine(test_db.admin_url, pool_size=1)  # only a superuser may end its backend
    try:
        async with admin.begin() as conn:
            # With a timeout, the call returns once the backend is gone.
            await conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    finally:
        await admin.dispose()


async def test_a_connection_dropped_while_idle_is_replaced(
    engine: AsyncEngine, test_db: ProvisionedDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    await checkpointer.close_pools(engine)
    first = await _backend_pid(engine)
    await _terminate(test_db, first)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    second = await _backend_pid(engine)
    assert second != first


async def test_a_connection_the_server_ended_moments_ago_is_replaced_too(
    engine: AsyncEngine, test_db: ProvisionedDatabase
) -> None:
    """Within the idle window no ping is sent, but a server that ended the session said so on the
    socket: the pool hands out a working connection, never the dead one."""
    await checkpointer.close_pools(engine)
    pids = {await _backend_pid(engine) for _ in range(3)}
    for pid in pids:
        await _terminate(test_db, pid)
    for _ in range(3):
        assert await _backend_pid(engine) not in pids
