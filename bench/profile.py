"""Profile a benchmark's product path: statements and round trips per operation, and a cProfile summary.

    python -m bench.profile agent [--runs 30]       # start_reply_run to the gate, vs. the empty graph
    python -m bench.profile approvals [--runs 30]   # decide(approve, deliver="now")

Statement counts (`bench.statements`) do not depend on how busy the machine is; the cProfile
summary says where the Python time goes (cumulative and own time of the heaviest functions). Used to
write the profile section of docs/bench.md; not part of `fanpilot bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import _common
from bench.statements import counting
from core.settings import get_settings


def _summary(profile: cProfile.Profile, *, top: int, sort: str) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs().sort_stats(sort).print_stats(top)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("ncalls")), 0)
    return "\n".join(lines[start:])


# Set by --sampling: run the second half without cProfile, for a sampling profiler (py-spy) to watch.
SAMPLING = False
# Set by --trace: print every statement of one operation first.
TRACE = False


async def _measure(
    name: str, op: Callable[[int], Awaitable[Any]], *, start: int, runs: int, top: int
) -> dict[str, Any]:
    print(f"measuring: {name}", flush=True)
    if TRACE:
        with counting(trace=True) as traced:
            await op(start)
        print("\n".join(traced.trace or ()), flush=True)
        start += 1
    with counting() as count:
        for i in range(runs):
            await op(start + i)
    profile = cProfile.Profile()
    began = time.perf_counter()
    if not SAMPLING:
        profile.enable()
    for i in range(runs):
        await op(start + runs + i)
    profile.disable()
    elapsed = time.perf_counter() - began
    return {
        "name": name,
        "count": count.as_dict(per=runs),
        "profiled_ms_per_op": round(elapsed * 1000 / runs, 1),
        "cumulative": "" if SAMPLING else _summary(profile, top=top, sort="cumulative"),
        "own": "" if SAMPLING else _summary(profile, top=top, sort="tottime"),
    }


async def profile_agent(runs: int, top: int) -> list[dict[str, Any]]:
    from bench.agent import baseline_run

    warmup = 3
    async with _scratch() as (engine, _, run_settings):
        tenant = await _common.make_bench_tenant(engine)
        fans = [await _common.seed_fan(engine, tenant, n=i) for i in range(warmup + 2 * runs + 1)]

        async def product(i: int) -> None:
            result = await _common.reply_run(engine, tenant, fans[i], run_settings)
            assert result.item_status == "pending", result

        async def baseline(_: int) -> None:
            await baseline_run(engine)

        return await _both(
            ("empty graph (baseline)", baseline),
            ("start_reply_run (product)", product),
            warmup=warmup,
            runs=runs,
            top=top,
        )


async def profile_approvals(runs: int, top: int) -> list[dict[str, Any]]:
    from agent.decisions import decide
    from bench.approvals import baseline_approve, draft_items

    warmup = 3
    async with _scratch(baseline_tables=True) as (engine, bare, run_settings):
        tenant = await _common.make_bench_tenant(engine)
        items, bare_items = await draft_items(engine, bare, tenant, warmup + 2 * runs + 1, run_settings)

        async def product(i: int) -> None:
            done = await decide(
                principal=tenant.principal,
                item_id=items[i],
                decision="approve",
                deliver="now",
                engine=engine,
                settings=run_settings,
            )
            assert done.status == "executed", done.status

        async def baseline(i: int) -> None:
            assert await baseline_approve(bare, bare_items[i])

        return await _both(
            ("bare UPDATE + INSERT (baseline)", baseline),
            ("approve → executed (product)", product),
            warmup=warmup,
            runs=runs,
            top=top,
        )


Op = Callable[[int], Awaitable[Any]]


async def _both(
    baseline: tuple[str, Op], product: tuple[str, Op], *, warmup: int, runs: int, top: int
) -> list[dict[str, Any]]:
    for i in range(warmup):
        await product[1](i)
        await baseline[1](i)
    return [
        await _measure(*baseline, start=warmup, runs=runs, top=top),
        await _measure(*product, start=warmup, runs=runs, top=top),
    ]


@asynccontextmanager
async def _scratch(*, baseline_tables: bool = False) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine, Any]]:
    """A scratch database: (the app role's engine, the owner's engine, offline run settings)."""
    from bench.approvals import BASELINE_DDL

    settings = get_settings()
    admin = _common.admin_url(settings, None)
    run_settings = _common.offline_settings(_common.redis_url(settings, None))
    async with _common.scratch_database("profile", settings=settings, admin=admin) as scratch:
        if baseline_tables:
            await _common.execute_owner_sql(scratch.urls.owner, *BASELINE_DDL)
        async with (
            _common.engine_for(scratch.urls.app, pool_size=10) as engine,
            _common.engine_for(scratch.urls.owner, pool_size=10) as bare,
        ):
            yield engine, bare, run_settings


def _print(console: Console, results: list[dict[str, Any]]) -> None:
    for result in results:
        count: dict[str, Any] = result["count"]
        console.rule(result["name"])
        console.print(
            f"per operation: {count['statements']} statements, ≈{count['round_trips']} round trips; "
            f"{result['profiled_ms_per_op']} ms per operation{'' if SAMPLING else ' under cProfile'}"
        )
        for kind, n in count["by_kind"].items():
            console.print(f"  {n:>6} {kind}")
        console.print("[bold]cumulative[/bold]")
        console.print(result["cumulative"], markup=False, highlight=False)
        console.print("[bold]own time[/bold]")
        console.print(result["own"], markup=False, highlight=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suite", choices=("agent", "approvals"))
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sampling", action="store_true", help="no cProfile (for py-spy)")
    parser.add_argument("--trace", action="store_true", help="print one operation's statements")
    args = parser.parse_args()
    global SAMPLING, TRACE
    SAMPLING = args.sampling
    TRACE = args.trace
    console = Console(width=200)
    suites: dict[str, Callable[[int, int], Coroutine[Any, Any, list[dict[str, Any]]]]] = {
        "agent": profile_agent,
        "approvals": profile_approvals,
    }
    _print(console, asyncio.run(suites[args.suite](args.runs, args.top)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
