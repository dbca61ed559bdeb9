"""Start reply runs, and continue one after the decision it waits on. Pending approvals are checkpoints
in Postgres: any process continues them.

`start_reply_run` runs the reply graph until it interrupts at the gate (or, with an opt-in
auto-approval, to the end). `continue_run` is called by `agent.decisions` alone, with the decided
row's status as the resume value: the graph executes the item (exactly once), redrafts once after a
rejection, or ends.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.types import Command, Durability
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from agent.checkpointer import open_checkpointer
from agent.context import AgentContext, CreatorPolicy, ExtractionMode, HeadStart, Knobs, RunIds
from agent.graphs.reply import reply_graph
from agent.llm.factory import ModelInfo, chat_model_for, offline_model
from agent.nodes.load_context import apply_preloaded, head_start, preload_statements
from agent.nodes.propose import reviewer_context
from agent.platform import PlatformAdapter
from core.db import pipelined, tenant_session
from core.errors import AppError, NotFound, ValidationFailed
from core.settings import Settings
from core.tenancy import Principal
from crm.approvals import service as approvals
from crm.approvals.models import HitlAction
from crm.creators.models import CreatorProfile
from crm.enums import ApprovalOrigin, ApprovalStatus, RunStatus
from crm.runtime import service as runtime_service
from crm.runtime.service import NewRun


@dataclass
class RunResult:
    run_id: uuid.UUID | None
    thread_id: str | None
    status: str  # interrupted | completed | superseded | failed | noop
    item_id: uuid.UUID | None = None
    item_status: str | None = None
    draft: dict[str, Any] | None = None
    flags: list[dict[str, Any]] = field(default_factory=list)
    outcome: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    message: str = ""
    error: str | None = None


def policy_of(creator: Any) -> CreatorPolicy:
    """The policy from the creator's row (the ORM object, or a row with the same columns)."""
    return CreatorPolicy(
        display_name=creator.display_name,
        voice=creator.voice,
        rules=tuple(creator.rules or ()),
        restricted_words=tuple(creator.restricted_words or ()),
        ppv_price_min=Decimal(creator.ppv_price_min),
        ppv_price_max=Decimal(creator.ppv_price_max),
        auto_approve=dict(creator.auto_approve or {}),
        safety_keywords={k: tuple(v) for k, v in (creator.safety_keywords or {}).items()},
    )


# Continuing a run after an approval drafts nothing: the persona is only read when a redraft follows.
_NO_POLICY = CreatorPolicy("", "", (), (), Decimal(0), Decimal(0))


def _model(knobs: Knobs) -> tuple[BaseChatModel, ModelInfo]:
    if knobs.model is None:
        return chat_model_for("drafting", knobs.settings)
    if knobs.model_info is not None:
        return knobs.model, knobs.model_info
    if getattr(knobs.model, "is_offline", False):
        return knobs.model, offline_model()[1]
    return knobs.model, ModelInfo("custom", type(knobs.model).__name__, False)


def _context(
    principal: Principal,
    ids: RunIds,
    knobs: Knobs,
    policy: CreatorPolicy,
    *,
    head_start: HeadStart | None = None,
) -> AgentContext:
    model, info = _model(knobs)
    return AgentContext(
        principal=principal,
        ids=ids,
        engine=knobs.engine,
        settings=knobs.settings,
        model=model,
        model_info=info,
        policy=policy,
        adapter=knobs.adapter,
        extraction=knobs.extraction,
        extraction_model=knobs.extraction_model,
        head_start=head_start,
    )


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def waiting_item_id(snapshot: Any) -> str | None:
    """The item a pending interrupt waits on."""
    for pending in snapshot.interrupts or ():
        value = getattr(pending, "value", None)
        if isinstance(value, dict) and value.get("item_id"):
            return str(value["item_id"])
    return None


def _describe(status: RunStatus, item_status: str | None) -> str:
    if status == RunStatus.failed:
        return "failed"
    return {
        None: str(status),
        "pending": "waiting for a human decision",
        "approved": "approved, delivery in progress (a retry is scheduled)",
        "executed": "executed",
        "failed": "failed: nothing was sent",
        "stale": "stale: nothing was sent",
        "rejected": "rejected",
        "expired": "expired: nothing was sent",
        "superseded": "superseded by a newer draft: nothing was sent",
        "outdated": "the fan wrote again while drafting: a newer draft answers",
        "duplicate": "a pending draft already answers this message",
    }.get(item_status, str(item_status))


