"""Webhook ingestion: the real `POST /webhooks/onlyfansapi` vs. a bare FastAPI endpoint inserting one row.

Both servers run under uvicorn in child processes on free loopback ports, against one scratch database
on the same Postgres server, and get the same traffic from the same lean client:

- saturation: a fixed number of requests at a fixed concurrency (closed loop) → throughput;
- both servers run side by side and every phase runs on both back to back (A/B, then B/A), so load
  from elsewhere on the machine hits both alike;
- fixed offered rates (open loop, requests start on schedule whether or not earlier ones finished;
  latency counts from the scheduled start) → p50/p99;
- ~10 % of requests re-deliver an earlier event (same body, key and signature).

Afterwards, every distinct idempotency key sent must be stored exactly once in `webhook_events`
("zero lost"). The product's per-address webhook rate limit (1200/min) stays on: each phase stays
under it and the limiter's counters for 127.0.0.1 are deleted between phases.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench import _common
from core.db import sqlalchemy_url, tenant_session
from core.settings import get_settings
from core.tenancy import SYSTEM

SUITE = "webhooks"
PRODUCT_PATH = "/webhooks/onlyfansapi"
BASELINE_PATH = "/ingest"
BASELINE_TABLE = "bench_baseline_events"
BASELINE_DB_ENV = "FANPILOT_BENCH_BASELINE_DB_URL"
RATE_LIMIT_PER_PHASE = 1200  # api/auth/ratelimit.py WEBHOOKS_PER_ADDRESS, per minute per address


# ------------------------------------------------------------------------------------------ baseline app


def create_baseline_app() -> FastAPI:
    """The baseline: a bare FastAPI endpoint that inserts the body as one row. No auth, no de-dup."""
    engine = create_async_engine(
        sqlalchemy_url(os.environ[BASELINE_DB_ENV]), pool_size=10, max_overflow=10, pool_pre_ping=True
    )
    insert = text(
        f"INSERT INTO {BASELINE_TABLE} (id, idempotency_key, payload)"
        " VALUES (:id, :key, CAST(:payload AS jsonb))"
    )
    app = FastAPI()

    @app.post(BASELINE_PATH)
    async def ingest(request: Request) -> dict[str, str]:
        body = await request.body()
        async with engine.begin() as conn:
            await conn.execute(
                insert,
                {
                    "id": uuid.uuid4(),
                    "key": request.headers.get("x-ofapi-idempotency-key", ""),
                    "payload": body.decode(),
                },
            )
        return {"status": "accepted"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


# ------------------------------------------------------------------------------------------ traffic


@dataclass(frozen=True)
class Delivery:
    key: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Traffic:
    """Signed deliveries with some re-deliveries mixed in, and what each phase sent."""

    account_id: str
    secret: str
    duplicate_ratio: float
    rng: random.Random
    sent: list[Delivery] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    sequence: int = 0

    def next(self) -> Delivery:
        if self.sent and self.rng.random() < self.duplicate_ratio:
            return self.rng.choice(self.sent)
        from api.webhooks.signing import sign_ofapi

        self.sequence += 1
        n = self.sequence
        document = {
            "event": "messages.received",
            "account_id": self.account_id,
            "payload": {
                "id": 4_100_000_000 + n,
                "text": f"<p>hey babe, message {n} 😊 did you post anything new today?</p>",
                "price": 0,
                "isFree": True,
                "isTip": False,
                "mediaCount": 0,
                "media": [],
                "createdAt": "2026-11-20T18:42:11+00:00",
                "user_id": 318845120,
                "fromUser": {"id": 99_000_000 + n % 500, "username": f"fan_{n % 500}", "displayName": "Mike"},
                "fanData": {"spending": {"total": 412.5, "messages": 260.0, "tips": 92.53}},
            },
        }
        body = json.dumps(document).encode()
        key = f"evt_bench_{uuid.uuid4().hex}"
        delivery = Delivery(
            key=key,
            body=body,
            headers={
                "content-type": "application/json",
                "signature": sign_ofapi(body, self.secret),
                "x-ofapi-idempotency-key": key,
            },
        )
        self.sent.append(delivery)
        return delivery


@dataclass
class PhaseResult:
    name: str
    requests: int
    elapsed_s: float
    latencies: list[float]
    statuses: dict[int, int]
    errors: int
    offered_rps: float | None = None
    acknowledged: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "requests": self.requests,
            "elapsed_s": round(self.elapsed_s, 3),
            "achieved_rps": round(self.requests / self.elapsed_s, 1) if self.elapsed_s else 0.0,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors,
            **_common.summarise_ms(self.latencies),
        }
        if self.offered_rps is not None:
            document["offered_rps"] = self.offered_rps
        return document


Send = Callable[[Delivery], Awaitable[int]]


async def _timed(send: Send, delivery: Delivery, started: float, result: PhaseResult) -> None:
    try:
        status = await send(delivery)
    except (OSError, ValueError, asyncio.IncompleteReadError):
        result.errors += 1
        return
    result.latencies.append(time.perf_counter() - started)
    result.statuses[status] = result.statuses.get(status, 0) + 1
    if 200 <= status < 300:
        result.acknowledged.add(delivery.key)


async def saturate(send: Send, traffic: Traffic, *, requests: int, concurrency: int) -> PhaseResult:
    """Closed loop: `concurrency` senders, each sending as soon as its last answer arrived."""
    result = PhaseResult("saturation", requests, 0.0, [], {}, 0)
    deliveries = [traffic.next() for _ in range(requests)]
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    for d in deliveries:
        queue.put_nowait(d)

    async def worker() -> None:
        while not queue.empty():
            delivery = queue.get_nowait()
            await _timed(send, delivery, time.perf_counter(), result)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - began
    return result


async def offered_rate(send: Send, traffic: Traffic, *, rate: float, seconds: float) -> PhaseResult:
    """Open loop: request i starts at t0 + i/rate; its latency counts from that scheduled time."""
    count = max(1, int(rate * seconds))
    result = PhaseResult(f"rate_{rate:g}", count, 0.0, [], {}, 0, offered_rps=rate)
    deliveries = [traffic.next() for _ in range(count)]
    tasks: list[asyncio.Task[None]] = []
    began = time.perf_counter()
    for i, delivery in enumerate(deliveries):
        scheduled = began + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_timed(send, delivery, scheduled, result)))
    await asyncio.gather(*tasks)
    result.elapsed_s = time.perf_counter() - began
    return result


# ------------------------------------------------------------------------------------------ the run


@dataclass(frozen=True)
class Options:
    requests: int = 1000
    concurrency: int = 32
    rates: tuple[float, ...] = (50.0, 100.0, 200.0)
    seconds: float = 4.0
    warmup: int = 50
    duplicate_ratio: float = 0.1
    seed: int = 7
    admin_url: str | None = None
    redis_url: str | None = None
    results_dir: Path | None = None


def _check_under_limit(options: Options) -> None:
    biggest = max([options.requests, options.warmup, *(int(r * options.seconds) for r in options.rates)])
    if biggest > RATE_LIMIT_PER_PHASE:
        raise ValueError(
            f"a phase of {biggest} requests would pass the product's webhook rate limit "
            f"({RATE_LIMIT_PER_PHASE}/min per address); lower requests/seconds"
        )


async def _flush_rate_limit(redis_url: str) -> int:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match="fp:rl:webhook-ip:127.0.0.1:*")]
        if keys:
            await client.delete(*keys)
        return len(keys)
    finally:
        await client.aclose()


async def _drop_queued_jobs(redis_url: str, event_ids: list[str]) -> None:
    """The ingestion enqueued one processing job per stored event; nobody runs them here."""
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        job_ids = [f"webhook:{event_id}" for event_id in event_ids]
        for start in range(0, len(job_ids), 500):
            chunk = job_ids[start : start + 500]
            await client.delete(*(f"arq:job:{j}" for j in chunk))
            await client.zrem("arq:queue", *chunk)
    finally:
        await client.aclose()


@asynccontextmanager
async def _running(server: _common.ServerProcess, ready_path: str) -> AsyncIterator[_common.ServerProcess]:
    try:
        await server.wait_ready(ready_path)
        yield server
    finally:
        server.stop()


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), or None where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Side:
    """One server under test: where it listens, its traffic, what runs before each of its phases."""

    name: str
    pool: _common.ConnectionPool
    path: str
    traffic: Traffic
    before_phase: Callable[[], Awaitable[None]]
    pid: int | None = None  # the server's process, for its CPU time per request
    phases: dict[str, Any] = field(default_factory=dict)

    async def send(self, delivery: Delivery) -> int:
        status, _ = await self.pool.request("POST", self.path, delivery.headers, delivery.body)
        return status


async def _drive(sides: tuple[Side, Side], options: Options, console: Console) -> None:
    """Every phase runs on both sides back to back (A/B, then B/A for the next phase), so whatever
    else loads the machine hits both alike."""
    for side in sides:
        await side.before_phase()
        warm = await saturate(
            side.send, side.traffic, requests=options.warmup, concurrency=min(8, options.concurrency)
        )
        side.traffic.acknowledged |= warm.acknowledged
    phases: list[tuple[str, Callable[[Side], Awaitable[PhaseResult]]]] = [
        (
            "saturation",
            lambda side: saturate(
                side.send, side.traffic, requests=options.requests, concurrency=options.concurrency
            ),
        )
    ]
    for rate in options.rates:
        phases.append(
            (
                f"rate_{rate:g}",
                lambda side, rate=rate: offered_rate(
                    side.send, side.traffic, rate=rate, seconds=options.seconds
                ),  # type: ignore[misc]
            )
        )
    for n, (phase, run_phase) in enumerate(phases):
        for side in sides if n % 2 == 0 else tuple(reversed(sides)):
            await side.before_phase()
            console.print(f"  {side.name}: {phase}")
            cpu_before = process_cpu_seconds(side.pid) if side.pid else None
            result = await run_phase(side)
            cpu_after = process_cpu_seconds(side.pid) if side.pid else None
            side.traffic.acknowledged |= result.acknowledged
            side.phases[phase] = result.to_json()
            if cpu_before is not None and cpu_after is not None and result.requests:
                # The server's own CPU per request: what a saturated core divides, and much less
                # sensitive to other load on the machine than req/s.
                side.phases[phase]["server_cpu_ms_per_request"] = round(
                    (cpu_after - cpu_before) * 1000 / result.requests, 3
                )


async def run(options: Options, console: Console) -> dict[str, Any]:
    from crm.creators import service as creator_service
    from crm.enums import Platform

    _check_under_limit(options)
    settings = get_settings()
    redis = _common.redis_url(settings, options.redis_url)
    admin = _common.admin_url(settings, options.admin_url)
    secret = f"whsec-bench-{uuid.uuid4().hex}"
    account_id = f"acct_bench_{uuid.uuid4().hex[:10]}"
    logs = Path(tempfile.mkdtemp(prefix="fanpilot-bench-"))

    async with _common.scratch_database(SUITE, settings=settings, admin=admin) as scratch:
        await _common.execute_owner_sql(
            scratch.urls.owner,
            f"CREATE TABLE {BASELINE_TABLE} (id uuid PRIMARY KEY, idempotency_key text NOT NULL,"
            " payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())",
        )
        async with _common.engine_for(scratch.urls.app, pool_size=2) as engine:
            tenant = await _common.make_bench_tenant(engine)
            async with tenant_session(SYSTEM, engine=engine) as session:
                await creator_service.create_connection(
                    session,
                    SYSTEM,
                    creator_id=tenant.creator_id,
                    platform=Platform.onlyfans,
                    account_id=account_id,
                    webhook_secret=secret,
                )

        child_env = {
            "DATABASE_URL": scratch.urls.owner,
            "FANPILOT_APP_DATABASE_URL": scratch.urls.app,
            "REDIS_URL": redis,
            "FANPILOT_ENV": "development",
            "FANPILOT_LLM_PROVIDER": "offline",
            BASELINE_DB_ENV: scratch.urls.owner,
        }
        flushed = 0

        async def flush() -> None:
            nonlocal flushed
            flushed += await _flush_rate_limit(redis)

        async def nothing() -> None:
            return None

        product_traffic = Traffic(account_id, secret, options.duplicate_ratio, random.Random(options.seed))
        baseline_traffic = Traffic(account_id, secret, options.duplicate_ratio, random.Random(options.seed))

        console.print("[bold]webhooks[/bold]: baseline (bare FastAPI insert) and product, phase by phase")
        baseline_server = _common.ServerProcess(
            "bench.webhooks:create_baseline_app", child_env, log_path=logs / "baseline.log"
        )
        product_server = _common.ServerProcess("api.app:create_app", child_env, log_path=logs / "product.log")
        async with (
            _running(baseline_server, "/healthz") as b_server,
            _running(product_server, "/openapi.json") as p_server,
        ):
            sides = (
                Side(
                    "baseline",
                    _common.ConnectionPool(b_server.port),
                    BASELINE_PATH,
                    baseline_traffic,
                    nothing,
                    pid=b_server.process.pid,
                ),
                Side(
                    "product",
                    _common.ConnectionPool(p_server.port),
                    PRODUCT_PATH,
                    product_traffic,
                    flush,
                    pid=p_server.process.pid,
                ),
            )
            try:
                await _drive(sides, options, console)
            finally:
                for side in sides:
                    await side.pool.close()
        baseline, product = sides[0].phases, sides[1].phases
        await flush()

        # webhook_events is under row-level security: read it as the product does, as SYSTEM.
        async with (
            _common.engine_for(scratch.urls.app, pool_size=1) as app_engine,
            tenant_session(SYSTEM, engine=app_engine) as session,
        ):
            rows = (
                await session.execute(
                    text(
                        "SELECT idempotency_key, count(*), min(id::text) FROM webhook_events"
                        " WHERE source = 'onlyfansapi' GROUP BY idempotency_key"
                    )
                )
            ).all()
        async with _common.engine_for(scratch.urls.owner, pool_size=1) as owner, owner.connect() as conn:
            baseline_rows = int(
                (await conn.execute(text(f"SELECT count(*) FROM {BASELINE_TABLE}"))).scalar_one()
            )
        await _drop_queued_jobs(redis, [str(r[2]) for r in rows])

    stored = {str(r[0]): int(r[1]) for r in rows}
    distinct_sent = {d.key for d in product_traffic.sent}
    total_product = options.warmup + options.requests + sum(int(r * options.seconds) for r in options.rates)
    product_statuses: dict[str, int] = {}
    for phase in product.values():
        for code, n in phase["statuses"].items():
            product_statuses[code] = product_statuses.get(code, 0) + n
    integrity = {
        "requests_sent": total_product,
        "distinct_keys_sent": len(distinct_sent),
        "duplicate_deliveries_sent": total_product - len(distinct_sent),
        "rows_stored": sum(stored.values()),
        "keys_stored_more_than_once": sum(1 for n in stored.values() if n > 1),
        "lost": len(distinct_sent - stored.keys()),
        "acknowledged_but_not_stored": len(product_traffic.acknowledged - stored.keys()),
        "never_acknowledged": len(distinct_sent - product_traffic.acknowledged),
        "unexpected_rows": len(stored.keys() - distinct_sent),
        "non_2xx_responses": sum(n for code, n in product_statuses.items() if not code.startswith("2")),
        "baseline_rows_stored": baseline_rows,
        "rate_limit_counters_flushed": flushed,
    }
    integrity["zero_lost"] = (
        integrity["lost"] == 0
        and integrity["keys_stored_more_than_once"] == 0
        and integrity["unexpected_rows"] == 0
        and integrity["rows_stored"] == len(distinct_sent)
    )
    product_rps = product["saturation"]["achieved_rps"]
    baseline_rps = baseline["saturation"]["achieved_rps"]
    return {
        "suite": SUITE,
        "baseline_name": "bare FastAPI endpoint inserting one row (no signature, no de-dup, no RLS)",
        "machine": _common.machine_info(admin),
        "parameters": {
            "requests": options.requests,
            "concurrency": options.concurrency,
            "rates_rps": list(options.rates),
            "seconds_per_rate": options.seconds,
            "warmup": options.warmup,
            "duplicate_ratio": options.duplicate_ratio,
            "server": "uvicorn, 1 worker, 127.0.0.1, child process",
            "client": "bench._common.ConnectionPool (keep-alive HTTP/1.1, same process for both)",
            "rate_limit": (
                "product limit kept at 1200/min per address; each phase stays under it and the "
                "fp:rl:webhook-ip:127.0.0.1:* counters are deleted between phases"
            ),
        },
        "product": product,
        "baseline": baseline,
        "throughput_ratio": round(product_rps / baseline_rps, 3) if baseline_rps else None,
        "server_cpu_ratio": _cpu_ratio(product["saturation"], baseline["saturation"]),
        "integrity": integrity,
    }


def _cpu_ratio(product: dict[str, Any], baseline: dict[str, Any]) -> float | None:
    """Baseline server CPU per request / the product's, at saturation (> 1: the product is cheaper)."""
    mine, theirs = product.get("server_cpu_ms_per_request"), baseline.get("server_cpu_ms_per_request")
    return round(theirs / mine, 3) if mine and theirs else None


