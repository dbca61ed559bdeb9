"""Automation rules (create, change, pause, dry-run) and the ledgers of what they did.

Rules are saved from a `RuleSpec` (validated in `schemas`); the templates and segments their steps
name are resolved here, and a template whose slots the step cannot fill is refused at save time.
Pausing never deletes: a paused rule is not evaluated, its pending timers are cancelled, and what it
already queued stays in the inbox for a person. A rule with runs cannot be deleted (the append-only
ledger keeps it); pause it instead.

The evaluation itself (order, conditions, cooldown, one run row per rule, fan and event) is
`crm.automation.engine`; the orchestration that runs the steps is `agent.automation`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound, ValidationFailed
from core.tenancy import Principal
from crm.accounts import audit
from crm.automation.models import AutomationRule, AutomationRuleAction, AutomationTimer
from crm.automation.repository import AutomationRepository
from crm.automation.schemas import (
    SCHEDULE_TRIGGERS,
    AddToSegmentStep,
    RulePatch,
    RuleSpec,
    RunRead,
    SendMessageStep,
    SendPpvStep,
    describe_trigger,
    spec_of,
)
from crm.enums import ActionType
from crm.messaging import service as templates
from crm.messaging import slots
from crm.segments import service as segments

__all__ = [
    "DryRun",
    "create_rule",
    "delete_rule",
    "dry_run",
    "enabled_triggers",
    "find_rule",
    "get_action",
    "get_rule",
    "list_rules",
    "recent_runs",
    "record_action",
    "rule_stats",
    "rules_own_event",
    "set_enabled",
    "spec_for",
    "timers_of",
    "update_rule",
]

# Event slots a template can fill only when the rule's trigger carries them.
_EVENT_SLOTS = {
    "tip_amount": ("tips.received",),
    "tip_note": ("tips.received",),
    "ppv_amount": ("messages.ppv.unlocked",),
}
# The built-in lifecycle draft an event starts, and the triggers whose rules take its place.
LIFECYCLE_OWNERS: dict[str, tuple[str, ...]] = {
    "subscriptions.new": ("subscriptions.new",),
    "subscriptions.expired": ("subscriptions.expired", "schedule.after_expiry"),
    "tips.received": ("tips.received",),
    "messages.ppv.unlocked": ("messages.ppv.unlocked",),
}


# ---------------------------------------------------------------- the ledgers (executor + engine)


async def get_action(
    session: AsyncSession, principal: Principal, *, idempotency_key: str
) -> AutomationRuleAction | None:
    stmt = sa.select(AutomationRuleAction).where(AutomationRuleAction.idempotency_key == idempotency_key)
    return (await session.execute(stmt)).scalar_one_or_none()


async def record_action(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    idempotency_key: str,
    action_type: ActionType | None,
    args: dict[str, Any],
    status: str,
    hitl_item_id: uuid.UUID | None = None,
    fan_id: uuid.UUID | None = None,
    run_id: uuid.UUID | None = None,
    rule_id: uuid.UUID | None = None,
    step: int | None = None,
    step_type: str | None = None,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """Append the effect of one action; the same idempotency key never records twice (False then)."""
    stmt = (
        insert(AutomationRuleAction)
        .values(
            id=uuid.uuid4(),
            creator_id=creator_id,
            run_id=run_id,
            rule_id=rule_id,
            hitl_item_id=hitl_item_id,
            fan_id=fan_id,
            step=step,
            step_type=step_type,
            action_type=action_type,
            args=args,
            status=status,
            result=result or {},
            error=error,
            idempotency_key=idempotency_key,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(AutomationRuleAction.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


# ---------------------------------------------------------------- rules


def spec_for(rule: AutomationRule) -> RuleSpec:
    """The rule as its spec (what `fanpilot rules show` prints and an update starts from)."""
    return spec_of(
        name=rule.name,
        description=rule.description,
        trigger=rule.trigger,
        trigger_config=dict(rule.trigger_config or {}),
        conditions=rule.conditions or None,
        actions=list(rule.actions or []),
        priority=rule.priority,
        cooldown_seconds=rule.cooldown_seconds,
        is_enabled=rule.is_enabled,
        auto_approval=dict(rule.auto_approval or {}),
    )


def _check_template_fits(template_name: str, body: str, *, step: str, trigger: str, priced: bool) -> None:
    for part in slots.parse(body, where=f"template {template_name!r}"):
        if not isinstance(part, slots.Slot) or part.fallback is not None:
            continue
        if part.name == "price" and not priced:
            raise ValidationFailed(
                f"{step}: template {template_name!r} uses {{price}} but this step sends no price"
            )
        allowed = _EVENT_SLOTS.get(part.name)
        if allowed is not None and trigger not in allowed:
            raise ValidationFailed(
                f"{step}: template {template_name!r} uses {{{part.name}}}, which a {trigger} rule never "
                f"has; add a fallback ({{{part.name}|…}}) or use it on {' / '.join(allowed)}"
            )


async def _resolve(
    session: AsyncSession, principal: Principal, creator_id: uuid.UUID, spec: RuleSpec
) -> RuleSpec:
    """Templates and segments named by the steps, as ids; refused when missing or unfit."""
    steps: list[Any] = []
    for i, step in enumerate(spec.actions):
        where = f"actions[{i}] ({step.type})"
        if isinstance(step, SendMessageStep | SendPpvStep):
            try:
                template = await templates.find_template(
                    session, principal, creator_id=creator_id, name=step.template
                )
            except NotFound:
                raise ValidationFailed(f"{where}: no template named {step.template!r}") from None
            priced = isinstance(step, SendPpvStep)
            if isinstance(step, SendPpvStep) and step.price.from_template and template.price is None:
                raise ValidationFailed(f"{where}: template {template.name!r} has no price to take")
            for body in (template.body, *(template.variants or {}).values()):
                _check_template_fits(
                    template.name, body, step=where, trigger=spec.trigger.type, priced=priced
                )
            step = step.model_copy(update={"template": template.name, "template_id": template.id})
        elif isinstance(step, AddToSegmentStep):
            try:
                segment = await segments.find_segment(
                    session, principal, creator_id=creator_id, name=step.segment
                )
            except NotFound:
                raise ValidationFailed(f"{where}: no segment named {step.segment!r}") from None
            step = step.model_copy(update={"segment": segment.name, "segment_id": segment.id})
        steps.append(step)
    return spec.model_copy(update={"actions": steps})


def _apply(rule: AutomationRule, spec: RuleSpec) -> None:
    rule.name = spec.name
    rule.description = spec.description
    rule.trigger = spec.trigger.type
    rule.trigger_config = spec.trigger.config()
    rule.conditions = spec.conditions or {}
    rule.actions = [s.model_dump(mode="json", exclude_none=True) for s in spec.actions]
    rule.priority = spec.priority
    rule.cooldown_seconds = spec.cooldown
    rule.is_enabled = spec.enabled
    rule.auto_approval = {
        k: v.model_dump(mode="json", exclude_none=True) for k, v in spec.auto_approve.items()
    }


async def _flush_unique(session: AsyncSession, name: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a rule named {name!r} already exists") from None


async def _audit(
    session: AsyncSession, principal: Principal, rule: AutomationRule, action: str, **details: Any
) -> None:
    await audit.record(
        session,
        principal,
        action=f"automation.{action}",
        target_type="automation_rule",
        target_id=rule.id,
        creator_id=rule.creator_id,
        details={"name": rule.name, "trigger": rule.trigger, **details},
    )


async def create_rule(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID, spec: RuleSpec
) -> AutomationRule:
    """Save a rule (enabled unless the spec says otherwise); audited."""
    if not principal.can_see(creator_id):
        raise NotFound("creator not found")
    spec = await _resolve(session, principal, creator_id, spec)
    rule = AutomationRule(id=uuid.uuid4(), creator_id=creator_id)
    _apply(rule, spec)
    session.add(rule)
    await _flush_unique(session, rule.name)
    await _audit(session, principal, rule, "rule_created", enabled=rule.is_enabled)
    await session.refresh(rule)
    return rule


async def get_rule(session: AsyncSession, principal: Principal, *, rule_id: uuid.UUID) -> AutomationRule:
    rule = await AutomationRepository.from_session(session).get_rule(rule_id)
    if rule is None:
        raise NotFound("rule not found")
    return rule


async def find_rule(
    session: AsyncSession, principal: Principal, *, ref: str, creator_id: uuid.UUID | None = None
) -> AutomationRule:
    """A rule by id, or by name (within the creator, or among every rule the principal sees)."""
    try:
        return await get_rule(session, principal, rule_id=uuid.UUID(ref))
    except ValueError:
        pass
    repository = AutomationRepository.from_session(session)
    if creator_id is not None:
        found = await repository.get_rule_by_name(creator_id, ref)
        if found is None:
            raise NotFound(f"no rule named {ref!r}")
        return found
    matches = [r for r in await repository.list_rules(None) if r.name.lower() == ref.strip().lower()]
    if not matches:
        raise NotFound(f"no rule named {ref!r}")
    if len(matches) > 1:
        raise ValidationFailed(f"{len(matches)} creators have a rule named {ref!r}: give its id or --creator")
    return matches[0]


async def list_rules(
    session: AsyncSession, principal: Principal, *, creator_ids: Sequence[uuid.UUID] | None = None
) -> list[AutomationRule]:
    """The rules the principal sees, in evaluation order per creator."""
    return await AutomationRepository.from_session(session).list_rules(creator_ids)


async def update_rule(
    session: AsyncSession, principal: Principal, *, rule_id: uuid.UUID, patch: RulePatch
) -> AutomationRule:
    """Change a rule; the merged rule is validated as a whole (an invalid result changes nothing)."""
    rule = await get_rule(session, principal, rule_id=rule_id)
    current = spec_for(rule).model_dump(mode="json")
    changes = patch.model_dump(mode="json", exclude_unset=True)
    if "enabled" in changes and changes["enabled"] is None:
        changes.pop("enabled")
    merged = {**current, **changes}
    try:
        spec = RuleSpec.model_validate(merged)
    except ValueError as exc:
        raise ValidationFailed(str(exc).splitlines()[-1] if str(exc) else "invalid rule") from exc
    spec = await _resolve(session, principal, rule.creator_id, spec)
    was_enabled = rule.is_enabled
    _apply(rule, spec)
    await _flush_unique(session, rule.name)
    if was_enabled and not rule.is_enabled:
        await AutomationRepository.from_session(session).cancel_rule_timers(rule.id, "the rule was paused")
    await _audit(session, principal, rule, "rule_updated", fields=sorted(changes))
    await session.refresh(rule)
    return rule


async def set_enabled(
    session: AsyncSession, principal: Principal, *, rule_id: uuid.UUID, enabled: bool
) -> AutomationRule:
    """Pause (its pending timers are cancelled; nothing is deleted) or resume a rule; audited."""
    repository = AutomationRepository.from_session(session)
    rule = await repository.get_rule(rule_id, lock=True)
    if rule is None:
        raise NotFound("rule not found")
    if rule.is_enabled == enabled:
        return rule
    rule.is_enabled = enabled
    cancelled = 0
    if not enabled:
        cancelled = await repository.cancel_rule_timers(rule.id, "the rule was paused")
    await session.flush()
    await _audit(
        session, principal, rule, "rule_resumed" if enabled else "rule_paused", timers_cancelled=cancelled
    )
    await session.refresh(rule)
    return rule


async def delete_rule(session: AsyncSession, principal: Principal, *, rule_id: uuid.UUID) -> None:
    """Delete a rule that never ran; one with runs is kept by its ledger (409: pause it)."""
    repository = AutomationRepository.from_session(session)
    rule = await get_rule(session, principal, rule_id=rule_id)
    if await repository.has_runs(rule.id):
        raise Conflict("this rule has runs in the ledger and cannot be deleted; pause it instead")
    await _audit(session, principal, rule, "rule_deleted")
    await repository.delete_rule(rule)


async def enabled_triggers(session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID) -> set[str]:
    """The triggers the creator's enabled rules listen to."""
    return await AutomationRepository.from_session(session).enabled_triggers(creator_id)


