"""propose: screen the draft with the guardrails and queue it as the fan's one pending reply — the
run's only writes before its gate, in one transaction.

It is its own node, before `gate`, because LangGraph re-runs an interrupted node from its start on
resume: the gate only interrupts and routes, so a resume re-runs nothing that writes. The write is
idempotent anyway (the key is the run's thread and draft attempt).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from langgraph.runtime import Runtime

from agent import prompts
from agent.context import AgentContext
from agent.nodes.guardrails import screen_draft
from agent.state import ReplyState
from core.db import tenant_session
from crm.approvals import service as approvals
from crm.enums import ActionType, RunStatus
from crm.runtime import service as runtime_service


def idempotency_key(thread_id: str, attempt: int) -> str:
    return f"{thread_id}:gate:{attempt}"


def action_from_draft(draft: dict[str, Any], fan_id: uuid.UUID | str) -> tuple[ActionType, dict[str, Any]]:
    if draft.get("action") == "send_ppv" and draft.get("ppv_price") is not None:
        price = Decimal(str(draft["ppv_price"])).quantize(Decimal("0.01"))
        return ActionType.send_ppv, {"fan_id": str(fan_id), "text": draft["reply"], "price": str(price)}
    return ActionType.send_message, {"fan_id": str(fan_id), "text": draft["reply"]}


def reviewer_context(state: ReplyState) -> dict[str, Any]:
    """What a reviewer needs in one glance (the inbox renders this)."""
    context = state.get("context") or {}
    draft = state.get("draft") or {}
    used = set(draft.get("memory_ids_used") or [])
    examples_used = set(draft.get("voice_example_ids_used") or [])
    return {
        "kind": context.get("kind", "reply"),
        "fan": context.get("fan"),
        "unanswered": context.get("unanswered"),
        "inbound_texts": context.get("unanswered"),
        "memories_used": [m for m in context.get("memories") or [] if str(m.get("id")) in used],
        "memories_recalled": len(context.get("memories") or []),
        "voice_examples_used": [
            e for e in context.get("voice_examples") or [] if str(e.get("id")) in examples_used
        ],
        "voice_examples_recalled": len(context.get("voice_examples") or []),
        "intent": draft.get("intent"),
        "rationale": draft.get("rationale"),
        "model": state.get("model"),
        "prompt_version": prompts.PROMPT_VERSION,
        "attempt": state.get("attempt", 0),
        "rejection": state.get("rejection"),
        "tool_calls": context.get("tool_calls", []),
        # The moment the draft is for, and the rule that asked for it (shown in the inbox).
        "facts": context.get("facts") or {},
        "rule": (context.get("facts") or {}).get("rule"),
    }


def seen_inbound(state: ReplyState) -> approvals.SeenInbound:
    """The newest fan message this draft answers, as load_context saw it."""
    context = state.get("context") or {}
    last = context.get("last_inbound") or {}
    if last.get("id"):
        return approvals.SeenInbound(
            uuid.UUID(str(last["id"])), datetime.fromisoformat(str(last["created_at"]))
        )
    return approvals.SeenInbound(None, datetime.fromisoformat(str(context["loaded_at"])))


async def propose(state: ReplyState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    ids = ctx.ids
    action_type, args = action_from_draft(state["draft"], ids.fan_id)
    async with tenant_session(ctx.principal, engine=ctx.engine) as session:
        # The guardrails share the queue row's transaction: a run commits once before its gate.
        flags = await screen_draft(session, ctx, state, action_type=action_type, args=args)
        proposal = await approvals.propose_reply(
            session,
            ctx.principal,
            idempotency_key=idempotency_key(ids.thread_id, int(state.get("attempt", 0))),
            creator_id=ids.creator_id,
            fan_id=ids.fan_id,
            run_id=ids.run_id,
            thread_id=ids.thread_id,
            seen=seen_inbound(state),
            action_type=action_type,
            args=args,
            context=reviewer_context(state),
            flags=flags,
            confidence=float(state["draft"].get("confidence") or 0),
            superseded_earlier=[uuid.UUID(i) for i in state.get("superseded_item_ids") or []],
            prompt_version=prompts.PROMPT_VERSION,
            # The creator's opt-ins, as the runner loaded them at the run's start.
            auto_approve=ctx.policy.auto_approve,
            answering=ids.inbound_message_id,
        )
        if proposal.outcome in ("outdated", "duplicate"):
            # A newer run answers the conversation (or a pending draft already does): this one ends.
            await runtime_service.set_run_status(
                session, ctx.principal, run_ids=[ids.run_id], status=RunStatus.superseded
            )
            return {
                "flags": flags,
                "item_id": None,
                "item_status": proposal.outcome,
                "decision": proposal.outcome,
            }
    item = proposal.item
    assert item is not None
    return {
        "item_id": str(item.id),
        "item_status": str(item.status),
        "decision": None,  # none yet for this item (a redraft's run carries the last one's)
        "item_ids": [str(item.id)] if proposal.outcome == "queued" else [],
        "flags": list(item.flags),
    }
