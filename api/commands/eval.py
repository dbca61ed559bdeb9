"""`fanpilot eval SUITE...`: offline evaluation suites (retrieval quality, later drafting and policy)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

console = Console()

DEFAULT_LOCOMO_DATA = Path("../shared/data/locomo10")


def _locomo(data: Path | None, limit: int | None, max_questions: int | None) -> dict[str, Any]:
    from evals import locomo
    from memory.embeddings import LocalMiniLMEmbedder

    path = data or DEFAULT_LOCOMO_DATA
    if not path.exists():
        raise typer.BadParameter(f"{path} does not exist (pass --data DIR with LoCoMo JSON files)")
    conversations = locomo.load_locomo(path)[: limit or None]
    # The eval always uses the local MiniLM so its numbers compare across machines and runs.
    embedder = LocalMiniLMEmbedder()
    status = console.status(f"LoCoMo: {len(conversations)} conversations into a scratch database…")
    with status, locomo.scratch_database() as db:
        report = asyncio.run(
            locomo.evaluate(
                conversations, db=db, embedder=embedder, max_questions=max_questions, data_label=str(path)
            )
        )
    result = report.as_dict()
    _print_locomo(result)
    return result


def _print_locomo(result: dict[str, Any]) -> None:
    table = Table(
        title=f"LoCoMo evidence retrieval: {result['conversations']} conversations, "
        f"{result['questions']} questions, {result['turns']} turns"
    )
    for column in ("category", "n", "method"):
        table.add_column(column)
    for metric in ("R@5", "R@10", "MRR@10"):
        table.add_column(metric, justify="right")
    methods = result["methods"]
    categories = ["overall", *next(iter(methods.values()))["by_category"].keys()]
    for cat in categories:
        for i, (name, scores) in enumerate(methods.items()):
            s = scores["overall"] if cat == "overall" else scores["by_category"].get(cat, {})
            table.add_row(
                cat if i == 0 else "",
                str(s.get("questions", 0)) if i == 0 else "",
                name,
                f"{s.get('recall@5', 0):.3f}",
                f"{s.get('recall@10', 0):.3f}",
                f"{s.get('mrr@10', 0):.3f}",
                style="bold" if name == "product" else None,
                end_section=i == len(methods) - 1,
            )
    console.print(table)
    for name, scores in methods.items():
        console.print(f"  [bold]{name}[/]: {scores['label']}")


SUITES: dict[str, Callable[[Path | None, int | None, int | None], dict[str, Any]]] = {"locomo": _locomo}


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        suites: list[str] = typer.Argument(..., help=f"Suites to run: {', '.join(SUITES)}."),
        data: Path | None = typer.Option(None, "--data", help="Dataset directory or file for the suite."),
        json_out: Path | None = typer.Option(None, "--json", help="Write the results as JSON here."),
        limit: int | None = typer.Option(None, "--limit", help="Use at most N conversations / cases."),
        max_questions: int | None = typer.Option(
            None, "--max-questions", help="LoCoMo: at most N questions per conversation."
        ),
    ) -> None:
        """Run evaluation suites and print their tables (optionally write JSON)."""
        unknown = [s for s in suites if s not in SUITES]
        if unknown:
            raise typer.BadParameter(f"unknown suite(s) {', '.join(unknown)}; known: {', '.join(SUITES)}")
        results = {suite: SUITES[suite](data, limit, max_questions) for suite in suites}
        if json_out:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            payload = results[suites[0]] if len(suites) == 1 else results
            json_out.write_text(json.dumps(payload, indent=2) + "\n")
            console.print(f"wrote {json_out}")