async def rules_own_event(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID, event: str
) -> bool:
    """Whether an enabled rule of the creator takes the place of the built-in lifecycle draft that
    this event would start (welcome, win-back, thank-you)."""
    owners = LIFECYCLE_OWNERS.get(event.removeprefix("fansly."))
    if not owners:
        return False
    triggers = await AutomationRepository.from_session(session).enabled_triggers(creator_id)
    return bool(triggers & set(owners))


# ---------------------------------------------------------------- reading what rules did


async def recent_runs(
    session: AsyncSession,
    principal: Principal,
    *,
    rule_id: uuid.UUID | None = None,
    creator_id: uuid.UUID | None = None,
    limit: int = 20,
) -> list[RunRead]:
    """The latest evaluations, newest first, each with the steps it executed."""
    repository = AutomationRepository.from_session(session)
    rows = await repository.recent_runs(rule_id=rule_id, creator_id=creator_id, limit=max(1, min(limit, 200)))
    steps = await repository.steps_of_runs([run.id for run, _ in rows])
    by_run: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for step in steps:
        if step.run_id is None:
            continue
        by_run.setdefault(step.run_id, []).append(
            {
                "step": step.step,
                "type": step.step_type,
                "action_type": str(step.action_type) if step.action_type else None,
                "status": step.status,
                "item_id": str(step.hitl_item_id) if step.hitl_item_id else None,
                "error": step.error,
                "result": step.result,
                "at": step.created_at.isoformat(),
            }
        )
    out = []
    for run, fan_name in rows:
        read = RunRead.model_validate(run, from_attributes=True)
        out.append(read.model_copy(update={"fan_name": fan_name, "steps": by_run.get(run.id, [])}))
    return out


