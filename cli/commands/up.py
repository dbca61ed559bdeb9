"""`fanpilot up`: the one-command local product."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.panel import Panel

console = Console()
# Fans (per demo creator) that get a first draft on the first start, so the inbox is not empty.
DEMO_DRAFTS_PER_CREATOR = 5


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


async def prepare_demo(creator_ids: tuple[uuid.UUID, ...]) -> tuple[int, int]:
    """The demo fans' memories learned from their histories, then first drafts queued for the worker.
    Returns (memories learned, drafts queued)."""
    from core.db import get_engine
    from memory.demo import learn_from_histories

    learned = await learn_from_histories(get_engine(), creator_ids)
    return learned, await prime_demo_drafts(creator_ids)


def register(app: typer.Typer) -> None:
    @app.command()
    def up(
        port: int = typer.Option(None, help="HTTP port (default from settings)."),
        demo: bool = typer.Option(True, "--demo/--no-demo", help="Seed the demo agency on first start."),
    ) -> None:
        """Start embedded Postgres + Redis, migrate, seed the demo if empty, run API + worker.

        "Ready" is printed once the API accepts connections; on a first start the demo fans' memories
        and first drafts are prepared right after, in the same process (the inbox shows them live).
        """
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


async def _demo_to_prepare(demo: bool) -> tuple[uuid.UUID, ...]:
    """Seed the demo on a first start; the demo creators whose fans' memories are still to learn."""
    from core.db import get_engine
    from crm.demo import demo_creator_ids, seed_if_empty
    from memory.demo import creators_without_memories

    if not demo:
        return ()
    with console.status("seeding the demo agency (first start only)…"):
        summary = await seed_if_empty(get_engine())
    if summary is not None:
        return summary.creator_ids
    # A first start stopped before its memories were learned: finish it now.
    return await creators_without_memories(get_engine(), await demo_creator_ids(get_engine()))


async def _serve(host: str, port: int, *, demo: bool, started: float) -> None:
    import uvicorn

    from api.worker import run_until_stopped
    from cli.commands._startup import verify_embedder_or_exit
    from crm.demo import DEMO_CREATOR_LOGIN, DEMO_PASSWORD, DEMO_STAFF

    await verify_embedder_or_exit(console)
    to_prepare = await _demo_to_prepare(demo)
    stop_worker = asyncio.Event()
    worker_task = asyncio.create_task(run_until_stopped(stop=stop_worker))
    listening = asyncio.Event()

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                listening.set()

    config = uvicorn.Config("api.app:create_app", factory=True, host=host, port=port, log_level="info")
    server_task = asyncio.create_task(Server(config).serve())
    preparing: asyncio.Task[tuple[int, int]] | None = None
    try:
        ready = asyncio.create_task(listening.wait())
        await asyncio.wait({server_task, ready}, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if not listening.is_set():
            await server_task  # it could not start (the port is taken): uvicorn said why
            return
        base = f"http://{host}:{port}"
        logins = "\n".join(f"  {email:<34} {role}" for email, _, role in (*DEMO_STAFF, DEMO_CREATOR_LOGIN))
        upcoming = len(to_prepare) * DEMO_DRAFTS_PER_CREATOR
        console.print(
            Panel.fit(
                f"[bold]Inbox[/]   {base}/inbox\n[bold]Chat[/]    {base}/chat\n"
                f"[bold]Numbers[/] {base}/performance\n[bold]API[/]     {base}/docs\n\n"
                f"[bold]Demo logins[/] (password [cyan]{DEMO_PASSWORD}[/])\n{logins}\n\n"
                + (
                    f"Learning the demo fans' memories, then up to {upcoming} first drafts:\n"
                    "they appear in the inbox as the worker writes them.\n"
                    if upcoming
                    else ""
                )
                + "Send a signed sample webhook: see docs/api.md.",
                title=f"Fanpilot ready in {time.monotonic() - started:.1f}s",
                border_style="green",
            )
        )
        if to_prepare:
            preparing = asyncio.create_task(prepare_demo(to_prepare))
            preparing.add_done_callback(_report_prepared(time.monotonic()))
        await server_task
    finally:
        if preparing is not None and not preparing.done():
            preparing.cancel()
        stop_worker.set()
        await worker_task


def _report_prepared(since: float) -> Callable[[asyncio.Task[tuple[int, int]]], None]:
    def report(task: asyncio.Task[tuple[int, int]]) -> None:
        if task.cancelled():
            return
        if task.exception() is not None:
            console.print(f"[bold red]demo preparation failed:[/] {task.exception()}")
            return
        learned, queued = task.result()
        console.print(
            f"[green]demo ready[/] in {time.monotonic() - since:.1f}s more: {learned} memories learned, "
            f"{queued} first draft(s) queued for the worker"
        )

    return report
