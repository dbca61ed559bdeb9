"""Shared benchmark plumbing: scratch databases, a lean loopback HTTP client, percentiles, results.

Every benchmark runs against a fresh database on the Postgres server the settings resolve, migrated
to head and dropped afterwards, so product data is never touched. Creating a database and the vector
extension needs a role that may do so: `FANPILOT_BENCH_ADMIN_URL` (e.g. the server's superuser), else
the embedded server's superuser when `DATABASE_URL` is unset, else the owner URL itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import DatabaseUrls, _with_credentials, make_engine, resolve_database_urls, tenant_session
from core.settings import Settings, get_settings
from core.tenancy import SYSTEM, ActorKind, Principal, StaffRole

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
ADMIN_URL_ENV = "FANPILOT_BENCH_ADMIN_URL"


# ------------------------------------------------------------------------------------------ stats


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise_ms(seconds: Sequence[float]) -> dict[str, float | int]:
    """p50/p95/p99/mean/max in milliseconds, rounded, plus the sample count."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(sum(ms) / len(ms), 3) if ms else 0.0,
        "max_ms": round(max(ms), 3) if ms else 0.0,
    }


# ------------------------------------------------------------------------------------------ machine + results


def postgres_version(admin_url: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def machine_info(admin_url: str) -> dict[str, Any]:
    try:
        import psutil

        memory_gb: float | None = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # pragma: no cover - psutil is present in the dev venv
        memory_gb = None
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": memory_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgres": postgres_version(admin_url),
        # Other work on the machine skews every figure; the load average says how busy it was.
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_result(suite: str, document: dict[str, Any], *, results_dir: Path | None = None) -> Path:
    folder = results_dir or RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{suite}.json"
    path.write_text(json.dumps(document, indent=2, sort_keys=False, default=_json_default) + "\n")
    return path


def _json_default(value: object) -> object:
    if isinstance(value, Decimal | uuid.UUID | Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# ------------------------------------------------------------------------------------------ servers


def admin_url(settings: Settings | None = None, explicit: str | None = None) -> str:
    """A URL that may create databases and the vector extension on the server the settings resolve."""
    if explicit:
        return explicit
    from_env = os.environ.get(ADMIN_URL_ENV)
    if from_env:
        return from_env
    settings = settings or get_settings()
    if not settings.database_url:
        from core import embedded

        return embedded.start_postgres(settings).admin_url
    return resolve_database_urls(settings).owner


def redis_url(settings: Settings | None = None, explicit: str | None = None) -> str:
    from core.redis import resolve_redis_url

    return explicit or resolve_redis_url(settings or get_settings())


def _replace_db(url: str, name: str) -> str:
    return url.partition("?")[0].rsplit("/", 1)[0] + f"/{name}"


@dataclass(frozen=True)
class Scratch:
    name: str
    admin_url: str
    urls: DatabaseUrls  # owner (migrations, baseline tables) and app (product code paths)


@asynccontextmanager
async def scratch_database(
    suite: str, *, settings: Settings | None = None, admin: str | None = None
) -> AsyncIterator[Scratch]:
    """A fresh database migrated to head, on the server the settings resolve; dropped afterwards."""
    from core import embedded
    from migrations import runner as migrations

    settings = settings or get_settings()
    admin = admin_url(settings, admin)
    name = f"fanpilot_bench_{suite}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    owner = _with_credentials(_replace_db(admin, name), embedded.OWNER_ROLE, embedded.OWNER_PASSWORD)
    await asyncio.to_thread(embedded.ensure_database, admin, name)
    try:
        await asyncio.to_thread(migrations.upgrade, owner)
        app = _with_credentials(owner, settings.app_db_role, settings.app_db_password.get_secret_value())
        yield Scratch(name=name, admin_url=admin, urls=DatabaseUrls(owner=owner, app=app))
    finally:
        await asyncio.to_thread(embedded.drop_database, admin, name)


@asynccontextmanager
async def engine_for(url: str, *, pool_size: int = 10) -> AsyncIterator[AsyncEngine]:
    from agent.checkpointer import close_pools

    engine = make_engine(url, pool_size=pool_size)
    try:
        yield engine
    finally:
        await close_pools(engine)
        await engine.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A uvicorn child process on a free loopback port; stopped by its own pid."""

    def __init__(self, app_factory: str, env: dict[str, str], *, log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                app_factory,
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
                "--log-level",
                "warning",
                "--no-access-log",
                "--timeout-keep-alive",
                "75",
            ],
            cwd=ROOT,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    async def wait_ready(self, path: str, *, within_s: float = 60.0) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited at start: {self.log_tail()}")
            try:
                conn = await HttpConnection.open(self.port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            try:
                status, _ = await conn.request("GET", path, {}, b"")
            finally:
                await conn.close()
            if status < 500:
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"server not ready within {within_s:.0f} s: {self.log_tail()}")

    def log_tail(self) -> str:
        self._log.flush()
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()


# ------------------------------------------------------------------------------------------ HTTP client


class HttpConnection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1. Lean on purpose: on a small machine the load
    generator shares the CPU with the server, and a heavy client would flatten the ratio."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        self.reader, self.writer, self.port = reader, writer, port

    @classmethod
    async def open(cls, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, port)

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"host: 127.0.0.1:{self.port}", f"content-length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length = 0
        chunked = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            payload = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                payload += chunk[:-2]
            return status, payload
        return status, await self.reader.readexactly(length) if length else b""

    async def close(self) -> None:
        self.writer.close()
        with suppress(OSError):
            await self.writer.wait_closed()


class ConnectionPool:
    """Reuses idle connections; opens another when all are busy (open-loop load needs that)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._idle: list[HttpConnection] = []
        self._all: list[HttpConnection] = []

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        reused = self._idle.pop() if self._idle else None
        if reused is not None:
            try:
                result = await reused.request(method, path, headers, body)
            except (OSError, asyncio.IncompleteReadError):
                # The server closed an idle keep-alive connection: resend on a fresh one, as HTTP
                # clients do (webhook senders retry anyway; the endpoint de-duplicates).
                await self._discard(reused)
            else:
                self._idle.append(reused)
                return result
        conn = await HttpConnection.open(self.port)
        self._all.append(conn)
        try:
            result = await conn.request(method, path, headers, body)
        except (OSError, ValueError, asyncio.IncompleteReadError):
            await self._discard(conn)
            raise
        self._idle.append(conn)
        return result

    async def _discard(self, conn: HttpConnection) -> None:
        await conn.close()
        if conn in self._all:
            self._all.remove(conn)

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()
        self._all.clear()
        self._idle.clear()


# ------------------------------------------------------------------------------------------ tenants


@dataclass(frozen=True)
class BenchTenant:
    agency_id: uuid.UUID
    creator_id: uuid.UUID
    principal: Principal


async def make_bench_tenant(engine: AsyncEngine, *, name: str = "Mia") -> BenchTenant:
    """An agency and one creator with a persona, through the product's services."""
    from crm.accounts.models import Agency
    from crm.creators import service as creator_service

    async with tenant_session(SYSTEM, engine=engine) as session:
        agency = Agency(id=uuid.uuid4(), name="Bench Agency", slug=f"bench-{uuid.uuid4().hex[:10]}")
        session.add(agency)
        await session.flush()
        creator = await creator_service.create_creator(
            session,
            SYSTEM,
            agency_id=agency.id,
            display_name=name,
            handle=f"{name.lower()}_{uuid.uuid4().hex[:6]}",
            voice="sweet, teasing, short sentences",
            rules=["never meet fans in person", "never move to other apps"],
            restricted_words=["whatsapp", "paypal"],
            ppv_price_min=Decimal("10"),
            ppv_price_max=Decimal("50"),
        )
    principal = Principal(
        creator_ids=frozenset({creator.id}),
        agency_id=agency.id,
        actor_kind=ActorKind.system,
        role=StaffRole.owner,
    )
    return BenchTenant(agency_id=agency.id, creator_id=creator.id, principal=principal)


async def execute_owner_sql(url: str, *statements: str) -> None:
    async with engine_for(url, pool_size=1) as engine, engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))


