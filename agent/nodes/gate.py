"""gate: queue the action (idempotently), then interrupt until a human decides."""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from agent.context import AgentContext
from agent.gate import current_item, ensure_item
from agent.state import ReplyState
from core.errors import Conflict
from crm.enums import ApprovalStatus

GateRoute = Literal["execute", "learn", "__end__"]


async def gate(state: ReplyState, runtime: Runtime[AgentContext]) -> Command[GateRoute]:
    ctx = runtime.context
    item, created = await ensure_item(ctx, dict(state))
    if item.status == ApprovalStatus.pending:
        interrupt({"item_id": str(item.id), "action_type": str(item.action_type), "status": "pending"})
        # Resumed: the decision lives in the queue row (first decision wins), not in the resume value.
        item = await current_item(ctx, item.id)
    status = ApprovalStatus(item.status)
    update = {"item_id": str(item.id), "decision": str(status), "item_ids": [str(item.id)] if created else []}
    if status == ApprovalStatus.pending:
        raise Conflict(f"item {item.id} has no decision yet; nothing to resume")
    if status in (ApprovalStatus.approved, ApprovalStatus.executed, ApprovalStatus.failed):
        return Command(goto="execute", update=update)
    if status == ApprovalStatus.rejected:
        return Command(goto="learn", update=update)
    return Command(goto="__end__", update=update)  # expired or superseded: fail closed, nothing runs
