"""draft: the LLM with the read tools, ending in the DraftReply structured output."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import AgentContext
from agent.state import DraftReply, ReplyState
from tools import FAN_READ_TOOLS, RiskLevel, ToolContext

DRAFT_TOOL = DraftReply.__name__
_READ_TOOLS = {t.name: t for t in FAN_READ_TOOLS}


@lru_cache(maxsize=1)
def tool_schemas() -> list[dict[str, Any]]:
    """The read tools' and DraftReply's schemas in the OpenAI tool format, converted once per process
    (they never change; converting them costs more than the offline model's whole draft). Every
    provider's `bind_tools` takes this format as it is."""
    # The schema does not depend on the run: any context gives the same name, description and args.
    placeholder = ToolContext(principal=None, creator_id=None, engine=None)  # type: ignore[arg-type]
    return [convert_to_openai_tool(t.as_langchain(placeholder)) for t in FAN_READ_TOOLS] + [
        convert_to_openai_tool(DraftReply)
    ]


def build_messages(state: ReplyState, ctx: AgentContext) -> list[BaseMessage]:
    context = dict(state.get("context") or {})
    context["rejection"] = state.get("rejection")
    policy = ctx.policy
    kind = str(context.get("run_kind") or "reply")
    system = prompts.DRAFT_SYSTEM.format(
        creator_name=policy.display_name,
        voice=policy.voice or "friendly",
        rules="; ".join(policy.rules) or "none",
        price_min=policy.ppv_price_min,
        price_max=policy.ppv_price_max,
        run_kind_note=prompts.RUN_KINDS.get(kind, prompts.RUN_KINDS["reply"]),
        language=(context.get("fan") or {}).get("language") or "the language the fan writes in",
        open=prompts.CONTEXT_OPEN,
        close=prompts.CONTEXT_CLOSE,
    )
    # The creator's own replies to similar fan messages, as earlier turns: the model sees her voice.
    few_shot: list[BaseMessage] = []
    for example in list(context.get("voice_examples") or [])[:4]:
        few_shot.append(HumanMessage(prompts.FEW_SHOT_FAN.format(fan_text=example.get("fan_text", ""))))
        few_shot.append(AIMessage(str(example.get("reply", ""))))
    user = prompts.DRAFT_USER.format(
        fan_name=(context.get("fan") or {}).get("display_name", "the fan"),
        open=prompts.CONTEXT_OPEN,
        close=prompts.CONTEXT_CLOSE,
        context_json=prompts.render_context(context),
    )
    rejection = state.get("rejection")
    if rejection:
        user += "\n\n" + prompts.REDRAFT_NOTE.format(
            reason=rejection.get("reason"), draft=rejection.get("draft")
        )
    return [SystemMessage(system), *few_shot, HumanMessage(user)]


async def draft(state: ReplyState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    ids = ctx.ids
    tool_ctx = ToolContext(
        principal=ctx.principal,
        creator_id=ids.creator_id,
        engine=ctx.engine,
        fan_id=ids.fan_id,
        run_id=ids.run_id,
        thread_id=ids.thread_id,
        allowed=frozenset({RiskLevel.read}),
    )
    # Only reads about this conversation's fan; each refuses any other fan id (tools.base).
    bound = ctx.model.bind_tools(tool_schemas())
    messages = build_messages(state, ctx)
    result: DraftReply | None = None
    for _ in range(ctx.max_tool_steps):
        ai = cast(AIMessage, await bound.ainvoke(messages))
        messages.append(ai)
        final = next((c for c in ai.tool_calls if c["name"] == DRAFT_TOOL), None)
        if final is not None:
            result = DraftReply.model_validate(final["args"])
            break
        if not ai.tool_calls:
            text = ai.text if isinstance(ai.text, str) else str(ai.content)
            if text.strip():
                result = DraftReply(reply=text.strip(), confidence=0.5, rationale="free-text answer")
                break
        for call in ai.tool_calls:
            tool = _READ_TOOLS.get(call["name"])
            output = (
                await tool.as_langchain(tool_ctx).ainvoke(call["args"])
                if tool
                else f'{{"error": "unknown tool {call["name"]}"}}'
            )
            messages.append(ToolMessage(content=str(output), tool_call_id=str(call["id"]), name=call["name"]))
    if result is None:
        structured = ctx.model.with_structured_output(DraftReply)
        result = cast(DraftReply, await structured.ainvoke(messages))
    # Only ids the model was actually shown count as "used".
    recalled = {str(m.get("id")) for m in (state.get("context") or {}).get("memories") or []}
    result.memory_ids_used = [i for i in result.memory_ids_used if i in recalled]
    context = dict(state.get("context") or {})
    context["tool_calls"] = tool_ctx.calls
    return {"draft": result.model_dump(), "model": ctx.model_info.as_dict(), "context": context}