# The last message differs per fan ({days}): a reply run embeds a text no earlier run did, as most
# do in production (a vector this process computed already for the same text is reused).
FAN_HISTORY = (
    ("fan", "finally beat the boss fight lol"),
    ("creator", "omg congrats gamer boy 🎮"),
    ("fan", "my birthday is in {days} days 👀 got anything special for me?"),
)
FAN_MEMORIES = (
    ("personal_detail", "{name}'s birthday is December 3"),
    ("preference", "{name} likes cosplay sets, especially video game characters"),
    ("conversation_fact", "{name} plays a lot of souls-like games"),
)


async def seed_fan(engine: AsyncEngine, tenant: BenchTenant, *, n: int) -> tuple[uuid.UUID, uuid.UUID]:
    """A fan with spend, a tag, three messages and three memories; returns (fan id, last inbound id)."""
    from crm.enums import MemoryKind, MessageDirection, MessageSender, Platform, TransactionKind
    from crm.fans import service as fan_service
    from memory import service as memory_service

    name = f"Tom{n}"
    principal = tenant.principal
    async with tenant_session(principal, engine=engine) as session:
        fan, _, _ = await fan_service.upsert_fan_from_platform(
            session,
            principal,
            creator_id=tenant.creator_id,
            platform=Platform.onlyfans,
            platform_fan_id=f"bench-{n}-{uuid.uuid4().hex[:8]}",
            display_name=name,
        )
        await fan_service.record_transaction(
            session,
            principal,
            creator_id=tenant.creator_id,
            fan_id=fan.id,
            platform=Platform.onlyfans,
            kind=TransactionKind.tip,
            amount=Decimal("120"),
            external_id=f"bench-tx-{uuid.uuid4().hex}",
        )
        await fan_service.add_tag(session, principal, fan_id=fan.id, tag="gamer", source="import")
        last_inbound = fan.id
        started = datetime.now(UTC) - timedelta(minutes=len(FAN_HISTORY))
        for i, (sender, body) in enumerate(FAN_HISTORY):
            message = await fan_service.log_message(
                session,
                principal,
                creator_id=tenant.creator_id,
                fan_id=fan.id,
                direction=MessageDirection.inbound if sender == "fan" else MessageDirection.outbound,
                sender=MessageSender.fan if sender == "fan" else MessageSender.creator,
                text=body.format(days=n + 2),
                sent_at=started + timedelta(minutes=i),
            )
            if sender == "fan":
                last_inbound = message.id
        for kind, template in FAN_MEMORIES:
            await memory_service.remember(
                session,
                principal,
                creator_id=tenant.creator_id,
                fan_id=fan.id,
                text=template.format(name=name),
                kind=MemoryKind(kind),
            )
    return fan.id, last_inbound


async def reply_run(
    engine: AsyncEngine, tenant: BenchTenant, fan: tuple[uuid.UUID, uuid.UUID], settings: Settings
) -> Any:
    """One reply run for a seeded fan (`seed_fan`'s fan id and last inbound message), to the gate."""
    from agent.runner import start_reply_run

    fan_id, inbound_id = fan
    return await start_reply_run(
        principal=tenant.principal,
        creator_id=tenant.creator_id,
        fan_id=fan_id,
        inbound_message_id=inbound_id,
        trigger="bench",
        engine=engine,
        settings=settings,
    )


def offline_settings(redis: str) -> Settings:
    """The current settings with the offline model for every task and the sandbox adapter."""
    return get_settings().model_copy(
        update={
            "llm_provider": "offline",
            "drafting_provider": None,
            "extraction_provider": None,
            "assistant_provider": None,
            "platform_adapter": "sandbox",
            "redis_url": redis,
        }
    )
