"""Chat with the assistant: threads, streamed turns (SSE), inline approval of queued actions."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from agent import assistant, decisions
from api.deps import InboxWriter, errors
from core.errors import NotFound

router = APIRouter(prefix="/api/chat", tags=["chat"])


class ThreadCreate(BaseModel):
    creator_id: uuid.UUID
    title: str = Field(default="New chat", max_length=200)


class Thread(BaseModel):
    id: uuid.UUID
    creator_id: uuid.UUID
    title: str


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str = Field(default="", max_length=1000)


def _sse(event: dict[str, Any]) -> str:
    kind = event.get("type", "message")
    if kind == "done":
        event = {"type": "done", "turn": asdict(event["turn"])}
    return f"event: {kind}\ndata: {json.dumps(event, default=str)}\n\n"


@router.post("/threads", response_model=Thread, status_code=201, responses=errors(401, 403, 404, 422))
async def create_thread(body: ThreadCreate, principal: InboxWriter) -> Thread:
    """Start a chat thread with the assistant for one creator."""
    row = await assistant.create_thread(
        principal=principal, creator_id=body.creator_id, staff_user_id=principal.actor_id, title=body.title
    )
    return Thread(id=row.id, creator_id=row.creator_id, title=row.title)


@router.post(
    "/threads/{thread_id}/messages",
    responses={200: {"content": {"text/event-stream": {}}}, **errors(401, 403, 404, 422)},
)
async def post_message(thread_id: uuid.UUID, body: MessageIn, principal: InboxWriter) -> StreamingResponse:
    """Send a message; the reply streams as server-sent events (token, tool_call, approval_required, done)."""
    thread = await assistant.get_thread(principal=principal, chat_thread_id=thread_id)

    async def events() -> AsyncIterator[str]:
        async for event in assistant.stream_assistant_turn(
            principal=principal,
            creator_id=thread.creator_id,
            thread_id=thread.thread_id,
            message=body.text,
            staff_user_id=principal.actor_id,
        ):
            yield _sse(event)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.post("/threads/{thread_id}/items/{item_id}/decision", responses=errors(401, 403, 404, 409, 422))
async def decide(
    thread_id: uuid.UUID, item_id: uuid.UUID, body: DecisionIn, principal: InboxWriter
) -> dict[str, Any]:
    """Approve or reject, inline in the chat, an action the assistant queued (same rules as the inbox)."""
    thread = await assistant.get_thread(principal=principal, chat_thread_id=thread_id)
    if not await assistant.item_in_thread(principal=principal, item_id=item_id, thread_id=thread.thread_id):
        raise NotFound("that item does not belong to this chat")
    decided = await decisions.decide(
        principal=principal, item_id=item_id, decision=body.decision, reason=body.reason, deliver="now"
    )
    if decided.delivery is not None:
        return decided.delivery.as_dict()
    return {"item_id": str(item_id), "status": decided.status}
