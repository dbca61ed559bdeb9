"""guardrails: flags on the draft and on the fan's message; a possible minor also marks the fan.

Blocking flags stop the action. Everything written here is idempotent (the node may run again)."""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.gate import action_from_draft
from agent.guardrails import screen_draft
from agent.state import ReplyState
from core.db import tenant_session
from crm.approvals import safety


async def guardrails(state: ReplyState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    action_type, args = action_from_draft(state["draft"], state["fan_id"])
    async with tenant_session(ctx.principal, engine=ctx.engine) as session:
        flags = await screen_draft(
            session,
            ctx,
            creator_id=uuid.UUID(state["creator_id"]),
            fan_id=uuid.UUID(state["fan_id"]),
            action_type=action_type,
            args=args,
            inbound_texts=list((state.get("context") or {}).get("unanswered") or []),
            confidence=float(state["draft"].get("confidence") or 0),
        )
        message_id = state.get("inbound_message_id")
        await safety.record_inbound_signals(
            session,
            ctx.principal,
            creator_id=uuid.UUID(state["creator_id"]),
            fan_id=uuid.UUID(state["fan_id"]),
            flags=flags,
            message_id=uuid.UUID(message_id) if message_id else None,
        )
    return {"flags": flags}
