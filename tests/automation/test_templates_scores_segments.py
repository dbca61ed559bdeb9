"""Template slots (parsed at save time, filled per fan with fallbacks and platform variants), the
score formulas and job, segment refreshes that keep pinned members, the language condition, and the
mapping's event keys and PPV unlock marking."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.errors import ValidationFailed
from core.tenancy import Principal
from crm.enums import MessageDirection, MessageSender, Platform, SubscriptionEventType
from crm.fans import service as fan_service
from crm.fans.models import FanProfile, FanScore
from crm.messaging import slots
from crm.scores import formulas
from crm.scores import service as scores
from crm.segments import service as segments
from crm.webhooks.mapping import EventMapper
from tests.automation import support
from tests.factories import make_tenant


def test_slots_parse_render_and_refuse() -> None:
    assert slots.slots_in("Hey {fan_name}, {fan_pet|your pet} says hi {{literally}}") == [
        "fan_name",
        "fan_pet",
    ]
    assert (
        slots.render("Hey {fan_name}! {fan_pet|your pet}? {{x}}", {"fan_name": "Jo"})
        == "Hey Jo! your pet? {x}"
    )
    with pytest.raises(slots.MissingSlot, match=r"no value for \{fan_city\}"):
        slots.render("From {fan_city}?", {})
    for bad, says in (("{name}", "unknown slot"), ("{fan_name", "not closed"), ("a } b", "closes nothing"),
                      ("{{fan_name}", "closes nothing"), ("{fan-name}", "not a slot name"),
                      ("{fan_name|" + "x" * 201 + "}", "longer than")):  # fmt: skip
        with pytest.raises(ValidationFailed, match=says):
            slots.parse(bad)


async def test_a_template_step_uses_the_platform_variant_and_memory_slots(engine: AsyncEngine) -> None:
    from agent import automation
    from crm.enums import MemoryKind
    from memory import service as memory_service

    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    principal = tenant.principal()
    await support.template(
        engine,
        cid,
        "Hi",
        "Hi {fan_name}, how is {fan_city|your city}?",
        variants={"fansly": "Fansly hi {fan_name}"},
    )
    await support.rule(
        engine,
        cid,
        trigger={"type": "subscriptions.new"},
        actions=[{"type": "send_message", "template": "Hi"}],
    )
    of_fan = await support.fan(engine, cid, "Olivia")
    async with tenant_session(principal, engine=engine) as s:
        await memory_service.remember(
            s,
            principal,
            creator_id=cid,
            fan_id=of_fan,
            text="Lives in Boulder",
            kind=MemoryKind.personal_detail,
        )
        fansly, _, _ = await fan_service.upsert_fan_from_platform(
            s,
            principal,
            creator_id=cid,
            platform=Platform.fansly,
            platform_fan_id="7" * 18,
            display_name="Fay",
        )
    for fan_id in (of_fan, fansly.id):
        await automation.handle_event(
            creator_id=cid,
            fan_id=fan_id,
            trigger="subscriptions.new",
            event_key="e",
            knobs=support.knobs(engine),
        )
    assert [i.proposed_args["text"] for i in await support.items(engine, of_fan)] == [
        "Hi Olivia, how is Boulder?"
    ]
    assert [i.proposed_args["text"] for i in await support.items(engine, fansly.id)] == ["Fansly hi Fay"]


async def test_a_template_that_does_not_fit_the_trigger_is_refused_at_save_time(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    await support.template(engine, cid, "Tip", "Thanks for the {tip_amount} tip")
    await support.template(engine, cid, "Price", "Only {price} today")
    with pytest.raises(ValidationFailed, match=r"a subscriptions\.new rule never has"):
        await support.rule(
            engine,
            cid,
            trigger={"type": "subscriptions.new"},
            actions=[{"type": "send_message", "template": "Tip"}],
        )
    with pytest.raises(ValidationFailed, match="this step sends no price"):
        await support.rule(
            engine,
            cid,
            trigger={"type": "tips.received"},
            actions=[{"type": "send_message", "template": "Price"}],
        )
    # With a price the PPV step fills it; clamped into the creator's bounds (10..50).
    await support.rule(engine, cid, trigger={"type": "tips.received"},
                       actions=[{"type": "send_ppv", "template": "Price", "price": {"fixed": 99}}])  # fmt: skip


def _signals(**changes: object) -> formulas.Signals:
    base: dict[str, object] = {
        "days_since_active": 1.0, "days_since_purchase": 2.0, "inbound_14d": 6, "inbound_30d": 10,
        "purchases_30d": 3, "purchases_90d": 6, "spend_30d": 60.0, "spend_prev_60d": 80.0,
        "ppv_sent_90d": 4, "ppv_unlocked_90d": 3, "has_subscription": True, "live": True, "auto_renew": True,
    }  # fmt: skip
    base.update(changes)
    return formulas.Signals(**base)  # type: ignore[arg-type]


def test_score_formulas_move_the_way_they_should() -> None:
    active = formulas.scores(_signals())
    assert active["engagement"] == round(
        0.5 * (1 - math.exp(-1)) + 0.3 * math.exp(-1 / 14) + 0.2 * (1 - math.exp(-1)), 3
    )
    lapsed = formulas.scores(_signals(live=False))
    assert lapsed["churn_risk"] == 1.0 and lapsed["upsell_readiness"] == 0.0
    quiet = formulas.scores(_signals(days_since_active=40.0, auto_renew=False, spend_30d=0.0))
    assert quiet["churn_risk"] > 0.8 > active["churn_risk"]
    assert (
        formulas.scores(_signals(days_since_purchase=None, purchases_90d=0))["upsell_readiness"]
        < active["upsell_readiness"]
    )
    unknown = formulas.scores(_signals(has_subscription=False, live=True, days_since_active=0.0))
    assert unknown["churn_risk"] < 0.3  # no subscription on record is not an ended one
    assert all(0 <= v <= 1 for s in (active, lapsed, quiet, unknown) for v in s.values())


async def test_the_score_job_stores_every_kind_for_the_fans(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    principal = tenant.principal()
    now = datetime.now(UTC)
    buyer = await support.fan(engine, cid, "Buyer", spend="40")
    lapsed = await support.fan(engine, cid, "Lapsed")
    await support.subscribe(engine, cid, lapsed, SubscriptionEventType.new, now - timedelta(days=90))
    await support.subscribe(engine, cid, lapsed, SubscriptionEventType.expired, now - timedelta(days=20))
    await support.message(engine, cid, buyer, "hey!", at=now - timedelta(hours=2))
    async with tenant_session(principal, engine=engine) as s:
        assert await scores.compute_scores(s, principal, creator_id=cid, now=now) == 2
        assert (
            await scores.compute_scores(s, principal, creator_id=cid, now=now) == 2
        )  # an upsert, not a second row
        rows = (
            await s.execute(
                sa.select(FanScore.fan_id, FanScore.kind, FanScore.value, FanScore.details).where(
                    FanScore.creator_id == cid
                )
            )
        ).all()
    got = {(f, k): v for f, k, v, _ in rows}
    assert len(rows) == 6
    assert got[(lapsed, "churn_risk")] == 1.0 and got[(lapsed, "upsell_readiness")] == 0.0
    assert got[(buyer, "upsell_readiness")] > 0.3 and got[(buyer, "engagement")] > got[(lapsed, "engagement")]
    assert all(d["formula"] == formulas.VERSION for *_, d in rows)


async def test_a_refresh_keeps_pinned_members_and_language_selects_fans(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    principal = tenant.principal()
    es, en, unknown = [await support.fan(engine, cid, n) for n in ("Ana", "Bob", "Cy")]
    async with tenant_session(principal, engine=engine) as s:
        await s.execute(sa.update(FanProfile).where(FanProfile.id == es).values(language="es"))
        await s.execute(sa.update(FanProfile).where(FanProfile.id == en).values(language="en"))
        segment = await segments.create_segment(s, principal, creator_id=cid, name="Spanish",
                                                rules={"field": "language", "op": "eq", "value": "ES"})  # fmt: skip
        assert await segments.refresh_segment(s, principal, segment_id=segment.id) == 1
        assert await segments.pin_member(s, principal, segment_id=segment.id, fan_id=unknown) is True
        assert await segments.pin_member(s, principal, segment_id=segment.id, fan_id=unknown) is False
        assert await segments.refresh_segment(s, principal, segment_id=segment.id) == 2
        members = {m.id for m in await segments.segment_members(s, principal, segment_id=segment.id)}
        assert members == {es, unknown}
        not_es = segments.matching_fans_query(cid, {"field": "language", "op": "ne", "value": "es"})
        assert set((await s.scalars(not_es)).all()) == {en}  # unknown language matches neither
    with pytest.raises(ValidationFailed, match="language code"):
        segments.matching_fans_query(cid, {"field": "language", "op": "eq", "value": "klingon!"})


async def test_event_keys_are_stable_across_deliveries_and_a_ppv_unlock_marks_the_message(
    engine: AsyncEngine,
) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    principal = Principal.for_creators(cid)
    payload = {
        "id": 5512090, "amountGross": 25.0, "createdAt": "2026-11-21T22:03:17+00:00",
        "user": {"id": 99120311, "displayName": "Mike"},
    }  # fmt: skip
    keys = []
    for _ in range(2):
        async with tenant_session(principal, engine=engine) as s:
            outcome = await EventMapper(s, principal, creator_id=cid, event_type="tips.received").apply(
                dict(payload)
            )
        keys.append(outcome.event_key)
    assert keys[0] == keys[1] and keys[0] is not None
    assert (
        outcome.facts["tip_amount"] == "25.00"
        and outcome.run is not None
        and outcome.run.facts == outcome.facts
    )
    async with tenant_session(principal, engine=engine) as s:
        assert outcome.fan_id is not None
        sent = await fan_service.log_message(
            s, principal, creator_id=cid, fan_id=outcome.fan_id, direction=MessageDirection.outbound,
            sender=MessageSender.agent, text="a peek 🙈", price=Decimal("12"), is_ppv=True,
            sent_at=datetime(2026, 11, 21, 20, 0, tzinfo=UTC),
        )  # fmt: skip
    unlock = {
        "replacePairs": {"{AMOUNT}": "$12.00"},
        "createdAt": "2026-11-21T23:40:02+00:00",
        "user": {"id": 99120311},
    }
    async with tenant_session(principal, engine=engine) as s:
        result = await EventMapper(s, principal, creator_id=cid, event_type="messages.ppv.unlocked").apply(
            unlock
        )
    assert result.facts["ppv"]["message_id"] == str(sent.id)
    assert result.event_key is not None and result.event_key.endswith("2026-11-21T23:40:02+00:00")
    async with tenant_session(principal, engine=engine) as s:
        marked = await s.get(type(sent), sent.id)
        assert marked is not None and marked.unlocked_at == datetime(2026, 11, 21, 23, 40, 2, tzinfo=UTC)
