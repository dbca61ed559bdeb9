"""`fanpilot bench SUITE`: benchmarks, each against a named baseline in the same run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markdown import Markdown

console = Console()


def _memory(sizes: str, out: Path, queries: int) -> dict[str, Any]:
    from bench import memory

    parsed = [
        int(s.replace("_", "").replace("k", "000").replace("m", "000000")) for s in sizes.split(",") if s
    ]
    console.print(
        f"memory benchmark at {', '.join(f'{n:,}' for n in parsed)} memories (each size in its own scratch database)"
    )
    report = memory.run(parsed, out=out, queries=queries)
    table = memory.markdown(report)
    console.print(Markdown(table))
    print(table)
    for run in report["runs"]:
        console.print(
            f"{run['memories']:,} memories: COPY {run['copy_s']} s, HNSW build {run['hnsw_build_s']} s, total {run['total_s']} s"
        )
    console.print(f"wrote {out}")
    return report


SUITES: dict[str, Callable[[str, Path, int], dict[str, Any]]] = {"memory": _memory}
# Suites with their own runner (`bench/<suite>.py: run_cli(console, **options) -> int`).
RUN_CLI_SUITES = ("webhooks", "agent", "approvals", "automation", "performance")
KNOWN = (*SUITES, *RUN_CLI_SUITES)


def register(app: typer.Typer) -> None:
    @app.command("bench")
    def bench_command(
        suite: str = typer.Argument(..., help=f"Benchmark to run: {', '.join(KNOWN)}."),
        sizes: str = typer.Option(
            "10000,100000", "--sizes", help="Comma-separated dataset sizes (memories)."
        ),
        out: Path | None = typer.Option(
            None, "--out", help="JSON output (default bench/results/<suite>.json)."
        ),
        queries: int = typer.Option(100, "--queries", help="Measured queries per size."),
    ) -> None:
        """Run a benchmark; prints a markdown table and writes JSON to bench/results/."""
        if suite not in KNOWN:
            raise typer.BadParameter(f"unknown suite {suite!r}; known: {', '.join(KNOWN)}")
        if suite in RUN_CLI_SUITES:
            import importlib

            module = importlib.import_module(f"bench.{suite}")
            results_dir = out.parent if out else None
            raise typer.Exit(code=int(module.run_cli(console, results_dir=results_dir)))
        SUITES[suite](sizes, out or Path("bench/results") / f"{suite}.json", queries)
