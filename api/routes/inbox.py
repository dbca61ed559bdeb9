"""The approval inbox API: pending drafts, what a reviewer needs to decide, decisions, live changes."""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field, field_validator

from agent import decisions
from api.deps import InboxReader, InboxWriter, RedisDep, errors, resolve_principal
from api.schemas import Text
from core.db import tenant_session
from core.errors import AppError, NotFound, ValidationFailed
from core.events import inbox_changes
from core.tenancy import Principal
from crm.approvals import service as approvals
from crm.approvals.models import HitlAction
from crm.approvals.schemas import FLAG_LABELS
from crm.creators import service as creators
from crm.enums import ActionType, ApprovalOrigin, ApprovalStatus, DeliveryOutcome, SpendTier
from crm.fans import service as fans
from crm.fans.models import FanProfile
from crm.fans.schemas import FanDossier

router = APIRouter(prefix="/api/inbox", tags=["inbox"])


# ---------------------------------------------------------------- read models


class FanBadge(BaseModel):
    id: uuid.UUID
    display_name: str
    spend_tier: SpendTier
    lifetime_spend: Decimal


class FlagOut(BaseModel):
    code: str = Field(description="Machine name, e.g. possible_minor; the `flag` filter takes it.")
    severity: str = Field(description="block | review (owner/admin decides) | urgent | warn")
    message: str
    label: str = Field(default="", description="A short human label for a badge.")


class ItemSummary(BaseModel):
    """One row of the queue."""

    id: uuid.UUID
    creator_id: uuid.UUID
    creator_name: str
    action_type: ActionType
    status: ApprovalStatus
    preview: str = Field(description="The draft text (or a one-line description of the action).")
    fan: FanBadge | None
    flags: list[FlagOut]
    priority: int
    confidence: float | None
    created_at: datetime
    expires_at: datetime
    waiting_seconds: int = Field(description="How long the fan has been waiting for this answer.")
    edited: bool
    origin: ApprovalOrigin = Field(description="What queued it: a reply run, a chat, a rule, or a person.")
    attempts: int = Field(description="Platform attempts so far (sending and failed views).")
    next_attempt_at: datetime | None = Field(description="When the next attempt is due, while sending.")
    error: str | None = Field(description="Why it failed or went stale, or the last transient error.")


class ViewCounts(BaseModel):
    """How many items each view of the inbox holds."""

    pending: int = Field(description="Waiting for a decision.")
    sending: int = Field(description="Approved, on their way to the platform (retrying after a failure).")
    failed: int = Field(description="Ended unsent: failed or stale, with the reason.")


class ItemPage(BaseModel):
    items: list[ItemSummary]
    next_cursor: str | None
    total_pending: int | None


class MessageOut(BaseModel):
    id: uuid.UUID
    direction: str
    sender: str
    text: str
    sent_at: datetime
    price: Decimal | None = None
    is_ppv: bool = False


class MemoryUsed(BaseModel):
    id: str | None = None
    kind: str | None = None
    text: str


class VoiceExampleUsed(BaseModel):
    """A reply the creator (or her team) sent before, that this draft was adapted from."""

    fan_text: str = Field(description="What that fan had written (other fans' names redacted).")
    reply: str = Field(description="What was sent to them.")
    source: str | None = None


class DiffPart(BaseModel):
    op: Literal["equal", "insert", "delete"]
    text: str


class AttemptOut(BaseModel):
    """One platform attempt of an approved item."""

    attempt: int
    outcome: DeliveryOutcome
    adapter: str | None
    http_status: int | None
    retry_after_seconds: float | None
    error: str | None
    started_at: datetime
    finished_at: datetime


class RuleRef(BaseModel):
    """The automation rule whose step queued the item (or asked the agent for the draft)."""

    id: uuid.UUID
    name: str
    trigger: str | None = None
    step: int | None = None


