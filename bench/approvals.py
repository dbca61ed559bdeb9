"""Approve → executed latency: `agent.decisions.decide(approve, deliver="now")` vs. bare SQL.

Product: the one decision service — the conditional decision with its audit entry (one statement,
one transaction), then the checkpointed run continued: execute exactly once through the sandbox
adapter (row lock, re-check, outbound message, ledger row, draft feedback, delivery attempt, item
`executed`: the second transaction), then learn (the extraction job queued in Redis) and the run's
end. Each item was drafted beforehand by a real reply run (not timed).

Baseline: the least a database must do for the same effect — in one transaction, the conditional
`UPDATE … SET status = 'executed' WHERE status = 'pending' AND expires_at > now()` and the `INSERT`
of the outbound message, on two small tables of the baseline's own in the same scratch database.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import _common
from core.db import tenant_session
from core.settings import get_settings

SUITE = "approvals"
ITEMS_TABLE = "bench_baseline_items"
MESSAGES_TABLE = "bench_baseline_messages"

BASELINE_DDL = (
    f"CREATE TABLE {ITEMS_TABLE} (id uuid PRIMARY KEY, fan_id uuid NOT NULL, status text NOT NULL,"
    " proposed_text text NOT NULL, expires_at timestamptz NOT NULL, decided_at timestamptz)",
    f"CREATE TABLE {MESSAGES_TABLE} (id uuid PRIMARY KEY, fan_id uuid NOT NULL, item_id uuid NOT NULL"
    f" UNIQUE REFERENCES {ITEMS_TABLE}(id), text text NOT NULL, sent_at timestamptz NOT NULL DEFAULT now())",
)
DECIDE = text(
    f"UPDATE {ITEMS_TABLE} SET status = 'executed', decided_at = now()"
    " WHERE id = :id AND status = 'pending' AND expires_at > now() RETURNING fan_id, proposed_text"
)
SEND = text(f"INSERT INTO {MESSAGES_TABLE} (id, fan_id, item_id, text) VALUES (:id, :fan, :item, :text)")


async def baseline_approve(engine: AsyncEngine, item_id: uuid.UUID) -> bool:
    async with engine.begin() as conn:
        row = (await conn.execute(DECIDE, {"id": item_id})).one_or_none()
        if row is None:
            return False
        await conn.execute(SEND, {"id": uuid.uuid4(), "fan": row[0], "item": item_id, "text": row[1]})
    return True


async def draft_items(
    engine: AsyncEngine, bare: AsyncEngine, tenant: _common.BenchTenant, total: int, settings: Any
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """`total` seeded fans with a pending reply draft each (real reply runs), and as many pending
    rows in the baseline's table: (product item ids, baseline item ids)."""
    item_ids: list[uuid.UUID] = []
    baseline_ids: list[uuid.UUID] = []
    for i in range(total):
        fan = await _common.seed_fan(engine, tenant, n=i)
        drafted = await _common.reply_run(engine, tenant, fan, settings)
        if drafted.item_id is None or drafted.item_status != "pending":
            raise RuntimeError(f"draft {i} did not reach the gate: {drafted.status} {drafted.error}")
        item_ids.append(drafted.item_id)
        baseline_id = uuid.uuid4()
        baseline_ids.append(baseline_id)
        async with bare.begin() as conn:
            await conn.execute(
                text(
                    f"INSERT INTO {ITEMS_TABLE} (id, fan_id, status, proposed_text, expires_at)"
                    " VALUES (:id, :fan, 'pending', :text, now() + interval '1 day')"
                ),
                {"id": baseline_id, "fan": fan[0], "text": (drafted.draft or {}).get("reply", "hi")},
            )
    return item_ids, baseline_ids


@dataclass(frozen=True)
class Options:
    items: int = 50
    warmup: int = 3
    admin_url: str | None = None
    redis_url: str | None = None
    results_dir: Path | None = None


async def _drop_extraction_jobs(redis_url: str, item_ids: list[uuid.UUID]) -> None:
    from redis.asyncio import Redis

    if not item_ids:
        return
    client = Redis.from_url(redis_url)
    try:
        job_ids = [f"extract:{i}" for i in item_ids]
        await client.delete(*(f"arq:job:{j}" for j in job_ids))
        await client.zrem("arq:queue", *job_ids)
    finally:
        await client.aclose()


