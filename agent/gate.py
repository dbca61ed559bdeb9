"""The HITL gate's idempotent half: write (or find) the queue row for this run step.

LangGraph re-runs a node from its start on resume, so everything before `interrupt()` must be
idempotent. The key is derived from the run's thread and the draft attempt: a re-run finds the row
it wrote the first time instead of writing a second one.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from agent.context import AgentContext
from core.db import tenant_session
from crm.approvals import service as approvals
from crm.approvals.models import HitlAction
from crm.enums import ActionType
from crm.fans import service as fan_service


def idempotency_key(thread_id: str, attempt: int) -> str:
    return f"{thread_id}:gate:{attempt}"


def action_from_draft(draft: dict[str, Any], fan_id: str) -> tuple[ActionType, dict[str, Any]]:
    if draft.get("action") == "send_ppv" and draft.get("ppv_price") is not None:
        price = Decimal(str(draft["ppv_price"])).quantize(Decimal("0.01"))
        return ActionType.send_ppv, {"fan_id": fan_id, "text": draft["reply"], "price": str(price)}
    return ActionType.send_message, {"fan_id": fan_id, "text": draft["reply"]}


def reviewer_context(state: dict[str, Any]) -> dict[str, Any]:
    """What a reviewer needs in one glance (the inbox renders this)."""
    context = state.get("context") or {}
    draft = state.get("draft") or {}
    used = set(draft.get("memory_ids_used") or [])
    return {
        "kind": "reply",
        "fan": context.get("fan"),
        "unanswered": context.get("unanswered"),
        "inbound_texts": context.get("unanswered"),
        "memories_used": [m for m in context.get("memories") or [] if str(m.get("id")) in used],
        "memories_recalled": len(context.get("memories") or []),
        "voice_examples_used": len(context.get("voice_examples") or []),
        "intent": draft.get("intent"),
        "rationale": draft.get("rationale"),
        "model": state.get("model"),
        "attempt": state.get("attempt", 0),
        "rejection": state.get("rejection"),
        "tool_calls": context.get("tool_calls", []),
    }


async def ensure_item(ctx: AgentContext, state: dict[str, Any]) -> tuple[HitlAction, bool]:
    """The queue row for this step, created once; auto-approved only by explicit creator policy."""
    thread_id = f"reply:{state['run_id']}"
    fan_id = uuid.UUID(state["fan_id"])
    action_type, args = action_from_draft(state["draft"], state["fan_id"])
    async with tenant_session(ctx.principal, engine=ctx.engine) as session:
        fan = await fan_service.get_fan(session, ctx.principal, fan_id=fan_id)
        item, created = await approvals.create_item(
            session,
            ctx.principal,
            idempotency_key=idempotency_key(thread_id, int(state.get("attempt", 0))),
            creator_id=uuid.UUID(state["creator_id"]),
            fan_id=fan_id,
            action_type=action_type,
            args=args,
            context=reviewer_context(state),
            flags=list(state.get("flags") or []),
            confidence=float(state["draft"].get("confidence") or 0),
            priority=approvals.priority_for_fan(fan.spend_tier, fan.lifetime_spend),
            thread_id=thread_id,
            run_id=uuid.UUID(state["run_id"]),
            source_message_id=uuid.UUID(state["inbound_message_id"])
            if state.get("inbound_message_id")
            else None,
        )
        if created:
            old = [uuid.UUID(i) for i in state.get("superseded_item_ids") or []]
            await approvals.link_superseded(session, ctx.principal, old_item_ids=old, new_item_id=item.id)
            item = await approvals.auto_approve_if_allowed(session, ctx.principal, item_id=item.id)
    return item, created


async def current_item(ctx: AgentContext, item_id: uuid.UUID) -> HitlAction:
    async with tenant_session(ctx.principal, engine=ctx.engine) as session:
        return await approvals.get_item(session, ctx.principal, item_id=item_id)
