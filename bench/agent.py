"""Non-LLM overhead per reply run: `start_reply_run` with the offline model vs. an empty LangGraph graph.

Product: `agent.runner.start_reply_run` on a seeded fan (spend, tag, history, three memories), run to
the gate's interrupt — context loading, memory recall (local embedder), the offline model's draft,
guardrails, the queue row, run bookkeeping and checkpoint writes.

Baseline: the same framework skeleton the runner uses — open the AsyncPostgresSaver on the same
database, compile a graph of one no-op node that calls `interrupt()`, invoke, read the state back.

The difference of the two is Fanpilot's own overhead per run. The offline model is rule-based, so its
share is small; it is inside the product figure. Runs alternate product/baseline to share any drift.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import _common
from core.db import tenant_session
from core.settings import get_settings
from core.tenancy import SYSTEM

SUITE = "agent"


class EmptyState(TypedDict):
    run_id: str


async def _wait_here(state: EmptyState) -> dict[str, Any]:
    interrupt({"item_id": state["run_id"], "status": "pending"})
    return {}


def build_empty_graph(checkpointer: Any) -> Any:
    graph = StateGraph(EmptyState)
    graph.add_node("noop", _wait_here)
    graph.add_edge(START, "noop")
    graph.add_edge("noop", END)
    return graph.compile(checkpointer=checkpointer, name="empty")


async def baseline_run(engine: AsyncEngine) -> str:
    """One empty-graph run to its interrupt, the way the runner drives the reply graph."""
    from agent.checkpointer import open_checkpointer

    run_id = str(uuid.uuid4())
    config: Any = {"configurable": {"thread_id": f"bench-empty:{run_id}"}}
    async with open_checkpointer(engine) as saver:
        graph = build_empty_graph(saver)
        await graph.ainvoke({"run_id": run_id}, config)
        snapshot = await graph.aget_state(config)
    if not snapshot.interrupts:
        raise RuntimeError("the empty graph did not stop at its interrupt")
    return config["configurable"]["thread_id"]


@dataclass(frozen=True)
class Options:
    runs: int = 50
    warmup: int = 3
    admin_url: str | None = None
    redis_url: str | None = None
    results_dir: Path | None = None


async def _checkpoints_per_thread(engine: AsyncEngine, prefix: str) -> float:
    async with tenant_session(SYSTEM, engine=engine) as session:
        rows = (
            await session.execute(
                text("SELECT count(*) FROM checkpoints WHERE thread_id LIKE :p GROUP BY thread_id"),
                {"p": prefix + "%"},
            )
        ).all()
    return round(sum(int(r[0]) for r in rows) / len(rows), 2) if rows else 0.0


async def run(options: Options, console: Console) -> dict[str, Any]:
    settings = get_settings()
    redis = _common.redis_url(settings, options.redis_url)
    admin = _common.admin_url(settings, options.admin_url)
    run_settings = _common.offline_settings(redis)
    total = options.warmup + options.runs
    product: list[float] = []
    baseline: list[float] = []
    statuses: dict[str, int] = {}
    async with (
        _common.scratch_database(SUITE, settings=settings, admin=admin) as scratch,
        _common.engine_for(scratch.urls.app, pool_size=10) as engine,
    ):
        tenant = await _common.make_bench_tenant(engine)
        console.print(f"[bold]agent[/bold]: seeding {total} fans (history, spend, memories)")
        fans = [await _common.seed_fan(engine, tenant, n=i) for i in range(total)]
        console.print(f"  {options.runs} runs each (+{options.warmup} warm-up), alternating")
        for i, (fan_id, inbound_id) in enumerate(fans):
            measured = i >= options.warmup
            order = ("baseline", "product") if i % 2 == 0 else ("product", "baseline")
            for side in order:
                began = time.perf_counter()
                if side == "baseline":
                    await baseline_run(engine)
                    elapsed = time.perf_counter() - began
                    if measured:
                        baseline.append(elapsed)
                    continue
                result = await _common.reply_run(engine, tenant, (fan_id, inbound_id), run_settings)
                elapsed = time.perf_counter() - began
                if measured:
                    product.append(elapsed)
                    key = f"{result.status}/{result.item_status}"
                    statuses[key] = statuses.get(key, 0) + 1
        product_checkpoints = await _checkpoints_per_thread(engine, "reply:")
        baseline_checkpoints = await _checkpoints_per_thread(engine, "bench-empty:")

    product_stats = _common.summarise_ms(product)
    baseline_stats = _common.summarise_ms(baseline)
    reached_gate = statuses.get("interrupted/pending", 0)
    return {
        "suite": SUITE,
        "baseline_name": "empty LangGraph graph (one no-op node + interrupt) on the same AsyncPostgresSaver",
        "machine": _common.machine_info(admin),
        "parameters": {
            "runs": options.runs,
            "warmup": options.warmup,
            "model": "offline (rule-based, no network)",
            "adapter": "sandbox",
            "fan": "1 tip, 1 tag, 3 messages, 3 memories (local MiniLM embedder)",
        },
        "product": {**product_stats, "checkpoints_per_run": product_checkpoints, "outcomes": statuses},
        "baseline": {**baseline_stats, "checkpoints_per_run": baseline_checkpoints},
        "overhead_p50_ms": round(float(product_stats["p50_ms"]) - float(baseline_stats["p50_ms"]), 3),
        "overhead_p95_ms": round(float(product_stats["p95_ms"]) - float(baseline_stats["p95_ms"]), 3),
        "overhead_mean_ms": round(float(product_stats["mean_ms"]) - float(baseline_stats["mean_ms"]), 3),
        "all_runs_reached_gate": reached_gate == options.runs,
    }


def print_table(console: Console, result: dict[str, Any]) -> None:
    table = Table(title=f"agent — vs. {result['baseline_name']}")
    for column in ("side", "runs", "p50 ms", "p95 ms", "mean ms", "checkpoints/run"):
        table.add_column(column, justify="left" if column == "side" else "right")
    for side in ("baseline", "product"):
        data = result[side]
        table.add_row(
            side,
            str(data["n"]),
            f"{data['p50_ms']:.1f}",
            f"{data['p95_ms']:.1f}",
            f"{data['mean_ms']:.1f}",
            f"{data['checkpoints_per_run']:g}",
        )
    console.print(table)
    console.print(
        f"Fanpilot overhead per reply run: p50 [bold]{result['overhead_p50_ms']:.1f} ms[/bold], "
        f"p95 {result['overhead_p95_ms']:.1f} ms; all runs reached the gate: {result['all_runs_reached_gate']}"
    )


def run_cli(console: Console, **options: Any) -> int:
    """Run the agent-overhead benchmark, print a table, write bench/results/agent.json."""
    opts = Options(**{k: v for k, v in options.items() if v is not None})
    result = asyncio.run(run(opts, console))
    path = _common.write_result(SUITE, result, results_dir=opts.results_dir)
    print_table(console, result)
    console.print(f"wrote {path}")
    return 0 if result["all_runs_reached_gate"] else 1


if __name__ == "__main__":
    raise SystemExit(run_cli(Console()))
