"""execute: the approved action, exactly once (idempotency key = queue item id)."""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.executor import execute_item
from agent.state import ReplyState


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
    )
    return {"outcome": done.as_dict(), "decision": str(done.status)}
