"""Chat with the assistant: your threads, their history, streamed turns (SSE), inline decisions.

Every route needs the `chat:write` scope; a thread belongs to the staff member who opened it (an API
token acts as its staff member), so nobody else can read it or post into it. What the assistant may
look up follows the caller's other scopes (see `tools.assistant`); deciding inline needs
`inbox:write`, like deciding in the inbox, and goes through the same decision service.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, field_validator
from redis.exceptions import RedisError

from agent import assistant, decisions
from api.deps import ChatWriter, RedisDep, errors
from api.schemas import Text
from core.db import tenant_session
from core.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from core.tenancy import Principal
from crm.approvals.models import HitlAction
from crm.creators import service as creators
from crm.enums import ActionType, ApprovalStatus
from crm.fans import service as fans
from crm.runtime.models import ChatThread

router = APIRouter(prefix="/api/chat", tags=["chat"])
TURN_LOCK_SECONDS = 300


class ThreadCreate(BaseModel):
    creator_id: uuid.UUID
    title: Text = Field(default="New chat", min_length=1, max_length=200)


class ThreadPatch(BaseModel):
    title: Text = Field(min_length=1, max_length=200)


class Thread(BaseModel):
    id: uuid.UUID
    creator_id: uuid.UUID
    creator_name: str
    title: str
    created_at: datetime
    last_message_at: datetime | None


class ChatItem(BaseModel):
    """An action the assistant queued in this chat, as it stands now (a card with approve/edit/reject)."""

    id: uuid.UUID
    action_type: ActionType
    status: ApprovalStatus
    fan_id: uuid.UUID | None
    fan_name: str | None
    text: str | None = Field(description="The message or caption (after an edit: the edited one).")
    price: Decimal | None
    args: dict[str, Any]
    flags: list[dict[str, Any]]
    blocked: bool = Field(description="A blocking guardrail flag: edit it (re-checked) or reject it.")
    edited: bool
    expires_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    error: str | None


class HistoryEntry(BaseModel):
    role: Literal["user", "assistant", "tool", "note"]
    text: str | None = None
    id: str | None = None
    tool: str | None = None
    args: dict[str, Any] | None = None
    result: Any = Field(default=None, description="What the tool returned (absent without inbox:read).")
    error: str | None = None


class ThreadDetail(BaseModel):
    thread: Thread
    messages: list[HistoryEntry]
    items: list[ChatItem]
    waiting_for_approval: bool


class MessageIn(BaseModel):
    text: Text = Field(min_length=1, max_length=4000)


class DecisionIn(BaseModel):
    decision: Literal["approve", "edit", "reject"]
    args: dict[Text, Any] | None = Field(
        default=None, description="For edit: the changed arguments, e.g. {'text': …, 'price': 20}."
    )
    reason: Text = Field(default="", max_length=1000, description="For reject: why (optional here).")

    @field_validator("args")
    @classmethod
    def _storable(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        try:
            encoded = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str).encode()
        except (UnicodeEncodeError, ValueError) as exc:
            raise ValueError("arguments must be valid UTF-8 JSON") from exc
        if b"\x00" in encoded or b"\\u0000" in encoded:
            raise ValueError("arguments must not contain NUL characters")
        return value


class DecisionOut(BaseModel):
    item: ChatItem
    delivery: dict[str, Any] | None = Field(description="What sending did, when the approval sent it.")


# ---------------------------------------------------------------- assembling


async def _thread_out(
    principal: Principal, row: ChatThread, names: dict[uuid.UUID, str] | None = None
) -> Thread:
    names = names if names is not None else {}
    if row.creator_id not in names:
        async with tenant_session(principal) as s:
            names[row.creator_id] = (
                await creators.get_creator(s, principal, creator_id=row.creator_id)
            ).display_name
    return Thread(
        id=row.id,
        creator_id=row.creator_id,
        creator_name=names[row.creator_id],
        title=row.title,
        created_at=row.created_at,
        last_message_at=row.last_message_at,
    )


async def _cards(principal: Principal, items: list[HitlAction]) -> list[ChatItem]:
    out: list[ChatItem] = []
    names: dict[uuid.UUID, str | None] = {}
    async with tenant_session(principal) as s:
        for item in items:
            if item.fan_id and item.fan_id not in names:
                try:
                    names[item.fan_id] = (await fans.get_fan(s, principal, fan_id=item.fan_id)).display_name
                except NotFound:
                    names[item.fan_id] = None
            args = dict(item.final_args or item.proposed_args or {})
            out.append(
                ChatItem(
                    id=item.id,
                    action_type=item.action_type,
                    status=item.status,
                    fan_id=item.fan_id,
                    fan_name=names.get(item.fan_id) if item.fan_id else None,
                    text=str(args["text"]) if args.get("text") is not None else None,
                    price=Decimal(str(args["price"])) if args.get("price") is not None else None,
                    args=args,
                    flags=[f for f in item.flags if isinstance(f, dict)],
                    blocked=any(isinstance(f, dict) and f.get("severity") == "block" for f in item.flags),
                    edited=item.edited,
                    expires_at=item.expires_at,
                    decided_at=item.decided_at,
                    decision_reason=item.decision_reason,
                    error=item.error,
                )
            )
    return out


async def _thread_cards(
    principal: Principal, thread: ChatThread, only: list[str] | None = None
) -> list[ChatItem]:
    items = await assistant.thread_items(principal=principal, thread_id=thread.thread_id)
    if only is not None:
        items = [i for i in items if str(i.id) in only]
    return await _cards(principal, items)


def _sse(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, default=str)}\n\n"


def _lock_key(thread: ChatThread) -> str:
    return f"fp:chat:turn:{thread.id}"


# ---------------------------------------------------------------- endpoints


@router.get("/threads", response_model=list[Thread], responses=errors(401, 403, 404, 422))
async def list_threads(
    principal: ChatWriter,
    creator_id: uuid.UUID | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> list[Thread]:
    """Your chat threads (never anyone else's), most recent first; optionally for one creator."""
    rows = await assistant.list_threads(principal=principal, creator_id=creator_id, limit=limit)
    names: dict[uuid.UUID, str] = {}
    return [await _thread_out(principal, row, names) for row in rows]


@router.post("/threads", response_model=Thread, status_code=201, responses=errors(401, 403, 404, 422))
async def create_thread(body: ThreadCreate, principal: ChatWriter) -> Thread:
    """Start a chat thread with the assistant about one of your creators."""
    row = await assistant.create_thread(principal=principal, creator_id=body.creator_id, title=body.title)
    return await _thread_out(principal, row)


@router.get("/threads/{thread_id}", response_model=ThreadDetail, responses=errors(401, 403, 404))
async def get_thread(thread_id: uuid.UUID, principal: ChatWriter) -> ThreadDetail:
    """One of your threads: its history (tool calls with their results) and the actions it queued."""
    row = await assistant.get_thread(principal=principal, chat_thread_id=thread_id)
    history = await assistant.thread_history(
        principal=principal, thread=row, with_results="inbox:read" in principal.scopes or principal.system
    )
    items = await _thread_cards(principal, row)
    return ThreadDetail(
        thread=await _thread_out(principal, row),
        messages=[HistoryEntry(**entry) for entry in history],
        items=items,
        waiting_for_approval=any(i.status == ApprovalStatus.pending for i in items),
    )


@router.patch("/threads/{thread_id}", response_model=Thread, responses=errors(401, 403, 404, 422))
async def rename_thread(thread_id: uuid.UUID, body: ThreadPatch, principal: ChatWriter) -> Thread:
    """Rename one of your threads."""
    row = await assistant.rename_thread(principal=principal, chat_thread_id=thread_id, title=body.title)
    return await _thread_out(principal, row)


@router.post(
    "/threads/{thread_id}/messages",
    responses={200: {"content": {"text/event-stream": {}}}, **errors(401, 403, 404, 409, 422)},
)
async def post_message(
    thread_id: uuid.UUID, body: MessageIn, principal: ChatWriter, redis: RedisDep
) -> StreamingResponse:
    """Send a message; the reply streams as server-sent events: token, tool_call, tool_result, note,
    approval_required (with the queued items), error, then done."""
    thread = await assistant.get_thread(principal=principal, chat_thread_id=thread_id)
    if not body.text.strip():
        raise ValidationFailed("the message is empty")
    locked = True
    try:
        locked = bool(await redis.set(_lock_key(thread), "1", nx=True, ex=TURN_LOCK_SECONDS))
    except (RedisError, OSError):
        locked = True  # no Redis, no lock: the checkpointer still keeps the thread consistent
    if not locked:
        raise Conflict("the assistant is still answering in this chat; wait for it to finish")

    async def events() -> AsyncIterator[str]:
        try:
            async for event in assistant.stream_assistant_turn(
                principal=principal,
                creator_id=thread.creator_id,
                thread_id=thread.thread_id,
                message=body.text,
            ):
                kind = str(event.get("type", "message"))
                if kind == "done":
                    turn = event["turn"]
                    cards = await _thread_cards(principal, thread, only=list(turn.queued_item_ids))
                    yield _sse(
                        "done",
                        {"turn": asdict(turn), "items": [c.model_dump(mode="json") for c in cards]},
                    )
                elif kind == "approval_required":
                    cards = await _thread_cards(
                        principal, thread, only=[str(i) for i in event.get("item_ids", [])]
                    )
                    yield _sse(kind, {**event, "items": [c.model_dump(mode="json") for c in cards]})
                else:
                    yield _sse(kind, event)
        except AppError as exc:
            yield _sse("error", {"type": "error", "error": type(exc).__name__, "detail": exc.message})
        finally:
            with contextlib.suppress(RedisError, OSError):
                await redis.delete(_lock_key(thread))

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.post(
    "/threads/{thread_id}/items/{item_id}/decision",
    response_model=DecisionOut,
    responses=errors(401, 403, 404, 409, 422),
)
async def decide(
    thread_id: uuid.UUID, item_id: uuid.UUID, body: DecisionIn, principal: ChatWriter
) -> DecisionOut:
    """Approve, edit (new arguments, re-checked) or reject inline an action this chat queued: the
    same decision service as the inbox, so the first decision wins (409 after), wherever it was made."""
    if "inbox:write" not in principal.scopes and not principal.system:
        raise Forbidden("deciding needs the 'inbox:write' scope")
    thread = await assistant.get_thread(principal=principal, chat_thread_id=thread_id)
    if not await assistant.item_in_thread(principal=principal, item_id=item_id, thread_id=thread.thread_id):
        raise NotFound("that item does not belong to this chat")
    if body.decision == "edit" and not body.args:
        raise ValidationFailed("an edit needs the changed arguments")
    decided = await decisions.decide(
        principal=principal,
        item_id=item_id,
        decision=body.decision,
        args=body.args,
        reason=body.reason.strip() or "Rejected in the chat",
        deliver="now",
    )
    (card,) = await _thread_cards(principal, thread, only=[str(item_id)])
    return DecisionOut(item=card, delivery=decided.delivery.as_dict() if decided.delivery else None)
