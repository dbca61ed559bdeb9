"""Async engine, tenant-scoped sessions and database URL resolution."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from sqlalchemy import MetaData, event, exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from core.settings import Settings, get_settings
from core.tenancy import Principal

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@dataclass(frozen=True)
class DatabaseUrls:
    owner: str  # migrations and the few owner-level operations
    app: str  # everything else: a non-superuser role under row-level security


def _with_credentials(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(user)}:{quote(password)}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def resolve_database_urls(settings: Settings | None = None, *, start: bool = True) -> DatabaseUrls:
    """DATABASE_URL if set, else the embedded server (started, or reused if running)."""
    settings = settings or get_settings()
    if settings.database_url:
        owner = settings.database_url
    else:
        from core import embedded

        info = embedded.start_postgres(settings) if start else embedded.postgres_status(settings)
        if info is None:
            raise embedded.EmbeddedServiceError(
                "the embedded PostgreSQL is not running: `fanpilot services start`"
            )
        owner = info.owner_url(settings.db_name)
    app = settings.app_database_url or _with_credentials(
        owner, settings.app_db_role, settings.app_db_password.get_secret_value()
    )
    return DatabaseUrls(owner=owner, app=app)


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def plain_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# A pooled connection is pinged before use only if it sat idle this long. SQLAlchemy's pool_pre_ping
# pings on every checkout: one extra round trip per transaction. A connection used moments ago is as
# good as a ping's answer; a server restart in between fails that one statement, and SQLAlchemy then
# discards every pooled connection, just as a failed ping would.
PING_AFTER_IDLE_SECONDS = 5.0
_LAST_CHECKIN = "fanpilot_last_checkin"


def _ping_after_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    sync_engine = engine.sync_engine
    dialect = sync_engine.dialect

    @event.listens_for(sync_engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_CHECKIN] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if dbapi_connection.autocommit:
            # Left in autocommit by an interrupted `execute_in_one_round_trip`: a session on it
            # would not be one transaction. The pool drops it and checks out another.
            raise exc.DisconnectionError("a pooled connection was left in autocommit mode")
        # No check-in yet: a connection opened for this very checkout.
        last = record.info.get(_LAST_CHECKIN)
        if last is None or time.monotonic() - last < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool retries the checkout on a new connection and drops the older ones.
            raise exc.InvalidatePoolError(str(error)) from error


# Seconds to wait for a connection: a server that is down answers at once, one that is unreachable
# must not hold a request (or a worker job) for the OS default of minutes.
CONNECT_TIMEOUT_SECONDS = 5


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int | None = None) -> AsyncEngine:
    """`max_overflow` (default: `pool_size`): connections opened past the pool for a burst and closed
    as soon as they are returned to a full pool."""
    # hide_parameters: a failed statement's error (and every log line quoting it) shows the SQL, never
    # its values: they can be a sealed webhook secret, a token hash or a fan's message.
    engine = create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        hide_parameters=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    _ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


@lru_cache
def get_engine() -> AsyncEngine:
    settings = get_settings()
    # Every connection kept, none as overflow: under steady concurrency above the pool size, overflow
    # connections are opened and closed again by the hundred per thousand requests (measured on the
    # webhook benchmark: 370 connections per 2,000 deliveries, and Postgres spent more CPU starting
    # backends than running the inserts). Same ceiling as the 10 + 10 before.
    return make_engine(resolve_database_urls(settings).app, pool_size=settings.db_pool_size, max_overflow=0)


def session_factory(engine: AsyncEngine | None = None) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine or get_engine(), expire_on_commit=False)


_SETTINGS = (
    "SELECT set_config('fanpilot.creator_ids', {ids}, true),"
    " set_config('fanpilot.agency_id', {agency}, true),"
    " set_config('fanpilot.actor', {actor}, true),"
    " set_config('fanpilot.staff_user_id', {staff}, true),"
    " set_config('fanpilot.system', {system}, true)"
)
_NAMES = ("ids", "agency", "actor", "staff", "system")
_SETTINGS_SQLALCHEMY = text(_SETTINGS.format(**{n: f":{n}" for n in _NAMES}))
_SETTINGS_PSYCOPG = _SETTINGS.format(**{n: f"%({n})s" for n in _NAMES})


def _principal_settings(principal: Principal) -> dict[str, str]:
    creator_ids = "{" + ",".join(str(c) for c in sorted(principal.creator_ids, key=str)) + "}"
    return {
        "ids": creator_ids,
        "agency": str(principal.agency_id or ""),
        "actor": json.dumps({"kind": str(principal.actor_kind), "id": str(principal.actor_id or "")}),
        "staff": str(principal.staff_user_id or ""),
        "system": "on" if principal.system else "off",
    }


async def apply_principal(session: AsyncSession, principal: Principal) -> None:
    """Set the transaction-local settings that the RLS policies read."""
    await session.execute(_SETTINGS_SQLALCHEMY, _principal_settings(principal))


async def execute_in_one_round_trip(
    principal: Principal, statement: str, params: dict[str, Any], *, engine: AsyncEngine | None = None
) -> tuple[Any, ...] | None:
    """Run one statement (psycopg `%(name)s` parameters) in its own transaction under the principal's
    tenant settings and commit; the first row it returns (None without one).

    `tenant_session` costs four round trips for one statement (BEGIN, the settings, the statement,
    COMMIT, each awaited); here they leave as one pipeline with one Sync, and the server answers
    once. For a hot path whose whole transaction is that statement (webhook ingest). Committed when
    it returns; on any error nothing is committed and the connection is discarded.
    """
    rows = await fetch_in_one_round_trip(principal, statement, params, engine=engine)
    return rows[0] if rows else None


async def fetch_in_one_round_trip(
    principal: Principal, statement: str, params: dict[str, Any], *, engine: AsyncEngine | None = None
) -> list[tuple[Any, ...]]:
    """`execute_in_one_round_trip`, returning every row (a read such as per-fan recall)."""
    engine = engine or get_engine()
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None  # a checked-out connection
        # In autocommit mode psycopg sends no BEGIN of its own (which it would sync on): the explicit
        # BEGIN … COMMIT below is the transaction, and the pipeline syncs once, at its end.
        await driver.set_autocommit(True)
        done = False
        try:
            async with driver.pipeline():
                await driver.execute("BEGIN")
                await driver.execute(_SETTINGS_PSYCOPG, _principal_settings(principal))
                cursor = await driver.execute(statement, params)
                await driver.execute("COMMIT")
            rows = await cursor.fetchall() if cursor.description is not None else []
            await driver.set_autocommit(False)
            done = True
        finally:
            if not done:
                # Failed or interrupted part-way: whatever state it is in, it never serves again.
                await conn.invalidate()
    return [tuple(row) for row in rows]


# One statement for `pipelined`: SQL with psycopg `%(name)s` parameters, and its parameters.
Statement = tuple[str, Mapping[str, Any]]


async def pipelined(session: AsyncSession, statements: Sequence[Statement]) -> list[list[Any]]:
    """Run statements in the session's transaction as one psycopg pipeline: sent together, answered
    once (one round trip instead of one per statement). The server runs them in order, each seeing
    what the ones before it wrote, exactly as if each had been awaited. Each statement's rows come
    back as named tuples (attribute access, like SQLAlchemy rows); a statement returning none gives
    an empty list. A failing statement fails the whole call (the later ones do not run) and, as
    with any database error here, the transaction rolls back."""
    from psycopg.rows import namedtuple_row

    await session.flush()  # the ORM's pending writes go first, as before any statement
    conn = await session.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None  # a checked-out connection
    cursors = []
    async with driver.pipeline():
        for sql, params in statements:
            cursor = driver.cursor(row_factory=namedtuple_row)
            await cursor.execute(sql, params)
            cursors.append(cursor)
    return [await cursor.fetchall() if cursor.description is not None else [] for cursor in cursors]


@asynccontextmanager
async def tenant_session(
    principal: Principal, *, engine: AsyncEngine | None = None
) -> AsyncIterator[AsyncSession]:
    """A session in one transaction, committed on success, seeing only the principal's creators."""
    async with session_factory(engine)() as session, session.begin():
        await apply_principal(session, principal)
        yield session
