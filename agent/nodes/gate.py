"""gate: wait for a human decision on the proposed item, then route on it.

It writes nothing and reads nothing: the resume value is the decided queue row's status, passed by
`agent.decisions` from the conditional UPDATE that recorded the first decision (so it is the row's
truth, not a caller's wish), and the executor re-reads the row under lock before any effect anyway.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from agent.context import AgentContext
from agent.state import ReplyState
from core.db import tenant_session
from core.errors import Conflict
from crm.approvals import service as approvals
from crm.enums import ApprovalStatus

GateRoute = Literal["execute", "learn", "__end__"]
_EXECUTE = (ApprovalStatus.approved, ApprovalStatus.executed, ApprovalStatus.failed, ApprovalStatus.stale)


async def _status_of(ctx: AgentContext, item_id: str) -> dict[str, Any]:
    """Fallback for a resume without a decision in its value: read the row."""
    async with tenant_session(ctx.principal, engine=ctx.engine) as session:
        item = await approvals.get_item(session, ctx.principal, item_id=uuid.UUID(item_id))
        return {"status": str(item.status), "reason": item.decision_reason}


async def gate(state: ReplyState, runtime: Runtime[AgentContext]) -> Command[GateRoute]:
    item_id = state.get("item_id")
    status = str(state.get("item_status") or "")
    if item_id is None:
        return Command(goto="__end__")  # outdated or duplicate: nothing was queued
    update: dict[str, Any] = {}
    if status == ApprovalStatus.pending:
        decided: dict[str, Any] = dict(
            interrupt({"item_id": item_id, "action_type": state["draft"].get("action"), "status": "pending"})
            or {}
        )
        if not decided.get("status"):
            decided = await _status_of(runtime.context, item_id)
        status = str(decided["status"])
        if decided.get("reason"):
            update["rejection"] = {"draft": state["draft"].get("reply"), "reason": decided["reason"]}
    update["decision"] = status
    if status == ApprovalStatus.pending:
        raise Conflict(f"item {item_id} has no decision yet; nothing to resume")
    if status in _EXECUTE:
        return Command(goto="execute", update=update)
    if status == ApprovalStatus.rejected:
        return Command(goto="learn", update=update)
    return Command(goto="__end__", update=update)  # expired or superseded: fail closed, nothing runs
