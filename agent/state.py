"""Graph state (TypedDicts with explicit reducers) and the draft's structured output."""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import BaseModel, Field


class DraftReply(BaseModel):
    """Submit the reply draft for human review. Call this exactly once, when the draft is ready.

    Nothing is sent by calling it: a person approves, edits or rejects the draft first.
    """

    reply: str = Field(description="The message to the fan, in the creator's voice. Plain text, no links.")
    action: Literal["send_message", "send_ppv"] = Field(
        default="send_message",
        description="send_ppv attaches a locked pay-per-view offer to the reply; otherwise send_message.",
    )
    ppv_price: float | None = Field(
        default=None, description="Unlock price in USD for send_ppv, within the creator's price bounds."
    )
    memory_ids_used: list[str] = Field(
        default_factory=list, description="Ids of the recalled memories this reply relies on."
    )
    confidence: float = Field(
        default=0.7, ge=0, le=1, description="How sure you are this reply is right, 0..1."
    )
    intent: str = Field(
        default="other",
        description="What the fan's messages are about, e.g. question, compliment, purchase_interest, "
        "complaint, meetup, free_content, ai_question.",
    )
    rationale: str = Field(default="", description="One line for the reviewer: why this reply.")
    voice_example_ids_used: list[str] = Field(
        default_factory=list,
        description="Ids of the creator's voice examples this reply was adapted from (may be empty).",
    )


def _keep_last(_: Any, new: Any) -> Any:
    return new


class ReplyState(TypedDict, total=False):
    """One reply run. Ids are strings so the checkpoint stays plain JSON-able data."""

    run_id: Annotated[str, _keep_last]
    creator_id: Annotated[str, _keep_last]
    fan_id: Annotated[str, _keep_last]
    inbound_message_id: Annotated[str | None, _keep_last]
    superseded_item_ids: Annotated[list[str], _keep_last]
    run_kind: Annotated[str, _keep_last]  # agent_runs.kind (reply, welcome, win-back…), set at the start
    attempt: Annotated[int, _keep_last]  # 0 = first draft, 1 = the one redraft after a rejection
    rejection: Annotated[dict[str, Any] | None, _keep_last]  # {"draft": ..., "reason": ...}
    context: Annotated[dict[str, Any], _keep_last]  # what the model saw (dossier, memories, messages)
    draft: Annotated[dict[str, Any], _keep_last]  # DraftReply as JSON
    model: Annotated[dict[str, Any], _keep_last]  # provider, model name, offline label
    flags: Annotated[list[dict[str, Any]], _keep_last]
    item_id: Annotated[str | None, _keep_last]  # the current queue item
    item_status: Annotated[str | None, _keep_last]  # its status when proposed (pending, approved…)
    item_ids: Annotated[list[str], operator.add]  # every queue item this run wrote
    decision: Annotated[str | None, _keep_last]  # the item's status after the gate (or execution)
    outcome: Annotated[dict[str, Any] | None, _keep_last]  # executed/failed result
    kind: Annotated[str, _keep_last]  # reply | welcome | winback | thank_you
    facts: Annotated[dict[str, Any], _keep_last]  # what the moment is about (tip, PPV, rule …)


MAX_TOOL_ROUNDS = 8


class AssistantState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    rounds: Annotated[int, _keep_last]  # tool rounds in the current turn
    tool_calls: Annotated[list[dict[str, Any]], operator.add]  # every call: tool, args, risk, turn
    queued_item_ids: Annotated[list[str], _keep_last]  # gated items queued in the current turn
    decisions: Annotated[dict[str, str], _keep_last]  # item id → status after the gate
    # Fans a name lookup of the current turn could not tell apart: no write or gated call on them.
    ambiguous_fan_ids: Annotated[list[str], _keep_last]
