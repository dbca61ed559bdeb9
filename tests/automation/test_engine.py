"""The rules engine: one evaluation per (rule, event, fan), deterministic order, conditions, cooldown,
trigger filters, pause, timers that cancel, chains that wait and exit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from agent import automation
from core.db import tenant_session
from core.tenancy import Principal
from crm.automation import service as automation_service
from crm.enums import ActionType, ApprovalOrigin, SubscriptionEventType
from crm.fans import service as fan_service
from tests.automation import support
from tests.factories import make_tenant

WELCOME = [{"type": "send_message", "template": "Welcome"}]


async def _shop(engine: AsyncEngine) -> tuple[Principal, object]:
    tenant = await make_tenant(engine)
    await support.template(engine, tenant.creator_id, "Welcome", "Hey {fan_name}! So happy you're here 🥰")
    return tenant.principal(), tenant


async def test_one_run_row_per_rule_event_and_fan_under_redelivery_and_concurrency(
    engine: AsyncEngine,
) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    await support.template(engine, cid, "Welcome", "Hey {fan_name}!")
    first = await support.rule(engine, cid, trigger={"type": "subscriptions.new"}, actions=WELCOME)
    second = await support.rule(
        engine, cid, trigger={"type": "subscriptions.new"}, actions=[{"type": "tag", "tag": "new"}]
    )
    fan = await support.fan(engine, cid)
    knobs = support.knobs(engine)

    async def deliver(key: str) -> None:
        await automation.handle_event(
            creator_id=cid, fan_id=fan, trigger="subscriptions.new", event_key=key, facts={}, knobs=knobs
        )

    # Eight workers at once with the same event, then two redeliveries.
    await asyncio.gather(*(deliver("sub:new:1") for _ in range(8)))
    await deliver("sub:new:1")
    await deliver("sub:new:1")
    for rule_id in (first, second):
        rows = await support.runs(engine, rule_id)
        assert [(r.event_key, r.matched, r.outcome) for r in rows] == [("sub:new:1", True, "matched")]
    queued = await support.items(engine, fan)
    assert len(queued) == 1 and queued[0].origin == ApprovalOrigin.automation_run
    assert len(await support.steps(engine, second)) == 1

    # Another event is another evaluation.
    await deliver("sub:new:2")
    assert len(await support.runs(engine, first)) == 2


async def test_rules_on_one_trigger_run_by_priority_then_age(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    for name in ("A", "B", "C"):
        await support.template(engine, cid, name, f"{name} for {{fan_name}}")
    old_low = await support.rule(engine, cid, name="old low", priority=10, trigger={"type": "tips.received"},
                                 actions=[{"type": "send_message", "template": "A"}])  # fmt: skip
    new_high = await support.rule(engine, cid, name="new high", priority=500, trigger={"type": "tips.received"},
                                  actions=[{"type": "send_message", "template": "B"}])  # fmt: skip
    newer_low = await support.rule(engine, cid, name="newer low", priority=10, trigger={"type": "tips.received"},
                                   actions=[{"type": "send_message", "template": "C"}])  # fmt: skip
    fan = await support.fan(engine, cid, "Mike")
    await automation.handle_event(
        creator_id=cid, fan_id=fan, trigger="tips.received", event_key="tip:1",
        facts={"tip_amount": "5.00"}, knobs=support.knobs(engine),
    )  # fmt: skip
    # The evaluation order (recorded on each run) is priority first, then age; the steps ran in it.
    positions = {
        r: (await support.runs(engine, r))[0].details["position"] for r in (new_high, old_low, newer_low)
    }
    assert positions == {new_high: 0, old_low: 1, newer_low: 2}
    queued = await support.items(engine, fan)
    assert sorted(i.proposed_args["text"] for i in queued) == ["A for Mike", "B for Mike", "C for Mike"]


async def test_conditions_cooldown_and_filters_are_recorded_with_why(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    await support.template(engine, cid, "Thanks", "Thank you {fan_name} for the {tip_amount} tip")
    rid = await support.rule(
        engine, cid, trigger={"type": "tips.received", "min_amount": 10},
        conditions={"field": "lifetime_spend", "op": "gte", "value": 20}, cooldown="1h",
        actions=[{"type": "send_message", "template": "Thanks"}],
    )  # fmt: skip
    poor = await support.fan(engine, cid, "Poor", spend="5")
    rich = await support.fan(engine, cid, "Rich", spend="100")
    knobs = support.knobs(engine)

    async def tip(fan: object, key: str, amount: str) -> None:
        await automation.handle_event(creator_id=cid, fan_id=fan, trigger="tips.received",  # type: ignore[arg-type]
                                      event_key=key, facts={"tip_amount": amount}, knobs=knobs)  # fmt: skip

    await tip(poor, "t1", "25.00")
    await tip(rich, "t2", "5.00")
    await tip(rich, "t3", "25.00")
    await tip(rich, "t4", "30.00")
    outcomes = [(r.event_key, r.matched, r.outcome) for r in await support.runs(engine, rid)]
    assert outcomes == [
        ("t1", False, "conditions_not_met"),
        ("t2", False, "below_min_amount"),
        ("t3", True, "matched"),
        ("t4", False, "cooldown"),
    ]
    why = {r.event_key: r.details["why"] for r in await support.runs(engine, rid)}
    assert "below the rule's minimum of $10" in why["t2"]
    assert [i.proposed_args["text"] for i in await support.items(engine, rich)] == [
        "Thank you Rich for the $25.00 tip"
    ]
    assert await support.items(engine, poor) == []


async def test_keywords_and_intents_filter_fan_messages(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    rid = await support.rule(
        engine, cid, trigger={"type": "messages.received", "keywords": ["custom", "video call"]},
        actions=[{"type": "tag", "tag": "wants-custom"}],
    )  # fmt: skip
    fan = await support.fan(engine, cid)
    knobs = support.knobs(engine)
    for text in ("hey how are you", "could you do a CUSTOM set?", "are you up for a video call"):
        msg = await support.message(engine, cid, fan, text)
        await automation.handle_event(
            creator_id=cid, fan_id=fan, trigger="messages.received", event_key=f"message:{msg.id}",
            facts={"message_id": str(msg.id), "message_at": msg.sent_at.isoformat()}, knobs=knobs,
        )  # fmt: skip
    assert [r.outcome for r in await support.runs(engine, rid)] == ["no_keyword", "matched", "matched"]
    async with tenant_session(tenant.principal(), engine=engine) as s:
        dossier = await fan_service.get_dossier(s, tenant.principal(), fan_id=fan)
    assert [t.tag for t in dossier.tags] == ["wants-custom"]


async def test_a_paused_rule_never_fires(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    principal = tenant.principal()
    await support.template(engine, cid, "Welcome", "Hey {fan_name}!")
    rid = await support.rule(
        engine, cid, trigger={"type": "subscriptions.new", "delay": "5m"}, actions=WELCOME
    )
    fan = await support.fan(engine, cid)
    knobs = support.knobs(engine)
    now = datetime.now(UTC)
    # A delayed evaluation is pending when the rule is paused: the pause cancels it.
    await automation.handle_event(
        creator_id=cid, fan_id=fan, trigger="subscriptions.new", event_key="e1", knobs=knobs, now=now
    )
    assert [t.status for t in await support.timers(engine, rid)] == ["pending"]
    async with tenant_session(principal, engine=engine) as s:
        await automation_service.set_enabled(s, principal, rule_id=rid, enabled=False)
    assert [(t.status, t.reason) for t in await support.timers(engine, rid)] == [
        ("cancelled", "the rule was paused")
    ]
    # Events while paused: nothing at all, and the due time passing fires nothing.
    await automation.handle_event(
        creator_id=cid, fan_id=fan, trigger="subscriptions.new", event_key="e2", knobs=knobs, now=now
    )
    await automation.fire_due_timers(knobs=knobs, creator_ids=[cid], now=now + timedelta(hours=1))
    assert await support.runs(engine, rid) == []
    assert await support.items(engine, fan) == []
    # Resumed, it works again.
    async with tenant_session(principal, engine=engine) as s:
        await automation_service.set_enabled(s, principal, rule_id=rid, enabled=True)
    await automation.handle_event(
        creator_id=cid, fan_id=fan, trigger="subscriptions.new", event_key="e3", knobs=knobs, now=now
    )
    await automation.fire_due_timers(knobs=knobs, creator_ids=[cid], now=now + timedelta(minutes=6))
    assert [r.event_key for r in await support.runs(engine, rid)] == ["e3"]
    assert len(await support.items(engine, fan)) == 1


async def test_a_delayed_trigger_evaluates_when_due(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    await support.template(engine, cid, "Welcome", "Hey {fan_name}!")
    await support.rule(engine, cid, trigger={"type": "subscriptions.new", "delay": "30s"}, actions=WELCOME)
    fan = await support.fan(engine, cid)
    knobs = support.knobs(engine)
    now = datetime.now(UTC)
    await automation.handle_event(
        creator_id=cid, fan_id=fan, trigger="subscriptions.new", event_key="e", knobs=knobs, now=now
    )
    assert await support.items(engine, fan) == []
    assert (
        await automation.fire_due_timers(knobs=knobs, creator_ids=[cid], now=now + timedelta(seconds=10))
        == {}
    )
    assert await automation.fire_due_timers(
        knobs=knobs, creator_ids=[cid], now=now + timedelta(seconds=31)
    ) == {"matched": 1}
    assert len(await support.items(engine, fan)) == 1
    assert (
        await automation.fire_due_timers(knobs=knobs, creator_ids=[cid], now=now + timedelta(seconds=60))
        == {}
    )


async def _no_reply_rule(engine: AsyncEngine) -> tuple[object, object, object]:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    await support.template(engine, cid, "Busy", "Sorry {fan_name}, back in a bit 💕")
    rid = await support.rule(
        engine, cid, trigger={"type": "timer.no_creator_reply", "minutes": 30},
        actions=[{"type": "send_message", "template": "Busy"}],
    )  # fmt: skip
    return tenant, rid, await support.fan(engine, cid)


async def _fan_writes(engine: AsyncEngine, cid: object, fan: object, at: datetime) -> None:
    msg = await support.message(engine, cid, fan, "hello?", at=at)  # type: ignore[arg-type]
    await automation.handle_event(
        creator_id=cid, fan_id=fan, trigger="messages.received", event_key=f"message:{msg.id}",  # type: ignore[arg-type]
        facts={"message_id": str(msg.id), "message_at": msg.sent_at.isoformat()}, knobs=support.knobs(engine),
    )  # fmt: skip


async def test_the_follow_up_timer_cancels_when_the_creator_replies(engine: AsyncEngine) -> None:
    tenant, rid, fan = await _no_reply_rule(engine)
    cid = tenant.creator_id  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    await _fan_writes(engine, cid, fan, now)
    await support.message(engine, cid, fan, "hey you!", inbound=False, at=now + timedelta(minutes=10))
    outcomes = await automation.fire_due_timers(
        knobs=support.knobs(engine), creator_ids=[cid], now=now + timedelta(minutes=31)
    )
    assert outcomes == {"cancelled": 1}
    (timer,) = await support.timers(engine, rid)  # type: ignore[arg-type]
    assert timer.status == "cancelled" and timer.reason.startswith("the creator replied")
    assert await support.items(engine, fan) == []  # type: ignore[arg-type]
    assert await support.runs(engine, rid) == []  # type: ignore[arg-type]


async def test_the_follow_up_fires_without_a_reply_and_a_sent_message_cancels_it_early(
    engine: AsyncEngine,
) -> None:
    tenant, rid, fan = await _no_reply_rule(engine)
    cid = tenant.creator_id  # type: ignore[attr-defined]
    knobs = support.knobs(engine)
    now = datetime.now(UTC)
    await _fan_writes(engine, cid, fan, now)
    await _fan_writes(engine, cid, fan, now + timedelta(minutes=5))  # restarts the timer
    assert (
        await automation.fire_due_timers(knobs=knobs, creator_ids=[cid], now=now + timedelta(minutes=31))
        == {}
    )
    assert await automation.fire_due_timers(
        knobs=knobs, creator_ids=[cid], now=now + timedelta(minutes=36)
    ) == {"matched": 1}
    assert [i.proposed_args["text"] for i in await support.items(engine, fan)] == [
        "Sorry Sam, back in a bit 💕"
    ]  # type: ignore[arg-type]
    statuses = [(t.status, t.reason) for t in await support.timers(engine, rid)]  # type: ignore[arg-type]
    assert statuses == [("cancelled", "a newer fan message restarted the timer"), ("fired", None)]

    # The creator's reply arriving as a webhook cancels the next one before it is due.
    await _fan_writes(engine, cid, fan, now + timedelta(minutes=40))
    report = await automation.handle_event(
        creator_id=cid,
        fan_id=fan,
        trigger="messages.sent",
        event_key="message:x",
        knobs=knobs,  # type: ignore[arg-type]
    )
    assert report.timers_cancelled == 1


async def test_a_chain_waits_and_stops_when_the_fan_replied(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    await support.template(engine, cid, "Welcome", "Hey {fan_name}!")
    await support.template(engine, cid, "Nudge", "Still there {fan_name}?")
    rid = await support.rule(
        engine, cid, trigger={"type": "subscriptions.new"},
        actions=[*WELCOME, {"type": "wait", "duration": "1d"}, {"type": "stop_if_fan_replied"},
                 {"type": "send_message", "template": "Nudge"}],
    )  # fmt: skip
    quiet, chatty = await support.fan(engine, cid, "Quiet"), await support.fan(engine, cid, "Chatty")
    knobs = support.knobs(engine)
    now = datetime.now(UTC)
    for fan in (quiet, chatty):
        await automation.handle_event(
            creator_id=cid, fan_id=fan, trigger="subscriptions.new", event_key="e", knobs=knobs, now=now
        )
    await support.message(engine, cid, chatty, "thanks for the welcome!", at=now + timedelta(hours=2))
    assert await automation.fire_due_timers(
        knobs=knobs, creator_ids=[cid], now=now + timedelta(days=1, minutes=1)
    ) == {"done": 1, "stopped": 1}
    assert [i.proposed_args["text"] for i in await support.items(engine, quiet)] == [
        "Hey Quiet!",
        "Still there Quiet?",
    ]
    assert [i.proposed_args["text"] for i in await support.items(engine, chatty)] == ["Hey Chatty!"]
    by_fan: dict[object, list[tuple[str | None, str]]] = {}
    for step in await support.steps(engine, rid):
        by_fan.setdefault(step.fan_id, []).append((step.step_type, step.status))
    assert by_fan[chatty] == [
        ("send_message", "queued"),
        ("wait", "waiting"),
        ("stop_if_fan_replied", "stopped"),
    ]
    assert by_fan[quiet][-2:] == [("stop_if_fan_replied", "done"), ("send_message", "queued")]


async def test_after_expiry_schedule_evaluates_each_moment_once(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    await support.template(
        engine, cid, "Miss you", "I miss you {fan_name}, {months_subscribed} months together 🥺"
    )
    rid = await support.rule(
        engine, cid, trigger={"type": "schedule.after_expiry", "days": 3},
        conditions={"field": "lifetime_spend", "op": "gt", "value": 50},
        actions=[{"type": "send_message", "template": "Miss you"}],
    )  # fmt: skip
    now = datetime.now(UTC)
    big, small, old = [
        await support.fan(engine, cid, n, spend=v) for n, v in (("Big", "80"), ("Small", "20"), ("Old", "90"))
    ]
    for fan_id in (big, small, old):
        await support.subscribe(engine, cid, fan_id, SubscriptionEventType.new, now - timedelta(days=100))
    await support.subscribe(engine, cid, big, SubscriptionEventType.expired, now - timedelta(days=3, hours=2))
    await support.subscribe(
        engine, cid, small, SubscriptionEventType.expired, now - timedelta(days=3, hours=2)
    )
    await support.subscribe(engine, cid, old, SubscriptionEventType.expired, now - timedelta(days=30))
    knobs = support.knobs(engine)
    assert (
        await automation.scan_schedules(knobs=knobs, creator_ids=[cid], now=now) == 2
    )  # Big matched, Small did not
    assert (
        await automation.scan_schedules(knobs=knobs, creator_ids=[cid], now=now + timedelta(minutes=1)) == 0
    )
    outcomes = {r.fan_id: r.outcome for r in await support.runs(engine, rid)}
    assert outcomes == {big: "matched", small: "conditions_not_met"}
    (item,) = await support.items(engine, big)
    assert item.action_type == ActionType.send_message
    assert item.proposed_args["text"] == "I miss you Big, 3 months together 🥺"
    assert item.context["facts"]["months_subscribed"] == 3


async def test_a_step_that_cannot_be_sent_is_skipped_with_why_and_the_chain_goes_on(
    engine: AsyncEngine,
) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    await support.template(engine, cid, "Long", "x" * 1980 + " {tip_note}")
    await support.template(engine, cid, "City", "How is {fan_city}?")
    rid = await support.rule(
        engine, cid, trigger={"type": "tips.received"},
        actions=[{"type": "send_message", "template": "Long"}, {"type": "send_message", "template": "City"},
                 {"type": "tag", "tag": "tipper"}],
    )  # fmt: skip
    fan = await support.fan(engine, cid)
    await automation.handle_event(
        creator_id=cid, fan_id=fan, trigger="tips.received", event_key="t",
        facts={"tip_amount": "5.00", "tip_note": "a note that makes the message too long to send"},
        knobs=support.knobs(engine),
    )  # fmt: skip
    got = [(s.step_type, s.status, s.error or "") for s in await support.steps(engine, rid)]
    assert [g[:2] for g in got] == [("send_message", "skipped"), ("send_message", "skipped"), ("tag", "done")]
    assert "2000" in got[0][2] or "characters" in got[0][2]
    assert "no value for {fan_city}" in got[1][2]
    assert await support.items(engine, fan) == []
