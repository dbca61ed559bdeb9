"""`fanpilot backup` / `fanpilot restore`: pg_dump / pg_restore of the whole database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)


def _owner_url() -> str:
    from core import embedded
    from core.db import resolve_database_urls

    try:
        return resolve_database_urls().owner
    except embedded.EmbeddedServiceError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc


def register(app: typer.Typer) -> None:
    @app.command()
    def backup(
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Backup file (default: var/backups/fanpilot-<UTC time>.dump)."
        ),
    ) -> None:
        """Back up the whole database (pg_dump, custom format) as the owner role."""
        from core import backup as backups
        from core.settings import get_settings

        path = (
            output or get_settings().var_dir / "backups" / f"fanpilot-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.dump"
        )
        try:
            result = backups.backup(_owner_url(), path)
        except backups.BackupError as exc:
            err.print(f"[bold red]error:[/] {exc.message}")
            raise typer.Exit(code=1) from exc
        console.print(f"backed up to {result.path} ({result.bytes:,} bytes)")

    @app.command()
    def restore(
        path: Path = typer.Argument(..., help="A file written by `fanpilot backup`."),
        clean: bool = typer.Option(
            False, "--clean", help="Replace what the database holds (default: it must be empty)."
        ),
    ) -> None:
        """Restore a backup into the configured database (empty, or --clean to replace it)."""
        from core import backup as backups

        try:
            backups.restore(_owner_url(), path, clean=clean)
        except backups.BackupError as exc:
            err.print(f"[bold red]error:[/] {exc.message}")
            raise typer.Exit(code=1) from exc
        console.print(f"restored {path}")