async def _outbound_per_item(engine: AsyncEngine, item_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    from core.tenancy import SYSTEM

    async with tenant_session(SYSTEM, engine=engine) as session:
        rows = (
            await session.execute(
                text(
                    "SELECT hitl_item_id, count(*) FROM fan_messages"
                    " WHERE direction = 'outbound' AND hitl_item_id = ANY(:ids) GROUP BY hitl_item_id"
                ),
                {"ids": item_ids},
            )
        ).all()
    return {r[0]: int(r[1]) for r in rows}


async def run(options: Options, console: Console) -> dict[str, Any]:
    from agent.decisions import decide

    settings = get_settings()
    redis = _common.redis_url(settings, options.redis_url)
    admin = _common.admin_url(settings, options.admin_url)
    run_settings = _common.offline_settings(redis)
    total = options.warmup + options.items
    product_s: list[float] = []
    baseline_s: list[float] = []
    outcomes: dict[str, int] = {}
    async with _common.scratch_database(SUITE, settings=settings, admin=admin) as scratch:
        await _common.execute_owner_sql(scratch.urls.owner, *BASELINE_DDL)
        async with (
            _common.engine_for(scratch.urls.app, pool_size=10) as engine,
            _common.engine_for(scratch.urls.owner, pool_size=10) as bare,
        ):
            tenant = await _common.make_bench_tenant(engine)
            console.print(f"[bold]approvals[/bold]: drafting {total} pending replies (not timed)")
            item_ids, baseline_ids = await draft_items(engine, bare, tenant, total, run_settings)
            console.print(f"  approving {options.items} items each side (+{options.warmup} warm-up)")
            baseline_ok = 0
            for i, (item_id, baseline_id) in enumerate(zip(item_ids, baseline_ids, strict=True)):
                measured = i >= options.warmup
                began = time.perf_counter()
                ok = await baseline_approve(bare, baseline_id)
                if measured:
                    baseline_s.append(time.perf_counter() - began)
                    baseline_ok += int(ok)

                began = time.perf_counter()
                done = await decide(
                    principal=tenant.principal,
                    item_id=item_id,
                    decision="approve",
                    deliver="now",
                    engine=engine,
                    settings=run_settings,
                )
                finished = time.perf_counter()
                if measured:
                    product_s.append(finished - began)
                    run_status = done.run.status if done.run else "direct"
                    key = f"{run_status}/{done.status}"
                    outcomes[key] = outcomes.get(key, 0) + 1
            sent = await _outbound_per_item(engine, item_ids)
        await _drop_extraction_jobs(redis, item_ids)

    executed = outcomes.get("completed/executed", 0)
    sent_once = sum(1 for i in item_ids if sent.get(i) == 1)
    product_stats = _common.summarise_ms(product_s)
    baseline_stats = _common.summarise_ms(baseline_s)
    return {
        "suite": SUITE,
        "baseline_name": "bare conditional UPDATE + INSERT of the outbound message in one transaction",
        "machine": _common.machine_info(admin),
        "parameters": {
            "items": options.items,
            "warmup": options.warmup,
            "model": "offline (drafts only, not timed)",
            "adapter": "sandbox",
            "extraction": "queued to Redis (the product default)",
        },
        "product": {**product_stats, "outcomes": outcomes},
        "baseline": {**baseline_stats, "executed": baseline_ok},
        "ratio_p50": round(float(product_stats["p50_ms"]) / float(baseline_stats["p50_ms"]), 2)
        if baseline_stats["p50_ms"]
        else None,
        "integrity": {
            "items": len(item_ids),
            "executed": executed,
            "sent_exactly_once": sent_once,
            "all_executed_once": executed == options.items and sent_once == len(item_ids),
        },
    }


def print_table(console: Console, result: dict[str, Any]) -> None:
    table = Table(title=f"approvals — vs. {result['baseline_name']}")
    for column in ("side", "n", "p50 ms", "p95 ms", "mean ms"):
        table.add_column(column, justify="left" if column == "side" else "right")
    product = result["product"]
    rows = [("baseline", result["baseline"]), ("product: approve → executed", product)]
    for label, data in rows:
        table.add_row(
            label, str(data["n"]), f"{data['p50_ms']:.1f}", f"{data['p95_ms']:.1f}", f"{data['mean_ms']:.1f}"
        )
    console.print(table)
    integrity = result["integrity"]
    console.print(
        f"p50 ratio product/baseline: [bold]{result['ratio_p50']}[/bold]; "
        f"{integrity['executed']} executed, {integrity['sent_exactly_once']}/{integrity['items']} sent exactly once"
    )


def run_cli(console: Console, **options: Any) -> int:
    """Run the approve → executed benchmark, print a table, write bench/results/approvals.json."""
    opts = Options(**{k: v for k, v in options.items() if v is not None})
    result = asyncio.run(run(opts, console))
    path = _common.write_result(SUITE, result, results_dir=opts.results_dir)
    print_table(console, result)
    console.print(f"wrote {path}")
    return 0 if result["integrity"]["all_executed_once"] else 1


if __name__ == "__main__":
    raise SystemExit(run_cli(Console()))
