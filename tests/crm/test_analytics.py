"""The numbers service on a hand-made ledger whose every figure is known: windows in the creator's
timezone, window spend vs lifetime, refunds, zero-filled buckets, subscriber flow, churn risk, reply
times and SLA breaches, PPV price points, and nothing of another creator."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.errors import NotFound, ValidationFailed
from core.tenancy import Principal
from crm.analytics import service as analytics
from crm.analytics.periods import Period, bucket_starts, resolve_window
from crm.creators.models import CreatorProfile
from crm.fans import service as fans
from crm.fans import subscriptions
from crm.fans.models import FanMessage
from tests.factories import make_tenant

LA = ZoneInfo("America/Los_Angeles")
# Wednesday 18 November 2026, 07:00 in Los Angeles.
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def la(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LA)


@dataclass
class Ledger:
    principal: Principal
    mia: uuid.UUID
    raven: uuid.UUID
    sam: uuid.UUID
    tyler: uuid.UUID
    quiet: uuid.UUID


async def _ledger(engine: AsyncEngine) -> Ledger:
    tenant = await make_tenant(engine, creators=2)
    mia, raven = tenant.creator_ids
    principal = tenant.principal()
    async with tenant_session(principal, engine=engine) as s:
        creator = await s.get(CreatorProfile, mia)
        assert creator is not None
        creator.timezone = "America/Los_Angeles"

        async def fan(creator_id: uuid.UUID, name: str) -> tuple[uuid.UUID, uuid.UUID]:
            profile, account, _ = await fans.upsert_fan_from_platform(
                s, principal, creator_id=creator_id, platform="onlyfans",
                platform_fan_id=f"{name}-{uuid.uuid4().hex[:6]}", display_name=name,
            )  # fmt: skip
            return profile.id, account.id

        async def pay(creator_id: uuid.UUID, fan_id: uuid.UUID, kind: str, amount: str, at: datetime) -> None:
            await fans.record_transaction(
                s, principal, creator_id=creator_id, fan_id=fan_id, platform="onlyfans", kind=kind,
                amount=amount, occurred_at=at, external_id=uuid.uuid4().hex,
            )  # fmt: skip

        sam, sam_account = await fan(mia, "Sam")
        tyler, tyler_account = await fan(mia, "Tyler")
        quiet, _ = await fan(mia, "Quinn")
        rival, _ = await fan(raven, "Rival")
        await pay(mia, sam, "custom", "200", la(10, 20))  # last month
        await pay(mia, sam, "subscription", "9.99", la(11, 2))
        await pay(mia, sam, "tip", "30", la(11, 10))  # last week (Mon 9 – Sun 15)
        await pay(mia, sam, "ppv", "25", la(11, 12))
        await pay(mia, sam, "refund", "10", la(11, 13))
        await pay(mia, sam, "tip", "20", la(11, 16, 10))  # this week
        # Sunday 23:30 in Los Angeles is already Monday in UTC: last week for Mia's calendar.
        await pay(mia, tyler, "tip", "100", la(11, 15, 23, 30))
        await pay(mia, quiet, "ppv", "25", la(11, 3))
        await pay(mia, quiet, "ppv", "15", la(11, 4))
        await pay(raven, rival, "tip", "999", la(11, 16))

        await subscriptions.apply_subscription_event(
            s, principal, creator_id=mia, fan_id=sam, platform_account_id=sam_account,
            event_type="new", occurred_at=la(11, 10), price=Decimal("9.99"),
        )  # fmt: skip
        await subscriptions.apply_subscription_event(
            s, principal, creator_id=mia, fan_id=tyler, platform_account_id=tyler_account,
            event_type="new", occurred_at=la(9, 1),
        )  # fmt: skip
        await subscriptions.apply_subscription_event(
            s, principal, creator_id=mia, fan_id=tyler, platform_account_id=tyler_account,
            event_type="expired", occurred_at=la(11, 12),
        )  # fmt: skip

        await fans.set_score(s, principal, fan_id=tyler, kind="churn_risk", value=0.8)
        await fans.set_score(s, principal, fan_id=sam, kind="churn_risk", value=0.3)
        await fans.set_score(s, principal, fan_id=quiet, kind="churn_risk", value=0.9)
        await fans.set_score(s, principal, fan_id=rival, kind="churn_risk", value=0.99)

        async def say(fan_id: uuid.UUID, direction: str, at: datetime, **extra: object) -> FanMessage:
            return await fans.log_message(
                s, principal, creator_id=mia, fan_id=fan_id, direction=direction,
                sender="fan" if direction == "inbound" else "creator", text="…", sent_at=at, **extra,
            )  # fmt: skip

        start = la(11, 16, 9)
        await say(sam, "inbound", start)
        await say(sam, "inbound", start + timedelta(minutes=1))  # the same turn
        await say(sam, "outbound", start + timedelta(minutes=10))  # 10 minutes
        await say(sam, "inbound", start + timedelta(minutes=60))
        await say(sam, "outbound", start + timedelta(minutes=130))  # 70 minutes: an SLA breach
        await say(sam, "inbound", NOW - timedelta(hours=2))  # still waiting, past the SLA
        for n, price in enumerate(("25", "25", "25", "15")):
            offer = await say(quiet, "outbound", la(11, 3 + n), price=Decimal(price), is_ppv=True)
            if n == 0:
                offer.unlocked_at = la(11, 3, 13)
    return Ledger(principal, mia, raven, sam, tyler, quiet)


def test_windows_follow_the_creator_calendar() -> None:
    last_week = resolve_window("last_week", tz="America/Los_Angeles", now=NOW)
    assert (last_week.start, last_week.end) == (la(11, 9, 0), la(11, 16, 0))
    assert last_week.label == "last week (Nov 9 – Nov 15, 2026)"
    this_month = resolve_window(Period.this_month, tz="America/Los_Angeles", now=NOW)
    assert (this_month.start, this_month.end) == (la(11, 1, 0), NOW)
    assert resolve_window("yesterday", tz="UTC", now=NOW).label == "yesterday (Nov 17, 2026)"
    january = resolve_window("last_month", tz="UTC", now=datetime(2027, 1, 5, tzinfo=UTC))
    assert january.start == datetime(2026, 12, 1, tzinfo=UTC)
    custom = resolve_window("custom", tz="UTC", now=NOW, start=date(2026, 11, 1), end=date(2026, 11, 1))
    assert custom.end - custom.start == timedelta(days=1)
    assert [d.day for d in bucket_starts(last_week, "day")] == [9, 10, 11, 12, 13, 14, 15]
    assert bucket_starts(this_month, "week")[0] == date(2026, 10, 26)
    for bad in (
        lambda: resolve_window("custom", tz="UTC", now=NOW),
        lambda: resolve_window("custom", tz="UTC", now=NOW, start=date(2026, 11, 5), end=date(2026, 11, 1)),
        lambda: resolve_window("last_week", tz="Mars/Base"),
    ):
        with pytest.raises(ValidationFailed):
            bad()
    with pytest.raises(ValueError):
        resolve_window("fortnight")


async def test_revenue_by_type_in_a_window_with_refunds_and_buckets(engine: AsyncEngine) -> None:
    ledger = await _ledger(engine)
    last_week = resolve_window("last_week", tz="America/Los_Angeles", now=NOW)
    async with tenant_session(ledger.principal, engine=engine) as s:
        week = await analytics.revenue(
            s, ledger.principal, creator_ids=[ledger.mia], window=last_week, bucket="day"
        )
        month = await analytics.revenue(
            s, ledger.principal, creator_ids=[ledger.mia],
            window=resolve_window("this_month", tz="America/Los_Angeles", now=NOW),
        )  # fmt: skip
        both = await analytics.revenue(
            s, ledger.principal, creator_ids=[ledger.mia, ledger.raven],
            window=resolve_window("this_week", tz="America/Los_Angeles", now=NOW),
        )  # fmt: skip
    assert week.by_type["tip"] == Decimal("130.00")  # Tyler's Sunday-night tip counts in LA
    assert (week.by_type["ppv"], week.refunds, week.gross, week.net) == (
        Decimal("25.00"), Decimal("10.00"), Decimal("155.00"), Decimal("145.00"),
    )  # fmt: skip
    assert week.counts["tip"] == 2 and week.paying_fans == 2 and week.by_type["custom"] == 0
    assert [b.start.day for b in week.buckets] == [9, 10, 11, 12, 13, 14, 15]
    assert [b.net for b in week.buckets] == [
        Decimal(x) for x in ("0", "30.00", "0", "25.00", "-10.00", "0", "100.00")
    ]
    assert month.net == Decimal("214.99") and month.by_type["subscription"] == Decimal("9.99")
    assert both.by_type["tip"] == Decimal("1019.00")  # Sam's 20 and Raven's fan's 999


async def test_top_spenders_in_a_window_are_not_the_lifetime_ranking(engine: AsyncEngine) -> None:
    ledger = await _ledger(engine)
    this_month = resolve_window("this_month", tz="America/Los_Angeles", now=NOW)
    async with tenant_session(ledger.principal, engine=engine) as s:
        month = await analytics.top_spenders(s, ledger.principal, creator_ids=[ledger.mia], window=this_month)
        tips = await analytics.top_spenders(
            s, ledger.principal, creator_ids=[ledger.mia], window=this_month, kinds=["tip"], limit=1
        )
        ever = await analytics.top_spenders(
            s, ledger.principal, creator_ids=[ledger.mia],
            window=resolve_window("all_time", tz="America/Los_Angeles", now=NOW),
        )  # fmt: skip
    assert [(t.name, t.spent) for t in month] == [
        ("Tyler", Decimal("100.00")), ("Sam", Decimal("74.99")), ("Quinn", Decimal("40.00")),
    ]  # fmt: skip
    assert month[1].by_type == {
        "subscription": Decimal("9.99"), "tip": Decimal("50.00"), "ppv": Decimal("25.00"),
        "refund": Decimal("-10.00"),
    }  # fmt: skip
    assert month[1].lifetime_spend == Decimal("274.99")
    assert [(t.name, t.spent) for t in tips] == [("Tyler", Decimal("100.00"))]
    assert [t.name for t in ever] == ["Sam", "Tyler", "Quinn"]


async def test_subscriber_flow_and_fans_at_risk(engine: AsyncEngine) -> None:
    ledger = await _ledger(engine)
    async with tenant_session(ledger.principal, engine=engine) as s:
        flow = await analytics.subscription_flow(
            s, ledger.principal, creator_ids=[ledger.mia],
            window=resolve_window("last_week", tz="America/Los_Angeles", now=NOW), bucket="day", now=NOW,
        )  # fmt: skip
        by_spend = await analytics.at_risk_fans(s, ledger.principal, creator_ids=[ledger.mia])
        by_risk = await analytics.at_risk_fans(s, ledger.principal, creator_ids=[ledger.mia], order="risk")
        keep = await analytics.at_risk_fans(
            s, ledger.principal, creator_ids=[ledger.mia], subscribed_only=True, now=NOW
        )
    assert (flow.new, flow.expired, flow.renewed, flow.net_change, flow.active_now) == (1, 1, 0, 0, 1)
    assert sum(b.new for b in flow.buckets) == 1 and len(flow.buckets) == 7
    assert [(f.name, f.churn_risk, f.subscription_status) for f in by_spend] == [
        ("Tyler", 0.8, "expired"), ("Quinn", 0.9, None),
    ]  # fmt: skip
    assert [f.name for f in by_risk] == ["Quinn", "Tyler"]
    assert keep == []  # Tyler's subscription ended; Quinn never subscribed


async def test_reply_times_sla_breaches_and_who_waits(engine: AsyncEngine) -> None:
    ledger = await _ledger(engine)
    async with tenant_session(ledger.principal, engine=engine) as s:
        stats = await analytics.response_stats(
            s, ledger.principal, creator_ids=[ledger.mia],
            window=resolve_window("this_week", tz="America/Los_Angeles", now=NOW), now=NOW,
        )  # fmt: skip
    assert (stats.fan_turns, stats.replied, stats.within_sla, stats.breaches) == (3, 2, 1, 2)
    assert (stats.median_reply_minutes, stats.p90_reply_minutes) == (40.0, 64.0)
    assert (stats.unanswered_now, stats.unanswered_over_sla, stats.oldest_waiting_minutes) == (1, 1, 120.0)


async def test_best_ppv_price_points_from_history(engine: AsyncEngine) -> None:
    ledger = await _ledger(engine)
    async with tenant_session(ledger.principal, engine=engine) as s:
        points = await analytics.ppv_price_points(
            s, ledger.principal, creator_ids=[ledger.mia],
            window=resolve_window("this_month", tz="America/Los_Angeles", now=NOW),
        )  # fmt: skip
    assert [(p.price, p.purchases, p.revenue, p.offers_sent, p.unlocked) for p in points.points] == [
        (Decimal("25.00"), 2, Decimal("50.00"), 3, 1), (Decimal("15.00"), 1, Decimal("15.00"), 1, 0),
    ]  # fmt: skip
    assert points.points[0].unlock_rate == 0.333 and points.best_by_revenue == Decimal("25.00")
    assert points.best_by_unlock_rate == Decimal("25.00")


async def test_another_creator_numbers_are_neither_named_nor_counted(engine: AsyncEngine) -> None:
    ledger = await _ledger(engine)
    only_mia = Principal.for_creators(ledger.mia)
    window = resolve_window("this_week", tz="UTC", now=NOW)
    async with tenant_session(only_mia, engine=engine) as s:
        with pytest.raises(NotFound):
            await analytics.revenue(s, only_mia, creator_ids=[ledger.raven], window=window)
        with pytest.raises(NotFound):
            await analytics.top_spenders(s, only_mia, creator_ids=[ledger.mia, ledger.raven], window=window)
        with pytest.raises(NotFound):
            await analytics.creator_timezone(s, only_mia, creator_id=ledger.raven)
        # Even a principal that claims Raven's id gets nothing past row-level security.
        forged = Principal(creator_ids=frozenset({ledger.mia, ledger.raven}))
        await s.execute(
            sa.text("SELECT set_config('fanpilot.creator_ids', :ids, true)"), {"ids": f"{{{ledger.mia}}}"}
        )
        leaked = await analytics.revenue(s, forged, creator_ids=[ledger.raven], window=window)
        risky = await analytics.at_risk_fans(s, forged, creator_ids=[ledger.raven])
    assert leaked.net == 0 and leaked.by_type["tip"] == 0 and risky == []
