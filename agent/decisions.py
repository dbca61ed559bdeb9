"""The one way back in after a decision: every surface that decides calls `decide`.

The inbox (single and bulk), the chat, the CLI and the worker record a decision here — approve,
edit, reject, or retry a failed item — and then the item is delivered:

- a reply draft whose run waits at its gate: the run is continued (`agent.runner.continue_run`) with
  the decided row's status, and its execute node runs the executor;
- anything else (a chat action, an automation step, a direct item, a retry, a run that already
  moved on): the executor runs it directly; a chat thread waiting on its turn's items is continued
  once all of them are decided, so the chat shows the outcome wherever it was decided.

`deliver="now"` delivers in the caller (chat, CLI, tests); `"later"` enqueues `deliver_item` for the
worker after the decision committed. Either way nothing approved can end silently unsent: the
worker's `deliver_due` sweep executes every approved item whose delivery is due — a scheduled retry,
or a decision no attempt followed within a short grace period (its job was lost to a crash or a Redis
outage). The executor (`agent.executor`) alone picks the platform adapter, from settings.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from sqlalchemy.ext.asyncio import AsyncEngine

from agent import runner
from agent.context import ExtractionMode, Knobs
from agent.executor import Execution, execute_item
from agent.learn import after_execution
from agent.llm.factory import ModelInfo
from agent.platform import PlatformAdapter
from core import events, queue
from core.db import tenant_session
from core.errors import ValidationFailed
from core.redis import get_redis
from core.settings import Settings
from core.tenancy import SYSTEM, ActorKind, Principal
from crm.approvals import service as approvals
from crm.approvals.models import HitlAction
from crm.enums import ActionType, ApprovalOrigin, ApprovalStatus
from crm.runtime import service as runtime_service

log = logging.getLogger(__name__)

Decision = Literal["approve", "edit", "reject", "retry"]
DeliverWhen = Literal["now", "later"]
DELIVERY_JOB = "deliver_item"
DELIVERY_GRACE = timedelta(seconds=10)


@dataclass
class Decided:
    """The decided item (as the decision left it) and, when delivered now, what delivery did."""

    item: HitlAction
    delivery: Execution | None = None
    run: runner.RunResult | None = None

    @property
    def status(self) -> str:
        if self.delivery is not None:
            return str(self.delivery.status)
        if self.run is not None and self.run.item_status:
            return self.run.item_status
        return str(self.item.status)


def creator_principal(creator_id: uuid.UUID) -> Principal:
    """What background delivery acts as: the system, limited to the one creator the item belongs to."""
    return Principal(creator_ids=frozenset({creator_id}), actor_kind=ActorKind.system)


def _knobs(
    knobs: Knobs | None,
    *,
    engine: AsyncEngine | None,
    settings: Settings | None,
    model: BaseChatModel | None,
    model_info: ModelInfo | None,
    adapter: PlatformAdapter | None,
    extraction: ExtractionMode | None,
    extraction_model: BaseChatModel | None,
) -> Knobs:
    if knobs is not None:
        return knobs
    return Knobs.make(
        engine=engine,
        settings=settings,
        model=model,
        model_info=model_info,
        adapter=adapter,
        extraction=extraction,
        extraction_model=extraction_model,
    )


async def _record(
    session: Any,
    principal: Principal,
    *,
    item_id: uuid.UUID,
    decision: Decision,
    args: dict[str, Any] | None,
    reason: str | None,
) -> HitlAction:
    if decision == "approve":
        return await approvals.approve_item(session, principal, item_id=item_id)
    if decision == "edit":
        if not args:
            raise ValidationFailed("an edit needs the changed arguments")
        return await approvals.edit_item(session, principal, item_id=item_id, args=args)
    if decision == "reject":
        item = await approvals.reject_item(session, principal, item_id=item_id, reason=reason or "")
        if item.origin == ApprovalOrigin.reply_run and item.action_type in (
            ActionType.send_message,
            ActionType.send_ppv,
        ):
            # What the reviewer refused, and why: the redraft and later drafts learn from it.
            await runtime_service.record_draft_feedback(
                session,
                principal,
                creator_id=item.creator_id,
                fan_id=item.fan_id,
                hitl_item_id=item.id,
                draft_text=str(item.proposed_args.get("text") or ""),
                final_text=None,
                outcome="rejected",
                reason=item.decision_reason,
            )
        return item
    if decision == "retry":
        return await approvals.retry_item(session, principal, item_id=item_id)
    raise ValidationFailed(f"unknown decision {decision!r}")


async def decide(
    *,
    principal: Principal,
    item_id: uuid.UUID,
    decision: Decision,
    args: dict[str, Any] | None = None,
    reason: str | None = None,
    deliver: DeliverWhen = "now",
    knobs: Knobs | None = None,
    engine: AsyncEngine | None = None,
    settings: Settings | None = None,
    model: BaseChatModel | None = None,
    model_info: ModelInfo | None = None,
    adapter: PlatformAdapter | None = None,
    extraction: ExtractionMode | None = None,
    extraction_model: BaseChatModel | None = None,
) -> Decided:
    """Record a decision (the first one wins: a later one raises `ApprovalAlreadyDecided`, 409), then
    deliver the item now or hand it to the worker."""
    knobs = _knobs(
        knobs,
        engine=engine,
        settings=settings,
        model=model,
        model_info=model_info,
        adapter=adapter,
        extraction=extraction,
        extraction_model=extraction_model,
    )
    async with tenant_session(principal, engine=knobs.engine) as session:
        item = await _record(session, principal, item_id=item_id, decision=decision, args=args, reason=reason)
    await events.publish_inbox_change(
        get_redis(), creator_id=item.creator_id, change="item.decided", item_id=item.id
    )
    if deliver == "later":
        if not await enqueue_delivery(item):
            log.warning("item %s decided while the queue is away: the delivery sweep sends it", item.id)
        return Decided(item)
    return await _deliver(principal, item, knobs)


async def enqueue_delivery(item: HitlAction, *, at: datetime | None = None) -> bool:
    """Hand the item's next delivery step to the worker (False when Redis is unreachable)."""
    # One job per delivery step: a new decision, retry or scheduled attempt gets a new id, a repeat
    # of the same step does not.
    step = at or item.next_attempt_at or item.decided_at
    stamp = int(step.timestamp() * 1000) if step else 0
    return await queue.enqueue(
        DELIVERY_JOB,
        item_id=str(item.id),
        creator_id=str(item.creator_id),
        job_id=f"deliver:{item.id}:{item.attempts}:{stamp}",
        defer_until=at,
    )


