"""State and runtime context of the assistant graph (creators chatting with their CRM)."""

from __future__ import annotations

import operator
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from sqlalchemy.ext.asyncio import AsyncEngine

from core.tenancy import Principal
from tools.base import Tool

MAX_TOOL_ROUNDS = 8


def _keep_last(_: Any, new: Any) -> Any:
    return new


class AssistantState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    rounds: Annotated[int, _keep_last]  # tool rounds in the current turn
    tool_calls: Annotated[list[dict[str, Any]], operator.add]  # every call: tool, args, risk, turn
    queued_item_ids: Annotated[list[str], _keep_last]  # gated items queued in the current turn
    decisions: Annotated[dict[str, str], _keep_last]  # item id → status after the gate


@dataclass
class AssistantContext:
    """Per-run knobs: who acts, for which creator, with which model and tools. Never model-visible."""

    principal: Principal
    creator_id: uuid.UUID
    thread_id: str
    model: BaseChatModel
    tools: dict[str, Tool[Any]]
    engine: AsyncEngine | None = None
    run_id: uuid.UUID | None = None
    fan_names: list[str] = field(default_factory=list)
