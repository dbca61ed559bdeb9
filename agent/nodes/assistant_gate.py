"""The assistant's gate: when a turn queued gated actions, the thread waits for the decisions.

The items are already in `hitl_action_queue` (written idempotently by the gated tools), so they show
in the inbox at once and can be decided there or inline in the chat. The resume value carries the
decisions; execution of approved items is the approval service's executor's job, not this node's.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent.context import AssistantContext
from agent.state import AssistantState

GATE_NOTE = "approval_gate"  # the name on the gate's note, so history shows it as an event, not an answer


async def assistant_gate(state: AssistantState, runtime: Runtime[AssistantContext]) -> dict[str, Any]:
    items = list(state.get("queued_item_ids") or [])
    if not items:
        return {}
    resumed = interrupt({"kind": "approval_required", "item_ids": items})
    decisions: dict[str, str] = dict((resumed or {}).get("decisions") or {})
    if (resumed or {}).get("deferred"):
        note = "Still waiting in the approval inbox: " + ", ".join(items) + "."
    else:
        note = "Decisions: " + ", ".join(f"{i} → {decisions.get(i, 'pending')}" for i in items) + "."
    return {
        "messages": [AIMessage(content=note, name=GATE_NOTE)],
        "decisions": decisions,
        "queued_item_ids": [],
    }
