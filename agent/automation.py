"""Automation that runs: events, timers and schedules through the rules engine, steps through the gate.

The worker calls three entry points (api/worker.py):

- `handle_event`: a webhook event for a fan (after the CRM applied it). `messages.sent` cancels the
  fan's no-reply timers; `messages.received` arms them; every event evaluates the creator's rules on
  its trigger (`crm.automation.engine`) and runs each match's action chain.
- `fire_due_timers`: delayed triggers, no-reply follow-ups (re-checked when they fire: a creator who
  replied meanwhile cancels them), chains waiting at a `wait` step, and agent drafts a rule asked for.
- `scan_schedules`: "N days before renewal" and "N days after expiry" rules over the subscriptions.

Everything a step does to the CRM happens in the evaluation's transaction. A step that reaches a fan
becomes a queue item with origin `automation_run` (context: the rule, the template, the facts) and
waits for a person — unless the rule opted that action type into auto-approval and the item is within
its limits (no flag, price at or under the ceiling, under the per-fan-per-day count; counted under the
fan's row lock). Then the system decides through `agent.decisions.decide`, audited like any decision.
A `draft_by_agent` step starts a reply run with the run's kind and facts (the agent's item has origin
`reply_run`, because its run waits at the gate; the rule is in its facts and its reviewer context).

After the commit, auto-approvals are decided and agent drafts started at once; if the process dies
in between, `fire_due_timers` finds them (pending auto-approved items, pending draft timers).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from agent.context import Knobs
from agent.decisions import creator_principal, decide
from core import events
from core.db import tenant_session
from core.errors import AppError, NotFound, ValidationFailed
from core.redis import get_redis
from core.tenancy import SYSTEM, Principal
from crm.accounts import audit
from crm.approvals import guardrails
from crm.approvals import service as approvals
from crm.automation import engine
from crm.automation.models import AutomationRule, AutomationTimer, TimerKind, TimerStatus
from crm.automation.repository import AutomationRepository
from crm.automation.schemas import (
    SCHEDULE_TRIGGERS,
    AddToSegmentStep,
    DraftByAgentStep,
    RuleSpec,
    SendMessageStep,
    SendPpvStep,
    Step,
    StopIfStep,
    TagStep,
    TriggerSpec,
    WaitStep,
)
from crm.automation.service import get_action
from crm.creators.models import CreatorProfile
from crm.enums import ActionType, ApprovalOrigin, ApprovalStatus, MessageDirection, SpendTier
from crm.fans import service as fan_service
from crm.fans.models import FanProfile
from crm.messaging import service as templates
from crm.messaging import slots
from crm.messaging.models import MessageTemplate
from crm.scores import service as scores
from crm.segments import service as segments
from tools.automation import template_values

log = logging.getLogger(__name__)

__all__ = [
    "DRAFT_KIND",
    "EventReport",
    "check_rule",
    "check_trigger",
    "fire_due_timers",
    "fire_timer",
    "handle_event",
    "scan_schedules",
]

# The draft a `draft_by_agent` step asks for, by trigger (the step may say otherwise).
DRAFT_KIND: dict[str, str] = {
    "subscriptions.new": "welcome",
    "subscriptions.expired": "winback",
    "schedule.after_expiry": "winback",
    "tips.received": "thank_you",
    "messages.ppv.unlocked": "thank_you",
    "subscriptions.renewed": "thank_you",
}
# An auto-approved item still pending after this long lost its decision to a crash: decide it again.
FOLLOW_UP_AFTER = timedelta(seconds=30)
_STEPS: TypeAdapter[Step] = TypeAdapter(Step)


def check_rule(spec: RuleSpec) -> RuleSpec:
    """What the CRM cannot check itself: the intents a rule names exist in the intent classifier."""
    check_trigger(spec.trigger)
    return spec


def check_trigger(trigger: TriggerSpec) -> TriggerSpec:
    if trigger.intents:
        from agent.llm.intents import Intent

        known = {i.value for i in Intent}
        unknown = [i for i in trigger.intents if i not in known]
        if unknown:
            raise ValidationFailed(
                f"trigger.intents: unknown intent {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
    return trigger


def _intents(text: str) -> frozenset[str]:
    from agent.llm.intents import detect_intents

    return frozenset(str(i) for i in detect_intents(text))


# ---------------------------------------------------------------- what a run produces


@dataclass
class Effects:
    """What must happen after the evaluation commits."""

    auto_approve: list[uuid.UUID] = field(default_factory=list)
    items: list[uuid.UUID] = field(default_factory=list)
    draft_timers: list[uuid.UUID] = field(default_factory=list)


@dataclass
class EventReport:
    evaluated: list[dict[str, Any]] = field(default_factory=list)
    items: list[uuid.UUID] = field(default_factory=list)
    auto_approved: list[uuid.UUID] = field(default_factory=list)
    timers_cancelled: int = 0
    timers_armed: int = 0


def _reads_scores(rules: Sequence[AutomationRule]) -> bool:
    """Whether a rule's conditions (or exit conditions) read scores: then they are refreshed first."""
    return any('"score:' in json.dumps([r.conditions, r.actions]) for r in rules)


