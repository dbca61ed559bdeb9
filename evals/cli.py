"""`fanpilot eval`: run suites, print a table per suite, optionally write JSON."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.settings import ProviderName
from evals.cases import SUITES, Case, load_cases
from evals.cases import default_dataset as dataset_for
from evals.metrics import CEILING_METRICS, GATED_METRICS, CaseResult, below_threshold, suite_metrics
from evals.runner import run_cases, scratch_database, use_provider

THRESHOLDS_FILE = Path(__file__).parent / "thresholds.json"


def load_thresholds(path: Path = THRESHOLDS_FILE) -> dict[str, dict[str, float]]:
    data = json.loads(path.read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


def select_cases(suites: list[str], dataset: Path | None) -> dict[str, list[Case]]:
    """Cases per suite: from --dataset (split by each case's suite) or the built-in datasets."""
    if dataset is not None:
        grouped: dict[str, list[Case]] = {}
        for case in load_cases(dataset):
            if not suites or case.suite in suites:
                grouped.setdefault(case.suite, []).append(case)
        return grouped
    return {s: load_cases(dataset_for(s)) for s in suites or SUITES if s in SUITES}  # type: ignore[arg-type]


async def run_suites(
    grouped: dict[str, list[Case]],
    *,
    provider: ProviderName | None,
    console: Console,
    concurrency: int = 8,
) -> dict[str, list[CaseResult]]:
    use_provider(provider)
    results: dict[str, list[CaseResult]] = {}
    total = sum(len(c) for c in grouped.values())
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("eval", total=total)
        async with scratch_database() as engine:
            for suite, cases in grouped.items():
                progress.update(task, description=f"eval {suite}")
                results[suite] = await run_cases(
                    engine,
                    cases,
                    provider=provider,
                    concurrency=concurrency,
                    on_result=lambda _: progress.advance(task),
                )
    return results


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def table_for(suite: str, metrics: dict[str, Any], floors: dict[str, float]) -> Table:
    table = Table(title=f"{suite} ({metrics['cases']} cases)", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("floor", justify="right")
    table.add_column("", justify="center")
    for name, value in metrics.items():
        if name == "cases":
            continue
        ceiling = name in CEILING_METRICS
        floor = floors.get(f"{name}_max") if ceiling else floors.get(name)
        ok = ""
        if floor is not None:
            if ceiling:
                good = (
                    (value or 0) <= floor + 1e-9
                    if name == "errors"
                    else value is not None and value <= floor + 1e-9
                )
            else:
                good = value is not None and value >= floor - 1e-9
            ok = "[green]ok[/]" if good else ("[red]HIGH[/]" if ceiling else "[red]LOW[/]")
        gated = name in GATED_METRICS or name in CEILING_METRICS
        table.add_row(name, _fmt(value), _fmt(floor), ok, style=None if gated else "dim")
    return table


def report(
    results: dict[str, list[CaseResult]], console: Console, *, show_failures: int = 5
) -> tuple[dict[str, Any], list[str]]:
    thresholds = load_thresholds()
    summary: dict[str, Any] = {}
    failing: list[str] = []
    for suite, rows in results.items():
        metrics = suite_metrics(rows)
        floors = thresholds.get(suite, {})
        console.print(table_for(suite, metrics, floors))
        bad = [r for r in rows if not r.passed]
        for r in bad[:show_failures]:
            console.print(f"  [red]✗[/] {r.case.id}: {', '.join(r.failed_checks)}", highlight=False)
        if len(bad) > show_failures:
            console.print(f"  … {len(bad) - show_failures} more failing cases (see --json)")
        failing += [f"{suite}: {m}" for m in below_threshold(metrics, floors)]
        summary[suite] = {
            "metrics": metrics,
            "thresholds": floors,
            "cases": [
                {
                    "id": r.case.id,
                    "passed": r.passed,
                    "failed": r.failed_checks,
                    "reply": r.outcome.reply_text,
                    "actions": [
                        {"type": a.type, "args": a.args, "flags": a.flags, "status": a.status}
                        for a in r.outcome.actions
                    ],
                    "tool_calls": r.outcome.tool_calls,
                    "memories_used": r.outcome.memories_used,
                    "quality": {
                        "memory_in_text": r.memory_in_text,
                        "reflects_message": r.reflects_message,
                        "voice_ok": r.voice_ok,
                        "language_ok": r.language_ok,
                        "generic": r.generic,
                    },
                }
                for r in rows
            ],
        }
    return summary, failing


def eval_command(
    suites: list[str],
    *,
    dataset: Path | None,
    provider: ProviderName | None,
    json_out: Path | None,
    console: Console,
) -> int:
    grouped = select_cases(suites, dataset)
    if not grouped:
        console.print("no cases selected")
        return 1
    results = asyncio.run(run_suites(grouped, provider=provider, console=console))
    summary, failing = report(results, console)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(summary, indent=2, default=str, ensure_ascii=False))
    for line in failing:
        console.print(f"[red]below threshold[/] {line}")
    return 1 if failing else 0