async def _invoke(
    ctx: AgentContext, thread_id: str, payload: Any, saver: AsyncPostgresSaver | None = None
) -> RunResult:
    """Invoke (or continue) the graph; record the run's end when it ended (not at an interrupt)."""
    if saver is None:
        async with open_checkpointer(ctx.engine) as opened:
            return await _invoke(ctx, thread_id, payload, opened)
    error: str | None = None
    values: dict[str, Any] = {}
    # One checkpoint per invocation, where it stops ("exit"): at the gate's interrupt, or at the end.
    # Safe, because the gate's checkpoint is the only one anything reads back. Nothing resumes a run
    # from a step before its gate (a crashed run is started again by its job, as a new run), and the
    # gate's checkpoint is written after propose's commit in every durability mode, so a crash in
    # that window loses the same thing either way: the pending item then has no run waiting on it,
    # and its decision executes it directly (`agent.decisions`, the same re-check and idempotency
    # key). Continuing after a decision: a crash mid-way leaves the checkpoint at the interrupt and
    # the next delivery continues from there; the executor, which locks the item row, runs it at
    # most once either way.
    durability: Durability = "exit"
    try:
        values = dict(
            await reply_graph(saver).ainvoke(payload, _config(thread_id), context=ctx, durability=durability)
        )
    except AppError as exc:
        error = exc.message
    interrupted = bool(values.get("__interrupt__"))
    item_status = values.get("decision") or values.get("item_status")
    if error is not None:
        status = RunStatus.failed
    elif interrupted:
        status = RunStatus.interrupted
    elif item_status in ("superseded", "outdated", "duplicate"):
        status = RunStatus.superseded
    else:
        status = RunStatus.completed
    # An executed step already marked the run completed in its own commit (the executor's).
    if not interrupted and (error is not None or values.get("outcome") is None):
        async with tenant_session(ctx.principal, engine=ctx.engine) as session:
            await runtime_service.set_run_status(
                session, ctx.principal, run_ids=[ctx.ids.run_id], status=status, error=error
            )
    item_id = values.get("item_id")
    return RunResult(
        run_id=ctx.ids.run_id,
        thread_id=thread_id,
        status=str(status),
        item_id=uuid.UUID(str(item_id)) if item_id else None,
        item_status=str(item_status) if item_status else None,
        draft=values.get("draft"),
        flags=list(values.get("flags") or []),
        outcome=values.get("outcome"),
        context=reviewer_context(values) if values.get("draft") else None,  # type: ignore[arg-type]
        message=_describe(status, str(item_status) if item_status else None),
        error=error,
    )


async def start_reply_run(
    *,
    principal: Principal,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    inbound_message_id: uuid.UUID | None = None,
    kind: str = "reply",
    trigger: str = "manual",
    facts: dict[str, Any] | None = None,
    engine: AsyncEngine | None = None,
    settings: Settings | None = None,
    model: BaseChatModel | None = None,
    model_info: ModelInfo | None = None,
    adapter: PlatformAdapter | None = None,
    extraction: ExtractionMode | None = None,
    extraction_model: BaseChatModel | None = None,
) -> RunResult:
    """Draft a reply for the fan and stop at the gate. Supersedes the fan's pending reply draft.

    `kind` (reply, welcome, winback, thank_you) and `facts` (what the moment is about: the tip and its
    note, the unlocked PPV, months subscribed, the rule that asked for the draft …) travel in the run's
    state into the drafter's context."""
    knobs = Knobs.make(
        engine=engine,
        settings=settings,
        model=model,
        model_info=model_info,
        adapter=adapter,
        extraction=extraction,
        extraction_model=extraction_model,
    )
    _, info = _model(knobs)
    head: HeadStart | None = None
    try:
        async with tenant_session(principal, engine=knobs.engine) as session:
            # First the fan's messages: the recall query's embedding then computes while the run is set up.
            head = await head_start(session, principal, fan_id=fan_id)
            # Then, in one round trip, the run's set-up and what else load_context reads that needs
            # no vector: the graph's first step then opens no transaction of its own.
            run, superseded, policy = await _set_up_run(
                session,
                principal,
                head,
                creator_id=creator_id,
                fan_id=fan_id,
                inbound_message_id=inbound_message_id,
                kind=kind,
                trigger=trigger,
                info=info,
            )
        ids = RunIds(run.id, creator_id, fan_id, run.thread_id, inbound_message_id)
        state = {
            "run_id": str(run.id),
            "creator_id": str(creator_id),
            "fan_id": str(fan_id),
            "inbound_message_id": str(inbound_message_id) if inbound_message_id else None,
            "superseded_item_ids": [str(i) for i in superseded],
            "run_kind": kind,
            "attempt": 0,
            "rejection": None,
            "item_ids": [],
            "kind": kind,
            "facts": dict(facts or {}),
        }
        ctx = _context(principal, ids, knobs, policy, head_start=head)
        # The thread is the run's own, created just now: it has no checkpoint to read.
        async with open_checkpointer(knobs.engine, new_thread=run.thread_id) as saver:
            return await _invoke(ctx, run.thread_id, state, saver)
    finally:
        if head is not None:
            head.discard()


