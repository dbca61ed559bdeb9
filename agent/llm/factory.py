"""Chat models per task, chosen by settings: OpenAI (or any OpenAI-compatible endpoint), Anthropic,
or the built-in offline model when no key is configured."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from langchain_core.language_models import BaseChatModel

from agent.llm.offline import OFFLINE_MODEL_NAME, OfflineChatModel
from agent.prompts import OFFLINE_LABEL, PROMPT_VERSION
from core.settings import Settings, get_settings

Task = Literal["drafting", "extraction", "assistant"]


@dataclass(frozen=True)
class ModelInfo:
    provider: str
    model: str
    offline: bool
    note: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "provider": self.provider,
            "model": self.model,
            "offline": self.offline,
            "prompt_version": PROMPT_VERSION,
        }
        if self.note:
            out["note"] = self.note
        return out


@lru_cache(maxsize=1)
def _shared_offline_model() -> OfflineChatModel:
    # Stateless (nothing sets attributes on it; `bind_tools` returns a new binding): one per process,
    # so LangChain's per-instance work, its serialised form for the callbacks (≈2 ms), happens once.
    return OfflineChatModel()


def offline_model() -> tuple[BaseChatModel, ModelInfo]:
    return _shared_offline_model(), ModelInfo("offline", OFFLINE_MODEL_NAME, True, OFFLINE_LABEL)


def chat_model_for(task: Task, settings: Settings | None = None) -> tuple[BaseChatModel, ModelInfo]:
    """The configured model for a task. A provider without a key falls back to the offline model."""
    settings = settings or get_settings()
    provider = settings.provider_for(task)
    if provider == "openai" and settings.openai_api_key is not None:
        from langchain_openai import ChatOpenAI

        openai = ChatOpenAI(
            model=settings.openai_model,
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            temperature=0.4,
            max_retries=2,
            timeout=60,
        )
        return openai, ModelInfo("openai", settings.openai_model, False)
    if provider == "anthropic" and settings.anthropic_api_key is not None:
        from langchain_anthropic import ChatAnthropic

        anthropic = ChatAnthropic(  # type: ignore[call-arg]
            model_name=settings.anthropic_model,
            api_key=settings.anthropic_api_key,
            base_url=settings.anthropic_base_url,
            temperature=0.4,
            max_retries=2,
            timeout=60,
            max_tokens=1024,
        )
        return anthropic, ModelInfo("anthropic", settings.anthropic_model, False)
    model, info = offline_model()
    if provider != "offline":
        info = ModelInfo(
            "offline",
            OFFLINE_MODEL_NAME,
            True,
            f"{provider} selected for {task} but no API key is set; {OFFLINE_LABEL}",
        )
    return model, info
