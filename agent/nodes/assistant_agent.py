"""The assistant's model step: answer the creator or call tools."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, SystemMessage
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import AssistantContext
from agent.state import AssistantState


async def assistant_agent(state: AssistantState, runtime: Runtime[AssistantContext]) -> dict[str, Any]:
    ctx = runtime.context
    system = SystemMessage(
        prompts.ASSISTANT_SYSTEM.format(
            creator=ctx.creator_id, fans=", ".join(ctx.fan_names[:200]) or "(none)"
        )
    )
    bound = ctx.model.bind_tools(_schemas(ctx))
    reply = await bound.ainvoke([system, *state.get("messages", [])])
    if not isinstance(reply, AIMessage):
        reply = AIMessage(content=str(reply.content))
    return {"messages": [reply]}


def _schemas(ctx: AssistantContext) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": t.args_schema.model_json_schema(),
            },
        }
        for t in ctx.tools.values()
    ]