@dataclass(frozen=True)
class RuleStats:
    evaluations_7d: int
    matches_7d: int
    pending_timers: int


async def rule_stats(
    session: AsyncSession, principal: Principal, *, rule_ids: Sequence[uuid.UUID], now: datetime | None = None
) -> dict[uuid.UUID, RuleStats]:
    repository = AutomationRepository.from_session(session)
    since = (now or datetime.now(UTC)) - timedelta(days=7)
    counts = await repository.run_counts(rule_ids, since)
    timers = await repository.pending_timer_counts(rule_ids)
    return {
        rid: RuleStats(
            evaluations_7d=counts.get(rid, (0, 0))[0],
            matches_7d=counts.get(rid, (0, 0))[1],
            pending_timers=timers.get(rid, 0),
        )
        for rid in rule_ids
    }


async def timers_of(
    session: AsyncSession, principal: Principal, *, rule_id: uuid.UUID, limit: int = 50
) -> list[AutomationTimer]:
    return await AutomationRepository.from_session(session).timers(rule_id=rule_id, limit=limit)


# ---------------------------------------------------------------- dry run


@dataclass
class DryRun:
    """Which fans would match now, without storing anything."""

    matching: int
    sample: list[dict[str, Any]]
    in_cooldown: int
    due_now: int | None  # schedule triggers: fans at the rule's moment right now
    note: str
    steps: list[str] = field(default_factory=list)