def _resume_value(item: HitlAction) -> dict[str, Any]:
    return {"item_id": str(item.id), "status": str(item.status), "reason": item.decision_reason}


async def _deliver(principal: Principal, item: HitlAction, knobs: Knobs, *, sweep: bool = False) -> Decided:
    """Deliver a decided item: continue its waiting run, or execute it directly."""
    run = None
    if item.status in (ApprovalStatus.approved, ApprovalStatus.rejected):
        run = await runner.continue_run(
            principal=principal, item=item, decision=_resume_value(item), knobs=knobs
        )
    delivery: Execution | None = None
    if run is None and item.status == ApprovalStatus.approved:
        delivery = await execute_item(
            principal=principal,
            engine=knobs.engine,
            item_id=item.id,
            settings=knobs.settings,
            adapter=knobs.adapter,
            skip_locked=sweep,
        )
        sent_reply = delivery.status == ApprovalStatus.executed and delivery.attempted
        if sent_reply and item.fan_id and item.origin == ApprovalOrigin.reply_run:
            await after_execution(
                principal=principal,
                engine=knobs.engine,
                creator_id=item.creator_id,
                fan_id=item.fan_id,
                item_id=item.id,
                mode=knobs.extraction,
                model=knobs.extraction_model,
            )
    elif run is not None and run.outcome:
        delivery = _execution_of(item, run.outcome)
    if (
        delivery is not None
        and delivery.attempted
        and delivery.status == ApprovalStatus.executed
        and item.action_type == ActionType.create_broadcast
    ):
        # The audience is frozen: its deliveries go out from the worker (the broadcast sweep resumes
        # them if this job is lost).
        from agent import broadcasts

        await broadcasts.enqueue_sending(item.creator_id, (delivery.result or {}).get("broadcast_id"))
    if delivery is not None and delivery.status == ApprovalStatus.approved and delivery.next_attempt_at:
        # A transient failure: the next attempt is scheduled; the sweep covers a lost job.
        await enqueue_delivery(item, at=delivery.next_attempt_at)
    if item.origin == ApprovalOrigin.assistant_thread and item.thread_id:
        from agent.assistant import continue_thread_if_decided

        await continue_thread_if_decided(
            principal=principal, creator_id=item.creator_id, thread_id=item.thread_id, engine=knobs.engine
        )
    if (delivery is not None and delivery.attempted) or run is not None:
        await events.publish_inbox_change(
            get_redis(), creator_id=item.creator_id, change="item.updated", item_id=item.id
        )
    return Decided(item, delivery, run)


