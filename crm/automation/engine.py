"""Evaluate the rules on one trigger for one fan and one event: deterministic, once, recorded.

- Order: the creator's enabled rules on the trigger by priority (higher first), then age (older
  first), then id. Never random; the steps of an earlier rule are queued before a later one's.
- One evaluation per (rule, fan, event key), enforced by a unique index on `automation_rule_runs`:
  a redelivered event, a retried job or a concurrent worker finds the row and does nothing. The
  fan's row is locked for the evaluation, so cooldowns and per-day limits hold under concurrency.
- Every evaluation appends one run row, matched or not, with why: the trigger's filter (keywords,
  intents, minimum amount), the conditions (the segment grammar, evaluated in SQL for every rule in
  one query), the per-fan cooldown.
- A trigger with a delay is not evaluated at once: a `delay` timer is stored and the rule is
  evaluated (conditions included) when it fires.

Steps are not run here; `agent.automation` runs the steps of each match in the same transaction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.tenancy import Principal
from crm.automation.models import AutomationRule, TimerKind
from crm.automation.repository import AutomationRepository
from crm.automation.schemas import MONEY_TRIGGERS

__all__ = ["SCHEDULE_GRACE", "Evaluated", "Event", "evaluate"]

# A scheduled moment (N days after expiry …) missed by more than this (the worker was down) is let go.
SCHEDULE_GRACE = timedelta(days=1)


@dataclass(frozen=True)
class Event:
    """What a rule is evaluated against: one fan, one moment."""

    creator_id: uuid.UUID
    fan_id: uuid.UUID
    trigger: str
    event_key: str
    occurred_at: datetime
    facts: dict[str, Any] = field(default_factory=dict)
    event_id: uuid.UUID | None = None  # the stored webhook event, when there is one
    text: str | None = None  # messages.received: the fan's message
    intents: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Evaluated:
    rule: AutomationRule
    outcome: (
        str  # matched | no_keyword | below_min_amount | conditions_not_met | cooldown | scheduled | duplicate
    )
    matched: bool
    run_id: uuid.UUID | None  # None: scheduled for later, or evaluated before (duplicate)
    why: str


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w']+", text.lower()))


def _trigger_filter(rule: AutomationRule, event: Event) -> tuple[str, str] | None:
    """(outcome, why) when the event does not pass the trigger's own filter."""
    config = rule.trigger_config or {}
    keywords = [str(k) for k in config.get("keywords") or []]
    intents = {str(i) for i in config.get("intents") or []}
    if keywords or intents:
        text = (event.text or "").lower()
        words = _words(text)
        hit = [k for k in keywords if (k in words if " " not in k else k in text)]
        by_intent = sorted(intents & set(event.intents))
        if not hit and not by_intent:
            wanted = ", ".join([*(repr(k) for k in keywords), *sorted(intents)])
            return "no_keyword", f"the message matches none of {wanted}"
    minimum = config.get("min_amount")
    if minimum is not None and rule.trigger in MONEY_TRIGGERS:
        amount = event.facts.get("tip_amount") or event.facts.get("ppv_amount")
        if amount is None or Decimal(str(amount)) < Decimal(str(minimum)):
            return "below_min_amount", f"${amount or 0} is below the rule's minimum of ${minimum}"
    return None


def _trimmed(facts: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in facts.items() if k != "rule"}


async def evaluate(
    session: AsyncSession,
    principal: Principal,
    *,
    event: Event,
    now: datetime,
    rules: Sequence[AutomationRule] | None = None,
    from_timer: bool = False,
) -> list[Evaluated]:
    """Evaluate the rules (default: every enabled rule of the creator on the event's trigger) for
    the event's fan. `from_timer`: a delay timer fired, so the delay is not scheduled again.

    A handful of statements whatever the number of rules: the rules that already evaluated this
    event, the fan's row lock, every rule's conditions in one query, the cooldown rules' last matches,
    and one multi-row insert of the run rows (the unique index still decides, under concurrency)."""
    repository = AutomationRepository.from_session(session)
    if rules is None:
        rules = await repository.enabled_for_trigger(event.creator_id, event.trigger)
    rules = [r for r in rules if r.is_enabled]
    if not rules:
        return []
    delayed = [r for r in rules if not from_timer and int((r.trigger_config or {}).get("delay") or 0)]
    now_rules = [r for r in rules if r not in delayed]
    # A redelivery of an event every rule already evaluated costs one query, and no lock.
    done = await repository.evaluated_rules([r.id for r in now_rules], event.fan_id, event.event_key)
    if not delayed and len(done) == len(now_rules):
        return [Evaluated(r, "duplicate", False, None, "this event was evaluated before") for r in rules]
    fan = await repository.lock_fan(event.fan_id)
    if fan is None or fan.creator_id != event.creator_id:
        return []
    fresh = [r for r in now_rules if r.id not in done]
    conditions_met = dict(
        zip(
            [r.id for r in fresh],
            await repository.matching_rules(event.fan_id, [r.conditions or None for r in fresh], now),
            strict=True,
        )
    )
    last = await repository.last_matches([r.id for r in fresh if r.cooldown_seconds], event.fan_id)
    verdicts: dict[uuid.UUID, tuple[str, str]] = {}
    position = {rule.id: i for i, rule in enumerate(rules)}
    for rule in fresh:
        outcome, why = "matched", "the fan matches the rule"
        refused = _trigger_filter(rule, event)
        matched_at = last.get(rule.id)
        if refused is not None:
            outcome, why = refused
        elif not conditions_met[rule.id]:
            outcome, why = "conditions_not_met", "the fan does not match the rule's conditions"
        elif matched_at is not None and matched_at > now - timedelta(seconds=rule.cooldown_seconds):
            outcome, why = (
                "cooldown",
                f"the rule matched this fan at {matched_at.isoformat()}, within its cooldown",
            )
        verdicts[rule.id] = (outcome, why)
    details_facts = _trimmed(event.facts)
    inserted = await repository.insert_runs(
        [
            {
                "creator_id": event.creator_id,
                "rule_id": rule.id,
                "fan_id": event.fan_id,
                "trigger_event_id": event.event_id,
                "trigger": event.trigger,
                "event_key": event.event_key,
                "matched": verdicts[rule.id][0] == "matched",
                "outcome": verdicts[rule.id][0],
                # Its place in the evaluation order (priority, then age): the order steps ran in.
                "details": {
                    "why": verdicts[rule.id][1],
                    "position": position[rule.id],
                    "facts": details_facts,
                },
            }
            for rule in fresh
        ]
    )
    out: list[Evaluated] = []
    for rule in rules:
        if rule in delayed:
            delay = int((rule.trigger_config or {}).get("delay") or 0)
            await repository.insert_timer(
                {
                    "creator_id": event.creator_id,
                    "rule_id": rule.id,
                    "fan_id": event.fan_id,
                    "kind": TimerKind.delay,
                    "event_key": event.event_key,
                    "step": 0,
                    "due_at": event.occurred_at + timedelta(seconds=delay),
                    "facts": {**event.facts, "event_id": str(event.event_id) if event.event_id else None},
                }
            )
            out.append(Evaluated(rule, "scheduled", False, None, f"evaluated {delay} s after the event"))
        elif rule.id not in inserted:
            out.append(Evaluated(rule, "duplicate", False, None, "this event was evaluated before"))
        else:
            outcome, why = verdicts[rule.id]
            out.append(Evaluated(rule, outcome, outcome == "matched", inserted[rule.id], why))
    return out
