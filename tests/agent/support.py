"""Helpers shared by the agent and tools tests: fans with platform accounts, scripted models, queries."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolCall
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.platform import SandboxAdapter
from core.db import tenant_session
from core.tenancy import SYSTEM, Principal
from crm.automation.models import AutomationRuleAction
from crm.enums import MessageDirection, MessageSender, Platform
from crm.fans import service as fan_service
from crm.fans.models import FanMessage
from crm.runtime.models import DraftFeedback


async def platform_fan(
    engine: AsyncEngine, creator_id: uuid.UUID, *, name: str = "Tom", platform_fan_id: str | None = None
) -> uuid.UUID:
    principal = Principal.for_creators(creator_id)
    async with tenant_session(principal, engine=engine) as s:
        fan, _, _ = await fan_service.upsert_fan_from_platform(
            s,
            principal,
            creator_id=creator_id,
            platform=Platform.onlyfans,
            platform_fan_id=platform_fan_id or uuid.uuid4().hex[:10],
            display_name=name,
        )
    return fan.id


async def fan_says(engine: AsyncEngine, creator_id: uuid.UUID, fan_id: uuid.UUID, text: str) -> uuid.UUID:
    principal = Principal.for_creators(creator_id)
    async with tenant_session(principal, engine=engine) as s:
        message = await fan_service.log_message(
            s,
            principal,
            creator_id=creator_id,
            fan_id=fan_id,
            direction=MessageDirection.inbound,
            sender=MessageSender.fan,
            text=text,
        )
    return message.id


async def outbound(engine: AsyncEngine, fan_id: uuid.UUID) -> list[FanMessage]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.scalars(
            sa.select(FanMessage)
            .where(FanMessage.fan_id == fan_id, FanMessage.direction == MessageDirection.outbound)
            .order_by(FanMessage.created_at)
        )
        return list(rows)


async def ledger(engine: AsyncEngine, fan_id: uuid.UUID) -> list[AutomationRuleAction]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        return list(
            await s.scalars(sa.select(AutomationRuleAction).where(AutomationRuleAction.fan_id == fan_id))
        )


async def feedback(engine: AsyncEngine, fan_id: uuid.UUID) -> list[DraftFeedback]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.scalars(
            sa.select(DraftFeedback).where(DraftFeedback.fan_id == fan_id).order_by(DraftFeedback.created_at)
        )
        return list(rows)


def draft_args(
    reply: str, *, action: str = "send_message", price: float | None = None, confidence: float = 0.8
) -> dict[str, Any]:
    return {
        "reply": reply,
        "action": action,
        "ppv_price": price,
        "memory_ids_used": [],
        "confidence": confidence,
        "intent": "other",
        "rationale": "scripted",
    }


class ScriptedChatModel(BaseChatModel):
    """Answers each call with the next scripted DraftReply (or a callable of the messages)."""

    script: list[dict[str, Any] | Callable[[list[BaseMessage]], dict[str, Any]]] = Field(default_factory=list)
    calls: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        step = self.script[min(len(self.calls), len(self.script)) - 1]
        args = step(messages) if callable(step) else step
        call = ToolCall(name="DraftReply", args=args, id=f"call_{len(self.calls)}", type="tool_call")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="", tool_calls=[call]))])

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)


def run_kwargs(engine: AsyncEngine, **extra: Any) -> dict[str, Any]:
    return {"engine": engine, "adapter": SandboxAdapter(), "extraction": "off", **extra}


PRICE_MIN, PRICE_MAX = Decimal("10"), Decimal("50")