def _parse_time(value: Any, default: datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return default
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return default


# ---------------------------------------------------------------- steps


@dataclass
class _Chain:
    rule: AutomationRule
    run_id: uuid.UUID
    fan: FanProfile
    creator: CreatorProfile
    event_key: str
    facts: dict[str, Any]
    started_at: datetime  # the event that started the chain (exit conditions look after it)
    now: datetime


def _rule_ref(chain: _Chain, step: int) -> dict[str, Any]:
    return {
        "id": str(chain.rule.id),
        "name": chain.rule.name,
        "trigger": chain.rule.trigger,
        "run_id": str(chain.run_id),
        "step": step,
    }


def _clamp(price: Decimal, creator: CreatorProfile) -> Decimal:
    low, high = Decimal(creator.ppv_price_min), Decimal(creator.ppv_price_max)
    return min(high, max(low, price)).quantize(Decimal("0.01"))


async def _auto_approval(
    session: AsyncSession, chain: _Chain, item: Any, action_type: ActionType, price: Decimal | None
) -> tuple[bool, str]:
    limit = (chain.rule.auto_approval or {}).get(str(action_type))
    if not limit:
        return False, "waits for a person (the rule is not opted into auto-approval)"
    if item.status != ApprovalStatus.pending:
        return False, f"already {item.status}"
    if item.flags:
        return False, "waits for a person: a guardrail flagged it"
    ceiling = limit.get("max_price")
    if price is not None and (ceiling is None or price > Decimal(str(ceiling))):
        return False, f"waits for a person: ${price} is above the auto-approval ceiling of ${ceiling}"
    per_day = int(limit.get("per_fan_per_day") or 1)
    used = await AutomationRepository.from_session(session).auto_approvals_since(
        rule_id=chain.rule.id,
        fan_id=chain.fan.id,
        action_type=action_type,
        since=chain.now - timedelta(days=1),
    )
    if used >= per_day:
        return False, f"waits for a person: {used} auto-approval(s) for this fan in 24 h (limit {per_day})"
    return True, f"auto-approved by the rule ({used + 1} of {per_day} for this fan in 24 h)"


async def _template_step(
    session: AsyncSession,
    principal: Principal,
    chain: _Chain,
    index: int,
    step: SendMessageStep | SendPpvStep,
    effects: Effects,
) -> tuple[str, dict[str, Any], ActionType | None, uuid.UUID | None, str | None]:
    """(status, args, action type, item id, error) of one template step."""
    template = await session.get(MessageTemplate, step.template_id) if step.template_id else None
    if template is None:
        return (
            "skipped",
            {"template": step.template},
            None,
            None,
            f"the template {step.template!r} no longer exists",
        )
    price: Decimal | None = None
    action_type = ActionType.send_message
    if isinstance(step, SendPpvStep):
        action_type = ActionType.send_ppv
        picked = step.price.pick(SpendTier(chain.fan.spend_tier), template.price)
        if picked is None:
            return "skipped", {"template": template.name}, action_type, None, "the price rule gave no price"
        price = _clamp(Decimal(str(picked)), chain.creator)
    account = await fan_service.get_platform_account(session, principal, fan_id=chain.fan.id)
    values = await template_values(
        session, principal, fan=chain.fan, creator=chain.creator, facts=chain.facts, price=price
    )
    try:
        text = templates.render_template(template, values, platform=account.platform if account else None)
    except slots.MissingSlot as exc:
        return "skipped", {"template": template.name}, action_type, None, exc.message
    args: dict[str, Any] = {"fan_id": str(chain.fan.id), "text": text}
    if price is not None:
        args.update(price=str(price), media_ids=list(step.media_ids) if isinstance(step, SendPpvStep) else [])
    flags = await approvals.screen_action(
        session,
        principal,
        creator_id=chain.creator.id,
        fan_id=chain.fan.id,
        action_type=action_type,
        args=args,
    )
    context = {
        "source": "automation",
        "kind": DRAFT_KIND.get(chain.rule.trigger, "reply"),
        "rule": _rule_ref(chain, index),
        "template": {"id": str(template.id), "name": template.name},
        "facts": {k: v for k, v in chain.facts.items() if k != "rule"},
        "why": f"Rule “{chain.rule.name}” ({chain.rule.trigger}) — template “{template.name}”",
        "inbound_texts": [],
    }
    try:
        item, _ = await _queue(session, principal, chain, index, action_type, args, context, flags)
    except ValidationFailed as exc:
        # e.g. the filled template is longer than a message may be: this step cannot be sent.
        return "skipped", {"template": template.name}, action_type, None, exc.message
    effects.items.append(item.id)
    approved, why = await _auto_approval(session, chain, item, action_type, price)
    if approved:
        effects.auto_approve.append(item.id)
        await audit.record(
            session,
            principal,
            action="automation.auto_approved",
            target_type="hitl_action",
            target_id=item.id,
            creator_id=chain.creator.id,
            agency_id=chain.creator.agency_id,
            details={
                "rule_id": str(chain.rule.id),
                "action_type": str(action_type),
                "limits": chain.rule.auto_approval,
            },
        )
    args = {**args, "auto_approval": why}
    return ("auto_approved" if approved else "queued"), args, action_type, item.id, None


async def _queue(
    session: AsyncSession,
    principal: Principal,
    chain: _Chain,
    index: int,
    action_type: ActionType,
    args: dict[str, Any],
    context: dict[str, Any],
    flags: list[Any],
) -> tuple[Any, bool]:
    return await approvals.create_item(
        session,
        principal,
        idempotency_key=f"rule:{chain.run_id}:{index}",
        creator_id=chain.creator.id,
        fan_id=chain.fan.id,
        action_type=action_type,
        args=args,
        context=context,
        flags=guardrails.dump(flags),
        origin=ApprovalOrigin.automation_run,
        priority=approvals.priority_for_fan(chain.fan.spend_tier, chain.fan.lifetime_spend),
    )


async def _run_steps(
    session: AsyncSession, principal: Principal, chain: _Chain, *, start: int, effects: Effects
) -> str:
    """Run the chain from `start`; each step once (its ledger row is its idempotency). Returns how
    the chain ended: done, waiting or stopped."""
    repository = AutomationRepository.from_session(session)
    actions = list(chain.rule.actions or [])
    for index in range(start, len(actions)):
        key = f"rule-step:{chain.run_id}:{index}"
        # A run that was just inserted has no steps yet; a continued chain may have run some.
        if start > 0 and await get_action(session, principal, idempotency_key=key) is not None:
            continue
        step = _STEPS.validate_python(actions[index])
        status: str = "done"
        args: dict[str, Any] = {}
        action_type: ActionType | None = None
        item_id: uuid.UUID | None = None
        error: str | None = None
        result: dict[str, Any] = {}
        ended: str | None = None
        if isinstance(step, SendMessageStep | SendPpvStep):
            status, args, action_type, item_id, error = await _template_step(
                session, principal, chain, index, step, effects
            )
        elif isinstance(step, DraftByAgentStep):
            kind = step.kind or DRAFT_KIND.get(chain.rule.trigger, "reply")
            facts = {**chain.facts, "rule": _rule_ref(chain, index)}
            timer_id = await repository.insert_timer(
                {
                    "creator_id": chain.creator.id,
                    "rule_id": chain.rule.id,
                    "fan_id": chain.fan.id,
                    "run_id": chain.run_id,
                    "kind": TimerKind.draft,
                    "event_key": chain.event_key,
                    "step": index,
                    "due_at": chain.now,
                    "facts": {**facts, "draft_kind": kind},
                }
            )
            if timer_id is not None:
                effects.draft_timers.append(timer_id)
            status, args = "queued", {"kind": kind}
        elif isinstance(step, TagStep):
            if step.type == "tag":
                await fan_service.add_tag(
                    session, principal, fan_id=chain.fan.id, tag=step.tag, source="rule"
                )
            else:
                result = {
                    "removed": await fan_service.remove_tag(
                        session, principal, fan_id=chain.fan.id, tag=step.tag
                    )
                }
            args = {"tag": step.tag}
        elif isinstance(step, AddToSegmentStep):
            args = {"segment": step.segment}
            try:
                assert step.segment_id is not None
                result = {
                    "added": await segments.pin_member(
                        session, principal, segment_id=step.segment_id, fan_id=chain.fan.id
                    )
                }
            except (NotFound, AssertionError):
                status, error = "skipped", f"the segment {step.segment!r} no longer exists"
        elif isinstance(step, WaitStep):
            due = chain.now + timedelta(seconds=step.duration)
            await repository.insert_timer(
                {
                    "creator_id": chain.creator.id,
                    "rule_id": chain.rule.id,
                    "fan_id": chain.fan.id,
                    "run_id": chain.run_id,
                    "kind": TimerKind.wait,
                    "event_key": chain.event_key,
                    "step": index + 1,
                    "due_at": due,
                    "facts": {**chain.facts, "chain_started_at": chain.started_at.isoformat()},
                }
            )
            status, args, ended = "waiting", {"until": due.isoformat()}, "waiting"
        elif isinstance(step, StopIfStep):
            (hit,) = await repository.matching_rules(chain.fan.id, [step.conditions], chain.now)
            if hit:
                status, ended = "stopped", "stopped"
                result = {"why": "the fan matches the exit conditions"}
        else:  # stop_if_fan_replied
            replied = await repository.message_after(
                chain.fan.id, direction=MessageDirection.inbound, after=chain.started_at
            )
            if replied is not None:
                status, ended = "stopped", "stopped"
                result = {"why": f"the fan replied at {replied.isoformat()}"}
        await repository.insert_step(
            {
                "creator_id": chain.creator.id,
                "idempotency_key": key,
                "action_type": action_type,
                "args": args,
                "status": status,
                "hitl_item_id": item_id,
                "fan_id": chain.fan.id,
                "run_id": chain.run_id,
                "rule_id": chain.rule.id,
                "step": index,
                "step_type": step.type,
                "result": result,
                "error": error,
            }
        )
        if ended is not None:
            return ended
    return "done"


async def _evaluate_and_run(
    session: AsyncSession,
    principal: Principal,
    *,
    event: engine.Event,
    now: datetime,
    effects: Effects,
    rules: Sequence[AutomationRule] | None = None,
    from_timer: bool = False,
) -> list[engine.Evaluated]:
    results = await engine.evaluate(
        session, principal, event=event, now=now, rules=rules, from_timer=from_timer
    )
    matches = [r for r in results if r.matched and r.run_id is not None]
    if not matches:
        return results
    fan = await session.get(FanProfile, event.fan_id)
    creator = await session.get(CreatorProfile, event.creator_id)
    assert fan is not None and creator is not None
    for result in matches:
        assert result.run_id is not None
        chain = _Chain(
            rule=result.rule,
            run_id=result.run_id,
            fan=fan,
            creator=creator,
            event_key=event.event_key,
            facts=event.facts,
            started_at=event.occurred_at,
            now=now,
        )
        await _run_steps(session, principal, chain, start=0, effects=effects)
    return results


async def _after_commit(creator_id: uuid.UUID, effects: Effects, knobs: Knobs) -> list[uuid.UUID]:
    """Decide the auto-approvals (through the one decision path) and start the agent drafts."""
    principal = creator_principal(creator_id)
    approved: list[uuid.UUID] = []
    for item_id in effects.auto_approve:
        try:
            await decide(
                principal=principal, item_id=item_id, decision="approve", deliver="later", knobs=knobs
            )
        except AppError as exc:
            log.info("auto-approval of %s not applied: %s", item_id, exc.message)
            continue
        approved.append(item_id)
    for item_id in effects.items:
        if item_id not in approved:
            await events.publish_inbox_change(
                get_redis(), creator_id=creator_id, change="item.created", item_id=item_id
            )
    for timer_id in effects.draft_timers:
        await fire_timer(timer_id=timer_id, creator_id=creator_id, knobs=knobs)
    return approved


# ---------------------------------------------------------------- entry points


async def handle_event(
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    trigger: str,
    event_key: str,
    facts: dict[str, Any] | None = None,
    event_id: uuid.UUID | None = None,
    knobs: Knobs | None = None,
    now: datetime | None = None,
) -> EventReport:
    """Evaluate the creator's rules on this event for this fan (idempotent per rule, fan and event)."""
    knobs = knobs or Knobs.make()
    now = now or datetime.now(UTC)
    facts = dict(facts or {})
    trigger = trigger.removeprefix("fansly.")
    principal = creator_principal(creator_id)
    report = EventReport()
    effects = Effects()
    async with tenant_session(principal, engine=knobs.engine) as session:
        repository = AutomationRepository.from_session(session)
        if trigger == "messages.sent":
            report.timers_cancelled = await repository.cancel_timers(
                fan_id=fan_id, kind=TimerKind.no_reply, reason="the creator replied"
            )
            return report
        occurred = _parse_time(
            facts.get("message_at") or facts.get("tipped_at") or facts.get("unlocked_at"), now
        )
        text: str | None = None
        if trigger == "messages.received":
            report.timers_armed, report.timers_cancelled = await _arm_no_reply(
                session, creator_id, fan_id, event_key, facts, occurred
            )
            if facts.get("message_id"):
                message = await repository.get_message(uuid.UUID(str(facts["message_id"])))
                text = message.text if message else None
        rules = await repository.enabled_for_trigger(creator_id, trigger)
        if not rules:
            return report
        if _reads_scores(rules):
            await scores.compute_scores(session, principal, fan_ids=[fan_id], now=now)
        wants_intents = any((r.trigger_config or {}).get("intents") for r in rules)
        event = engine.Event(
            creator_id=creator_id,
            fan_id=fan_id,
            trigger=trigger,
            event_key=event_key,
            occurred_at=occurred,
            facts=facts,
            event_id=event_id,
            text=text,
            intents=_intents(text) if wants_intents and text else frozenset(),
        )
        results = await _evaluate_and_run(
            session, principal, event=event, now=now, effects=effects, rules=rules
        )
        report.evaluated = [
            {"rule_id": str(r.rule.id), "rule": r.rule.name, "outcome": r.outcome, "matched": r.matched}
            for r in results
        ]
    report.items = list(effects.items)
    report.auto_approved = await _after_commit(creator_id, effects, knobs)
    return report


async def _arm_no_reply(
    session: AsyncSession,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    event_key: str,
    facts: dict[str, Any],
    occurred: datetime,
) -> tuple[int, int]:
    """A fan message starts each no-reply rule's timer; a newer message restarts it."""
    repository = AutomationRepository.from_session(session)
    armed = cancelled = 0
    for rule in await repository.enabled_for_trigger(creator_id, "timer.no_creator_reply"):
        minutes = int((rule.trigger_config or {}).get("minutes") or 0)
        cancelled += await repository.cancel_timers(
            fan_id=fan_id,
            kind=TimerKind.no_reply,
            rule_id=rule.id,
            except_event_key=event_key,
            reason="a newer fan message restarted the timer",
        )
        inserted = await repository.insert_timer(
            {
                "creator_id": creator_id,
                "rule_id": rule.id,
                "fan_id": fan_id,
                "kind": TimerKind.no_reply,
                "event_key": event_key,
                "step": 0,
                "due_at": occurred + timedelta(minutes=minutes),
                "facts": {**facts, "minutes": minutes},
            }
        )
        armed += int(inserted is not None)
    return armed, cancelled


async def fire_timer(
    *, timer_id: uuid.UUID, creator_id: uuid.UUID, knobs: Knobs | None = None, now: datetime | None = None
) -> str:
    """Fire one due timer (a no-op for one that is not pending, not due, or held by another worker)."""
    knobs = knobs or Knobs.make()
    now = now or datetime.now(UTC)
    principal = creator_principal(creator_id)
    effects = Effects()
    outcome = "fired"
    async with tenant_session(principal, engine=knobs.engine) as session:
        repository = AutomationRepository.from_session(session)
        timer = await repository.lock_timer(timer_id)
        if timer is None:
            return "busy"
        if timer.status != TimerStatus.pending:
            return str(timer.status)
        if timer.due_at > now:
            return "not due"
        rule = await repository.get_rule(timer.rule_id)
        if rule is None or not rule.is_enabled:
            _end(timer, TimerStatus.cancelled, now, "the rule was paused")
            return "cancelled"
        if timer.kind == TimerKind.draft:
            # The reply run writes in its own transactions; this timer stays locked (and pending)
            # until it has started, so a crash in between starts it again, never loses it.
            await _start_draft(timer, knobs)
            _end(timer, TimerStatus.fired, now)
            return "fired"
        facts = dict(timer.facts or {})
        if timer.kind == TimerKind.no_reply:
            message_at = _parse_time(facts.get("message_at"), timer.created_at)
            replied = await repository.message_after(
                timer.fan_id, direction=MessageDirection.outbound, after=message_at
            )
            if replied is not None:
                _end(timer, TimerStatus.cancelled, now, f"the creator replied at {replied.isoformat()}")
                return "cancelled"
        _end(timer, TimerStatus.fired, now)
        if timer.kind == TimerKind.wait:
            outcome = await _continue_chain(session, principal, timer, rule, now, effects)
        else:
            event_id = facts.get("event_id")
            event = engine.Event(
                creator_id=creator_id,
                fan_id=timer.fan_id,
                trigger=rule.trigger,
                event_key=timer.event_key,
                occurred_at=_parse_time(facts.get("message_at"), timer.created_at),
                facts=facts,
                event_id=uuid.UUID(event_id) if event_id else None,
            )
            if _reads_scores([rule]):
                await scores.compute_scores(session, principal, fan_ids=[timer.fan_id], now=now)
            results = await _evaluate_and_run(
                session, principal, event=event, now=now, effects=effects, rules=[rule], from_timer=True
            )
            outcome = results[0].outcome if results else "fan gone"
    await _after_commit(creator_id, effects, knobs)
    return outcome


async def _give_up(timer_id: uuid.UUID, creator_id: uuid.UUID, reason: str, knobs: Knobs) -> None:
    async with tenant_session(creator_principal(creator_id), engine=knobs.engine) as session:
        timer = await AutomationRepository.from_session(session).lock_timer(timer_id)
        if timer is not None and timer.status == TimerStatus.pending:
            _end(timer, TimerStatus.cancelled, datetime.now(UTC), f"could not fire: {reason}"[:1000])


def _end(timer: AutomationTimer, status: TimerStatus, now: datetime, reason: str | None = None) -> None:
    timer.status = status
    timer.fired_at = now if status == TimerStatus.fired else None
    timer.reason = reason


async def _continue_chain(
    session: AsyncSession,
    principal: Principal,
    timer: AutomationTimer,
    rule: AutomationRule,
    now: datetime,
    effects: Effects,
) -> str:
    repository = AutomationRepository.from_session(session)
    run = await repository.get_run(timer.run_id) if timer.run_id else None
    fan = await repository.lock_fan(timer.fan_id)
    creator = await session.get(CreatorProfile, timer.creator_id)
    if run is None or fan is None or creator is None:
        return "gone"
    facts = dict(timer.facts or {})
    chain = _Chain(
        rule=rule,
        run_id=run.id,
        fan=fan,
        creator=creator,
        event_key=timer.event_key,
        facts={k: v for k, v in facts.items() if k != "chain_started_at"},
        started_at=_parse_time(facts.get("chain_started_at"), run.created_at),
        now=now,
    )
    return await _run_steps(session, principal, chain, start=timer.step, effects=effects)


async def _start_draft(timer: AutomationTimer, knobs: Knobs) -> None:
    from agent import runner

    facts = dict(timer.facts or {})
    kind = str(facts.pop("draft_kind", "reply"))
    message_id = facts.get("message_id") if kind == "reply" else None
    result = await runner.start_reply_run(
        principal=creator_principal(timer.creator_id),
        creator_id=timer.creator_id,
        fan_id=timer.fan_id,
        inbound_message_id=uuid.UUID(str(message_id)) if message_id else None,
        kind=kind,
        trigger="rule",
        facts=facts,
        engine=knobs.engine,
        settings=knobs.settings,
        model=knobs.model,
        model_info=knobs.model_info,
        adapter=knobs.adapter,
        extraction=knobs.extraction,
        extraction_model=knobs.extraction_model,
    )
    if result.item_id is not None:
        await events.publish_inbox_change(
            get_redis(), creator_id=timer.creator_id, change="item.created", item_id=result.item_id
        )


async def fire_due_timers(
    *,
    knobs: Knobs | None = None,
    now: datetime | None = None,
    limit: int = 100,
    creator_ids: Sequence[uuid.UUID] | None = None,
) -> dict[str, int]:
    """The cron: fire every due timer, and decide again auto-approvals a crash left pending.
    `creator_ids` limits it to some creators. Returns how many timers ended how."""
    knobs = knobs or Knobs.make()
    now = now or datetime.now(UTC)
    async with tenant_session(SYSTEM, engine=knobs.engine) as session:
        repository = AutomationRepository.from_session(session)
        due = await repository.due_timers(now, limit, creator_ids)
        lost = await repository.pending_auto_approvals(
            older_than=now - FOLLOW_UP_AFTER, limit=limit, creator_ids=creator_ids
        )
    outcomes: dict[str, int] = {}
    for timer_id, creator_id in due:
        try:
            outcome = await fire_timer(timer_id=timer_id, creator_id=creator_id, knobs=knobs, now=now)
        except AppError as exc:
            # Bad data, not a bad moment: firing again would fail again. Cancelled, with the reason.
            log.warning("timer %s cannot fire: %s", timer_id, exc.message)
            await _give_up(timer_id, creator_id, exc.message, knobs)
            outcome = "cancelled"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    by_creator: dict[uuid.UUID, Effects] = {}
    for item_id, creator_id in lost:
        by_creator.setdefault(creator_id, Effects()).auto_approve.append(item_id)
    for creator_id, effects in by_creator.items():
        outcomes["re-decided"] = outcomes.get("re-decided", 0) + len(
            await _after_commit(creator_id, effects, knobs)
        )
    return outcomes


async def scan_schedules(
    *,
    knobs: Knobs | None = None,
    now: datetime | None = None,
    limit: int = 1000,
    creator_ids: Sequence[uuid.UUID] | None = None,
) -> int:
    """The cron: evaluate "N days before renewal / after expiry" rules for the fans at that moment.
    Each (rule, subscription moment) is evaluated once; a moment missed by over a day is let go."""
    knobs = knobs or Knobs.make()
    now = now or datetime.now(UTC)
    async with tenant_session(SYSTEM, engine=knobs.engine) as session:
        repository = AutomationRepository.from_session(session)
        work: list[tuple[AutomationRule, list[Any]]] = []
        for rule in await repository.enabled_with_triggers(SCHEDULE_TRIGGERS, creator_ids):
            days = int((rule.trigger_config or {}).get("days") or 0)
            hits = await repository.schedule_hits(
                creator_id=rule.creator_id, trigger=rule.trigger, days=days, now=now,
                grace=engine.SCHEDULE_GRACE, rule_id=rule.id, limit=limit,
            )  # fmt: skip
            if hits:
                work.append((rule, hits))
    evaluated = 0
    for rule, hits in work:
        principal = creator_principal(rule.creator_id)
        for hit in hits:
            effects = Effects()
            async with tenant_session(principal, engine=knobs.engine) as session:
                fresh = await AutomationRepository.from_session(session).get_rule(rule.id)
                if fresh is None or not fresh.is_enabled:
                    break
                fan = await session.get(FanProfile, hit.fan_id)
                days = int((fresh.trigger_config or {}).get("days") or 0)
                facts: dict[str, Any] = {
                    "event": fresh.trigger,
                    "days": days,
                    "lifetime_spend": f"{fan.lifetime_spend:.2f}" if fan else None,
                }
                if fresh.trigger == "schedule.after_expiry":
                    months = max(1, round((hit.at - hit.started_at).total_seconds() / (30 * 86400)))
                    facts.update(expired_at=hit.at.isoformat(), months_subscribed=months)
                else:
                    facts.update(renews_at=hit.at.isoformat(), renewal_count=hit.renewal_count)
                if _reads_scores([fresh]):
                    await scores.compute_scores(session, principal, fan_ids=[hit.fan_id], now=now)
                event = engine.Event(
                    creator_id=rule.creator_id,
                    fan_id=hit.fan_id,
                    trigger=fresh.trigger,
                    event_key=hit.event_key,
                    occurred_at=hit.at,
                    facts=facts,
                )
                results = await _evaluate_and_run(
                    session, principal, event=event, now=now, effects=effects, rules=[fresh]
                )
                evaluated += sum(1 for r in results if r.run_id is not None)
            await _after_commit(rule.creator_id, effects, knobs)
    return evaluated
