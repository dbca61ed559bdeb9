"""Run the tool calls of the assistant's last message. Gated tools only queue an approval item."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from langgraph.runtime import Runtime
from pydantic import ValidationError

from agent.context import AssistantContext
from agent.state import AssistantState
from core.errors import AppError
from crm.enums import ApprovalOrigin
from tools.base import RiskLevel, ToolContext


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
    for call in last.tool_calls:
        tool = ctx.tools.get(call["name"])
        entry: dict[str, Any] = {"tool": call["name"], "args": call["args"]}
        if tool is None:
            payload: Any = {"error": f"unknown tool {call['name']!r}"}
        else:
            entry["risk"] = str(tool.risk)
            try:
                # Each tool runs in its own committed transaction: a queued item exists (and shows in
                # the inbox) before the graph interrupts.
                payload = await tool.run(tool_ctx, dict(call["args"]))
            except (AppError, ValidationError) as exc:
                payload = {"error": str(exc)}
            if tool.risk is RiskLevel.gated and isinstance(payload, dict) and payload.get("queued_item_id"):
                queued.append(str(payload["queued_item_id"]))
                entry["queued_item_id"] = payload["queued_item_id"]
        if isinstance(payload, dict) and "error" in payload:
            entry["error"] = payload["error"]
        log.append(entry)
        results.append(
            ToolMessage(content=json.dumps(payload, default=str), tool_call_id=call["id"], name=call["name"])
        )
    return {
        "messages": results,
        "tool_calls": log,
        "queued_item_ids": queued,
        "rounds": int(state.get("rounds") or 0) + 1,
    }
