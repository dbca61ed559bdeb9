"""`fanpilot seed --demo`: the demo agency, creators, staff logins and fans."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()


def register(app: typer.Typer) -> None:
    @app.command()
    def seed(
        demo: bool = typer.Option(False, "--demo", help="Create the demo agency (Velvet Agency)."),
        fans: int = typer.Option(200, "--fans", min=0, max=20000, help="How many demo fans."),
    ) -> None:
        """Seed the database with demo data (two creators, staff logins, fans with histories)."""
        from core import embedded
        from core.db import make_engine, resolve_database_urls
        from core.errors import Conflict
        from crm.demo import DemoSummary, seed_demo

        if not demo:
            console.print("nothing to do: pass --demo")
            raise typer.Exit(code=2)
        try:
            urls = resolve_database_urls()
        except embedded.EmbeddedServiceError as exc:
            console.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(code=1) from exc

        async def run(progress: Progress) -> DemoSummary:
            tasks: dict[str, TaskID] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total)
                progress.update(tasks[stage], completed=done, total=total)

            from memory.demo import learn_from_histories

            engine = make_engine(urls.app, pool_size=2)
            try:
                summary = await seed_demo(engine, fans=fans, progress=report)
                # What the worker would have learned from these conversations (pattern extractor).
                await learn_from_histories(engine, summary.creator_ids, progress=report)
                return summary
            finally:
                await engine.dispose()

        columns = (
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        try:
            with Progress(*columns, console=console) as progress:
                summary = asyncio.run(run(progress))
        except Conflict as exc:
            console.print(f"[yellow]{exc.message}[/] — nothing changed")
            raise typer.Exit(code=1) from exc

        table = Table(title="Demo data", show_header=False)
        for label, value in (
            ("fans", summary.fans),
            ("subscriptions / events", f"{summary.subscriptions} / {summary.subscription_events}"),
            ("transactions", summary.transactions),
            ("messages", summary.messages),
            ("tags / scores / notes", f"{summary.tags} / {summary.scores} / {summary.notes}"),
            *((f"segment {name}", count) for name, count in summary.segments.items()),
        ):
            table.add_row(label, str(value))
        console.print(table)
        console.print("Logins (password [bold]" + summary.password + "[/]):")
        for email in summary.staff_emails:
            console.print(f"  {email}")