def print_table(console: Console, result: dict[str, Any]) -> None:
    table = Table(title=f"webhooks — vs. {result['baseline_name']}")
    table.add_column("phase")
    table.add_column("side")
    table.add_column("req/s", justify="right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_column("non-2xx / errors", justify="right")
    for phase in result["product"]:
        for side in ("baseline", "product"):
            data = result[side][phase]
            bad = sum(n for code, n in data["statuses"].items() if not code.startswith("2"))
            table.add_row(
                phase,
                side,
                f"{data['achieved_rps']:.0f}",
                f"{data['p50_ms']:.2f}",
                f"{data['p99_ms']:.2f}",
                f"{bad} / {data['errors']}",
            )
    console.print(table)
    integrity = result["integrity"]
    console.print(
        f"throughput ratio product/baseline: [bold]{result['throughput_ratio']}[/bold] "
        f"(server CPU per request, baseline/product: {result.get('server_cpu_ratio')}); "
        f"{integrity['distinct_keys_sent']} distinct keys + {integrity['duplicate_deliveries_sent']} "
        f"re-deliveries → {integrity['rows_stored']} rows, lost {integrity['lost']}, "
        f"stored twice {integrity['keys_stored_more_than_once']}: "
        + ("[green]zero lost[/green]" if integrity["zero_lost"] else "[red]LOST OR DUPLICATED EVENTS[/red]")
    )


def run_cli(console: Console, **options: Any) -> int:
    """Run the webhook benchmark, print a table, write bench/results/webhooks.json; 1 if anything was lost."""
    known = {k: v for k, v in options.items() if v is not None}
    if "rates" in known:
        known["rates"] = tuple(float(r) for r in known["rates"])
    opts = Options(**known)
    result = asyncio.run(run(opts, console))
    path = _common.write_result(SUITE, result, results_dir=opts.results_dir)
    print_table(console, result)
    console.print(f"wrote {path}")
    return 0 if result["integrity"]["zero_lost"] else 1


if __name__ == "__main__":
    raise SystemExit(run_cli(Console()))