# The creator's persona and policy, and whether the fan is hers (NULL: no such fan visible).
_CREATOR_AND_FAN = (
    "SELECT c.display_name, c.voice, c.rules, c.restricted_words, c.ppv_price_min, c.ppv_price_max,"
    " c.auto_approve, c.safety_keywords, f.creator_id AS fan_creator_id"
    " FROM creator_profiles c LEFT JOIN fan_profiles f ON f.id = %(fan)s WHERE c.id = %(creator)s"
)


async def _set_up_run(
    session: AsyncSession,
    principal: Principal,
    head: HeadStart,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    inbound_message_id: uuid.UUID | None,
    kind: str,
    trigger: str,
    info: ModelInfo,
) -> tuple[NewRun, list[uuid.UUID], CreatorPolicy]:
    """Check the creator and fan, supersede the fan's pending reply drafts (and their runs), record
    the run and read load_context's vector-free part into `head`: one pipeline, one round trip.

    The writes are sent before the checks' answer is known. They are conditional where a bad
    request would make them fail (the run row is inserted only if the creator and the fan are
    visible), and a refused request raises before the commit: the transaction rolls back, and
    nothing of it is stored."""
    run, insert = runtime_service.new_run_statement(
        creator_id=creator_id,
        fan_id=fan_id,
        kind=kind,
        trigger=trigger,
        trigger_ref=str(inbound_message_id) if inbound_message_id else None,
        provider=info.provider,
        model=info.model,
    )
    checked, superseded, _, profile, candidates = await pipelined(
        session,
        [
            (_CREATOR_AND_FAN, {"creator": creator_id, "fan": fan_id}),
            # The fan wrote again: a pending draft no longer answers the conversation (one that
            # already answers this very message stays, and this run ends as its duplicate).
            approvals.supersede_pending_replies_statement(fan_id=fan_id, keep_source=inbound_message_id),
            insert,
            *preload_statements(creator_id=creator_id, fan_id=fan_id),
        ],
    )
    if not checked:
        raise NotFound(f"creator {creator_id} not found")
    creator = checked[0]
    if creator.fan_creator_id is None:
        raise NotFound("fan not found")
    if creator.fan_creator_id != creator_id:
        raise ValidationFailed("the fan does not belong to this creator")
    superseded_ids = [row.id for row in superseded]
    await approvals.audit_superseded(session, principal, superseded_ids)
    apply_preloaded(head, profile, candidates)
    return run, superseded_ids, policy_of(creator)


async def continue_run(
    *, principal: Principal, item: HitlAction, decision: dict[str, Any], knobs: Knobs
) -> RunResult | None:
    """Resume the reply run that waits on this item's decision; None when no run waits on it (the
    item came from elsewhere, or its run already moved on or ended)."""
    if item.origin != ApprovalOrigin.reply_run or item.run_id is None or item.thread_id is None:
        return None
    if item.fan_id is None:
        return None
    async with open_checkpointer(knobs.engine, read_once=True) as saver:
        snapshot = await reply_graph(saver).aget_state(_config(item.thread_id))
        if waiting_item_id(snapshot) != str(item.id):
            return None
        policy = _NO_POLICY
        if decision.get("status") == ApprovalStatus.rejected:
            async with tenant_session(principal, engine=knobs.engine) as session:
                creator = await session.get(CreatorProfile, item.creator_id)
                if creator is None:
                    raise NotFound(f"creator {item.creator_id} not found")
                policy = policy_of(creator)
        inbound = (snapshot.values or {}).get("inbound_message_id")
        ids = RunIds(
            item.run_id, item.creator_id, item.fan_id, item.thread_id, uuid.UUID(inbound) if inbound else None
        )
        ctx = _context(principal, ids, knobs, policy)
        return await _invoke(ctx, item.thread_id, Command(resume=decision), saver)
