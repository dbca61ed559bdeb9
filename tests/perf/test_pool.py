"""Pooled database connections are pinged after sitting idle, so one the server dropped is replaced
instead of failing the next request."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core import db
from tests.conftest import ProvisionedDatabase


async def test_a_connection_dropped_while_idle_is_replaced(
    test_db: ProvisionedDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = db.make_engine(test_db.urls.app, pool_size=1)
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = db.make_engine(test_db.admin_url, pool_size=1)  # only a superuser may end its backend
        try:
            async with admin.begin() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        finally:
            await admin.dispose()
        async with engine.connect() as conn:
            second = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await engine.dispose()
