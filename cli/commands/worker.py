"""`fanpilot worker`: run arq workers (agent runs, webhooks, expiry, sweeps)."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        burst: bool = typer.Option(False, "--burst", help="Exit when the queue is empty."),
    ) -> None:
        """Run a background worker (any number can run side by side)."""
        import asyncio

        from core import embedded
        from core.db import resolve_database_urls
        from core.redis import resolve_redis_url

        try:
            resolve_database_urls()
            resolve_redis_url()
        except embedded.EmbeddedServiceError as exc:
            console.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(code=1) from exc
        from api import worker as jobs
        from cli.commands._startup import verify_embedder_or_exit

        asyncio.run(verify_embedder_or_exit(console))

        async def run() -> None:
            stop = asyncio.Event()
            jobs.install_stop_signals(stop)
            await jobs.run_until_stopped(burst=burst, stop=stop)

        asyncio.run(run())
