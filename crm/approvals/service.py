"""The approval queue's records: items, first-decision-wins decisions, delivery bookkeeping.

Nothing in `hitl_action_queue` has run. The first decision wins (conditional UPDATE … WHERE
status = 'pending'); any later decision raises `ApprovalAlreadyDecided` (409). Pending items past
their TTL fail closed: they can no longer be approved and the sweeper marks them expired.

Every surface decides through `agent.decisions.decide`, which records the decision here and then
delivers the item (resume its run, or execute it once); these functions only record.
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Forbidden, NotFound, ValidationFailed
from core.tenancy import SYSTEM, ActorKind, Principal, StaffRole
from crm.approvals import guardrails
from crm.approvals import repository as repo
from crm.approvals.editdistance import text_edit_distance
from crm.approvals.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    BlockedByGuardrails,
    EditChangesAction,
)
from crm.approvals.models import HitlAction
from crm.approvals.schemas import (
    ACTION_TARGET,
    DEFAULT_TTL,
    REPLY_ACTIONS,
    Flag,
    Page,
    has_blocking,
    validate_args,
)
from crm.enums import (
    ActionType,
    ApprovalOrigin,
    ApprovalStatus,
    AuditActorKind,
    DeliveryOutcome,
    RunStatus,
    SpendTier,
)
from crm.runtime import service as runtime_service

__all__ = [
    "AUTO_APPROVED_REASON",
    "approve_item",
    "attempts_of",
    "auto_approve_if_allowed",
    "count_views",
    "create_item",
    "due_for_delivery",
    "edit_item",
    "effective_args",
    "expire_due_items",
    "get_item",
    "link_superseded",
    "list_items",
    "lock_for_execution",
    "mark_executed",
    "mark_failed",
    "mark_stale",
    "policy_for_creator",
    "priority_for_fan",
    "propose_reply",
    "record_attempt",
    "reject_item",
    "retry_item",
    "schedule_retry",
    "screen_action",
    "supersede_pending_replies",
]

# An item whose fan's message carries an `urgent` signal (self-harm) is answered before every other.
URGENT_PRIORITY_BOOST = 1000
# Who may decide an item with a `review` flag (a possible minor): the agency's owners and admins, the
# system (CLI, sweepers) and, once it exists, the creator's own login.
REVIEW_ROLES: frozenset[str] = frozenset({StaffRole.owner, StaffRole.admin, "creator"})

_TIER_WEIGHT = {
    SpendTier.new: 0,
    SpendTier.low: 10,
    SpendTier.mid: 20,
    SpendTier.high: 30,
    SpendTier.whale: 40,
}


def priority_for_fan(spend_tier: SpendTier | str | None, lifetime_spend: Decimal | float | None) -> int:
    """Higher for fans worth more: tier weight plus up to 9 points of lifetime spend."""
    tier = SpendTier(spend_tier) if spend_tier else SpendTier.new
    spend = float(lifetime_spend or 0)
    return _TIER_WEIGHT[tier] + min(int(spend // 100), 9)


def effective_args(item: HitlAction) -> dict[str, Any]:
    return dict(item.final_args or item.proposed_args)


def _now() -> datetime:
    return datetime.now(UTC)


def _actor_kind(principal: Principal) -> AuditActorKind:
    return AuditActorKind(str(principal.actor_kind))


async def _audit(
    session: AsyncSession, principal: Principal, item: HitlAction, action: str, **details: Any
) -> None:
    creator = await repo.get_creator(session, item.creator_id)
    await repo.add_audit(
        session,
        agency_id=creator.agency_id if creator else None,
        creator_id=item.creator_id,
        actor_kind=_actor_kind(principal),
        actor_id=principal.actor_id,
        action=action,
        item_id=item.id,
        details={"action_type": str(item.action_type), **details},
    )


async def _require(session: AsyncSession, item_id: uuid.UUID) -> HitlAction:
    item = await repo.get(session, item_id)
    if item is None:
        raise NotFound(f"approval item {item_id} not found")
    return item


def _refuse_if_decided(item: HitlAction, now: datetime) -> None:
    if item.status != ApprovalStatus.pending:
        raise ApprovalAlreadyDecided(item.id, str(item.status))
    if item.expires_at <= now:
        raise ApprovalExpired(item.id)


async def policy_for_creator(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID
) -> guardrails.GuardrailPolicy:
    creator = await repo.get_creator(session, creator_id)
    if creator is None:
        raise NotFound(f"creator {creator_id} not found")
    return guardrails.GuardrailPolicy(
        restricted_words=tuple(creator.restricted_words or ()),
        ppv_price_min=Decimal(creator.ppv_price_min),
        ppv_price_max=Decimal(creator.ppv_price_max),
        rules=tuple(creator.rules or ()),
        safety_keywords={k: tuple(v) for k, v in (creator.safety_keywords or {}).items()},
    )


def _may_review(principal: Principal) -> bool:
    # Workers and the CLI act as the system: no staff member is deciding through them.
    return principal.system or principal.actor_kind == ActorKind.system or principal.role in REVIEW_ROLES


def _refuse_unless_reviewer(item: HitlAction, principal: Principal) -> None:
    """A `review` flag (a possible minor) is for an owner or admin to decide, never a chatter."""
    needs = [str(f.get("code")) for f in item.flags if f.get("severity") == "review"]
    if needs and not _may_review(principal):
        raise Forbidden(
            f"only an owner or admin may decide this item ({', '.join(needs)}): ask them to review the "
            "conversation"
        )


# --- reading -------------------------------------------------------------------------------------


async def list_items(
    session: AsyncSession,
    principal: Principal,
    *,
    view: repo.View = "pending",
    creator_id: uuid.UUID | None = None,
    action_type: ActionType | None = None,
    flag: str | None = None,
    sort: repo.SortKey = "priority",
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """Items of one inbox view the principal may see (pending for a decision, sending, failed or stale),
    by priority (default), waiting time or fan value."""
    if sort not in ("priority", "waiting", "fan_value"):
        raise ValidationFailed(f"unknown sort {sort!r}")
    if view not in repo.VIEW_STATUSES:
        raise ValidationFailed(f"unknown view {view!r}")
    items, next_cursor = await repo.list_items(
        session,
        view=view,
        creator_id=creator_id,
        action_type=action_type,
        flag=flag,
        sort=sort,
        cursor=cursor,
        limit=max(1, min(limit, 200)),
    )
    return Page(
        items=items,
        next_cursor=next_cursor,
        total_pending=await repo.count_items(session, creator_id=creator_id, view=view),
    )


async def count_views(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID | None = None
) -> dict[str, int]:
    """How many items each inbox view holds for the principal: pending, sending, failed."""
    return await repo.count_views(session, creator_id=creator_id)


async def get_item(session: AsyncSession, principal: Principal, *, item_id: uuid.UUID) -> HitlAction:
    return await _require(session, item_id)


# --- writing (the gate) --------------------------------------------------------------------------


async def create_item(
    session: AsyncSession,
    principal: Principal,
    *,
    idempotency_key: str,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID | None,
    action_type: ActionType,
    args: dict[str, Any],
    context: dict[str, Any],
    flags: list[dict[str, Any]],
    origin: ApprovalOrigin,
    confidence: float | None = None,
    priority: int = 0,
    thread_id: str | None = None,
    run_id: uuid.UUID | None = None,
    source_message_id: uuid.UUID | None = None,
    ttl: timedelta | None = None,
    prompt_version: str | None = None,
    key_checked: bool = False,
) -> tuple[HitlAction, bool]:
    """Queue a gated action; a second call with the same key returns the first row (created=False).

    An `urgent` flag (self-harm language in the fan's message) puts the item ahead of everything else.
    The prompt version defaults to the one the drafting model reports in `context.model`.
    `key_checked`: the caller just looked the key up in this transaction (the insert is idempotent
    on the key anyway).
    """
    if not key_checked:
        existing = await repo.get_by_key(session, idempotency_key)
        if existing is not None:
            return existing, False
    try:
        clean = validate_args(action_type, args)
    except ValidationError as exc:
        raise ValidationFailed(f"invalid {action_type} arguments: {exc.errors()[0]['msg']}") from exc
    target_type, target_field = ACTION_TARGET[action_type]
    return await repo.insert_idempotent(
        session,
        {
            "id": uuid.uuid4(),
            "creator_id": creator_id,
            "fan_id": fan_id,
            "idempotency_key": idempotency_key,
            "thread_id": thread_id,
            "run_id": run_id,
            "source_message_id": source_message_id,
            "origin": origin,
            "action_type": action_type,
            "target_type": target_type,
            "target_id": str(clean[target_field]),
            "proposed_args": clean,
            # Reviewer context is a snapshot for the inbox: dates/decimals become their JSON forms.
            "context": to_jsonable_python(context),
            "flags": to_jsonable_python(flags),
            "confidence": confidence,
            "priority": priority
            + (URGENT_PRIORITY_BOOST if any(f.get("severity") == "urgent" for f in flags) else 0),
            "prompt_version": prompt_version or _prompt_version_of(context),
            "status": ApprovalStatus.pending,
            "expires_at": _now() + (ttl or DEFAULT_TTL[action_type]),
        },
    )


def _prompt_version_of(context: dict[str, Any]) -> str | None:
    model = context.get("model")
    version = model.get("prompt_version") if isinstance(model, dict) else None
    return str(version)[:40] if version else None


AUTO_APPROVED_REASON = "auto-approved by creator policy"


async def auto_approve_if_allowed(
    session: AsyncSession,
    principal: Principal,
    *,
    item_id: uuid.UUID,
    item: HitlAction | None = None,
    auto_approve: Mapping[str, Any] | None = None,
) -> HitlAction:
    """Approve without a human only if the creator opted this action type in and nothing is flagged.
    `item` (the row as this transaction just wrote it) and `auto_approve` (the creator's opt-ins)
    spare the reads when the caller has them."""
    if item is None:
        item = await _require(session, item_id)
    if item.status != ApprovalStatus.pending or item.flags:
        return item
    if auto_approve is None:
        creator = await repo.get_creator(session, item.creator_id)
        auto_approve = (creator.auto_approve or {}) if creator else {}
    policy = auto_approve
    if policy.get(str(item.action_type)) is not True:
        return item
    decided = await repo.decide_if_pending(
        session,
        item.id,
        {
            "status": ApprovalStatus.approved,
            "final_args": item.proposed_args,
            "edit_distance": text_edit_distance(item.proposed_args, None),
            "decided_at": _now(),
            "decision_reason": AUTO_APPROVED_REASON,
        },
    )
    if decided is None:
        return await _require(session, item_id)
    await _audit(session, SYSTEM, decided, "approval.auto_approved")
    return decided


async def _item(session: AsyncSession, item_id: uuid.UUID) -> HitlAction:
    item = await session.get(HitlAction, item_id, populate_existing=True)
    assert item is not None  # read a moment ago in this transaction, under the fan's lock
    return item


@dataclass(frozen=True)
class SeenInbound:
    """The newest fan message a draft answered (None: the fan had written nothing yet)."""

    message_id: uuid.UUID | None
    created_at: datetime


@dataclass
class Proposal:
    """Where a reply draft went: `queued` (a new pending or auto-approved item), `existing` (this run
    step had queued it already), `outdated` (the fan wrote again while it was drafted: a newer run
    answers) or `duplicate` (a pending draft already answers the same message)."""

    outcome: Literal["queued", "existing", "outdated", "duplicate"]
    item: HitlAction | None
    superseded: list[HitlAction] = field(default_factory=list)


async def propose_reply(
    session: AsyncSession,
    principal: Principal,
    *,
    idempotency_key: str,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    run_id: uuid.UUID,
    thread_id: str,
    seen: SeenInbound,
    action_type: ActionType,
    args: dict[str, Any],
    context: dict[str, Any],
    flags: list[dict[str, Any]],
    confidence: float | None,
    superseded_earlier: Sequence[uuid.UUID] = (),
    prompt_version: str | None = None,
    auto_approve: Mapping[str, Any] | None = None,
    answering: uuid.UUID | None = None,
) -> Proposal:
    """Queue a reply draft as the fan's one pending reply. Serialised per fan (the fan row is locked),
    so of two concurrent drafts the one that saw the newest message wins and the other supersedes
    nothing; the database's partial unique index makes a second pending reply impossible anyway.
    `answering` is the fan message the run was started for: when another run's reply to it exists
    already (in any state but superseded), this draft is a duplicate."""
    # The fan's row locked, then, read after the lock (one round trip): this run step's own item
    # (stored by an earlier try of this step), the replies in this one's way, and whether the fan
    # wrote again. Decided in that order.
    checks = await repo.proposal_checks(
        session,
        fan_id=fan_id,
        idempotency_key=idempotency_key,
        answering=answering,
        thread_id=thread_id,
        after=seen.created_at,
        exclude=seen.message_id,
    )
    if checks.fan is None:
        raise NotFound("fan not found")
    found = checks.replies
    existing = next((i for i in found if i.idempotency_key == idempotency_key), None)
    if existing is not None:
        return Proposal("existing", await _item(session, existing.id))
    if checks.newer_inbound:
        return Proposal("outdated", None)
    for other in found:
        if other.status == ApprovalStatus.pending:
            if seen.message_id is not None and other.source_message_id == seen.message_id:
                return Proposal("duplicate", await _item(session, other.id))
        else:
            # Another run already answered the message this run was started for (a job retried
            # after its worker died past propose, and the draft was decided meanwhile).
            return Proposal("duplicate", await _item(session, other.id))
    # Under the fan's lock no reply draft can appear meanwhile: with none pending in what was just
    # read, there is nothing to supersede (the common case: the run's start superseded them).
    superseded = (
        await supersede_pending_replies(session, principal, fan_id=fan_id)
        if any(i.status == ApprovalStatus.pending and i.action_type in REPLY_ACTIONS for i in found)
        else []
    )
    item, created = await create_item(
        session,
        principal,
        idempotency_key=idempotency_key,
        creator_id=creator_id,
        fan_id=fan_id,
        action_type=action_type,
        args=args,
        context=context,
        flags=flags,
        origin=ApprovalOrigin.reply_run,
        confidence=confidence,
        priority=priority_for_fan(*checks.fan),
        thread_id=thread_id,
        run_id=run_id,
        source_message_id=seen.message_id,
        prompt_version=prompt_version,
        key_checked=True,
    )
    # The drafts this one replaces (superseded now, or when its run started) point at it.
    await repo.link_superseded(session, [*superseded_earlier, *(i.id for i in superseded)], item.id)
    await runtime_service.set_run_status(
        session,
        principal,
        run_ids=[i.run_id for i in superseded if i.run_id is not None and i.run_id != run_id],
        status=RunStatus.superseded,
    )
    item = await auto_approve_if_allowed(
        session, principal, item_id=item.id, item=item, auto_approve=auto_approve
    )
    if item.status == ApprovalStatus.pending:
        await runtime_service.set_run_status(
            session, principal, run_ids=[run_id], status=RunStatus.interrupted
        )
    return Proposal("queued" if created else "existing", item, superseded)


async def supersede_pending_replies(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID, keep_source: uuid.UUID | None = None
) -> list[HitlAction]:
    """The fan wrote again: pending reply drafts for them no longer answer the conversation. A draft
    that answers message `keep_source` is kept (the same message delivered again is no news)."""
    items = await repo.supersede_pending(
        session, fan_id=fan_id, action_types=REPLY_ACTIONS, keep_source=keep_source
    )
    for item in items:
        await _audit(session, principal, item, "approval.superseded")
    return items


def supersede_pending_replies_statement(
    *, fan_id: uuid.UUID, keep_source: uuid.UUID | None = None
) -> tuple[str, dict[str, Any]]:
    """`supersede_pending_replies` as one statement (the runs of the drafts it supersedes are marked
    superseded too), for a caller that sends it in a pipeline with others; its rows are the ids of
    the superseded items, which `audit_superseded` then records."""
    return repo.supersede_pending_statement(
        fan_id=fan_id, action_types=REPLY_ACTIONS, keep_source=keep_source
    )


async def audit_superseded(
    session: AsyncSession, principal: Principal, item_ids: Sequence[uuid.UUID]
) -> list[HitlAction]:
    """The audit entries of items superseded by `supersede_pending_replies_statement`; the items."""
    items = await repo.get_many(session, item_ids) if item_ids else []
    for item in items:
        await _audit(session, principal, item, "approval.superseded")
    return items


async def link_superseded(
    session: AsyncSession, principal: Principal, *, old_item_ids: list[uuid.UUID], new_item_id: uuid.UUID
) -> None:
    await repo.link_superseded(session, old_item_ids, new_item_id)


# --- decisions -----------------------------------------------------------------------------------


async def approve_item(session: AsyncSession, principal: Principal, *, item_id: uuid.UUID) -> HitlAction:
    """Approve as proposed. Refused if a blocking flag is on the item (edit or reject it instead)."""
    now = _now()
    decided = await repo.approve_if_pending(
        session,
        item_id,
        actor_kind=_actor_kind(principal),
        actor_id=principal.actor_id,
        now=now,
        may_review=_may_review(principal),
    )
    if decided is not None:
        return decided
    # Not approved: say why (the cold path reads the row).
    item = await _require(session, item_id)
    _refuse_if_decided(item, now)
    _refuse_unless_reviewer(item, principal)
    blocking = has_blocking(item.flags)
    if blocking:
        raise BlockedByGuardrails(blocking)
    raise ApprovalAlreadyDecided(item_id, "unknown")


async def edit_item(
    session: AsyncSession, principal: Principal, *, item_id: uuid.UUID, args: dict[str, Any]
) -> HitlAction:
    """Approve with new arguments: same action type and target, re-validated by schema and guardrails."""
    now = _now()
    item = await _require(session, item_id)
    _refuse_if_decided(item, now)
    _refuse_unless_reviewer(item, principal)
    changes = dict(args)
    new_type = changes.pop("action_type", None)
    if new_type is not None and str(new_type) != str(item.action_type):
        raise EditChangesAction(f"an edit cannot change the action type ({item.action_type} → {new_type})")
    for key, current in (("target_type", item.target_type), ("target_id", item.target_id)):
        value = changes.pop(key, None)
        if value is not None and str(value) != current:
            raise EditChangesAction(f"an edit cannot change the target ({key})")
    _, target_field = ACTION_TARGET[item.action_type]
    if target_field in changes and str(changes[target_field]) != item.target_id:
        raise EditChangesAction(f"an edit cannot change the target ({target_field})")
    merged = {**item.proposed_args, **changes}
    try:
        clean = validate_args(item.action_type, merged)
    except ValidationError as exc:
        raise ValidationFailed(f"invalid {item.action_type} arguments: {exc.errors()[0]['msg']}") from exc

    policy = await policy_for_creator(session, principal, creator_id=item.creator_id)
    other_names = await repo.other_fan_names_in(
        session, creator_id=item.creator_id, fan_id=item.fan_id, text=str(clean.get("text") or "")
    )
    inbound = [str(t) for t in item.context.get("inbound_texts", [])]
    outbound = guardrails.check_action(
        item.action_type, clean, policy=policy, other_fan_names=other_names, inbound_texts=inbound
    )
    blocking = [f.code for f in outbound if f.severity == "block"]
    if blocking:
        raise BlockedByGuardrails(blocking)
    # Flags about the fan's own message stay; flags about the old draft are replaced.
    kept = [Flag.model_validate(f) for f in item.flags if f.get("code") in guardrails.INBOUND_CODES]
    context = dict(item.context)
    old_text, new_text = str(item.proposed_args.get("text") or ""), str(clean.get("text") or "")
    context["edit_diff"] = "\n".join(
        difflib.unified_diff(old_text.splitlines(), new_text.splitlines(), "draft", "edited", lineterm="")
    )
    decided = await repo.decide_if_pending(
        session,
        item_id,
        {
            "status": ApprovalStatus.approved,
            "final_args": clean,
            "edited": True,
            "edit_distance": text_edit_distance(item.proposed_args, clean),
            "flags": guardrails.dump([*kept, *outbound]),
            "context": context,
            "decided_by": principal.actor_id,
            "decided_at": now,
        },
        now=now,
    )
    if decided is None:
        _refuse_if_decided(await _require(session, item_id), now)
        raise ApprovalAlreadyDecided(item_id, "unknown")
    await _audit(session, principal, decided, "approval.edited")
    return decided


async def reject_item(
    session: AsyncSession, principal: Principal, *, item_id: uuid.UUID, reason: str
) -> HitlAction:
    """Reject with a reason; a reply draft is redrafted once using it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a rejection needs a reason")
    now = _now()
    item = await _require(session, item_id)
    if item.status != ApprovalStatus.pending:
        raise ApprovalAlreadyDecided(item.id, str(item.status))
    _refuse_unless_reviewer(item, principal)
    decided = await repo.decide_if_pending(
        session,
        item_id,
        {
            "status": ApprovalStatus.rejected,
            "decision_reason": reason,
            "decided_by": principal.actor_id,
            "decided_at": now,
        },
        now=now,
    )
    if decided is None:
        _refuse_if_decided(await _require(session, item_id), now)
        raise ApprovalAlreadyDecided(item_id, "unknown")
    await _audit(session, principal, decided, "approval.rejected", reason=reason)
    return decided


async def expire_due_items(
    session: AsyncSession, principal: Principal = SYSTEM, *, now: datetime | None = None
) -> int:
    """Sweeper: pending items past their TTL become expired (nothing runs). Returns how many."""
    return len(await repo.expire_due(session, now or _now()))


# --- delivery bookkeeping (the executor's) ----------------------------------------------------------


async def lock_for_execution(
    session: AsyncSession, principal: Principal, *, item_id: uuid.UUID, skip_locked: bool = False
) -> HitlAction | None:
    """Row-lock the item for the rest of the transaction: concurrent executors queue behind it, or with
    `skip_locked` get None while another one holds it."""
    item = await repo.get(session, item_id, for_update=True, skip_locked=skip_locked)
    if item is None and not skip_locked:
        raise NotFound(f"approval item {item_id} not found")
    return item


async def _end(
    session: AsyncSession, item_id: uuid.UUID, *, expected: list[ApprovalStatus], values: dict[str, Any]
) -> HitlAction:
    item = await repo.set_status(session, item_id, expected=expected, values=values)
    if item is None:
        raise ApprovalAlreadyDecided(item_id, "not approved")
    return item


async def mark_executed(
    session: AsyncSession, principal: Principal, *, item_id: uuid.UUID, result: dict[str, Any], attempts: int
) -> HitlAction:
    return await _end(
        session,
        item_id,
        expected=[ApprovalStatus.approved],
        values={
            "status": ApprovalStatus.executed,
            "executed_at": _now(),
            "result": result,
            "error": None,
            "attempts": attempts,
            "last_attempt_at": _now(),
            "next_attempt_at": None,
        },
    )


async def mark_failed(
    session: AsyncSession,
    principal: Principal,
    *,
    item_id: uuid.UUID,
    error: str,
    attempts: int,
    result: dict[str, Any] | None = None,
) -> HitlAction:
    """Nothing was sent and no automatic retry follows; the inbox shows `error` and offers a retry."""
    return await _end(
        session,
        item_id,
        expected=[ApprovalStatus.approved],
        values={
            "status": ApprovalStatus.failed,
            "error": error,
            "result": result or {},
            "attempts": attempts,
            "last_attempt_at": _now(),
            "next_attempt_at": None,
        },
    )


async def mark_stale(
    session: AsyncSession, principal: Principal, *, item_id: uuid.UUID, reason: str, attempts: int
) -> HitlAction:
    """The execution-time re-check no longer holds: nothing was sent; the inbox says why."""
    return await _end(
        session,
        item_id,
        expected=[ApprovalStatus.approved],
        values={
            "status": ApprovalStatus.stale,
            "error": reason,
            "attempts": attempts,
            "last_attempt_at": _now(),
            "next_attempt_at": None,
        },
    )


async def schedule_retry(
    session: AsyncSession,
    principal: Principal,
    *,
    item_id: uuid.UUID,
    error: str,
    attempts: int,
    next_attempt_at: datetime,
) -> HitlAction:
    """A transient failure: the item stays approved and the next attempt is due at `next_attempt_at`."""
    return await _end(
        session,
        item_id,
        expected=[ApprovalStatus.approved],
        values={
            "error": error,
            "attempts": attempts,
            "last_attempt_at": _now(),
            "next_attempt_at": next_attempt_at,
        },
    )


async def record_attempt(
    session: AsyncSession,
    principal: Principal,
    *,
    item: HitlAction,
    attempt: int,
    outcome: DeliveryOutcome,
    started_at: datetime,
    adapter: str | None = None,
    http_status: int | None = None,
    retry_after_seconds: float | None = None,
    error: str | None = None,
) -> None:
    await repo.add_attempt(
        session,
        {
            "creator_id": item.creator_id,
            "item_id": item.id,
            "attempt": attempt,
            "outcome": outcome,
            "adapter": adapter,
            "http_status": http_status,
            "retry_after_seconds": retry_after_seconds,
            "error": error,
            "started_at": started_at,
            "finished_at": _now(),
        },
    )


async def attempts_of(session: AsyncSession, principal: Principal, *, item_id: uuid.UUID) -> list[Any]:
    """Every platform attempt of the item, in order."""
    return await repo.attempts_of(session, item_id)


async def items_of_thread(session: AsyncSession, principal: Principal, *, thread_id: str) -> list[HitlAction]:
    """Every item one chat thread (or run thread) queued, oldest first, as it stands now."""
    return await repo.items_of_thread(session, thread_id)


async def due_for_delivery(
    session: AsyncSession,
    principal: Principal,
    *,
    now: datetime | None = None,
    grace: timedelta = timedelta(seconds=10),
    limit: int = 100,
    creator_ids: Sequence[uuid.UUID] | None = None,
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Approved items whose delivery is due (scheduled retries; decisions no attempt followed)."""
    now = now or _now()
    return await repo.due_for_delivery(
        session, now=now, decided_before=now - grace, limit=limit, creator_ids=creator_ids
    )


async def retry_item(session: AsyncSession, principal: Principal, *, item_id: uuid.UUID) -> HitlAction:
    """A person asks to send a failed item again: a decision (audited, the first one wins). The next
    attempt uses the same idempotency key, so a platform that did take an earlier one de-duplicates."""
    item = await repo.set_status(
        session,
        item_id,
        expected=[ApprovalStatus.failed],
        # Due at once: the delivery job runs it now, the sweeper if the job is lost.
        values={"status": ApprovalStatus.approved, "next_attempt_at": _now()},
    )
    if item is None:
        current = await _require(session, item_id)
        raise ApprovalAlreadyDecided(item_id, f"{current.status}; only a failed item can be retried")
    await _audit(session, principal, item, "approval.retried", attempts=item.attempts, error=item.error)
    return item


async def screen_action(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID | None,
    action_type: ActionType,
    args: dict[str, Any],
    inbound_texts: list[str] | None = None,
    policy: guardrails.GuardrailPolicy | None = None,
) -> list[Flag]:
    """Every guardrail for a proposed action: outbound checks plus flags on the fan's own message.
    `policy`: the creator's, when the caller loaded it already (a reply run does, at its start)."""
    if policy is None:
        policy = await policy_for_creator(session, principal, creator_id=creator_id)
    other_names = await repo.other_fan_names_in(
        session, creator_id=creator_id, fan_id=fan_id, text=str(args.get("text") or "")
    )
    inbound = inbound_texts or []
    return [
        *guardrails.check_inbound(inbound, policy=policy),
        *guardrails.check_action(
            action_type, args, policy=policy, other_fan_names=other_names, inbound_texts=inbound
        ),
    ]
