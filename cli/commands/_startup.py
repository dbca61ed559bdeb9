"""Checks a long-running process makes before it serves: refuse to run with the wrong embedder."""

from __future__ import annotations

import typer
from rich.console import Console


async def verify_embedder_or_exit(console: Console) -> None:
    """The configured embedder must match fan_memories (dimension, and the model of stored rows)."""
    from core.db import get_engine
    from core.errors import AppError
    from memory.embeddings import get_embedder, verify_embedding_compat

    try:
        await verify_embedding_compat(get_engine(), get_embedder())
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(code=1) from exc
    finally:
        # The pool's connections belong to this event loop; the caller may run another one next.
        await get_engine().dispose()
