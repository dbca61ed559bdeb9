"""`fanpilot eval [SUITE…]`: the agent suites (reply, assistant, injection, policy, voice, safety) and LoCoMo."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core.settings import ProviderName
from evals.cases import SUITES as AGENT_SUITES

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


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_(
        suites: Annotated[
            list[str] | None,
            typer.Argument(
                help="reply, assistant, injection, policy, locomo (default: all four agent suites)"
            ),
        ] = None,
        dataset: Annotated[Path | None, typer.Option(help="A JSONL file in the eval case format.")] = None,
        provider: Annotated[
            str | None, typer.Option(help="offline | openai | anthropic (default: as configured)")
        ] = None,
        json_out: Annotated[
            Path | None, typer.Option("--json", help="Write every result as JSON here.")
        ] = None,
        data: Annotated[
            Path | None, typer.Option("--data", help="LoCoMo: a directory or file of LoCoMo JSON.")
        ] = None,
        limit: Annotated[int | None, typer.Option(help="LoCoMo: at most N conversations.")] = None,
        max_questions: Annotated[
            int | None, typer.Option(help="LoCoMo: at most N questions per conversation.")
        ] = None,
    ) -> None:
        """Run eval suites through the real graphs on a scratch database and print a table per suite."""
        from evals.cli import eval_command

        chosen = list(suites or [])
        unknown = [s for s in chosen if s not in (*AGENT_SUITES, "locomo")]
        if unknown:
            raise typer.BadParameter(f"unknown suite(s): {', '.join(unknown)}")
        if provider not in (None, "offline", "openai", "anthropic"):
            raise typer.BadParameter("provider must be offline, openai or anthropic")
        code = 0
        agent_suites: list[str] = [s for s in chosen if s in AGENT_SUITES] if chosen else list(AGENT_SUITES)
        if agent_suites or dataset is not None:
            chosen_provider: ProviderName | None = provider  # type: ignore[assignment]
            agent_json = json_out if "locomo" not in chosen else None
            code = eval_command(
                agent_suites, dataset=dataset, provider=chosen_provider, json_out=agent_json, console=console
            )
        if "locomo" in chosen:
            result = _locomo(data, limit, max_questions)
            if json_out:
                json_out.parent.mkdir(parents=True, exist_ok=True)
                json_out.write_text(json.dumps(result, indent=2) + "\n")
                console.print(f"wrote {json_out}")
        raise typer.Exit(code=code)
