"""Learning from a sent reply: memory extraction, off the reply's critical path.

Extraction runs off the reply's critical path: after the reply was sent, the learn step enqueues
`extract_memories_for_exchange` for the worker (arq job name `EXTRACTION_JOB`, de-duplicated by the
queue item id). `inline` mode runs it in place (CLI, tests).
"""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.language_models import BaseChatModel
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.context import ExtractionMode
from core import queue
from core.db import get_engine, tenant_session
from core.tenancy import Principal
from crm.approvals import service as approvals
from crm.fans import service as fan_service

EXTRACTION_JOB = "extract_memories_for_exchange"


async def enqueue_extraction(*, creator_id: uuid.UUID, fan_id: uuid.UUID, item_id: uuid.UUID) -> bool:
    """Queue the extraction job for the worker; the job id makes a second enqueue a no-op. False when
    Redis is unreachable: the memory is lost for this exchange, never the reply."""
    return await queue.enqueue(
        EXTRACTION_JOB, str(creator_id), str(fan_id), str(item_id), job_id=f"extract:{item_id}"
    )


async def after_execution(
    *,
    principal: Principal,
    engine: AsyncEngine,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    item_id: uuid.UUID,
    mode: ExtractionMode,
    model: BaseChatModel | None = None,
) -> None:
    """What follows a sent reply: learn the fan's new facts, queued (default), inline or not at all."""
    if mode == "inline":
        await extract_memories_for_exchange(
            principal=principal,
            creator_id=creator_id,
            fan_id=fan_id,
            item_id=item_id,
            engine=engine,
            model=model,
        )
    elif mode == "queue":
        await enqueue_extraction(creator_id=creator_id, fan_id=fan_id, item_id=item_id)


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