class ItemDetail(ItemSummary):
    """Everything a reviewer needs to decide in one glance."""

    target_type: str
    target_id: str
    proposed_args: dict[str, Any]
    final_args: dict[str, Any] | None
    why: str | None = Field(description="The agent's reason for proposing this action.")
    memories_used: list[MemoryUsed]
    voice_examples_used: list[VoiceExampleUsed] = Field(
        description="The creator's earlier replies the draft was adapted from."
    )
    conversation: list[MessageOut] = Field(description="The conversation tail, oldest first.")
    dossier: FanDossier | None
    diff: list[DiffPart] | None = Field(
        description="Word-level diff of draft vs. edited text, after an edit."
    )
    decided_at: datetime | None
    decision_reason: str | None
    result: dict[str, Any] | None
    delivery_attempts: list[AttemptOut] = Field(description="Every platform attempt, oldest first.")
    rule: RuleRef | None = Field(default=None, description="The automation rule that made it, if any.")


class EditRequest(BaseModel):
    args: dict[Text, Any] = Field(
        description="Changed arguments (e.g. {'text': …}); action type and target cannot change."
    )

    @field_validator("args")
    @classmethod
    def _storable(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            encoded = json.dumps(value, ensure_ascii=False, default=str).encode()
        except (UnicodeEncodeError, ValueError) as exc:
            raise ValueError("arguments must be valid UTF-8 JSON") from exc
        if b"\x00" in encoded or b"\\u0000" in encoded:
            raise ValueError("arguments must not contain NUL characters")
        return value


class RejectRequest(BaseModel):
    reason: Text = Field(min_length=1, max_length=2000, description="Why; a reply is redrafted using it.")


class DecisionOutcome(BaseModel):
    """What a decision did, for a caller without `inbox:read` (no fan data, no conversation)."""

    id: uuid.UUID
    status: ApprovalStatus
    decided_at: datetime | None
    error: str | None


class BulkApproveRequest(BaseModel):
    item_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class BulkResult(BaseModel):
    id: uuid.UUID
    ok: bool
    status: str | None = None
    detail: str | None = None


class BulkApproveResponse(BaseModel):
    results: list[BulkResult]
    approved: int


# ---------------------------------------------------------------- assembling


def _text_of(args: dict[str, Any] | None) -> str:
    return str((args or {}).get("text") or "")


def _preview(item: HitlAction) -> str:
    args = item.final_args or item.proposed_args
    text = _text_of(args)
    if item.action_type == ActionType.send_ppv:
        return f"[PPV ${args.get('price')}] {text}"
    if item.action_type == ActionType.update_custom_request_price:
        return f"Quote custom request at ${args.get('price')}"
    return text or str(item.action_type).replace("_", " ")


def _waiting_since(item: HitlAction, fan: FanProfile | None) -> datetime:
    """Since when the fan has been waiting: their unanswered message, else since the draft was queued."""
    is_reply = item.action_type in (ActionType.send_message, ActionType.send_ppv)
    last_in = fan.last_inbound_at if fan is not None else None
    last_out = fan.last_outbound_at if fan is not None else None
    if is_reply and last_in is not None and (last_out is None or last_in > last_out):
        return min(last_in, item.created_at)
    return item.created_at


def _flags(item: HitlAction) -> list[FlagOut]:
    return [
        FlagOut(
            code=str(f.get("code", "")),
            severity=str(f.get("severity", "warn")),
            message=str(f.get("message", "")),
            label=str(f.get("label") or FLAG_LABELS.get(str(f.get("code", "")), "")),
        )
        for f in item.flags
        if isinstance(f, dict)
    ]


def _memories(item: HitlAction) -> list[MemoryUsed]:
    raw = item.context.get("memories_used") or item.context.get("memories") or []
    out: list[MemoryUsed] = []
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, dict) and entry.get("text"):
            out.append(
                MemoryUsed(
                    id=str(entry.get("id")) if entry.get("id") else None,
                    kind=entry.get("kind"),
                    text=str(entry["text"]),
                )
            )
        elif isinstance(entry, str):
            out.append(MemoryUsed(text=entry))
    return out


def _voice_examples(item: HitlAction) -> list[VoiceExampleUsed]:
    raw = item.context.get("voice_examples_used")
    return [
        VoiceExampleUsed(fan_text=str(e.get("fan_text") or ""), reply=str(e["reply"]), source=e.get("source"))
        for e in raw if isinstance(e, dict) and e.get("reply")
    ] if isinstance(raw, list) else []  # fmt: skip


