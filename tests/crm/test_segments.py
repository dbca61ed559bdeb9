"""Segment rules evaluated against a small hand-built population with hand-computed answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.errors import Conflict, NotFound, ValidationFailed
from crm.fans import service as fans
from crm.fans import subscriptions as subs
from crm.fans.models import FanProfile
from crm.segments import service as segments
from tests.factories import Tenant, make_tenant

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def days(n: float) -> datetime:
    return NOW + timedelta(days=n)


@dataclass
class Spec:
    name: str
    platform: str
    spend: str = "0"
    active: float | None = None  # days relative to NOW (negative = past); purchases happen then too
    tags: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    sub: str | None = None  # active | cancelled | expired
    expires: float | None = None


POPULATION = [
    Spec("Ava", "onlyfans", "1200", -2, ("gamer",), {"churn_risk": 0.7}, "active", 5),
    Spec("Ben", "onlyfans", "300", -40, ("cosplay",), {"churn_risk": 0.2}, "active", 20),
    Spec("Cal", "fansly", "60", -10, ("gamer", "night-owl"), {"churn_risk": 0.8}, "expired", -10),
    Spec("Dee", "fansly", "0", None, (), {}, "expired", -45),
    Spec("Eve", "onlyfans", "20", -1, ("fitness",), {"churn_risk": 0.6}, "cancelled", 3),
    Spec("Fox", "fansly", "999.99", -100, ("big-tipper",), {"engagement": 0.9}),
    Spec("Gus", "onlyfans", "50", -31, ("gamer",), {"churn_risk": 0.59}, "active", 1),
    Spec("Hal", "onlyfans", "5000", -29, ("big-tipper",), {"churn_risk": 0.9}, "expired", -29),
]


@dataclass
class World:
    tenant: Tenant
    other: Tenant
    ids: dict[str, uuid.UUID]

    def names(self, fan_ids: set[uuid.UUID]) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id.get(f, "?") for f in fan_ids}


async def _build(engine: AsyncEngine, tenant: Tenant, specs: list[Spec]) -> dict[str, uuid.UUID]:
    p = tenant.principal()
    cid = tenant.creator_id
    ids: dict[str, uuid.UUID] = {}
    async with tenant_session(p, engine=engine) as s:
        for i, spec in enumerate(specs):
            fan, acct, _ = await fans.upsert_fan_from_platform(
                s,
                p,
                creator_id=cid,
                platform=spec.platform,
                platform_fan_id=f"{spec.name}-{i}",
                display_name=spec.name,
            )
            ids[spec.name] = fan.id
            if spec.spend != "0":
                assert spec.active is not None
                await fans.record_transaction(
                    s,
                    p,
                    creator_id=cid,
                    fan_id=fan.id,
                    platform=spec.platform,
                    kind="tip",
                    amount=spec.spend,
                    occurred_at=days(spec.active),
                )
            for tag in spec.tags:
                await fans.add_tag(s, p, fan_id=fan.id, tag=tag)
            for kind, value in spec.scores.items():
                await fans.set_score(s, p, fan_id=fan.id, kind=kind, value=value)
            if spec.sub is not None:
                assert spec.expires is not None
                start = days(-60)
                await subs.apply_subscription_event(
                    s,
                    p,
                    creator_id=cid,
                    fan_id=fan.id,
                    platform_account_id=acct.id,
                    event_type="new",
                    occurred_at=start,
                    price=10,
                    expires_at=days(spec.expires if spec.sub != "expired" else -30),
                )
                if spec.sub != "active":
                    await subs.apply_subscription_event(
                        s,
                        p,
                        creator_id=cid,
                        fan_id=fan.id,
                        platform_account_id=acct.id,
                        event_type=spec.sub,
                        occurred_at=days(-5 if spec.sub == "cancelled" else spec.expires),
                        expires_at=days(spec.expires),
                    )
            await s.execute(
                sa.update(FanProfile)
                .where(FanProfile.id == fan.id)
                .values(
                    first_seen_at=days(-100),
                    last_active_at=None if spec.active is None else days(spec.active),
                )
            )
    return ids


@pytest.fixture(scope="module")
async def world(engine: AsyncEngine) -> World:
    tenant = await make_tenant(engine)
    other = await make_tenant(engine)
    ids = await _build(engine, tenant, POPULATION)
    # Another creator's whale must never appear in this creator's segments.
    await _build(
        engine, other, [Spec("Zed", "onlyfans", "9000", -1, ("gamer",), {"churn_risk": 0.99}, "active", 3)]
    )
    return World(tenant, other, ids)


async def _match(engine: AsyncEngine, world: World, rules: dict[str, Any]) -> set[str]:
    p = world.tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        found = set(
            (await s.scalars(segments.matching_fans_query(world.tenant.creator_id, rules, now=NOW))).all()
        )
        assert await segments.preview_segment(
            s, p, creator_id=world.tenant.creator_id, rules=rules, now=NOW
        ) == len(found)
    return world.names(found)


CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("whales", {"field": "spend_tier", "op": "eq", "value": "whale"}, {"Ava", "Hal"}),
    (
        "at risk and still subscribed",
        {
            "all": [
                {"field": "score:churn_risk", "op": "gte", "value": 0.6},
                {"field": "subscription_status", "op": "in", "value": ["active", "cancelled"]},
            ]
        },
        {"Ava", "Eve"},
    ),
    (
        "expired in the last 30 days",
        {
            "all": [
                {"field": "subscription_status", "op": "eq", "value": "expired"},
                {"field": "days_until_expiry", "op": "between", "value": [-30, 0]},
            ]
        },
        {"Cal", "Hal"},
    ),
    (
        "gamers or not on OnlyFans",
        {
            "any": [
                {"field": "tag", "op": "has", "value": "Gamer"},
                {"not": {"field": "platform", "op": "eq", "value": "onlyfans"}},
            ]
        },
        {"Ava", "Cal", "Gus", "Dee", "Fox"},
    ),
    (
        "not a churn risk (no score counts)",
        {"not": {"field": "score:churn_risk", "op": "gte", "value": 0.6}},
        {"Ben", "Dee", "Fox", "Gus"},
    ),
    (
        "quiet for a month but paying",
        {
            "all": [
                {"field": "days_since_last_active", "op": "gt", "value": 30},
                {"field": "lifetime_spend", "op": "gte", "value": 50},
            ]
        },
        {"Ben", "Fox", "Gus"},
    ),
    (
        "never active counts from first seen",
        {"field": "days_since_last_active", "op": "gte", "value": 99},
        {"Dee", "Fox"},
    ),
    (
        "bought in the last 30 days",
        {"field": "days_since_last_purchase", "op": "lte", "value": 30},
        {"Ava", "Cal", "Eve", "Hal"},
    ),
    (
        "no purchase in 30 days, incl. never",
        {"not": {"field": "days_since_last_purchase", "op": "lte", "value": 30}},
        {"Ben", "Dee", "Fox", "Gus"},
    ),
    (
        "high or above without big-tipper",
        {
            "all": [
                {"field": "spend_tier", "op": "gte", "value": "high"},
                {"field": "tag", "op": "has_not", "value": "big-tipper"},
            ]
        },
        {"Ava", "Ben"},
    ),
    (
        "spend between 50 and 300",
        {"field": "lifetime_spend", "op": "between", "value": [50, 300]},
        {"Ben", "Cal", "Gus"},
    ),
    (
        "expiring within a week",
        {"field": "days_until_expiry", "op": "between", "value": [0, 7]},
        {"Ava", "Eve", "Gus"},
    ),
    ("engaged", {"field": "score:engagement", "op": "gt", "value": 0.5}, {"Fox"}),
    (
        "no active subscription",
        {"field": "subscription_status", "op": "ne", "value": "active"},
        {"Cal", "Dee", "Eve", "Fox", "Hal"},
    ),
    ("any of nothing", {"any": []}, set()),
    ("all of nothing", {"all": []}, {"Ava", "Ben", "Cal", "Dee", "Eve", "Fox", "Gus", "Hal"}),
]


@pytest.mark.parametrize(("label", "rules", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_rules_select_the_hand_computed_fans(
    engine: AsyncEngine, world: World, label: str, rules: dict[str, Any], expected: set[str]
) -> None:
    assert await _match(engine, world, rules) == expected


async def test_refresh_materialises_adds_and_removes(engine: AsyncEngine, world: World) -> None:
    tenant = await make_tenant(engine)
    ids = await _build(engine, tenant, POPULATION)
    p = tenant.principal()
    cid = tenant.creator_id
    async with tenant_session(p, engine=engine) as s:
        seg = await segments.create_segment(
            s, p, creator_id=cid, name="Whales", rules={"field": "spend_tier", "op": "eq", "value": "whale"}
        )
        assert await segments.refresh_segment(s, p, segment_id=seg.id, now=NOW) == 2
        with pytest.raises(Conflict):
            await segments.create_segment(s, p, creator_id=cid, name="Whales", rules={"all": []})
    async with tenant_session(p, engine=engine) as s:
        await fans.record_transaction(
            s, p, creator_id=cid, fan_id=ids["Eve"], platform="onlyfans", kind="ppv", amount=1000
        )
        await fans.record_transaction(
            s, p, creator_id=cid, fan_id=ids["Ava"], platform="onlyfans", kind="refund", amount=1200
        )
        assert await segments.refresh_segment(s, p, segment_id=seg.id, now=NOW) == 2
        members = await segments.segment_members(s, p, segment_id=seg.id)
        assert [m.display_name for m in members] == ["Hal", "Eve"]
        listed = await segments.list_segments(s, p, creator_id=cid)
        assert [(x.name, x.member_count, x.refreshed_at) for x in listed] == [("Whales", 2, NOW)]
    pb = world.other.principal()
    async with tenant_session(pb, engine=engine) as s:
        with pytest.raises(NotFound):
            await segments.refresh_segment(s, pb, segment_id=seg.id)
        assert await segments.list_segments(s, pb, creator_id=cid) == []
        assert await segments.preview_segment(s, pb, creator_id=cid, rules={"all": []}) == 0


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"field": "favorite_color", "op": "eq", "value": "red"}, "unknown segment field 'favorite_color'"),
        (
            {"field": "lifetime_spend", "op": "has", "value": 5},
            "operator 'has' is not valid for field 'lifetime_spend'",
        ),
        (
            {"any": [{"all": [{"field": "nickname", "op": "eq", "value": 1}]}]},
            r"rules\.any\[0\]\.all\[0\]: unknown segment field 'nickname'",
        ),
        ({"field": "spend_tier", "op": "eq", "value": "gold"}, "'spend_tier': 'gold' is not one of"),
        (
            {"field": "score:Churn Risk", "op": "gt", "value": 1},
            "'score:Churn Risk' is not a valid score field",
        ),
        ({"field": "lifetime_spend", "op": "gt", "value": "lots"}, "'lifetime_spend' needs a number"),
        ({"field": "lifetime_spend", "op": "between", "value": [300, 50]}, "low <= high"),
        ({"either": []}, "unknown rule key 'either'"),
        ({"field": "tag", "op": "has", "value": "x", "extra": 1}, "unknown key 'extra'"),
    ],
)
async def test_invalid_rules_name_what_is_wrong(
    engine: AsyncEngine, world: World, rules: dict[str, Any], message: str
) -> None:
    p = world.tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        with pytest.raises(ValidationFailed, match=message):
            await segments.create_segment(
                s, p, creator_id=world.tenant.creator_id, name=f"bad-{uuid.uuid4().hex[:6]}", rules=rules
            )
        with pytest.raises(ValidationFailed, match=message):
            await segments.preview_segment(s, p, creator_id=world.tenant.creator_id, rules=rules)
