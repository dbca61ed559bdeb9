"""guardrails: flags on the draft (and on the fan's message); blocking flags stop the action."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.guardrails import screen_draft
from agent.nodes.propose import action_from_draft
from agent.state import ReplyState
from core.db import tenant_session


async def guardrails(state: ReplyState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    action_type, args = action_from_draft(state["draft"], ctx.ids.fan_id)
    async with tenant_session(ctx.principal, engine=ctx.engine) as session:
        flags = await screen_draft(
            session,
            ctx,
            creator_id=ctx.ids.creator_id,
            fan_id=ctx.ids.fan_id,
            action_type=action_type,
            args=args,
            inbound_texts=list((state.get("context") or {}).get("unanswered") or []),
            confidence=float(state["draft"].get("confidence") or 0),
        )
    return {"flags": flags}
