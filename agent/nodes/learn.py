"""learn: draft feedback for the creator's voice; memory extraction off the critical path;
one redraft after a rejection with a reason."""

from __future__ import annotations

import uuid
from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from agent.context import AgentContext
from agent.learn import enqueue_extraction, extract_memories_for_exchange, record_feedback
from agent.state import ReplyState
from crm.enums import ApprovalStatus

MAX_REDRAFTS = 1


async def learn(state: ReplyState, runtime: Runtime[AgentContext]) -> Command[Literal["draft", "__end__"]]:
    ctx = runtime.context
    item_id = uuid.UUID(str(state.get("item_id")))
    outcome = await record_feedback(principal=ctx.principal, engine=ctx.engine, item_id=item_id)
    if outcome == "rejected":
        attempt = int(state.get("attempt", 0))
        if attempt >= MAX_REDRAFTS:
            return Command(goto="__end__")
        from agent.gate import current_item

        item = await current_item(ctx, item_id)
        return Command(
            goto="draft",
            update={
                "attempt": attempt + 1,
                "rejection": {"draft": item.proposed_args.get("text"), "reason": item.decision_reason},
                "flags": [],
            },
        )
    if state.get("decision") == ApprovalStatus.executed and ctx.extraction != "off":
        creator_id, fan_id = uuid.UUID(state["creator_id"]), uuid.UUID(state["fan_id"])
        if ctx.extraction == "inline":
            await extract_memories_for_exchange(
                principal=ctx.principal,
                creator_id=creator_id,
                fan_id=fan_id,
                item_id=item_id,
                engine=ctx.engine,
                model=ctx.extraction_model,
            )
        elif ctx.redis_url:
            await enqueue_extraction(ctx.redis_url, creator_id=creator_id, fan_id=fan_id, item_id=item_id)
    return Command(goto="__end__")
