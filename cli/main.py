"""The `fanpilot` command line."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import typer
from rich.console import Console

from core import embedded
from core.settings import get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Fanpilot: drafts, memories, approvals.")
services_app = typer.Typer(no_args_is_help=True, help="The embedded PostgreSQL and Redis servers.")
app.add_typer(services_app, name="services")
console = Console()
err = Console(stderr=True)


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code=1)


@services_app.command("start")
def services_start() -> None:
    """Start (or reuse) the embedded PostgreSQL + pgvector and Redis servers."""
    settings = get_settings()
    try:
        if not settings.database_url:
            was = embedded.postgres_status(settings)
            pg = embedded.start_postgres(settings)
            verb = "reusing" if was else "started"
            console.print(f"PostgreSQL {verb} on 127.0.0.1:{pg.port} (pid {pg.pid}, data {pg.data_dir})")
        else:
            console.print("PostgreSQL: using DATABASE_URL")
        if not settings.redis_url:
            was_r = embedded.redis_status(settings)
            rd = embedded.start_redis(settings)
            verb = "reusing" if was_r else "started"
            console.print(f"Redis {verb} on 127.0.0.1:{rd.port} (pid {rd.pid}, data {rd.data_dir})")
        else:
            console.print("Redis: using REDIS_URL")
    except embedded.EmbeddedServiceError as exc:
        _fail(str(exc))


@services_app.command("stop")
def services_stop() -> None:
    """Stop the embedded servers (data stays in ./var)."""
    settings = get_settings()
    try:
        pg = embedded.stop_postgres(settings)
        rd = embedded.stop_redis(settings)
    except embedded.EmbeddedServiceError as exc:
        _fail(str(exc))
    console.print(f"PostgreSQL: {'stopped' if pg else 'was not running'}")
    console.print(f"Redis: {'stopped' if rd else 'was not running'}")


@services_app.command("env")
def services_env() -> None:
    """Print DATABASE_URL=… and REDIS_URL=… for the running servers."""
    from core.db import resolve_database_urls
    from core.redis import resolve_redis_url

    settings = get_settings()
    try:
        urls = resolve_database_urls(settings, start=False)
        redis_url = resolve_redis_url(settings, start=False)
    except embedded.EmbeddedServiceError as exc:
        _fail(str(exc))
    print(f"DATABASE_URL={urls.owner}")
    print(f"FANPILOT_APP_DATABASE_URL={urls.app}")
    print(f"REDIS_URL={redis_url}")


@app.command()
def migrate(
    revision: str = typer.Option("head", help="Target revision."),
    down: bool = typer.Option(False, "--down", help="Downgrade to the revision (default: base)."),
) -> None:
    """Apply (or revert) the database migrations as the owner role."""
    from core.db import resolve_database_urls
    from migrations import runner

    try:
        owner = resolve_database_urls().owner
    except embedded.EmbeddedServiceError as exc:
        _fail(str(exc))
    if runner.owner_is_superuser(owner):
        err.print(
            "[yellow]warning:[/] DATABASE_URL connects as a superuser. Use a dedicated owner role: "
            "objects a superuser owns bypass row-level security."
        )
    if down:
        runner.downgrade(owner, "base" if revision == "head" else revision)
    else:
        runner.upgrade(owner, revision)
    console.print(f"schema at revision {runner.current(owner) or 'base'}")


@app.command()
def api(
    host: str = typer.Option(None, help="Bind address (default from settings)."),
    port: int = typer.Option(None, help="Port (default from settings)."),
) -> None:
    """Run the HTTP API (stateless; run as many as you like)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


def _register_feature_commands() -> None:
    """Feature modules in cli/commands/ add their own commands through `register(app)`."""
    from cli import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"cli.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_feature_commands()


def main() -> None:  # pragma: no cover - console entry point
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    app(prog_name="fanpilot")
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
