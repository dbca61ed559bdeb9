"""Start and resume reply runs. Pending approvals are checkpoints in Postgres: any process resumes.

`start_reply_run` runs the reply graph until it interrupts at the gate (or, with an opt-in
auto-approval, to the end). `resume_item` continues the run after a human decision: it executes
exactly once, redrafts once after a rejection, and is a no-op that reports the first outcome when
there is nothing left to do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.types import Command
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from agent.checkpointer import open_checkpointer
from agent.context import AgentContext, CreatorPolicy, ExtractionMode
from agent.graphs.reply import reply_graph
from agent.llm.factory import ModelInfo, chat_model_for, offline_model
from agent.platform import AdapterMode, PlatformAdapter, adapter_for_creator
from core.db import get_engine, tenant_session
from core.errors import AppError, NotFound, ValidationFailed
from core.settings import Settings, get_settings
from core.tenancy import Principal
from crm.approvals import service as approvals
from crm.approvals.models import HitlAction
from crm.creators.models import CreatorProfile
from crm.enums import ApprovalStatus, RunStatus
from crm.fans import service as fan_service
from crm.runtime import service as runtime_service


@dataclass
class RunResult:
    run_id: uuid.UUID | None
    thread_id: str | None
    status: str  # interrupted | completed | superseded | failed | pending | noop
    item_id: uuid.UUID | None = None
    item_status: str | None = None
    draft: dict[str, Any] | None = None
    flags: list[dict[str, Any]] = field(default_factory=list)
    outcome: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    message: str = ""
    error: str | None = None


@dataclass
class _Knobs:
    engine: AsyncEngine
    settings: Settings
    model: BaseChatModel | None
    model_info: ModelInfo | None
    adapter: PlatformAdapter | None
    extraction: ExtractionMode | None
    extraction_model: BaseChatModel | None
    redis_url: str | None = None


def _policy(creator: CreatorProfile) -> CreatorPolicy:
    return CreatorPolicy(
        display_name=creator.display_name,
        voice=creator.voice,
        rules=tuple(creator.rules or ()),
        restricted_words=tuple(creator.restricted_words or ()),
        ppv_price_min=Decimal(creator.ppv_price_min),
        ppv_price_max=Decimal(creator.ppv_price_max),
        auto_approve=dict(creator.auto_approve or {}),
    )


async def _context(
    principal: Principal, creator_id: uuid.UUID, knobs: _Knobs, session: AsyncSession
) -> AgentContext:
    if knobs.model is not None and knobs.model_info is None and getattr(knobs.model, "is_offline", False):
        model, info = knobs.model, offline_model()[1]
    elif knobs.model is not None:
        model, info = knobs.model, knobs.model_info or ModelInfo("custom", type(knobs.model).__name__, False)
    else:
        model, info = chat_model_for("drafting", knobs.settings)
    mode: AdapterMode = knobs.settings.platform_adapter
    creator = await session.get(CreatorProfile, creator_id)
    if creator is None:
        raise NotFound(f"creator {creator_id} not found")
    policy = _policy(creator)
    adapter = knobs.adapter or await adapter_for_creator(session, principal, creator_id=creator_id, mode=mode)
    redis_url = knobs.redis_url
    extraction = knobs.extraction or "queue"
    if extraction == "queue" and redis_url is None:
        from core.redis import resolve_redis_url

        redis_url = resolve_redis_url(knobs.settings)
    return AgentContext(
        principal=principal,
        engine=knobs.engine,
        model=model,
        model_info=info,
        policy=policy,
        adapter=adapter,
        extraction=extraction,
        extraction_model=knobs.extraction_model,
        redis_url=redis_url,
    )


def _waiting_item_id(snapshot: Any) -> str | None:
    """The item a pending interrupt waits on (the state's item_id lags behind during a redraft)."""
    for pending in snapshot.interrupts or ():
        value = getattr(pending, "value", None)
        if isinstance(value, dict) and value.get("item_id"):
            return str(value["item_id"])
    return None


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


async def _item(principal: Principal, engine: AsyncEngine, item_id: uuid.UUID) -> HitlAction:
    async with tenant_session(principal, engine=engine) as session:
        return await approvals.get_item(session, principal, item_id=item_id)


async def _invoke(
    principal: Principal,
    knobs: _Knobs,
    ctx: AgentContext,
    run_id: uuid.UUID,
    thread_id: str,
    payload: Any,
    saver: AsyncPostgresSaver | None = None,
) -> RunResult:
    """Invoke (or continue) the graph, then record the run's status from where it stopped."""
    if saver is None:
        async with open_checkpointer(knobs.engine) as opened:
            return await _invoke(principal, knobs, ctx, run_id, thread_id, payload, opened)
    error: str | None = None
    graph = reply_graph(saver)
    try:
        await graph.ainvoke(payload, _config(thread_id), context=ctx)
    except AppError as exc:
        error = exc.message
    snapshot = await graph.aget_state(_config(thread_id))
    values: dict[str, Any] = dict(snapshot.values or {})
    current = _waiting_item_id(snapshot) or values.get("item_id")
    item_id = uuid.UUID(current) if current else None
    async with tenant_session(principal, engine=knobs.engine) as session:
        item = await approvals.get_item(session, principal, item_id=item_id) if item_id else None
        if error is not None:
            status = RunStatus.failed
        elif snapshot.interrupts:
            status = RunStatus.interrupted
        elif item is not None and item.status == ApprovalStatus.superseded:
            status = RunStatus.superseded
        else:
            status = RunStatus.completed
        await runtime_service.set_run_status(session, principal, run_ids=[run_id], status=status, error=error)
    return RunResult(
        run_id=run_id,
        thread_id=thread_id,
        status=str(status),
        item_id=item_id,
        item_status=str(item.status) if item else None,
        draft=values.get("draft"),
        flags=list(item.flags) if item else list(values.get("flags") or []),
        outcome=values.get("outcome"),
        context=dict(item.context) if item else None,
        message=_describe(status, item),
        error=error,
    )


def _describe(status: RunStatus, item: HitlAction | None) -> str:
    if item is None:
        return str(status)
    return {
        ApprovalStatus.pending: "waiting for a human decision",
        ApprovalStatus.approved: "approved, not executed yet (resume to execute)",
        ApprovalStatus.executed: "executed",
        ApprovalStatus.failed: f"failed: {item.error}",
        ApprovalStatus.rejected: "rejected",
        ApprovalStatus.expired: "expired: nothing was sent",
        ApprovalStatus.superseded: "superseded by a newer draft: nothing was sent",
    }[ApprovalStatus(item.status)]


async def start_reply_run(
    *,
    principal: Principal,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    inbound_message_id: uuid.UUID | None = None,
    kind: str = "reply",
    trigger: str = "manual",
    engine: AsyncEngine | None = None,
    settings: Settings | None = None,
    model: BaseChatModel | None = None,
    model_info: ModelInfo | None = None,
    adapter: PlatformAdapter | None = None,
    extraction: ExtractionMode | None = None,
    extraction_model: BaseChatModel | None = None,
    redis_url: str | None = None,
) -> RunResult:
    """Draft a reply for the fan and stop at the gate. Supersedes the fan's pending reply drafts."""
    knobs = _Knobs(
        engine or get_engine(),
        settings or get_settings(),
        model,
        model_info,
        adapter,
        extraction,
        extraction_model,
        redis_url,
    )
    async with tenant_session(principal, engine=knobs.engine) as session:
        ctx = await _context(principal, creator_id, knobs, session)
        fan = await fan_service.get_fan(session, principal, fan_id=fan_id)
        if fan.creator_id != creator_id:
            raise ValidationFailed("the fan does not belong to this creator")
        superseded = await approvals.supersede_pending_replies(session, principal, fan_id=fan_id)
        await runtime_service.set_run_status(
            session,
            principal,
            run_ids=[i.run_id for i in superseded if i.run_id is not None],
            status=RunStatus.superseded,
        )
        run = await runtime_service.create_run(
            session,
            principal,
            creator_id=creator_id,
            fan_id=fan_id,
            kind=kind,
            trigger=trigger,
            trigger_ref=str(inbound_message_id) if inbound_message_id else None,
            provider=ctx.model_info.provider,
            model=ctx.model_info.model,
        )
    state = {
        "run_id": str(run.id),
        "creator_id": str(creator_id),
        "fan_id": str(fan_id),
        "inbound_message_id": str(inbound_message_id) if inbound_message_id else None,
        "superseded_item_ids": [str(i.id) for i in superseded],
        "attempt": 0,
        "rejection": None,
        "item_ids": [],
    }
    return await _invoke(principal, knobs, ctx, run.id, run.thread_id, state)


async def resume_item(
    *,
    principal: Principal,
    item_id: uuid.UUID,
    engine: AsyncEngine | None = None,
    settings: Settings | None = None,
    model: BaseChatModel | None = None,
    model_info: ModelInfo | None = None,
    adapter: PlatformAdapter | None = None,
    extraction: ExtractionMode | None = None,
    extraction_model: BaseChatModel | None = None,
    redis_url: str | None = None,
) -> RunResult:
    """Continue the item's run after a decision. Safe to call any number of times, from any process."""
    knobs = _Knobs(
        engine or get_engine(),
        settings or get_settings(),
        model,
        model_info,
        adapter,
        extraction,
        extraction_model,
        redis_url,
    )
    ctx: AgentContext | None = None
    async with tenant_session(principal, engine=knobs.engine) as session:
        item = await approvals.get_item(session, principal, item_id=item_id)
        if item.status != ApprovalStatus.pending and _resumes_a_reply_run(item):
            ctx = await _context(principal, item.creator_id, knobs, session)

    def noop(message: str, current: HitlAction) -> RunResult:
        return RunResult(
            run_id=current.run_id,
            thread_id=current.thread_id,
            status="noop",
            item_id=current.id,
            item_status=str(current.status),
            flags=list(current.flags),
            outcome={"status": str(current.status), "result": current.result, "error": current.error},
            context=dict(current.context),
            message=message,
        )

    if item.status == ApprovalStatus.pending:
        return noop("no decision yet: nothing to resume", item)
    if ctx is None or item.run_id is None or item.thread_id is None:
        # Queued from the assistant chat (or by hand): no reply graph waits on it, so a decision
        # taken in the inbox executes the item directly, once (the executor locks the row).
        return await _execute_without_graph(principal, knobs, item)
    run_id, thread_id = item.run_id, item.thread_id
    # One checkpointer connection for reading where the run stands and for continuing it.
    async with open_checkpointer(knobs.engine) as saver:
        snapshot = await reply_graph(saver).aget_state(_config(thread_id))
        values = dict(snapshot.values or {})
        if not snapshot.next:
            return noop(f"already resumed: {_describe(RunStatus.completed, item)}", item)
        waiting_on = _waiting_item_id(snapshot) or values.get("item_id")
        if waiting_on not in (None, str(item.id)):
            current = await _item(principal, knobs.engine, uuid.UUID(str(waiting_on)))
            return noop(f"this run moved on to item {current.id} ({current.status})", current)
        payload: Any = Command(resume={"item_id": str(item.id)}) if snapshot.interrupts else None
        return await _invoke(principal, knobs, ctx, run_id, thread_id, payload, saver)


def _resumes_a_reply_run(item: HitlAction) -> bool:
    return item.run_id is not None and item.thread_id is not None and not item.thread_id.startswith("chat:")


async def _execute_without_graph(principal: Principal, knobs: _Knobs, item: HitlAction) -> RunResult:
    from agent.executor import execute_item

    async with tenant_session(principal, engine=knobs.engine) as session:
        adapter = knobs.adapter or await adapter_for_creator(
            session, principal, creator_id=item.creator_id, mode=knobs.settings.platform_adapter
        )
    outcome = await execute_item(principal=principal, engine=knobs.engine, adapter=adapter, item_id=item.id)
    return RunResult(
        run_id=item.run_id,
        thread_id=item.thread_id,
        status="completed",
        item_id=item.id,
        item_status=str(outcome.get("status", item.status)),
        flags=list(item.flags),
        outcome=outcome,
        context=dict(item.context),
        message="executed from the inbox decision",
    )
