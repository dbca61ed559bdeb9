"""Learning from a decided draft: feedback for the creator's voice, and memory extraction.

Extraction runs off the reply's critical path: after the reply was sent, the learn step enqueues
`extract_memories_for_exchange` for the worker (arq job name `EXTRACTION_JOB`, de-duplicated by the
queue item id). `inline` mode runs it in place (CLI, tests).
"""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.language_models import BaseChatModel
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import get_engine, tenant_session
from core.tenancy import Principal
from crm.approvals import service as approvals
from crm.approvals.models import HitlAction
from crm.enums import ApprovalStatus
from crm.fans import service as fan_service
from crm.runtime import service as runtime_service

EXTRACTION_JOB = "extract_memories_for_exchange"


def feedback_outcome(item: HitlAction) -> str | None:
    if item.status == ApprovalStatus.rejected:
        return "rejected"
    if item.status in (ApprovalStatus.executed, ApprovalStatus.failed, ApprovalStatus.approved):
        return "edited" if item.edited else "approved"
    return None


async def record_feedback(*, principal: Principal, engine: AsyncEngine, item_id: uuid.UUID) -> str | None:
    """Store the draft vs. what the human sent (idempotent per item)."""
    async with tenant_session(principal, engine=engine) as session:
        item = await approvals.get_item(session, principal, item_id=item_id)
        outcome = feedback_outcome(item)
        if outcome is None:
            return None
        final = None if outcome == "rejected" else str(approvals.effective_args(item).get("text") or "")
        await runtime_service.record_draft_feedback(
            session,
            principal,
            creator_id=item.creator_id,
            fan_id=item.fan_id,
            hitl_item_id=item.id,
            draft_text=str(item.proposed_args.get("text") or ""),
            final_text=final,
            outcome=outcome,
            reason=item.decision_reason if outcome == "rejected" else None,
        )
    return outcome


async def enqueue_extraction(
    redis_url: str, *, creator_id: uuid.UUID, fan_id: uuid.UUID, item_id: uuid.UUID
) -> bool:
    """Queue the extraction job for the worker; the job id makes a second enqueue a no-op."""
    from arq import create_pool
    from arq.connections import RedisSettings

    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        job = await pool.enqueue_job(
            EXTRACTION_JOB,
            str(creator_id),
            str(fan_id),
            str(item_id),
            _job_id=f"extract:{item_id}",
        )
    finally:
        await pool.aclose()
    return job is not None


async def extract_memories_for_exchange(
    *,
    principal: Principal,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    item_id: uuid.UUID,
    engine: AsyncEngine | None = None,
    model: BaseChatModel | None = None,
) -> list[Any]:
    """Extract durable facts from one exchange (the fan's messages + the reply that was sent) and
    reconcile them with the fan's memories. At most one LLM call (none with the offline model)."""
    from memory import service as memory_service
    from memory.schemas import ExchangeMessage

    engine = engine or get_engine()
    if model is None:
        from agent.llm.factory import chat_model_for

        model, _ = chat_model_for("extraction")
    # memory's pattern extractor is the offline path: no model call at all.
    llm = None if getattr(model, "is_offline", False) else model
    async with tenant_session(principal, engine=engine) as session:
        item = await approvals.get_item(session, principal, item_id=item_id)
        recent = await fan_service.recent_messages(session, principal, fan_id=fan_id, limit=20)
        exchange: list[Any] = []
        for message in recent:
            if message.hitl_item_id == item.id:
                exchange.append(
                    ExchangeMessage(
                        sender="agent", text=message.text, sent_at=message.sent_at, message_id=message.id
                    )
                )
                break
            if message.direction == "inbound":
                exchange.append(
                    ExchangeMessage(
                        sender="fan", text=message.text, sent_at=message.sent_at, message_id=message.id
                    )
                )
            else:
                exchange = []
        if not exchange:
            return []
        return list(
            await memory_service.extract_and_reconcile(
                session, principal, creator_id=creator_id, fan_id=fan_id, messages=exchange, model=llm
            )
        )


async def extraction_job(ctx: dict[str, Any], creator_id: str, fan_id: str, item_id: str) -> int:
    """The arq entry point the worker registers under `EXTRACTION_JOB`."""
    cid = uuid.UUID(creator_id)
    outcomes = await extract_memories_for_exchange(
        principal=Principal.for_creators(cid),
        creator_id=cid,
        fan_id=uuid.UUID(fan_id),
        item_id=uuid.UUID(item_id),
        engine=ctx.get("engine"),
    )
    return len(outcomes)


extraction_job.__name__ = EXTRACTION_JOB
