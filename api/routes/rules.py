"""Automation rules: CRUD, pause/resume, dry-run, last runs and timers (RBAC: owner, admin and manager
write; chatters read). Rules are validated whole (`crm.automation.schemas.RuleSpec`); see
docs/automation.md for the trigger, condition and step vocabulary."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from agent import automation as automation_runtime
from api.deps import AutomationReader, AutomationWriter, SessionDep, errors
from core.errors import NotFound
from core.tenancy import Principal
from crm.automation import service as automation
from crm.automation.models import AutomationRule
from crm.automation.schemas import (
    RulePatch,
    RuleSpec,
    RunRead,
    describe_step,
    describe_trigger,
    format_duration,
)
from crm.creators import service as creators

router = APIRouter(prefix="/api/rules", tags=["automation"])


class RuleCreate(RuleSpec):
    """A new rule for one creator."""

    creator_id: uuid.UUID


class RuleStatsOut(BaseModel):
    evaluations_7d: int
    matches_7d: int
    pending_timers: int


class RuleOut(BaseModel):
    """A rule as stored, with its trigger and steps in words and its recent activity."""

    id: uuid.UUID
    creator_id: uuid.UUID
    creator_name: str
    name: str
    description: str
    enabled: bool
    priority: int
    cooldown: int = Field(description="Per-fan cooldown in seconds (0: none).")
    cooldown_text: str | None
    trigger: dict[str, Any]
    trigger_text: str
    conditions: dict[str, Any] | None
    actions: list[dict[str, Any]]
    steps_text: list[str]
    auto_approve: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    stats: RuleStatsOut
    last_run: RunRead | None


class DryRunOut(BaseModel):
    """Which fans the rule would match right now (nothing is stored or sent)."""

    matching: int
    in_cooldown: int
    due_now: int | None
    note: str
    steps: list[str]
    sample: list[dict[str, Any]]


class TimerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    fan_id: uuid.UUID
    kind: str
    step: int
    due_at: datetime
    status: str
    reason: str | None
    fired_at: datetime | None


async def _out(session: Any, principal: Principal, rules: list[AutomationRule]) -> list[RuleOut]:
    stats = await automation.rule_stats(session, principal, rule_ids=[r.id for r in rules])
    names: dict[uuid.UUID, str] = {}
    out = []
    for rule in rules:
        if rule.creator_id not in names:
            names[rule.creator_id] = (
                await creators.get_creator(session, principal, creator_id=rule.creator_id)
            ).display_name
        spec = automation.spec_for(rule)
        runs = await automation.recent_runs(session, principal, rule_id=rule.id, limit=1)
        s = stats[rule.id]
        out.append(
            RuleOut(
                id=rule.id,
                creator_id=rule.creator_id,
                creator_name=names[rule.creator_id],
                name=rule.name,
                description=rule.description,
                enabled=rule.is_enabled,
                priority=rule.priority,
                cooldown=rule.cooldown_seconds,
                cooldown_text=format_duration(rule.cooldown_seconds) if rule.cooldown_seconds else None,
                trigger=spec.trigger.model_dump(mode="json", exclude_defaults=True),
                trigger_text=describe_trigger(spec.trigger),
                conditions=spec.conditions,
                actions=[a.model_dump(mode="json", exclude_none=True) for a in spec.actions],
                steps_text=[describe_step(a) for a in spec.actions],
                auto_approve={
                    k: v.model_dump(mode="json", exclude_none=True) for k, v in spec.auto_approve.items()
                },
                created_at=rule.created_at,
                updated_at=rule.updated_at,
                stats=RuleStatsOut(
                    evaluations_7d=s.evaluations_7d, matches_7d=s.matches_7d, pending_timers=s.pending_timers
                ),
                last_run=runs[0] if runs else None,
            )
        )
    return out


async def _one(session: Any, principal: Principal, rule: AutomationRule) -> RuleOut:
    return (await _out(session, principal, [rule]))[0]


def _dry(result: automation.DryRun) -> DryRunOut:
    return DryRunOut(
        matching=result.matching, in_cooldown=result.in_cooldown, due_now=result.due_now, note=result.note,
        steps=result.steps, sample=result.sample,
    )  # fmt: skip


@router.get("", response_model=list[RuleOut], responses=errors(401, 403, 404))
async def list_rules(
    principal: AutomationReader, session: SessionDep, creator_id: uuid.UUID | None = None
) -> list[RuleOut]:
    """Rules of the creators you may see, in evaluation order (priority, then age)."""
    if creator_id is not None and not principal.can_see(creator_id):
        raise NotFound("creator not found")
    ids = [creator_id] if creator_id else sorted(principal.creator_ids)
    rules = await _out(session, principal, await automation.list_rules(session, principal, creator_ids=ids))
    # Grouped by creator (by name, for people); within a creator, still in evaluation order.
    return sorted(rules, key=lambda r: (r.creator_name.lower(), str(r.creator_id)))


@router.post("", response_model=RuleOut, status_code=201, responses=errors(401, 403, 404, 409, 422))
async def create_rule(body: RuleCreate, principal: AutomationWriter, session: SessionDep) -> RuleOut:
    """Create a rule: trigger, conditions, action chain, priority, cooldown, auto-approval limits."""
    spec = automation_runtime.check_rule(RuleSpec.model_validate(body.model_dump(exclude={"creator_id"})))
    rule = await automation.create_rule(session, principal, creator_id=body.creator_id, spec=spec)
    return await _one(session, principal, rule)


@router.post("/dry-run", response_model=DryRunOut, responses=errors(401, 403, 404, 422))
async def dry_run_spec(body: RuleCreate, principal: AutomationReader, session: SessionDep) -> DryRunOut:
    """Which fans an unsaved rule would match now; nothing is stored."""
    spec = automation_runtime.check_rule(RuleSpec.model_validate(body.model_dump(exclude={"creator_id"})))
    return _dry(await automation.dry_run(session, principal, creator_id=body.creator_id, spec=spec))


@router.get("/{rule_id}", response_model=RuleOut, responses=errors(401, 403, 404))
async def get_rule(rule_id: uuid.UUID, principal: AutomationReader, session: SessionDep) -> RuleOut:
    """One rule with its steps and recent activity."""
    return await _one(session, principal, await automation.get_rule(session, principal, rule_id=rule_id))


@router.patch("/{rule_id}", response_model=RuleOut, responses=errors(401, 403, 404, 409, 422))
async def update_rule(
    rule_id: uuid.UUID, body: RulePatch, principal: AutomationWriter, session: SessionDep
) -> RuleOut:
    """Change a rule; only the fields sent change, and the result is validated whole."""
    if body.trigger is not None:
        automation_runtime.check_trigger(body.trigger)
    rule = await automation.update_rule(session, principal, rule_id=rule_id, patch=body)
    return await _one(session, principal, rule)


@router.post("/{rule_id}/pause", response_model=RuleOut, responses=errors(401, 403, 404))
async def pause_rule(rule_id: uuid.UUID, principal: AutomationWriter, session: SessionDep) -> RuleOut:
    """Pause: the rule is no longer evaluated and its pending timers are cancelled (nothing is deleted)."""
    rule = await automation.set_enabled(session, principal, rule_id=rule_id, enabled=False)
    return await _one(session, principal, rule)


@router.post("/{rule_id}/resume", response_model=RuleOut, responses=errors(401, 403, 404))
async def resume_rule(rule_id: uuid.UUID, principal: AutomationWriter, session: SessionDep) -> RuleOut:
    """Resume a paused rule (it acts on events from now on)."""
    rule = await automation.set_enabled(session, principal, rule_id=rule_id, enabled=True)
    return await _one(session, principal, rule)


@router.delete("/{rule_id}", status_code=204, responses=errors(401, 403, 404, 409))
async def delete_rule(rule_id: uuid.UUID, principal: AutomationWriter, session: SessionDep) -> Response:
    """Delete a rule that never ran (one with runs is kept by its ledger: 409, pause it instead)."""
    await automation.delete_rule(session, principal, rule_id=rule_id)
    return Response(status_code=204)


@router.post("/{rule_id}/dry-run", response_model=DryRunOut, responses=errors(401, 403, 404))
async def dry_run(rule_id: uuid.UUID, principal: AutomationReader, session: SessionDep) -> DryRunOut:
    """Which fans the rule would match now (and how many its cooldown holds back); nothing is stored."""
    rule = await automation.get_rule(session, principal, rule_id=rule_id)
    result = await automation.dry_run(
        session, principal, creator_id=rule.creator_id, spec=automation.spec_for(rule), rule_id=rule.id
    )
    return _dry(result)


@router.get("/{rule_id}/runs", response_model=list[RunRead], responses=errors(401, 403, 404, 422))
async def rule_runs(
    rule_id: uuid.UUID,
    principal: AutomationReader,
    session: SessionDep,
    limit: int = Query(default=20, ge=1, le=200),
) -> list[RunRead]:
    """The rule's latest evaluations, newest first: matched or not, why, and the steps they ran."""
    await automation.get_rule(session, principal, rule_id=rule_id)
    return await automation.recent_runs(session, principal, rule_id=rule_id, limit=limit)


@router.get("/{rule_id}/timers", response_model=list[TimerOut], responses=errors(401, 403, 404, 422))
async def rule_timers(
    rule_id: uuid.UUID,
    principal: AutomationReader,
    session: SessionDep,
    limit: int = Query(default=50, ge=1, le=200),
) -> list[TimerOut]:
    """The rule's scheduled moments (delays, follow-ups, waiting chains): pending, fired or cancelled."""
    await automation.get_rule(session, principal, rule_id=rule_id)
    return [
        TimerOut.model_validate(t)
        for t in await automation.timers_of(session, principal, rule_id=rule_id, limit=limit)
    ]
