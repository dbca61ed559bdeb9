"""The typed runtime context of a run: per-run knobs that never come from the environment in nodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.llm.factory import ModelInfo
from agent.platform.base import PlatformAdapter
from core.tenancy import Principal
from crm.approvals.guardrails import GuardrailPolicy

ExtractionMode = Literal["queue", "inline", "off"]


@dataclass(frozen=True)
class CreatorPolicy:
    """The creator's persona and HITL policy, loaded once per run by the runner."""

    display_name: str
    voice: str
    rules: tuple[str, ...]
    restricted_words: tuple[str, ...]
    ppv_price_min: Decimal
    ppv_price_max: Decimal
    auto_approve: dict[str, Any] = field(default_factory=dict)

    @property
    def guardrails(self) -> GuardrailPolicy:
        return GuardrailPolicy(
            restricted_words=self.restricted_words,
            ppv_price_min=self.ppv_price_min,
            ppv_price_max=self.ppv_price_max,
            rules=self.rules,
        )


@dataclass(frozen=True)
class AgentContext:
    principal: Principal
    engine: AsyncEngine
    model: BaseChatModel
    model_info: ModelInfo
    policy: CreatorPolicy
    adapter: PlatformAdapter
    extraction: ExtractionMode = "queue"
    extraction_model: BaseChatModel | None = None
    redis_url: str | None = None
    max_tool_steps: int = 4
