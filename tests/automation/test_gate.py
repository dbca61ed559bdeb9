"""Every fan-facing step waits at the gate; auto-approval is opt-in per rule and action type, within
its limits (price ceiling, per fan per day), decided through the one decision path and audited."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from agent import automation, decisions
from core.db import tenant_session
from core.tenancy import SYSTEM
from crm.accounts.models import AuditLog
from crm.automation import engine as engine_module
from crm.enums import ActionType, ApprovalOrigin, ApprovalStatus
from tests.automation import support
from tests.factories import make_tenant

OFFER = {
    "type": "send_ppv",
    "template": "Offer",
    "price": {"by_tier": {"high": 30, "whale": 45}, "default": 15},
}


async def _audit(engine: AsyncEngine, item_id: uuid.UUID) -> list[tuple[str, str]]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.execute(
            sa.select(AuditLog.action, AuditLog.actor_kind)
            .where(AuditLog.target_id == str(item_id))
            .order_by(AuditLog.created_at)
        )
        return [(str(a), str(k)) for a, k in rows.all()]


async def test_steps_wait_for_a_person_unless_the_rule_opted_in(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    await support.template(engine, cid, "Offer", "Something just for you {fan_name} 🙈 {price}")
    await support.rule(engine, cid, trigger={"type": "tips.received"}, actions=[OFFER])
    fan = await support.fan(engine, cid, "Ann", spend="20")
    await automation.handle_event(
        creator_id=cid,
        fan_id=fan,
        trigger="tips.received",
        event_key="t",
        facts={},
        knobs=support.knobs(engine),
    )
    (item,) = await support.items(engine, fan)
    assert (item.status, item.origin, item.action_type) == (
        ApprovalStatus.pending, ApprovalOrigin.automation_run, ActionType.send_ppv,
    )  # fmt: skip
    assert item.proposed_args["price"] == "15.00"
    assert item.proposed_args["text"] == "Something just for you Ann 🙈 $15.00"
    assert item.context["rule"]["step"] == 0 and item.context["template"]["name"] == "Offer"


async def test_auto_approval_limits_hold(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    await support.template(engine, cid, "Offer", "Something just for you {fan_name} 🙈")
    rid = await support.rule(
        engine, cid, trigger={"type": "tips.received"}, actions=[OFFER],
        auto_approve={"send_ppv": {"max_price": 20, "per_fan_per_day": 1}},
    )  # fmt: skip
    low = await support.fan(engine, cid, "Low", spend="20")  # priced 15: under the ceiling
    high = await support.fan(engine, cid, "High", spend="300")  # priced 30: over it
    racer = await support.fan(engine, cid, "Racer", spend="20")
    knobs = support.knobs(engine)

    async def tip(fan: uuid.UUID, key: str) -> automation.EventReport:
        return await automation.handle_event(
            creator_id=cid, fan_id=fan, trigger="tips.received", event_key=key, facts={}, knobs=knobs
        )

    first = await tip(low, "low-1")
    second = await tip(low, "low-2")  # the same fan again the same day: over the per-day limit
    await tip(high, "high-1")
    # Two tips of one fan processed at once: the fan's row lock makes the count hold.
    await asyncio.gather(tip(racer, "racer-1"), tip(racer, "racer-2"))

    low_items = await support.items(engine, low)
    assert [i.status for i in low_items] == [ApprovalStatus.approved, ApprovalStatus.pending]
    assert first.auto_approved == [low_items[0].id] and second.auto_approved == []
    assert [i.status for i in await support.items(engine, high)] == [ApprovalStatus.pending]
    assert sorted(str(i.status) for i in await support.items(engine, racer)) == ["approved", "pending"]

    why = {(s.fan_id, s.status): s.args["auto_approval"] for s in await support.steps(engine, rid)}
    assert "above the auto-approval ceiling of $20" in why[(high, "queued")]
    assert "limit 1" in why[(low, "queued")]
    # The decision went through the decision path, as the system, and is audited with the rule.
    assert await _audit(engine, low_items[0].id) == [
        ("automation.auto_approved", "system"),
        ("approval.approved", "system"),
    ]

    # Delivered like any approved item: sent once.
    done = await decisions.deliver(
        principal=automation.creator_principal(cid), item_id=low_items[0].id, knobs=knobs
    )
    assert done.status == "executed"


async def test_a_flagged_step_always_waits(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)  # restricted words: whatsapp, paypal
    cid = tenant.creator_id
    await support.template(engine, cid, "Risky", "Hey {fan_name}, add me on whatsapp!")
    await support.rule(
        engine, cid, trigger={"type": "subscriptions.new"}, actions=[{"type": "send_message", "template": "Risky"}],
        auto_approve={"send_message": {"per_fan_per_day": 5}},
    )  # fmt: skip
    fan = await support.fan(engine, cid)
    report = await automation.handle_event(
        creator_id=cid, fan_id=fan, trigger="subscriptions.new", event_key="e", knobs=support.knobs(engine)
    )
    (item,) = await support.items(engine, fan)
    assert report.auto_approved == []
    assert item.status == ApprovalStatus.pending
    assert any(f["code"] == "restricted_word" for f in item.flags)


async def test_a_lost_auto_approval_is_decided_by_the_sweep(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    await support.template(engine, cid, "Hi", "Hi {fan_name}")
    rid = await support.rule(
        engine, cid, trigger={"type": "subscriptions.new"}, actions=[{"type": "send_message", "template": "Hi"}],
        auto_approve={"send_message": {"per_fan_per_day": 1}},
    )  # fmt: skip
    fan = await support.fan(engine, cid)
    # The evaluation committed (the step says auto_approved), then the process died before the
    # decision: the first half of handle_event, without what follows its commit.
    now = datetime.now(UTC)
    principal = automation.creator_principal(cid)
    async with tenant_session(principal, engine=engine) as s:
        event = engine_module.Event(
            creator_id=cid, fan_id=fan, trigger="subscriptions.new", event_key="e", occurred_at=now
        )
        await automation._evaluate_and_run(s, principal, event=event, now=now, effects=automation.Effects())
    (item,) = await support.items(engine, fan)
    assert item.status == ApprovalStatus.pending
    assert [s.status for s in await support.steps(engine, rid)] == ["auto_approved"]
    later = now + timedelta(minutes=1)
    outcomes = await automation.fire_due_timers(knobs=support.knobs(engine), creator_ids=[cid], now=later)
    assert outcomes == {"re-decided": 1}
    assert [i.status for i in await support.items(engine, fan)] == [ApprovalStatus.approved]
