"""execute: the approved action, exactly once (idempotency key = queue item id), then the run ends.

The executor marks the run completed in the same commit as the effect; a sent reply then queues the
memory extraction (off the critical path). A transient platform failure leaves the item approved
with its next attempt scheduled: delivery goes on outside the run (`agent.decisions`).
"""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.executor import execute_item
from agent.learn import after_execution
from agent.state import ReplyState
from crm.enums import ApprovalStatus


async def execute(state: ReplyState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    item_id = state.get("item_id")
    assert item_id is not None
    done = await execute_item(
        principal=ctx.principal,
        engine=ctx.engine,
        item_id=uuid.UUID(item_id),
        settings=ctx.settings,
        adapter=ctx.adapter,
        finishes_run=ctx.ids.run_id,
    )
    if done.status == ApprovalStatus.executed and done.attempted:
        await after_execution(
            principal=ctx.principal,
            engine=ctx.engine,
            creator_id=ctx.ids.creator_id,
            fan_id=ctx.ids.fan_id,
            item_id=done.item_id,
            mode=ctx.extraction,
            model=ctx.extraction_model,
        )
    return {"outcome": done.as_dict(), "decision": str(done.status)}
