"""`core.db.execute_in_one_round_trip`: one statement with its transaction and tenant settings sent as
one pipeline — committed when it returns, under row-level security, rolled back on an error, and the
pooled connection stays usable."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.statements import counting
from core.db import execute_in_one_round_trip, tenant_session
from core.tenancy import SYSTEM, Principal
from tests.factories import make_fan, make_tenant

RENAME = "UPDATE fan_profiles SET display_name = %(name)s WHERE id = %(id)s RETURNING id, display_name"


async def _name(engine: AsyncEngine, fan_id: uuid.UUID) -> str:
    async with tenant_session(SYSTEM, engine=engine) as s:
        query = text("SELECT display_name FROM fan_profiles WHERE id = :id")
        return str((await s.execute(query, {"id": fan_id})).scalar_one())


async def test_one_statement_commits_in_one_round_trip(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    fan_id = await make_fan(engine, tenant.creator_id, name="Tom")
    with counting(trace=True) as count:
        row = await execute_in_one_round_trip(
            Principal.for_creators(tenant.creator_id), RENAME, {"name": "Tommy", "id": fan_id}, engine=engine
        )
    assert row == (fan_id, "Tommy")
    assert count.round_trips == 1, count.trace
    assert await _name(engine, fan_id) == "Tommy"  # committed, seen from another transaction


async def test_the_tenant_settings_apply_to_the_statement(engine: AsyncEngine) -> None:
    owner = await make_tenant(engine)
    other = await make_tenant(engine)
    fan_id = await make_fan(engine, owner.creator_id, name="Tom")
    row = await execute_in_one_round_trip(
        Principal.for_creators(other.creator_id), RENAME, {"name": "Hacked", "id": fan_id}, engine=engine
    )
    assert row is None  # row-level security hid the other creator's fan
    assert await _name(engine, fan_id) == "Tom"


async def test_an_error_rolls_back_and_the_connection_stays_usable(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    fan_id = await make_fan(engine, tenant.creator_id, name="Tom")
    principal = Principal.for_creators(tenant.creator_id)
    failing = "WITH renamed AS (" + RENAME + ") SELECT 1 / 0 FROM renamed"
    with pytest.raises(psycopg.errors.DivisionByZero):
        await execute_in_one_round_trip(principal, failing, {"name": "Half", "id": fan_id}, engine=engine)
    assert await _name(engine, fan_id) == "Tom"
    for _ in range(6):  # every pooled connection (pool_size=5) still works
        assert await execute_in_one_round_trip(
            principal, RENAME, {"name": "Tom", "id": fan_id}, engine=engine
        ) == (fan_id, "Tom")


async def test_a_connection_left_in_autocommit_is_never_handed_to_a_session(engine: AsyncEngine) -> None:
    """Should an interrupted call leave its connection in autocommit mode, the pool drops it: a
    tenant session on it would not be one transaction."""
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.set_autocommit(True)
        left = id(driver)
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert raw.driver_connection is not None and not raw.driver_connection.autocommit
        assert id(raw.driver_connection) != left
