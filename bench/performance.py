"""The performance page's queries: p95 per report at demo size and at a bench seed, vs. a plain GROUP BY.

Product: each report the way `/api/performance/<report>` answers it — the window's timezone, then the
numbers service (`crm.analytics.service`) in a tenant session with the owner's principal (row-level
security on), for both demo creators over the last 30 days. The HTTP layer is left out: it is the
same for every route and is measured by the webhooks suite.

Baseline: the least a database does for a figure of the same report — one plain `GROUP BY` over the
same table and window as the server's superuser (row-level security bypassed): transactions per kind, subscription events per
type, messages per direction, decided items per decider, both creators' transactions per creator.

Sizes: the demo (200 fans over two creators, with a week of decided drafts, `crm.demo_decisions`),
then the same rows multiplied in SQL up to 100k messages, 20k transactions and 5k decided items
(copies shifted back in time; the reports' windows still cover most of them).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
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
from core.tenancy import Principal
from crm.analytics import service as analytics
from crm.analytics.periods import Period, resolve_window
from crm.demo_decisions import seed_demo_decisions

SUITE = "performance"
START = "now() - interval '30 days'"
BASELINES = {
    "revenue": f"SELECT kind, sum(amount) FROM fan_transactions WHERE creator_id = ANY(:ids) AND occurred_at >= {START} GROUP BY kind",
    "subscribers": f"SELECT event_type, count(*) FROM fan_subscription_events WHERE creator_id = ANY(:ids) AND occurred_at >= {START} GROUP BY event_type",
    "responses": f"SELECT direction, count(*) FROM fan_messages WHERE creator_id = ANY(:ids) AND sent_at >= {START} GROUP BY direction",
    "team": f"SELECT decided_by, count(*) FROM hitl_action_queue WHERE creator_id = ANY(:ids) AND decided_at >= {START} GROUP BY decided_by",
    "creators": f"SELECT creator_id, sum(amount) FROM fan_transactions WHERE creator_id = ANY(:ids) AND occurred_at >= {START} GROUP BY creator_id",
}  # fmt: skip
SCALE_TO = {"fan_messages": ("sent_at", 100_000), "fan_transactions": ("occurred_at", 20_000)}
DECIDED_TO = 5_000


@dataclass(frozen=True)
class Options:
    runs: int = 40
    warmup: int = 5
    admin_url: str | None = None
    results_dir: Path | None = None


Report = Callable[[Any, Principal, list[Any], Any], Awaitable[Any]]
REPORTS: dict[str, Report] = {
    "revenue": lambda s, p, ids, w: analytics.revenue(s, p, creator_ids=ids, window=w, bucket="auto"),
    "subscribers": lambda s, p, ids, w: analytics.subscription_flow(s, p, creator_ids=ids, window=w, bucket="auto"),
    "responses": lambda s, p, ids, w: analytics.response_stats(s, p, creator_ids=ids, window=w),
    "team": lambda s, p, ids, w: analytics.team_performance(s, p, creator_ids=ids, window=w, bucket="auto"),
    "creators": lambda s, p, ids, w: analytics.creators_summary(s, p, creator_ids=ids, window=w),
}  # fmt: skip


async def _columns(bare: AsyncEngine, table: str) -> list[str]:
    async with bare.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = :t"
                " AND is_generated = 'NEVER' ORDER BY ordinal_position"
            ),
            {"t": table},
        )
        return [r[0] for r in rows]


async def _multiply(bare: AsyncEngine, table: str, when: str, target: int, extra: dict[str, str]) -> int:
    """Copy the table's rows (new ids, shifted back in time) until it holds about `target` rows."""
    cols = await _columns(bare, table)
    async with bare.begin() as conn:
        have = int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
        if have == 0 or have >= target:
            return have
        copies = -(-(target - have) // have)
        replaced = {"id": "gen_random_uuid()", when: f"t.{when} - g * interval '17 minutes'", **extra}
        select = ", ".join(replaced.get(c, f"t.{c}") for c in cols)
        await conn.execute(
            text(
                f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM {table} t,"
                f" generate_series(1, {copies}) g LIMIT {target - have}"
            )
        )
        await conn.execute(text(f"ANALYZE {table}"))
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def _scale_up(bare: AsyncEngine) -> dict[str, int]:
    counts = {}
    for table, (when, target) in SCALE_TO.items():
        blanks = {"platform_message_id": "NULL", "hitl_item_id": "NULL", "external_id": "NULL"}
        counts[table] = await _multiply(bare, table, when, target, blanks)
    counts["decided_items"] = await _multiply(
        bare,
        "hitl_action_queue",
        "decided_at",
        DECIDED_TO,
        {
            "idempotency_key": "'bench-' || gen_random_uuid()",
            "created_at": "t.created_at - g * interval '17 minutes'",
        },
    )
    return counts


async def _measure(
    engine: AsyncEngine, bare: AsyncEngine, principal: Principal, options: Options
) -> dict[str, Any]:
    ids = sorted(principal.creator_ids)
    out: dict[str, Any] = {}
    for name, report in REPORTS.items():
        product: list[float] = []
        baseline: list[float] = []
        for i in range(options.warmup + options.runs):
            began = time.perf_counter()
            async with tenant_session(principal, engine=engine) as s:
                tz = await analytics.window_timezone(s, principal, creator_ids=ids)
                await report(s, principal, ids, resolve_window(Period.last_30_days, tz=tz))
            elapsed = time.perf_counter() - began
            began = time.perf_counter()
            async with bare.connect() as conn:
                (await conn.execute(text(BASELINES[name]), {"ids": ids})).all()
            base = time.perf_counter() - began
            if i >= options.warmup:
                product.append(elapsed)
                baseline.append(base)
        p, b = _common.summarise_ms(product), _common.summarise_ms(baseline)
        out[name] = {
            "product": p,
            "baseline": b,
            "p95_ratio": round(p["p95_ms"] / b["p95_ms"], 1) if b["p95_ms"] else None,
        }
    return out


async def run(options: Options, console: Console) -> dict[str, Any]:
    settings = get_settings()
    admin = _common.admin_url(settings, options.admin_url)
    sizes: dict[str, Any] = {}
    async with (
        _common.scratch_database(SUITE, settings=settings, admin=admin) as scratch,
        _common.engine_for(scratch.urls.app, pool_size=4) as engine,
        _common.engine_for(_common._replace_db(scratch.admin_url, scratch.name), pool_size=4) as bare,
    ):
        console.print("  seeding the demo (200 fans, two creators) and a week of decisions")
        ids = await seed_demo_decisions(engine)
        async with bare.connect() as conn:
            agency = (
                await conn.execute(
                    text("SELECT agency_id FROM creator_profiles WHERE id = :id"), {"id": ids["mia"]}
                )
            ).scalar_one()
        owner = Principal.for_creators(ids["mia"], ids["raven"], agency_id=agency)
        for label in ("demo", "bench"):
            if label == "bench":
                console.print("  multiplying rows to the bench seed")
            async with bare.connect() as conn:
                counts = {
                    t: int((await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one())
                    for t in ("fan_profiles", "fan_messages", "fan_transactions")
                }
                counts["decided_items"] = int(
                    (
                        await conn.execute(
                            text("SELECT count(*) FROM hitl_action_queue WHERE decided_at IS NOT NULL")
                        )
                    ).scalar_one()
                )
            if label == "bench":
                counts.update(await _scale_up(bare))
            console.print(f"  {label}: {counts}; {options.runs} runs per report (+{options.warmup} warm-up)")
            sizes[label] = {"rows": counts, "reports": await _measure(engine, bare, owner, options)}
    return {
        "suite": SUITE,
        "machine": _common.machine_info(admin),
        "parameters": {
            "runs": options.runs,
            "warmup": options.warmup,
            "period": "last_30_days",
            "creators": 2,
        },
        "baseline": "one plain GROUP BY over the same table and window, the server's superuser (RLS bypassed)",
        "sizes": sizes,
    }


def print_table(console: Console, result: dict[str, Any]) -> None:
    table = Table(title="performance reports, p95 ms")
    for column in ("size", "report", "baseline p95", "Fanpilot p50", "Fanpilot p95", "ratio"):
        table.add_column(column)
    for size, data in result["sizes"].items():
        for report, figures in data["reports"].items():
            table.add_row(
                size, report, str(figures["baseline"]["p95_ms"]), str(figures["product"]["p50_ms"]),
                str(figures["product"]["p95_ms"]), str(figures["p95_ratio"]),
            )  # fmt: skip
    console.print(table)


def run_cli(console: Console, **options: Any) -> int:
    """Run the performance-reports benchmark, print a table, write bench/results/performance.json."""
    opts = Options(**{k: v for k, v in options.items() if v is not None})
    result = asyncio.run(run(opts, console))
    path = _common.write_result(SUITE, result, results_dir=opts.results_dir)
    print_table(console, result)
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_cli(Console()))
