"""Run the tool calls of the assistant's last message. Gated tools only queue an approval item.

Two rules hold here whatever the model does:
- only tools offered to this principal run (its scopes decide, see `tools.assistant`);
- a fan picked from a name lookup that matched several fans in this same turn is not acted on: the
  write or gated call is refused until the user said which one they meant (a later turn).
Every item a gated tool queues is announced on the inbox channel, so open inboxes show it at once.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from langgraph.runtime import Runtime
from pydantic import ValidationError

from agent.context import AssistantContext
from agent.state import AssistantState
from core import events
from core.errors import AppError
from core.redis import get_redis
from crm.enums import ApprovalOrigin
from tools.assistant import NAME_LOOKUPS
from tools.base import RiskLevel, ToolContext

RESULT_CHARS = 12_000


def _ambiguous_ids(tool: str, payload: Any) -> set[str]:
    """Fan ids a name lookup could not tell apart."""
    if tool not in NAME_LOOKUPS:
        return set()
    if isinstance(payload, dict) and payload.get("status") == "ambiguous":
        return {str(c.get("fan_id")) for c in payload.get("candidates") or [] if c.get("fan_id")}
    if isinstance(payload, list) and len(payload) > 1:
        return {str(f.get("id")) for f in payload if isinstance(f, dict) and f.get("id")}
    return set()


def _refusal(tool: str, args: dict[str, Any], risk: RiskLevel, ambiguous: set[str]) -> dict[str, Any] | None:
    if risk is RiskLevel.read or str(args.get("fan_id") or "") not in ambiguous:
        return None
    return {
        "error": "ambiguous_fan",
        "detail": f"{tool} was not run: that fan came from a name several fans share. Ask the user which "
        "one they mean (name, @username, spend) and act after they answer.",
    }


async def assistant_act(state: AssistantState, runtime: Runtime[AssistantContext]) -> dict[str, Any]:
    ctx = runtime.context
    last = state["messages"][-1]
    assert isinstance(last, AIMessage)
    tool_ctx = ToolContext(
        principal=ctx.principal,
        creator_id=ctx.creator_id,
        engine=ctx.engine,
        thread_id=ctx.thread_id,
        run_id=ctx.run_id,
        origin=ApprovalOrigin.assistant_thread,
    )
    results: list[ToolMessage] = []
    log: list[dict[str, Any]] = []
    queued = list(state.get("queued_item_ids") or [])
    ambiguous = set(state.get("ambiguous_fan_ids") or [])
    for call in last.tool_calls:
        tool = ctx.tools.get(call["name"])
        args = dict(call["args"])
        entry: dict[str, Any] = {"tool": call["name"], "args": args}
        payload: Any
        if tool is None:
            payload = {"error": f"tool {call['name']!r} is not available to you"}
        elif (refused := _refusal(tool.name, args, tool.risk, ambiguous)) is not None:
            entry["risk"] = str(tool.risk)
            payload = refused
        else:
            entry["risk"] = str(tool.risk)
            try:
                # Each tool runs in its own committed transaction: a queued item exists (and shows in
                # the inbox) before the graph interrupts.
                payload = await tool.run(tool_ctx, args)
            except (AppError, ValidationError) as exc:
                payload = {"error": str(exc)}
            ambiguous |= _ambiguous_ids(tool.name, payload)
            if tool.risk is RiskLevel.gated and isinstance(payload, dict) and payload.get("queued_item_id"):
                queued.append(str(payload["queued_item_id"]))
                entry["queued_item_id"] = payload["queued_item_id"]
                await events.publish_inbox_change(
                    get_redis(),
                    creator_id=ctx.creator_id,
                    change="item.created",
                    item_id=uuid.UUID(str(payload["queued_item_id"])),
                )
        if isinstance(payload, dict) and "error" in payload:
            entry["error"] = payload["error"]
        log.append(entry)
        content = json.dumps(payload, default=str)
        results.append(
            ToolMessage(content=content[:RESULT_CHARS], tool_call_id=call["id"], name=call["name"])
        )
    return {
        "messages": results,
        "tool_calls": log,
        "queued_item_ids": queued,
        "ambiguous_fan_ids": sorted(ambiguous),
        "rounds": int(state.get("rounds") or 0) + 1,
    }
