"""Run the assistant graph: one creator turn at a time, streamed or not, durable across restarts.

A chat thread is one LangGraph thread in the Postgres checkpointer, owned by the staff member who
opened it (`chat_threads.staff_user_id`; row-level security keeps everyone else out). A turn that
queued gated actions ends interrupted at the gate; the creator decides inline or in the inbox — both
through `agent.decisions.decide` — and the thread resumes with the decisions once all are taken. A
new message on a thread still waiting at the gate first resumes it as "deferred" (the items stay
pending in the inbox), then runs the new turn.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.types import Command
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.checkpointer import open_checkpointer
from agent.context import AssistantContext
from agent.graphs.assistant import build_assistant_graph
from agent.llm.factory import chat_model_for
from agent.llm.offline_assistant import OfflineAssistantModel
from agent.nodes.assistant_gate import GATE_NOTE
from core.db import get_engine, tenant_session
from core.errors import NotFound, ValidationFailed
from core.settings import ProviderName, Settings, get_settings
from core.tenancy import Principal
from crm.approvals import service as approvals
from crm.approvals.models import HitlAction
from crm.enums import ApprovalStatus
from crm.fans import service as fan_service
from crm.runtime import chat
from crm.runtime.models import ChatThread
from tools.assistant import assistant_tools


@dataclass
class AssistantTurn:
    thread_id: str
    text: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    queued_item_ids: list[str] = field(default_factory=list)
    waiting_for_approval: bool = False
    model: str = ""


def assistant_model(provider: ProviderName | None = None, settings: Settings | None = None) -> BaseChatModel:
    """The assistant's model: the configured provider, or the offline model's assistant skill."""
    settings = settings or get_settings()
    if provider is not None:
        settings = settings.model_copy(update={"assistant_provider": provider})
    model, info = chat_model_for("assistant", settings)
    return OfflineAssistantModel() if info.offline else model


# ---------------------------------------------------------------- threads


async def create_thread(
    *,
    principal: Principal,
    creator_id: uuid.UUID,
    title: str = chat.DEFAULT_TITLE,
    engine: AsyncEngine | None = None,
) -> ChatThread:
    """A new chat thread with the assistant about one creator, owned by the principal's staff member."""
    async with tenant_session(principal, engine=engine) as session:
        return await chat.create_thread(session, principal, creator_id=creator_id, title=title)


async def get_thread(
    *, principal: Principal, chat_thread_id: uuid.UUID, engine: AsyncEngine | None = None
) -> ChatThread:
    """A chat thread of the principal's own (other people's and other creators' are not found)."""
    async with tenant_session(principal, engine=engine) as session:
        return await chat.get_thread(session, principal, chat_thread_id=chat_thread_id)


async def list_threads(
    *,
    principal: Principal,
    creator_id: uuid.UUID | None = None,
    limit: int = 50,
    engine: AsyncEngine | None = None,
) -> list[ChatThread]:
    """The principal's own threads, most recently used first, optionally for one creator."""
    async with tenant_session(principal, engine=engine) as session:
        return await chat.list_threads(session, principal, creator_id=creator_id, limit=limit)


async def rename_thread(
    *, principal: Principal, chat_thread_id: uuid.UUID, title: str, engine: AsyncEngine | None = None
) -> ChatThread:
    async with tenant_session(principal, engine=engine) as session:
        return await chat.rename_thread(session, principal, chat_thread_id=chat_thread_id, title=title)


# ---------------------------------------------------------------- turns


async def _fan_names(principal: Principal, creator_id: uuid.UUID, engine: AsyncEngine | None) -> list[str]:
    if "find_fan" not in assistant_tools(principal):
        return []  # without inbox:read the model is told no fan's name either
    async with tenant_session(principal, engine=engine) as session:
        fans = await fan_service.list_fans(session, principal, creator_id=creator_id, limit=200)
    return list(dict.fromkeys(f.display_name for f in fans))


