"""`fanpilot eval`: the offline (or provider-backed) eval suites."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.settings import ProviderName

AGENT_SUITES = ("reply", "assistant", "injection", "policy")


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
    ) -> None:
        """Run eval suites through the real graphs on a scratch database and print a table per suite."""
        from evals.cli import eval_command

        console = Console()
        chosen = list(suites or [])
        unknown = [s for s in chosen if s not in (*AGENT_SUITES, "locomo")]
        if unknown:
            raise typer.BadParameter(f"unknown suite(s): {', '.join(unknown)}")
        if provider not in (None, "offline", "openai", "anthropic"):
            raise typer.BadParameter("provider must be offline, openai or anthropic")
        code = 0
        agent_suites = [s for s in chosen if s in AGENT_SUITES] if chosen else list(AGENT_SUITES)
        if agent_suites or dataset is not None:
            chosen_provider: ProviderName | None = provider  # type: ignore[assignment]
            code = eval_command(
                agent_suites, dataset=dataset, provider=chosen_provider, json_out=json_out, console=console
            )
        if "locomo" in chosen:
            # The LoCoMo retrieval eval belongs to the memory issue (evals/locomo.py).
            from evals import locomo  # type: ignore[attr-defined]

            code = max(code, int(locomo.run_cli(console=console) or 0))
        raise typer.Exit(code=code)
