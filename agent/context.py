"""The typed runtime context of a run: per-run knobs that never come from the environment in nodes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.llm.factory import ModelInfo
from agent.platform.base import PlatformAdapter
from core.db import get_engine
from core.settings import Settings, get_settings
from core.tenancy import Principal
from crm.approvals.guardrails import GuardrailPolicy
from crm.fans.dossier import ReplyProfile
from crm.fans.models import FanMessage
from crm.runtime.service import VoiceExample
from tools.base import Tool

ExtractionMode = Literal["queue", "inline", "off"]


@dataclass(frozen=True)
class Knobs:
    """What a caller may choose for the runs, resumes and deliveries it starts. `adapter` and `model`
    are overrides for tests and scripts; by default the model comes from settings per task, and the
    executor picks the platform adapter from `settings.platform_adapter`."""

    engine: AsyncEngine
    settings: Settings
    model: BaseChatModel | None = None
    model_info: ModelInfo | None = None
    adapter: PlatformAdapter | None = None
    extraction: ExtractionMode = "queue"
    extraction_model: BaseChatModel | None = None

    @classmethod
    def make(
        cls,
        *,
        engine: AsyncEngine | None = None,
        settings: Settings | None = None,
        model: BaseChatModel | None = None,
        model_info: ModelInfo | None = None,
        adapter: PlatformAdapter | None = None,
        extraction: ExtractionMode | None = None,
        extraction_model: BaseChatModel | None = None,
    ) -> Knobs:
        return cls(
            engine=engine or get_engine(),
            settings=settings or get_settings(),
            model=model,
            model_info=model_info,
            adapter=adapter,
            extraction=extraction or "queue",
            extraction_model=extraction_model,
        )


@dataclass(frozen=True)
class RunIds:
    """A reply run's ids, parsed once at the edge (runner, decision service), typed for every node."""

    run_id: uuid.UUID
    creator_id: uuid.UUID
    fan_id: uuid.UUID
    thread_id: str  # the run's checkpointer thread (agent_runs.thread_id), e.g. "welcome:<run id>"
    inbound_message_id: uuid.UUID | None = None


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
    # The creator's own alert words per inbound signal code (`GuardrailPolicy.safety_keywords`).
    safety_keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def guardrails(self) -> GuardrailPolicy:
        return GuardrailPolicy(
            restricted_words=self.restricted_words,
            ppv_price_min=self.ppv_price_min,
            ppv_price_max=self.ppv_price_max,
            rules=self.rules,
            safety_keywords=self.safety_keywords,
        )


@dataclass
class HeadStart:
    """What the runner read in its first transaction for `load_context`: the fan's recent messages,
    and the recall query's embedding, already computing while the run is set up and checkpointed.

    Embedding the query (local model inference) is the longest single step of a run; starting it
    as soon as the query is known overlaps it with the runner's writes and the context reads."""

    read_at: datetime  # taken before the read: a fan message from then on makes the draft outdated
    recent: Sequence[FanMessage]
    query: str
    embedding: asyncio.Task[list[float]] | None
    # Read in the runner's transaction too (`agent.nodes.load_context.preload`): then load_context
    # opens no transaction of its own, and only the recall, which needs the vector, is left to it.
    profile: ReplyProfile | None = None
    candidates: Sequence[VoiceExample] | None = None

    async def vector(self) -> list[float] | None:
        return await self.embedding if self.embedding is not None else None

    def discard(self) -> None:
        """Stop (or collect) an embedding nobody awaited: the run ended before its context loaded."""
        if self.embedding is None:
            return
        if self.embedding.done():
            if not self.embedding.cancelled():
                self.embedding.exception()  # retrieved, so asyncio does not log it as lost
        else:
            self.embedding.cancel()


@dataclass(frozen=True)
class AgentContext:
    """The reply graph's runtime context: who acts, on which run, with which model and policy."""

    principal: Principal
    ids: RunIds
    engine: AsyncEngine
    settings: Settings
    model: BaseChatModel
    model_info: ModelInfo
    policy: CreatorPolicy
    adapter: PlatformAdapter | None = None  # an override; the executor picks one from settings
    extraction: ExtractionMode = "queue"
    extraction_model: BaseChatModel | None = None
    max_tool_steps: int = 4
    head_start: HeadStart | None = None  # a fresh run's first reads (`start_reply_run`)


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
