"""The one decision service for the approval queue (inbox API, chat, CLI, worker).

Nothing in `hitl_action_queue` has run. The first decision wins (conditional UPDATE … WHERE
status = 'pending'); any later decision raises `ApprovalAlreadyDecided` (409). Pending items past
their TTL fail closed: they can no longer be approved and the sweeper marks them expired.
"""

from __future__ import annotations

import difflib
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Forbidden, NotFound, ValidationFailed
from core.tenancy import SYSTEM, ActorKind, Principal, StaffRole
from crm.approvals import guardrails
from crm.approvals import repository as repo
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
from crm.enums import ActionType, ApprovalStatus, AuditActorKind, SpendTier

__all__ = [
    "approve_item",
    "auto_approve_if_allowed",
    "create_item",
    "edit_item",
    "effective_args",
    "expire_due_items",
    "get_item",
    "link_superseded",
    "list_pending",
    "lock_for_execution",
    "mark_executed",
    "mark_failed",
    "policy_for_creator",
    "priority_for_fan",
    "reject_item",
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


def _refuse_unless_reviewer(item: HitlAction, principal: Principal) -> None:
    """A `review` flag (a possible minor) is for an owner or admin to decide, never a chatter."""
    needs = [str(f.get("code")) for f in item.flags if f.get("severity") == "review"]
    # Workers and the CLI act as the system: no staff member is deciding through them.
    if not needs or principal.system or principal.actor_kind == ActorKind.system:
        return
    if principal.role not in REVIEW_ROLES:
        raise Forbidden(
            f"only an owner or admin may decide this item ({', '.join(needs)}): ask them to review the "
            "conversation"
        )


# --- reading -------------------------------------------------------------------------------------


async def list_pending(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID | None = None,
    action_type: ActionType | None = None,
    flag: str | None = None,
    sort: repo.SortKey = "priority",
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """Pending items the principal may see, by priority (default), waiting time or fan value."""
    if sort not in ("priority", "waiting", "fan_value"):
        raise ValidationFailed(f"unknown sort {sort!r}")
    items, next_cursor = await repo.list_pending(
        session,
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
        total_pending=await repo.count_pending(session, creator_id=creator_id),
    )


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
    confidence: float | None = None,
    priority: int = 0,
    thread_id: str | None = None,
    run_id: uuid.UUID | None = None,
    source_message_id: uuid.UUID | None = None,
    ttl: timedelta | None = None,
    prompt_version: str | None = None,
) -> tuple[HitlAction, bool]:
    """Queue a gated action; a second call with the same key returns the first row (created=False).

    An `urgent` flag (self-harm language in the fan's message) puts the item ahead of everything else.
    The prompt version defaults to the one the drafting model reports in `context.model`.
    """
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


async def auto_approve_if_allowed(
    session: AsyncSession, principal: Principal, *, item_id: uuid.UUID
) -> HitlAction:
    """Approve without a human only if the creator opted this action type in and nothing is flagged."""
    item = await _require(session, item_id)
    if item.status != ApprovalStatus.pending or item.flags:
        return item
    creator = await repo.get_creator(session, item.creator_id)
    policy = (creator.auto_approve or {}) if creator else {}
    if policy.get(str(item.action_type)) is not True:
        return item
    decided = await repo.decide_if_pending(
        session,
        item.id,
        {
            "status": ApprovalStatus.approved,
            "final_args": item.proposed_args,
            "decided_at": _now(),
            "decision_reason": "auto-approved by creator policy",
        },
    )
    if decided is None:
        return await _require(session, item_id)
    await _audit(session, SYSTEM, decided, "approval.auto_approved")
    return decided


async def supersede_pending_replies(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID
) -> list[HitlAction]:
    """The fan wrote again: pending reply drafts for them no longer answer the conversation."""
    items = await repo.supersede_pending(session, fan_id=fan_id, action_types=REPLY_ACTIONS)
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
    item = await _require(session, item_id)
    _refuse_if_decided(item, now)
    _refuse_unless_reviewer(item, principal)
    blocking = has_blocking(item.flags)
    if blocking:
        raise BlockedByGuardrails(blocking)
    decided = await repo.decide_if_pending(
        session,
        item_id,
        {
            "status": ApprovalStatus.approved,
            "final_args": effective_args(item),
            "decided_by": principal.actor_id,
            "decided_at": now,
        },
        now=now,
    )
    if decided is None:
        _refuse_if_decided(await _require(session, item_id), now)
        raise ApprovalAlreadyDecided(item_id, "unknown")
    await _audit(session, principal, decided, "approval.approved")
    return decided


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


# --- execution bookkeeping (called by the agent's execute step) -----------------------------------


async def lock_for_execution(
    session: AsyncSession, principal: Principal, *, item_id: uuid.UUID
) -> HitlAction:
    """Row-lock the item for the rest of the transaction: concurrent executors queue behind it."""
    item = await repo.get(session, item_id, for_update=True)
    if item is None:
        raise NotFound(f"approval item {item_id} not found")
    return item


async def mark_executed(
    session: AsyncSession, principal: Principal, *, item_id: uuid.UUID, result: dict[str, Any]
) -> HitlAction:
    item = await repo.set_status(
        session,
        item_id,
        expected=[ApprovalStatus.approved],
        values={"status": ApprovalStatus.executed, "executed_at": _now(), "result": result},
    )
    if item is None:
        raise ApprovalAlreadyDecided(item_id, "not approved")
    return item


async def mark_failed(
    session: AsyncSession,
    principal: Principal,
    *,
    item_id: uuid.UUID,
    error: str,
    result: dict[str, Any] | None = None,
) -> HitlAction:
    item = await repo.set_status(
        session,
        item_id,
        expected=[ApprovalStatus.approved],
        values={"status": ApprovalStatus.failed, "error": error, "result": result or {}},
    )
    if item is None:
        raise ApprovalAlreadyDecided(item_id, "not approved")
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
) -> list[Flag]:
    """Every guardrail for a proposed action: outbound checks plus flags on the fan's own message."""
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