def word_diff(before: str, after: str) -> list[DiffPart]:
    """Word-level diff a reviewer can read: what the edit removed and added."""
    a, b = before.split(" "), after.split(" ")
    parts: list[DiffPart] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(DiffPart(op="equal", text=" ".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(DiffPart(op="delete", text=" ".join(a[i1:i2])))
        if j2 > j1:
            parts.append(DiffPart(op="insert", text=" ".join(b[j1:j2])))
    return parts


class _Names:
    """Creator names and fan badges for a page of items, each looked up once."""

    def __init__(self) -> None:
        self.creators: dict[uuid.UUID, str] = {}
        self.fans: dict[uuid.UUID, FanBadge | None] = {}
        self.profiles: dict[uuid.UUID, FanProfile] = {}

    async def load(self, session: Any, principal: Principal, items: list[HitlAction]) -> None:
        for item in items:
            if item.creator_id not in self.creators:
                creator = await creators.get_creator(session, principal, creator_id=item.creator_id)
                self.creators[item.creator_id] = creator.display_name
            if item.fan_id and item.fan_id not in self.fans:
                try:
                    fan = await fans.get_fan(session, principal, fan_id=item.fan_id)
                except NotFound:
                    self.fans[item.fan_id] = None
                    continue
                self.profiles[item.fan_id] = fan
                self.fans[item.fan_id] = FanBadge(
                    id=fan.id,
                    display_name=fan.display_name,
                    spend_tier=fan.spend_tier,
                    lifetime_spend=fan.lifetime_spend,
                )

    def summary(self, item: HitlAction, *, now: datetime) -> dict[str, Any]:
        return {
            "id": item.id,
            "creator_id": item.creator_id,
            "creator_name": self.creators.get(item.creator_id, ""),
            "action_type": item.action_type,
            "status": item.status,
            "preview": _preview(item),
            "fan": self.fans.get(item.fan_id) if item.fan_id else None,
            "flags": _flags(item),
            "priority": item.priority,
            "confidence": item.confidence,
            "created_at": item.created_at,
            "expires_at": item.expires_at,
            "waiting_seconds": max(
                0,
                int(
                    (
                        now - _waiting_since(item, self.profiles.get(item.fan_id) if item.fan_id else None)
                    ).total_seconds()
                ),
            ),
            "edited": item.edited,
            "origin": item.origin,
            "attempts": item.attempts,
            "next_attempt_at": item.next_attempt_at if item.status == ApprovalStatus.approved else None,
            "error": item.error,
        }


async def _detail(session: Any, principal: Principal, item: HitlAction) -> ItemDetail:
    names = _Names()
    await names.load(session, principal, [item])
    dossier = None
    conversation: list[MessageOut] = []
    if item.fan_id:
        try:
            dossier = await fans.get_dossier(session, principal, fan_id=item.fan_id)
            messages = await fans.recent_messages(session, principal, fan_id=item.fan_id, limit=20)
            conversation = [
                MessageOut(
                    id=m.id, direction=str(m.direction), sender=str(m.sender), text=m.text, sent_at=m.sent_at,
                    price=m.price, is_ppv=m.is_ppv,
                )
                for m in messages
            ]  # fmt: skip
        except NotFound:
            dossier = None
    diff = None
    if item.edited and item.final_args is not None:
        diff = word_diff(_text_of(item.proposed_args), _text_of(item.final_args))
    why = item.context.get("why") or item.context.get("rationale") or item.context.get("reason")
    attempts = await approvals.attempts_of(session, principal, item_id=item.id) if item.attempts else []
    return ItemDetail(
        **names.summary(item, now=datetime.now(UTC)),
        target_type=item.target_type,
        target_id=item.target_id,
        proposed_args=item.proposed_args,
        final_args=item.final_args,
        why=str(why) if why else None,
        memories_used=_memories(item),
        voice_examples_used=_voice_examples(item),
        conversation=conversation,
        dossier=dossier,
        diff=diff,
        decided_at=item.decided_at,
        decision_reason=item.decision_reason,
        result=item.result,
        delivery_attempts=[AttemptOut.model_validate(a, from_attributes=True) for a in attempts],
        rule=_rule_of(item),
    )


def _rule_of(item: HitlAction) -> RuleRef | None:
    """A rule's template step puts it in the context; an agent draft a rule asked for, in its facts."""
    raw = item.context.get("rule") or (item.context.get("facts") or {}).get("rule")
    if not isinstance(raw, dict):
        return None
    try:
        return RuleRef.model_validate(raw)
    except ValueError:
        return None


def _check_cursor(cursor: str | None) -> None:
    if cursor is None:
        return
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        valid = isinstance(decoded, list) and len(decoded) == 3
        if valid:
            Decimal(str(decoded[0]))
            datetime.fromisoformat(str(decoded[1]))
            uuid.UUID(str(decoded[2]))
    except (ValueError, TypeError, binascii.Error, ArithmeticError):
        valid = False
    if not valid:
        raise ValidationFailed("invalid cursor")


async def _decided(principal: Principal, item_id: uuid.UUID) -> ItemDetail | DecisionOutcome:
    """The decided item as the caller may see it: the full detail needs `inbox:read` (a write-only
    token learns the outcome, not the fan's messages or dossier)."""
    async with tenant_session(principal) as s:
        item = await approvals.get_item(s, principal, item_id=item_id)
        if "inbox:read" not in principal.scopes:
            return DecisionOutcome(
                id=item.id, status=item.status, decided_at=item.decided_at, error=item.error
            )
        return await _detail(s, principal, item)


DECIDED = ItemDetail | DecisionOutcome


# ---------------------------------------------------------------- endpoints


@router.get("/items", response_model=ItemPage, responses=errors(401, 403, 404, 422))
async def list_items(
    principal: InboxReader,
    view: Literal["pending", "sending", "failed"] = Query(
        default="pending",
        description="pending: waiting for a decision; sending: approved, on its way (retrying); "
        "failed: ended unsent (failed or stale), with the reason.",
    ),
    creator_id: uuid.UUID | None = None,
    action_type: ActionType | None = None,
    flag: str | None = Query(
        default=None, max_length=64, description="Only items with this guardrail flag code."
    ),
    sort: Literal["priority", "waiting", "fan_value"] = "priority",
    cursor: str | None = Query(default=None, max_length=500, pattern=r"^[A-Za-z0-9_=-]+$"),
    limit: int = Query(default=50, ge=1, le=200),
) -> ItemPage:
    """List the items of one view you may see, filtered and sorted, with cursor pagination."""
    if creator_id is not None and not principal.can_see(creator_id):
        raise NotFound("creator not found")
    _check_cursor(cursor)
    async with tenant_session(principal) as s:
        page = await approvals.list_items(
            s, principal, view=view, creator_id=creator_id, action_type=action_type, flag=flag, sort=sort,
            cursor=cursor, limit=limit,
        )  # fmt: skip
        names = _Names()
        await names.load(s, principal, page.items)
        now = datetime.now(UTC)
        rows = [ItemSummary(**names.summary(item, now=now)) for item in page.items]
    return ItemPage(items=rows, next_cursor=page.next_cursor, total_pending=page.total_pending)


@router.get("/counts", response_model=ViewCounts, responses=errors(401, 403, 404))
async def counts(principal: InboxReader, creator_id: uuid.UUID | None = None) -> ViewCounts:
    """How many items wait for a decision, are sending, or failed, for the creators you may see."""
    if creator_id is not None and not principal.can_see(creator_id):
        raise NotFound("creator not found")
    async with tenant_session(principal) as s:
        return ViewCounts(**await approvals.count_views(s, principal, creator_id=creator_id))


@router.get("/items/{item_id}", response_model=ItemDetail, responses=errors(401, 403, 404))
async def get_item(item_id: uuid.UUID, principal: InboxReader) -> ItemDetail:
    """One item with the conversation, fan dossier, memories used, flags and edit diff."""
    async with tenant_session(principal) as s:
        item = await approvals.get_item(s, principal, item_id=item_id)
        return await _detail(s, principal, item)


@router.post("/items/{item_id}/approve", response_model=DECIDED, responses=errors(401, 403, 404, 409, 422))
async def approve(item_id: uuid.UUID, principal: InboxWriter) -> ItemDetail | DecisionOutcome:
    """Approve as proposed; the action then runs exactly once (see the sending and failed views)."""
    await decisions.decide(principal=principal, item_id=item_id, decision="approve", deliver="later")
    return await _decided(principal, item_id)


@router.post("/items/{item_id}/edit", response_model=DECIDED, responses=errors(401, 403, 404, 409, 422))
async def edit(item_id: uuid.UUID, body: EditRequest, principal: InboxWriter) -> ItemDetail | DecisionOutcome:
    """Approve with edited arguments (re-validated; same action and target)."""
    await decisions.decide(
        principal=principal, item_id=item_id, decision="edit", args=body.args, deliver="later"
    )
    return await _decided(principal, item_id)


@router.post("/items/{item_id}/reject", response_model=DECIDED, responses=errors(401, 403, 404, 409, 422))
async def reject(
    item_id: uuid.UUID, body: RejectRequest, principal: InboxWriter
) -> ItemDetail | DecisionOutcome:
    """Reject with a reason; nothing runs (a reply is redrafted once using the reason)."""
    await decisions.decide(
        principal=principal, item_id=item_id, decision="reject", reason=body.reason, deliver="later"
    )
    return await _decided(principal, item_id)


@router.post("/items/{item_id}/retry", response_model=DECIDED, responses=errors(401, 403, 404, 409))
async def retry(item_id: uuid.UUID, principal: InboxWriter) -> ItemDetail | DecisionOutcome:
    """Send a failed item again (a decision: audited, the first retry wins; same idempotency key)."""
    await decisions.decide(principal=principal, item_id=item_id, decision="retry", deliver="later")
    return await _decided(principal, item_id)


@router.post("/items/bulk-approve", response_model=BulkApproveResponse, responses=errors(401, 403, 422))
async def bulk_approve(body: BulkApproveRequest, principal: InboxWriter) -> BulkApproveResponse:
    """Approve many items; each succeeds or fails on its own."""
    results: list[BulkResult] = []
    for item_id in dict.fromkeys(body.item_ids):
        try:
            decided = await decisions.decide(
                principal=principal, item_id=item_id, decision="approve", deliver="later"
            )
        except AppError as exc:
            results.append(BulkResult(id=item_id, ok=False, detail=exc.message))
            continue
        results.append(BulkResult(id=item_id, ok=True, status=str(decided.item.status)))
    return BulkApproveResponse(results=results, approved=sum(r.ok for r in results))


# How often an open stream re-reads who it is for: an unassigned chatter, a revoked token or a
# deactivated account stops receiving events within this long.
ACCESS_RECHECK_SECONDS = 5.0


@router.get("/stream", response_class=EventSourceResponse, responses=errors(401, 403))
async def stream(request: Request, principal: InboxReader, redis: RedisDep) -> AsyncIterator[ServerSentEvent]:
    """Server-sent events: one `inbox` event whenever items of your creators change. Access is
    re-checked while the stream is open: when it changes, an `access_changed` event ends the stream
    (reconnect to follow the creators you may see now)."""
    visible = principal.creator_ids
    yield ServerSentEvent(event="ready", data={"creators": sorted(str(c) for c in visible)})
    checked = time.monotonic()
    async for change in inbox_changes(redis, visible, idle_seconds=ACCESS_RECHECK_SECONDS):
        if time.monotonic() - checked >= ACCESS_RECHECK_SECONDS or change is not None:
            if not await _still_sees(request, redis, visible):
                yield ServerSentEvent(event="access_changed", data={"reason": "your access changed"})
                return
            checked = time.monotonic()
        if change is None:
            yield ServerSentEvent(comment="keepalive")
        elif _concerns(change, visible):
            yield ServerSentEvent(event="inbox", data=change)


async def _still_sees(request: Request, redis: Any, visible: frozenset[uuid.UUID]) -> bool:
    """The stream's caller still signs in, with the inbox:read scope, and sees the same creators."""
    try:
        now = await resolve_principal(request, redis)
    except AppError:  # signed out, deactivated, token revoked or expired
        return False
    return "inbox:read" in now.scopes and now.creator_ids == visible


def _concerns(change: dict[str, Any], visible: frozenset[uuid.UUID]) -> bool:
    creator = change.get("creator_id")
    return creator is None or creator in {str(c) for c in visible}
