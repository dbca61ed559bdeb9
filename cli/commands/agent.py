"""`fanpilot draft | approve | reject | edit | expire`: the reply agent and the approval queue from a shell."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)
T = TypeVar("T")


def _run(make: Callable[[], Awaitable[T]]) -> T:
    from core.embedded import EmbeddedServiceError
    from core.errors import AppError

    try:
        return asyncio.run(_with_engine(make))
    except (AppError, EmbeddedServiceError) as exc:
        err.print(f"[bold red]error:[/] {getattr(exc, 'message', exc)}")
        raise typer.Exit(code=1) from exc


async def _with_engine(make: Callable[[], Awaitable[T]]) -> T:
    from agent.checkpointer import close_pools
    from core.db import get_engine

    try:
        return await make()
    finally:
        await close_pools()
        await get_engine().dispose()


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def _resolve(creator: str, fan: str) -> tuple[uuid.UUID, uuid.UUID]:
    """Creator by id, handle or display name; fan by id or display name / username."""
    from core.db import get_engine, tenant_session
    from core.errors import NotFound, ValidationFailed
    from core.tenancy import SYSTEM
    from crm.creators import service as creator_service
    from crm.fans import service as fan_service

    async with tenant_session(SYSTEM, engine=get_engine()) as session:
        creator_id = _as_uuid(creator)
        if creator_id is None:
            wanted = creator.lstrip("@").lower()
            matches = [
                c
                for c in await creator_service.list_creators(session, SYSTEM)
                if c.handle.lower() == wanted or c.display_name.lower() == wanted
            ]
            if len(matches) != 1:
                raise NotFound(f"creator {creator!r}: {len(matches)} matches")
            creator_id = matches[0].id
        fan_id = _as_uuid(fan)
        if fan_id is None:
            found = await fan_service.search_fans_by_name(session, SYSTEM, creator_id=creator_id, query=fan)
            exact = [f for f in found if f.display_name.lower() == fan.lower()]
            chosen = exact or found
            if not chosen:
                raise NotFound(f"fan {fan!r} not found for this creator")
            if len(chosen) > 1 and not exact:
                raise ValidationFailed(
                    f"fan {fan!r} is ambiguous: "
                    + ", ".join(f"{f.display_name} ({f.id})" for f in chosen[:5])
                )
            fan_id = chosen[0].id
    return creator_id, fan_id


def _print_result(result: Any) -> None:
    ctx = result.context or {}
    model = ctx.get("model") or {}
    console.print(f"[bold]run[/] {result.run_id}  [bold]status[/] {result.status}  ({result.message})")
    if result.item_id is None:
        return
    console.print(f"[bold]item[/] {result.item_id}  [bold]{result.item_status}[/]")
    draft = result.draft or {}
    if result.draft:
        console.print(
            f"[bold]action[/] {draft.get('action')}"
            + (f"  price ${draft['ppv_price']}" if draft.get("ppv_price") else "")
        )
        console.print(f"[bold]draft[/]  {draft.get('reply')}")
        console.print(f"[bold]confidence[/] {draft.get('confidence')}  [bold]intent[/] {draft.get('intent')}")
    memories = ctx.get("memories_used") or []
    console.print(f"[bold]memories used[/] ({len(memories)} of {ctx.get('memories_recalled', 0)} recalled):")
    for m in memories:
        console.print(f"  - [{m.get('kind')}] {m.get('text')}")
    for flag in result.flags:
        colour = "red" if flag.get("severity") == "block" else "yellow"
        console.print(f"[{colour}]flag {flag.get('code')} ({flag.get('severity')})[/]: {flag.get('message')}")
    if model:
        console.print(
            f"[dim]model: {model.get('provider')}/{model.get('model')}"
            + (f" — {model['note']}" if model.get("note") else "")
            + "[/]"
        )
    if result.outcome:
        console.print(f"[bold]outcome[/] {json.dumps(result.outcome, default=str)}")


def draft(
    creator: str = typer.Option(..., "--creator", help="Creator id, handle or display name."),
    fan: str = typer.Option(..., "--fan", help="Fan id or display name."),
    message: str = typer.Option(None, "--message", help="A new message from the fan to answer."),
) -> None:
    """Draft a reply to a fan and print the queue item (with the memories it used)."""

    async def go() -> Any:
        from agent.runner import start_reply_run
        from core.db import get_engine, tenant_session
        from core.tenancy import SYSTEM
        from crm.enums import MessageDirection, MessageSender
        from crm.fans import service as fan_service

        creator_id, fan_id = await _resolve(creator, fan)
        inbound_id = None
        if message:
            async with tenant_session(SYSTEM, engine=get_engine()) as session:
                logged = await fan_service.log_message(
                    session,
                    SYSTEM,
                    creator_id=creator_id,
                    fan_id=fan_id,
                    direction=MessageDirection.inbound,
                    sender=MessageSender.fan,
                    text=message,
                )
                inbound_id = logged.id
        return await start_reply_run(
            principal=SYSTEM,
            creator_id=creator_id,
            fan_id=fan_id,
            inbound_message_id=inbound_id,
            extraction="inline",
        )

    _print_result(_run(go))


def _item_id(value: str) -> uuid.UUID:
    parsed = _as_uuid(value)
    if parsed is None:
        err.print(f"[bold red]error:[/] {value!r} is not an item id")
        raise typer.Exit(code=2)
    return parsed


def _decide(
    item: str, decision: str, *, args: dict[str, Any] | None = None, reason: str | None = None
) -> None:
    """Decide through the one decision service and deliver now (no worker needed), then print where
    the item ended: executed, retrying, failed or stale with the reason, or the redraft."""
    item_id = _item_id(item)

    async def go() -> Any:
        from agent import decisions
        from core.tenancy import SYSTEM

        return await decisions.decide(
            principal=SYSTEM,
            item_id=item_id,
            decision=decision,  # type: ignore[arg-type]
            args=args,
            reason=reason,
            deliver="now",
            extraction="inline",
        )

    decided = _run(go)
    if decided.run is not None:
        _print_result(decided.run)
        return
    console.print(f"[bold]item[/] {item_id}  [bold]{decided.status}[/]")
    if decided.delivery is not None:
        console.print(f"[bold]outcome[/] {json.dumps(decided.delivery.as_dict(), default=str)}")


def approve(item: str = typer.Argument(..., help="The queue item id.")) -> None:
    """Approve a queue item as proposed and execute it (exactly once)."""
    _decide(item, "approve")


def edit(
    item: str = typer.Argument(..., help="The queue item id."),
    text: str = typer.Option(..., "--text", help="The text to send instead."),
    price: float = typer.Option(None, "--price", help="New PPV price."),
) -> None:
    """Approve with edited text (and price); re-validated by schema and guardrails."""
    args: dict[str, Any] = {"text": text}
    if price is not None:
        args["price"] = str(price)
    _decide(item, "edit", args=args)


def reject(
    item: str = typer.Argument(..., help="The queue item id."),
    reason: str = typer.Option(..., "--reason", help="Why; the agent redrafts once using it."),
) -> None:
    """Reject a queue item with a reason; a reply is redrafted once and printed."""
    _decide(item, "reject", reason=reason)


def retry(item: str = typer.Argument(..., help="The failed queue item id.")) -> None:
    """Send a failed item again (same idempotency key; the first retry wins)."""
    _decide(item, "retry")


def expire() -> None:
    """Expire pending items past their TTL (fail closed: nothing runs)."""

    async def go() -> int:
        from core.db import get_engine, tenant_session
        from core.tenancy import SYSTEM
        from crm.approvals import service as approvals

        async with tenant_session(SYSTEM, engine=get_engine()) as session:
            return await approvals.expire_due_items(session, SYSTEM)

    console.print(f"expired {_run(go)} item(s)")


def register(app: typer.Typer) -> None:
    app.command("draft")(draft)
    app.command("approve")(approve)
    app.command("edit")(edit)
    app.command("reject")(reject)
    app.command("retry")(retry)
    app.command("expire")(expire)