async def _context(
    principal: Principal,
    creator_id: uuid.UUID,
    thread_id: str,
    engine: AsyncEngine | None,
    model: BaseChatModel | None,
) -> AssistantContext:
    if not principal.can_see(creator_id):
        raise NotFound("creator not found")
    return AssistantContext(
        principal=principal,
        creator_id=creator_id,
        thread_id=thread_id,
        model=model or assistant_model(),
        tools=assistant_tools(principal),
        engine=engine,
        run_id=None,
        fan_names=await _fan_names(principal, creator_id, engine),
    )


def _turn_text(messages: list[Any], start: int) -> str:
    texts = [
        str(m.content)
        for m in messages[start:]
        if isinstance(m, AIMessage) and m.content and m.name != GATE_NOTE
    ]
    return "\n".join(t for t in texts if t)


async def stream_assistant_turn(
    *,
    principal: Principal,
    creator_id: uuid.UUID,
    thread_id: str,
    message: str,
    engine: AsyncEngine | None = None,
    model: BaseChatModel | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Events of one turn: `token`, `tool_call`, `tool_result`, `note`, `approval_required`, then `done`."""
    if not message.strip():
        raise ValidationFailed("the message is empty")
    engine = engine or get_engine()
    ctx = await _context(principal, creator_id, thread_id, engine, model)
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    async with open_checkpointer(engine) as saver:
        graph = build_assistant_graph(saver)
        snapshot = await graph.aget_state(config)
        if snapshot.next:
            await graph.ainvoke(Command(resume={"deferred": True}), config, context=ctx)  # type: ignore[call-overload]
            snapshot = await graph.aget_state(config)
        start = len(snapshot.values.get("messages") or [])
        calls_before = len(snapshot.values.get("tool_calls") or [])
        turn_input = {
            "messages": [HumanMessage(content=message)],
            "rounds": 0,
            "queued_item_ids": [],
            "ambiguous_fan_ids": [],
        }
        stream: AsyncIterator[Any] = graph.astream(  # type: ignore[call-overload]
            turn_input, config, context=ctx, stream_mode=["messages", "updates"]
        )
        async for mode, chunk in stream:
            if mode == "messages":
                msg, meta = chunk
                from_model = (meta or {}).get("langgraph_node") == "agent"
                if (
                    from_model
                    and isinstance(msg, AIMessageChunk | AIMessage)
                    and msg.content
                    and not msg.tool_calls
                ):
                    yield {"type": "token", "text": str(msg.content)}
            elif isinstance(chunk, dict):
                for node, update in chunk.items():
                    if node == "__interrupt__":
                        for intr in update:
                            yield {"type": "approval_required", **dict(intr.value)}
                        continue
                    for m in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                        if isinstance(m, AIMessage) and m.tool_calls:
                            for c in m.tool_calls:
                                yield {
                                    "type": "tool_call",
                                    "id": c.get("id"),
                                    "tool": c["name"],
                                    "args": c["args"],
                                }
                        elif isinstance(m, ToolMessage):
                            yield {
                                "type": "tool_result",
                                "id": m.tool_call_id,
                                "tool": m.name,
                                "content": str(m.content)[:4000],
                            }
                        elif isinstance(m, AIMessage) and m.name == GATE_NOTE:
                            yield {"type": "note", "text": str(m.content)}
        final = await graph.aget_state(config)
    async with tenant_session(principal, engine=engine) as session:
        await chat.touch_thread(session, principal, thread_id=thread_id, message=message)
    values = final.values
    turn = AssistantTurn(
        thread_id=thread_id,
        text=_turn_text(values.get("messages") or [], start),
        tool_calls=list((values.get("tool_calls") or [])[calls_before:]),
        queued_item_ids=list(values.get("queued_item_ids") or []),
        waiting_for_approval=bool(final.next),
        model=str(getattr(ctx.model, "model_name", "") or type(ctx.model).__name__),
    )
    yield {"type": "done", "turn": turn}


async def run_assistant_turn(
    *,
    principal: Principal,
    creator_id: uuid.UUID,
    thread_id: str,
    message: str,
    engine: AsyncEngine | None = None,
    model: BaseChatModel | None = None,
) -> AssistantTurn:
    """Run one creator turn to its end (or to the approval gate) and return what happened."""
    turn: AssistantTurn | None = None
    async for event in stream_assistant_turn(
        principal=principal,
        creator_id=creator_id,
        thread_id=thread_id,
        message=message,
        engine=engine,
        model=model,
    ):
        if event["type"] == "done":
            turn = event["turn"]
    assert turn is not None
    return turn


async def continue_thread_if_decided(
    *,
    principal: Principal,
    creator_id: uuid.UUID,
    thread_id: str,
    engine: AsyncEngine | None = None,
    model: BaseChatModel | None = None,
) -> bool:
    """Once every item of the turn a chat thread waits on is decided (inline or in the inbox), resume
    the thread with the decisions, so its history says what happened. True when it resumed."""
    engine = engine or get_engine()
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    async with open_checkpointer(engine) as saver:
        graph = build_assistant_graph(saver)
        snapshot = await graph.aget_state(config)
        waiting = list(snapshot.values.get("queued_item_ids") or []) if snapshot.next else []
        if not waiting:
            return False
        statuses = await _statuses(principal, engine, waiting)
        if any(s == ApprovalStatus.pending for s in statuses.values()):
            return False
        # The gate node only reads the resume value: no model call, no tool runs.
        ctx = await _context(principal, creator_id, thread_id, engine, model or OfflineAssistantModel())
        await graph.ainvoke(
            Command(resume={"decisions": {k: str(v) for k, v in statuses.items()}}), config, context=ctx
        )
    return True


async def _statuses(principal: Principal, engine: AsyncEngine, ids: list[str]) -> dict[str, ApprovalStatus]:
    async with tenant_session(principal, engine=engine) as session:
        return {i: (await approvals.get_item(session, principal, item_id=uuid.UUID(i))).status for i in ids}


async def item_in_thread(
    *, principal: Principal, item_id: uuid.UUID, thread_id: str, engine: AsyncEngine | None = None
) -> bool:
    """Whether the queue item was queued by this chat thread (an inline decision must name its own)."""
    async with tenant_session(principal, engine=engine) as session:
        item = await approvals.get_item(session, principal, item_id=item_id)
    return item.thread_id == thread_id


async def thread_items(
    *, principal: Principal, thread_id: str, engine: AsyncEngine | None = None
) -> list[HitlAction]:
    """Every queue item this chat thread queued, oldest first, in its current state."""
    async with tenant_session(principal, engine=engine) as session:
        return await approvals.items_of_thread(session, principal, thread_id=thread_id)


# ---------------------------------------------------------------- history


def _parsed(content: str) -> Any:
    try:
        return json.loads(content)
    except json.JSONDecodeError:
        return content


async def thread_history(
    *, principal: Principal, thread: ChatThread, engine: AsyncEngine | None = None, with_results: bool = True
) -> list[dict[str, Any]]:
    """The conversation as the chat shows it, from the checkpointer (so it survives restarts): user and
    assistant messages, each tool call with its result, approval notes. `with_results=False` keeps the
    tool names and drops what they returned (for a principal that may no longer read fan data)."""
    engine = engine or get_engine()
    config: RunnableConfig = {"configurable": {"thread_id": thread.thread_id}}
    async with open_checkpointer(engine) as saver:
        snapshot = await build_assistant_graph(saver).aget_state(config)
    entries: list[dict[str, Any]] = []
    calls: dict[str, dict[str, Any]] = {}
    for m in snapshot.values.get("messages") or []:
        if isinstance(m, HumanMessage):
            entries.append({"role": "user", "text": str(m.content)})
        elif isinstance(m, AIMessage):
            if m.name == GATE_NOTE:
                entries.append({"role": "note", "text": str(m.content)})
                continue
            for c in m.tool_calls:
                entry = {
                    "role": "tool",
                    "id": c.get("id"),
                    "tool": c["name"],
                    "args": c["args"],
                    "result": None,
                }
                calls[str(c.get("id"))] = entry
                entries.append(entry)
            if m.content:
                entries.append({"role": "assistant", "text": str(m.content)})
        elif isinstance(m, ToolMessage):
            called = calls.get(str(m.tool_call_id))
            if called is not None:
                result = _parsed(str(m.content))
                called["error"] = result.get("error") if isinstance(result, dict) else None
                called["result"] = result if with_results else None
    return entries