def _execution_of(item: HitlAction, outcome: dict[str, Any]) -> Execution:
    next_at = outcome.get("next_attempt_at")
    return Execution(
        item_id=item.id,
        status=ApprovalStatus(str(outcome.get("status"))),
        attempts=int(outcome.get("attempts") or 0),
        result=outcome.get("result"),
        error=outcome.get("error"),
        next_attempt_at=datetime.fromisoformat(next_at) if next_at else None,
        attempted=True,
    )


async def deliver(
    *,
    principal: Principal,
    item_id: uuid.UUID,
    knobs: Knobs | None = None,
    engine: AsyncEngine | None = None,
    settings: Settings | None = None,
    model: BaseChatModel | None = None,
    model_info: ModelInfo | None = None,
    adapter: PlatformAdapter | None = None,
    extraction: ExtractionMode | None = None,
    extraction_model: BaseChatModel | None = None,
    sweep: bool = False,
) -> Decided:
    """The delivery step for an item decided earlier (the worker's job, the sweep, tests). Safe to call
    any number of times from any process: an item that already ended reports its outcome."""
    knobs = _knobs(
        knobs,
        engine=engine,
        settings=settings,
        model=model,
        model_info=model_info,
        adapter=adapter,
        extraction=extraction,
        extraction_model=extraction_model,
    )
    async with tenant_session(principal, engine=knobs.engine) as session:
        item = await approvals.get_item(session, principal, item_id=item_id)
    if item.status == ApprovalStatus.pending:
        return Decided(item)
    return await _deliver(principal, item, knobs, sweep=sweep)


async def deliver_due(
    *,
    knobs: Knobs | None = None,
    now: datetime | None = None,
    grace: timedelta = DELIVERY_GRACE,
    limit: int = 100,
    creator_ids: Sequence[uuid.UUID] | None = None,
) -> list[Decided]:
    """The sweep (a worker cron): deliver every approved item whose delivery is due — a scheduled
    retry, or a decision that no attempt followed within `grace`. Items another executor holds
    right now are skipped, not waited for. `creator_ids` limits it to some creators."""
    knobs = knobs or Knobs.make()
    async with tenant_session(SYSTEM, engine=knobs.engine) as session:
        due = await approvals.due_for_delivery(
            session, SYSTEM, now=now or datetime.now(UTC), grace=grace, limit=limit, creator_ids=creator_ids
        )
    done: list[Decided] = []
    for item_id, creator_id in due:
        done.append(
            await deliver(principal=creator_principal(creator_id), item_id=item_id, knobs=knobs, sweep=True)
        )
    return done
