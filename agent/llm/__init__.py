"""LLM providers: OpenAI / OpenAI-compatible, Anthropic, and the built-in offline model."""

from agent.llm.factory import ModelInfo, Task, chat_model_for, offline_model
from agent.llm.offline import OfflineChatModel

__all__ = ["ModelInfo", "OfflineChatModel", "Task", "chat_model_for", "offline_model"]
