"""The fan CRM service on the real database, under row-level security."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.errors import NotFound, ValidationFailed
from crm.enums import CustomRequestStatus, Platform, SpendTier
from crm.fans import service as fans
from crm.fans.models import FanIdentityLink, FanPlatformAccount, FanProfile
from crm.fans.spend import tier_for
from tests.factories import Tenant, make_tenant

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def tenant(engine: AsyncEngine) -> Tenant:
    return await make_tenant(engine, creators=2)


async def _fan(engine: AsyncEngine, tenant: Tenant, pfid: str = "1001", **kw: object) -> uuid.UUID:
    async with tenant_session(tenant.principal(), engine=engine) as s:
        fan, _, _ = await fans.upsert_fan_from_platform(
            s,
            tenant.principal(),
            creator_id=tenant.creator_id,
            platform="onlyfans",
            platform_fan_id=pfid,
            **kw,
        )  # type: ignore[arg-type]
        return fan.id


@pytest.mark.parametrize(
    ("amount", "tier"),
    [
        ("0", "new"),
        ("0.01", "low"),
        ("49.99", "low"),
        ("50", "mid"),
        ("249.99", "mid"),
        ("250", "high"),
        ("999.99", "high"),
        ("1000", "whale"),
        ("-5", "new"),
    ],
)
def test_spend_tier_thresholds(amount: str, tier: str) -> None:
    assert tier_for(Decimal(amount)) == SpendTier(tier)


async def test_upsert_dedups_on_platform_fan_id(engine: AsyncEngine, tenant: Tenant) -> None:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        f1, a1, c1 = await fans.upsert_fan_from_platform(
            s,
            p,
            creator_id=tenant.creator_id,
            platform="onlyfans",
            platform_fan_id="99120311",
            username="mike",
        )
        f2, a2, c2 = await fans.upsert_fan_from_platform(
            s,
            p,
            creator_id=tenant.creator_id,
            platform=Platform.onlyfans,
            platform_fan_id="99120311",
            display_name="Mike",
        )
        f3, _, c3 = await fans.upsert_fan_from_platform(
            s, p, creator_id=tenant.creator_id, platform="fansly", platform_fan_id="99120311"
        )
        f4, _, c4 = await fans.upsert_fan_from_platform(
            s, p, creator_id=tenant.creator_ids[1], platform="onlyfans", platform_fan_id="99120311"
        )
    assert (c1, c2, c3, c4) == (True, False, True, True)
    assert f1.id == f2.id and a1.id == a2.id
    assert f3.id != f1.id and f4.id not in (f1.id, f3.id)
    assert f1.display_name == "mike" and a2.display_name == "Mike"
    async with tenant_session(p, engine=engine) as s:
        links = (await s.scalars(select(FanIdentityLink).where(FanIdentityLink.fan_id == f1.id))).all()
        assert [(link.platform_account_id, link.method) for link in links] == [(a1.id, "first_seen")]
        count = await s.scalar(
            select(func.count())
            .select_from(FanPlatformAccount)
            .where(FanPlatformAccount.platform_fan_id == "99120311")
        )
        assert count == 3


async def test_concurrent_upserts_of_one_account_make_one_fan(engine: AsyncEngine, tenant: Tenant) -> None:
    p = tenant.principal()

    async def upsert() -> tuple[uuid.UUID, bool]:
        async with tenant_session(p, engine=engine) as s:
            fan, _, created = await fans.upsert_fan_from_platform(
                s,
                p,
                creator_id=tenant.creator_id,
                platform="onlyfans",
                platform_fan_id="race-1",
                username="racer",
            )
            return fan.id, created

    results = await asyncio.gather(*(upsert() for _ in range(6)))
    assert len({fid for fid, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    async with tenant_session(p, engine=engine) as s:
        assert (
            await s.scalar(
                select(func.count()).select_from(FanProfile).where(FanProfile.creator_id == tenant.creator_id)
            )
            == 1
        )


async def test_log_message_is_idempotent_and_tracks_activity(engine: AsyncEngine, tenant: Tenant) -> None:
    p = tenant.principal()
    fan_id = await _fan(engine, tenant)
    async with tenant_session(p, engine=engine) as s:
        m1 = await fans.log_message(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            direction="inbound",
            sender="fan",
            text="hey babe",
            sent_at=T0,
            platform_message_id="4123456789",
        )
        again = await fans.log_message(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            direction="inbound",
            sender="fan",
            text="hey babe",
            sent_at=T0 + timedelta(hours=5),
            platform_message_id="4123456789",
        )
        await fans.log_message(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            direction="outbound",
            sender="creator",
            text="hi love",
            sent_at=T0 + timedelta(minutes=3),
        )
        # An older message arriving late does not move activity back.
        await fans.log_message(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            direction="inbound",
            sender="fan",
            text="earlier",
            sent_at=T0 - timedelta(days=1),
            platform_message_id="4123456000",
        )
    assert again.id == m1.id
    async with tenant_session(p, engine=engine) as s:
        msgs = await fans.recent_messages(s, p, fan_id=fan_id)
        fan = await fans.get_fan(s, p, fan_id=fan_id)
        last_two = await fans.recent_messages(s, p, fan_id=fan_id, limit=2)
    assert [m.text for m in msgs] == ["earlier", "hey babe", "hi love"]
    assert [m.text for m in last_two] == ["hey babe", "hi love"]
    assert fan.last_inbound_at == T0 and fan.last_active_at == T0
    assert fan.last_outbound_at == T0 + timedelta(minutes=3)


async def test_transactions_roll_up_spend_tiers_and_refunds(engine: AsyncEngine, tenant: Tenant) -> None:
    p = tenant.principal()
    fan_id = await _fan(engine, tenant)
    cid = tenant.creator_id

    async def txn(kind: str, amount: str, ext: str | None, day: int, platform: str = "onlyfans") -> object:
        async with tenant_session(p, engine=engine) as s:
            return await fans.record_transaction(
                s,
                p,
                creator_id=cid,
                fan_id=fan_id,
                platform=platform,
                kind=kind,
                amount=amount,
                external_id=ext,
                occurred_at=T0 + timedelta(days=day),
            )

    async def state() -> FanProfile:
        async with tenant_session(p, engine=engine) as s:
            return await fans.get_fan(s, p, fan_id=fan_id)

    assert (await state()).spend_tier == SpendTier.new
    await txn("subscription", "9.99", "t1", 0)
    f = await state()
    assert (f.lifetime_spend, f.spend_tier) == (Decimal("9.99"), SpendTier.low)
    await txn("tip", "40.01", "t2", 1)
    f = await state()
    assert (f.lifetime_spend, f.spend_tier) == (Decimal("50.00"), SpendTier.mid)
    assert await txn("tip", "40.01", "t2", 1) is None  # webhook retry: no second effect
    await txn("ppv", "200", "t3", 2, platform="fansly")
    f = await state()
    assert (f.lifetime_spend, f.spend_tier) == (Decimal("250.00"), SpendTier.high)
    await txn("refund", "30", "t4", 3)  # positive amount, still subtracts
    f = await state()
    assert (f.lifetime_spend, f.spend_tier) == (Decimal("220.00"), SpendTier.mid)
    assert f.spend_by_kind == {"ppv": 200.0, "refund": -30.0, "subscription": 9.99, "tip": 40.01}
    assert f.last_purchase_at == T0 + timedelta(days=2)  # a refund is not a purchase
    await txn("custom", "780", None, 4)
    f = await state()
    assert (f.lifetime_spend, f.spend_tier) == (Decimal("1000.00"), SpendTier.whale)
    async with tenant_session(p, engine=engine) as s:
        listed = await fans.list_transactions(s, p, fan_id=fan_id)
    assert [str(t.amount) for t in listed] == ["780.00", "-30.00", "200.00", "40.01", "9.99"]
    with pytest.raises(ValidationFailed, match="refund"):
        await txn("tip", "-5", None, 5)
    with pytest.raises(ValidationFailed, match="transaction kind"):
        await txn("bribe", "5", None, 5)


async def test_platform_spend_is_authoritative_when_higher(engine: AsyncEngine, tenant: Tenant) -> None:
    p = tenant.principal()
    cid = tenant.creator_id
    spending = {
        "total": 412.5,
        "messages": 260.0,
        "subscribes": 59.97,
        "posts": 0,
        "tips": 92.53,
        "streams": 0,
    }
    async with tenant_session(p, engine=engine) as s:
        fan, account, _ = await fans.upsert_fan_from_platform(
            s, p, creator_id=cid, platform="onlyfans", platform_fan_id="99120311", platform_spend=spending
        )
    assert (fan.lifetime_spend, fan.spend_tier) == (Decimal("412.50"), SpendTier.high)
    assert fan.spend_by_kind == {"ppv": 260.0, "subscription": 59.97, "tip": 92.53}
    async with tenant_session(p, engine=engine) as s:
        # Our ledger holds $125 of tips, more than the platform's $92.53: the ledger wins for tips.
        await fans.record_transaction(
            s, p, creator_id=cid, fan_id=fan.id, platform="onlyfans", kind="tip", amount=125, external_id="x1"
        )
        f = await fans.get_fan(s, p, fan_id=fan.id)
        assert f.lifetime_spend == Decimal("444.97")  # 260 + 59.97 + 125, above the reported total
        # The platform's next figure includes that tip and a stream we never saw: it wins again.
        spending2 = {**spending, "total": 600.0, "tips": 125.0, "streams": 20.0}
        f = await fans.sync_platform_spend(
            s, p, fan_id=fan.id, platform_account_id=account.id, spending=spending2
        )
        assert f.spend_by_kind == {
            "ppv": 260.0,
            "subscription": 59.97,
            "tip": 125.0,
            "stream": 20.0,
            "other": 135.03,
        }
        assert (f.lifetime_spend, f.spend_tier) == (Decimal("600.00"), SpendTier.high)


async def test_tags_notes_scores_requests_and_dossier(engine: AsyncEngine, tenant: Tenant) -> None:
    p = tenant.principal()
    cid = tenant.creator_id
    fan_id = await _fan(engine, tenant, username="trailrunner_mike", display_name="Mike")
    async with tenant_session(p, engine=engine) as s:
        await fans.add_tag(s, p, fan_id=fan_id, tag="Gamer")
        await fans.add_tag(s, p, fan_id=fan_id, tag="night owl", source="agent")
        t = await fans.add_tag(s, p, fan_id=fan_id, tag="gamer", value="ps5", source="rule")
        assert (t.tag, t.value, t.source) == ("gamer", "ps5", "rule")
        assert await fans.remove_tag(s, p, fan_id=fan_id, tag="night-owl") is True
        assert await fans.remove_tag(s, p, fan_id=fan_id, tag="night-owl") is False
        await fans.add_note(s, p, fan_id=fan_id, body="Lives in Boulder, hikes on weekends", pinned=True)
        await fans.add_note(s, p, fan_id=fan_id, body="Asked about a custom video")
        await fans.set_score(s, p, fan_id=fan_id, kind="churn_risk", value=0.3)
        await fans.set_score(s, p, fan_id=fan_id, kind="churn_risk", value=0.7)
        with pytest.raises(ValidationFailed, match="between 0 and 1"):
            await fans.set_score(s, p, fan_id=fan_id, kind="engagement", value=1.5)
        req = await fans.create_custom_request(s, p, fan_id=fan_id, description="5 min cosplay video")
        assert req.status == CustomRequestStatus.requested
        req = await fans.update_custom_request_price(s, p, request_id=req.id, price="45")
        assert (req.status, req.price) == (CustomRequestStatus.quoted, Decimal("45.00"))
        await fans.record_transaction(
            s, p, creator_id=cid, fan_id=fan_id, platform="onlyfans", kind="tip", amount=20
        )
    async with tenant_session(p, engine=engine) as s:
        d = await fans.get_dossier(s, p, fan_id=fan_id)
        assert [(x.tag, x.value) for x in d.tags] == [("gamer", "ps5")]
        assert d.scores == {"churn_risk": 0.7}
        assert [n.body for n in d.pinned_notes] == ["Lives in Boulder, hikes on weekends"]
        assert [n.body for n in d.recent_notes] == ["Asked about a custom video"]
        assert [(r.description, r.price) for r in d.open_custom_requests] == [
            ("5 min cosplay video", Decimal("45.00"))
        ]
        assert (d.display_name, d.lifetime_spend, d.spend_tier) == ("Mike", Decimal("20.00"), SpendTier.low)
        assert d.spend_by_kind == {"tip": Decimal("20.00")}
        assert [a.username for a in d.platform_accounts] == ["trailrunner_mike"]
        assert d.subscription is None
        assert [f.id for f in await fans.search_fans_by_name(s, p, creator_id=cid, query="TRAILRUN")] == [
            fan_id
        ]
        assert [f.id for f in await fans.search_fans_by_name(s, p, creator_id=cid, query="mik")] == [fan_id]
        assert await fans.search_fans_by_name(s, p, creator_id=cid, query="%") == []
        assert [f.id for f in await fans.list_fans(s, p, creator_id=cid, tier="low", tag="gamer")] == [fan_id]
        assert await fans.list_fans(s, p, creator_id=cid, tier="whale") == []


async def test_another_creators_principal_cannot_see_or_touch_fans(engine: AsyncEngine) -> None:
    a = await make_tenant(engine)
    b = await make_tenant(engine)
    fan_id = await _fan(engine, a, username="secret_fan")
    pb = b.principal()
    async with tenant_session(pb, engine=engine) as s:
        with pytest.raises(NotFound):
            await fans.get_dossier(s, pb, fan_id=fan_id)
        with pytest.raises(NotFound):
            await fans.add_note(s, pb, fan_id=fan_id, body="hi")
        with pytest.raises(NotFound):
            await fans.record_transaction(
                s, pb, creator_id=a.creator_id, fan_id=fan_id, platform="onlyfans", kind="tip", amount=5
            )
        with pytest.raises(NotFound):
            await fans.upsert_fan_from_platform(
                s, pb, creator_id=a.creator_id, platform="onlyfans", platform_fan_id="1001"
            )
        assert await fans.search_fans_by_name(s, pb, creator_id=a.creator_id, query="secret") == []
        assert await fans.list_fans(s, pb, creator_id=a.creator_id) == []
        assert await fans.recent_messages(s, pb, fan_id=fan_id) == []
    pa = a.principal()
    async with tenant_session(pa, engine=engine) as s:
        assert (await fans.get_dossier(s, pa, fan_id=fan_id)).id == fan_id


async def test_get_platform_account_is_the_first_account_seen(engine: AsyncEngine) -> None:
    a = await make_tenant(engine)
    b = await make_tenant(engine)
    pa = a.principal()
    fan_id = await _fan(engine, a, pfid="of-1", username="mike_of")
    async with tenant_session(pa, engine=engine) as s:
        # Linked later, but seen on Fansly long before we were connected to OnlyFans.
        older = FanPlatformAccount(
            id=uuid.uuid4(),
            creator_id=a.creator_id,
            fan_id=fan_id,
            platform=Platform.fansly,
            platform_fan_id="fy-7",
            username="mike_fy",
            created_at=datetime(2020, 1, 1, tzinfo=UTC),
        )
        s.add(older)
        lonely = FanProfile(id=uuid.uuid4(), creator_id=a.creator_id, display_name="No account yet")
        s.add(lonely)
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    async with tenant_session(pa, engine=engine) as s:
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            account = await fans.get_platform_account(s, pa, fan_id=fan_id)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert len(statements) == 1  # the executor's lookup, not the whole dossier
        assert account is not None
        assert (account.id, account.platform, account.platform_fan_id) == (older.id, Platform.fansly, "fy-7")
        dossier = await fans.get_dossier(s, pa, fan_id=fan_id)
        assert [x.platform_fan_id for x in dossier.platform_accounts] == ["fy-7", "of-1"]
        assert await fans.get_platform_account(s, pa, fan_id=lonely.id) is None
        assert await fans.get_platform_account(s, pa, fan_id=uuid.uuid4()) is None
    pb = b.principal()
    async with tenant_session(pb, engine=engine) as s:
        assert await fans.get_platform_account(s, pb, fan_id=fan_id) is None


async def test_losing_an_upsert_race_leaves_no_orphan_profile(engine: AsyncEngine, tenant: Tenant) -> None:
    p = tenant.principal()

    async def upsert() -> tuple[uuid.UUID, bool]:
        async with tenant_session(p, engine=engine) as s:
            fan, _, created = await fans.upsert_fan_from_platform(
                s, p, creator_id=tenant.creator_id, platform="onlyfans", platform_fan_id="race-2"
            )
            return fan.id, created

    async def blocked_backends() -> int:
        async with engine.connect() as conn:
            count = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND query ILIKE '%fan_platform_accounts%'"
                )
            )
            return int(count or 0)

    # The first upsert holds its new account uncommitted while the second one reaches the same
    # INSERT … ON CONFLICT and waits on it: the second has already inserted a profile of its own.
    async with tenant_session(p, engine=engine) as first:
        winner, _, created_first = await fans.upsert_fan_from_platform(
            first, p, creator_id=tenant.creator_id, platform="onlyfans", platform_fan_id="race-2"
        )
        loser = asyncio.create_task(upsert())
        for _ in range(200):
            if await blocked_backends():
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the second upsert never waited on the first")
    loser_fan, created_second = await loser
    assert (created_first, created_second) == (True, False)
    assert loser_fan == winner.id
    async with tenant_session(p, engine=engine) as s:
        profiles = await s.scalar(
            select(func.count()).select_from(FanProfile).where(FanProfile.creator_id == tenant.creator_id)
        )
    assert profiles == 1


async def test_list_notes_puts_pinned_first_then_newest(engine: AsyncEngine, tenant: Tenant) -> None:
    p = tenant.principal()
    fan_id = await _fan(engine, tenant)
    for body, pinned in [("old pinned", True), ("older", False), ("newer", False)]:
        async with tenant_session(p, engine=engine) as s:  # one transaction each: distinct created_at
            await fans.add_note(s, p, fan_id=fan_id, body=body, pinned=pinned)
    async with tenant_session(p, engine=engine) as s:
        assert [n.body for n in await fans.list_notes(s, p, fan_id=fan_id)] == [
            "old pinned",
            "newer",
            "older",
        ]
        assert [n.body for n in await fans.list_notes(s, p, fan_id=fan_id, limit=2)] == [
            "old pinned",
            "newer",
        ]
