"""`fanpilot up`: the one-command local product."""

from __future__ import annotations

import asyncio
import time
import uuid

import typer
from rich.console import Console
from rich.panel import Panel

console = Console()
# Fans (per demo creator) that get a first draft on the first start, so the inbox is not empty.
DEMO_DRAFTS_PER_CREATOR = 4


async def prime_demo_drafts(
    creator_ids: tuple[uuid.UUID, ...], *, per_creator: int = DEMO_DRAFTS_PER_CREATOR
) -> int:
    """Queue reply runs for the top fans whose last message is still unanswered."""
    from core import queue
    from core.db import tenant_session
    from core.tenancy import Principal
    from crm.enums import MessageDirection
    from crm.fans import service as fans

    queued = 0
    for creator_id in creator_ids:
        principal = Principal.for_creators(creator_id)
        async with tenant_session(principal) as s:
            candidates = await fans.list_fans(s, principal, creator_id=creator_id, limit=60)
            picked: list[tuple[uuid.UUID, uuid.UUID]] = []
            for fan in candidates:
                if len(picked) >= per_creator:
                    break
                last_in, last_out = fan.last_inbound_at, fan.last_outbound_at
                if last_in is None or (last_out is not None and last_out >= last_in):
                    continue
                messages = await fans.recent_messages(s, principal, fan_id=fan.id, limit=1)
                if messages and messages[-1].direction == MessageDirection.inbound:
                    picked.append((fan.id, messages[-1].id))
        for fan_id, message_id in picked:
            ok = await queue.enqueue(
                "run_reply",
                creator_id=str(creator_id),
                fan_id=str(fan_id),
                kind="reply",
                trigger="manual",
                inbound_message_id=str(message_id),
                dedupe_key=f"demo:{message_id}",
                job_id=f"run:demo:{message_id}",
            )
            queued += int(ok)
    return queued


def register(app: typer.Typer) -> None:
    @app.command()
    def up(
        port: int = typer.Option(None, help="HTTP port (default from settings)."),
        demo: bool = typer.Option(True, "--demo/--no-demo", help="Seed the demo agency on first start."),
    ) -> None:
        """Start embedded Postgres + Redis, migrate, seed the demo if empty, run API + worker."""
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
        asyncio.run(_serve(settings.host, port, demo=demo, started=started))


async def _serve(host: str, port: int, *, demo: bool, started: float) -> None:
    import uvicorn

    from api.worker import run_until_stopped
    from cli.commands._startup import verify_embedder_or_exit
    from core.db import get_engine
    from crm.demo import DEMO_CREATOR_LOGIN, DEMO_PASSWORD, DEMO_STAFF, seed_if_empty

    await verify_embedder_or_exit(console)
    drafts = 0
    if demo:
        with console.status("seeding the demo agency (first start only)…"):
            summary = await seed_if_empty(get_engine())
        if summary is not None:
            from memory.demo import learn_from_histories

            with console.status("learning demo fans' memories from their histories…"):
                await learn_from_histories(get_engine(), summary.creator_ids)
            drafts = await prime_demo_drafts(summary.creator_ids)
    stop_worker = asyncio.Event()
    worker_task = asyncio.create_task(run_until_stopped(stop=stop_worker))
    base = f"http://{host}:{port}"
    logins = "\n".join(f"  {email:<34} {role}" for email, _, role in (*DEMO_STAFF, DEMO_CREATOR_LOGIN))
    console.print(
        Panel.fit(
            f"[bold]Inbox[/]   {base}/inbox\n[bold]Chat[/]    {base}/chat\n[bold]API[/]     {base}/docs\n\n"
            f"[bold]Demo logins[/] (password [cyan]{DEMO_PASSWORD}[/])\n{logins}\n\n"
            + (f"{drafts} demo draft(s) are being written by the worker.\n" if drafts else "")
            + "Send a signed sample webhook: see docs/api.md.",
            title=f"Fanpilot ready in {time.monotonic() - started:.1f}s",
            border_style="green",
        )
    )
    config = uvicorn.Config("api.app:create_app", factory=True, host=host, port=port, log_level="info")
    try:
        await uvicorn.Server(config).serve()
    finally:
        stop_worker.set()
        await worker_task
