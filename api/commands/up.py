"""`fanpilot up`: the one-command local product."""

from __future__ import annotations

import time

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    @app.command()
    def up(
        port: int = typer.Option(None, help="HTTP port (default from settings)."),
    ) -> None:
        """Start embedded Postgres + Redis, migrate, seed demo data if empty, and serve the API."""
        import uvicorn

        from core import embedded
        from core.db import resolve_database_urls
        from core.redis import resolve_redis_url
        from core.settings import get_settings
        from migrations import runner

        settings = get_settings()
        started = time.monotonic()
        try:
            urls = resolve_database_urls(settings)
            resolve_redis_url(settings)
        except embedded.EmbeddedServiceError as exc:
            console.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(code=1) from exc
        runner.upgrade(urls.owner)
        port = port or settings.port
        console.print(
            f"[green]ready in {time.monotonic() - started:.1f}s[/] — http://{settings.host}:{port}/healthz"
        )
        uvicorn.run("api.app:create_app", factory=True, host=settings.host, port=port, log_level="info")