async def dry_run(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    spec: RuleSpec,
    rule_id: uuid.UUID | None = None,
    now: datetime | None = None,
    limit: int = 20,
) -> DryRun:
    """The fans the rule's conditions select right now (and, for a saved rule, how many of them the
    cooldown would hold back; for a schedule, how many are at the rule's moment)."""
    if not principal.can_see(creator_id):
        raise NotFound("creator not found")
    spec = await _resolve(session, principal, creator_id, spec)
    now = now or datetime.now(UTC)
    repository = AutomationRepository.from_session(session)
    total, fans = await repository.matching_fans(
        creator_id, spec.conditions, now, limit=max(1, min(limit, 100))
    )
    cooling: set[uuid.UUID] = set()
    if rule_id is not None and spec.cooldown:
        recent = await repository.fans_matched_since(rule_id, now - timedelta(seconds=spec.cooldown))
        still = await repository.matching_rules_for_fans(list(recent), spec.conditions, now)
        cooling = {f for f, ok in still.items() if ok}
    due: int | None = None
    trigger = spec.trigger.type
    if trigger in SCHEDULE_TRIGGERS:
        from crm.automation.engine import SCHEDULE_GRACE

        hits = await repository.schedule_hits(
            creator_id=creator_id, trigger=trigger, days=spec.trigger.days or 0, now=now, grace=SCHEDULE_GRACE
        )
        matched = await repository.matching_rules_for_fans([h.fan_id for h in hits], spec.conditions, now)
        due = sum(1 for h in hits if matched.get(h.fan_id))
        note = f"{due} fan(s) are at this moment now and would get the steps on the next scan (every minute)."
    else:
        when = describe_trigger(spec.trigger)
        note = f"Runs for a matching fan {when[0].lower()}{when[1:]}."
    sample = [
        {
            "id": str(f.id),
            "name": f.display_name,
            "spend_tier": str(f.spend_tier),
            "lifetime_spend": f"{f.lifetime_spend:.2f}",
            "in_cooldown": f.id in cooling,
        }
        for f in fans
    ]
    return DryRun(
        matching=total,
        sample=sample,
        in_cooldown=len(cooling),
        due_now=due,
        note=note,
        steps=[s.type for s in spec.actions],
    )
