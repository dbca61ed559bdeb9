"""The demo seed on fresh databases: what a first `fanpilot up` shows a new user."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from core import embedded
from core.db import _with_credentials, make_engine, tenant_session
from core.errors import Conflict
from core.settings import Settings
from core.tenancy import SYSTEM, Principal
from crm import demo
from crm.accounts.models import Agency, StaffCreatorAccess, StaffUser
from crm.creators import service as creator_service
from crm.creators.models import CreatorProfile, PlatformConnection
from crm.fans import service as fans
from crm.fans.models import FanMessage, FanProfile, FanTransaction
from crm.fans.spend import tier_for
from crm.segments import service as segments
from migrations import runner
from tests.conftest import ProvisionedDatabase, _replace_db


@asynccontextmanager
async def fresh_database(test_db: ProvisionedDatabase, settings: Settings) -> AsyncIterator[AsyncEngine]:
    name = f"{test_db.name}_demo_{uuid.uuid4().hex[:6]}"
    embedded.ensure_database(test_db.admin_url, name)
    owner = _replace_db(test_db.urls.owner, name)
    runner.upgrade(owner)
    engine = make_engine(
        _with_credentials(owner, settings.app_db_role, settings.app_db_password.get_secret_value()),
        pool_size=2,
    )
    try:
        yield engine
    finally:
        await engine.dispose()
        embedded.drop_database(test_db.admin_url, name)


async def _scalar(engine: AsyncEngine, stmt: sa.Select[tuple[int]]) -> int:
    async with tenant_session(SYSTEM, engine=engine) as s:
        return int(await s.scalar(stmt) or 0)


async def test_seed_if_empty_creates_the_demo_once(test_db: ProvisionedDatabase, settings: Settings) -> None:
    stages: list[str] = []
    report: Callable[[str, int, int], None] = lambda stage, done, total: stages.append(stage)  # noqa: E731
    async with fresh_database(test_db, settings) as engine:
        summary = await demo.seed_if_empty(engine, fans=30, progress=report)
        assert summary is not None
        assert {"fans", "segments"} <= set(stages)
        assert (summary.fans, summary.platform_accounts, summary.subscriptions) == (30, 30, 30)
        assert 90 <= summary.messages <= 240 and summary.transactions >= 30 and summary.notes > 0

        async with tenant_session(SYSTEM, engine=engine) as s:
            agency = (await s.scalars(sa.select(Agency))).one()
            assert agency.name == "Velvet Agency"
            creators = (
                await s.scalars(sa.select(CreatorProfile).order_by(CreatorProfile.display_name))
            ).all()
            assert [c.display_name for c in creators] == ["Mia Moon", "Raven Black"]
            mia, raven = creators
            assert set(mia.restricted_words) == {"whatsapp", "paypal", "snapchat"}
            assert (mia.ppv_price_min, mia.ppv_price_max, raven.ppv_price_min, raven.ppv_price_max) == (
                10,
                50,
                15,
                80,
            )
            conns = {c.account_id: c for c in (await s.scalars(sa.select(PlatformConnection))).all()}
            assert set(conns) == {"acct_7f3c2a91", "acct_5b81e0d4"}
            assert (conns["acct_7f3c2a91"].creator_id, conns["acct_7f3c2a91"].platform_user_id) == (
                mia.id,
                "318845120",
            )
            for conn in conns.values():
                secret = creator_service.webhook_secret_for(conn)
                assert secret == settings.demo_webhook_secret.get_secret_value()
            staff = {u.email: u for u in (await s.scalars(sa.select(StaffUser))).all()}
            assert set(staff) == {
                "owner@demo.fanpilot.test",
                "manager@demo.fanpilot.test",
                "chatter@demo.fanpilot.test",
                "creator@demo.fanpilot.test",
            }
            # Mia Moon's own login is bound to her profile and nothing else.
            creator_login = staff["creator@demo.fanpilot.test"]
            assert (creator_login.role, creator_login.creator_id) == ("creator", mia.id)
            for user in staff.values():
                assert PasswordHasher().verify(user.password_hash or "", "fanpilot-demo")
            chatter_access = (
                await s.scalars(
                    sa.select(StaffCreatorAccess.creator_id).where(
                        StaffCreatorAccess.staff_user_id == staff["chatter@demo.fanpilot.test"].id
                    )
                )
            ).all()
            assert chatter_access == [mia.id]

            # Rollups agree with the ledger and the tier rules; the sample webhook's fan exists.
            ledger = dict(
                (
                    await s.execute(
                        sa.select(FanTransaction.fan_id, sa.func.sum(FanTransaction.amount)).group_by(
                            FanTransaction.fan_id
                        )
                    )
                ).all()
            )
            all_fans = (await s.scalars(sa.select(FanProfile))).all()
            for fan in all_fans:
                assert fan.lifetime_spend >= ledger.get(fan.id, 0)
                assert fan.spend_tier == tier_for(fan.lifetime_spend)
            assert {f.creator_id for f in all_fans} == {mia.id, raven.id}
            mike = await fans.get_fan_by_platform_id(
                s, SYSTEM, creator_id=mia.id, platform="onlyfans", platform_fan_id="99120311"
            )
            assert mike is not None and mike.display_name == "Mike"

            for creator in creators:
                listed = await segments.list_segments(s, SYSTEM, creator_id=creator.id)
                assert {x.name for x in listed} == {"Whales", "At risk", "Expired in the last 30 days"}
                for seg in listed:
                    preview = await segments.preview_segment(
                        s, SYSTEM, creator_id=creator.id, rules=seg.rules
                    )
                    assert seg.member_count == preview and seg.refreshed_at is not None

        # The chatter's principal (Mia only) sees only Mia's fans.
        chatter = Principal(creator_ids=frozenset({mia.id}), agency_id=agency.id)
        async with tenant_session(chatter, engine=engine) as s:
            visible = (await s.scalars(sa.select(FanProfile.creator_id))).all()
            assert visible and set(visible) == {mia.id}
            assert await fans.list_fans(s, chatter, creator_id=raven.id) == []

        before = await _scalar(engine, sa.select(sa.func.count()).select_from(FanMessage))
        assert await demo.seed_if_empty(engine, fans=30) is None
        assert set(await demo.demo_creator_ids(engine)) == set(summary.creator_ids)
        with pytest.raises(Conflict):
            await demo.seed_demo(engine, fans=5)
        assert await _scalar(engine, sa.select(sa.func.count()).select_from(FanMessage)) == before
        assert await _scalar(engine, sa.select(sa.func.count()).select_from(Agency)) == 1

        # The same content again on another fresh database (times are relative to "now").
        async with fresh_database(test_db, settings) as other:
            await demo.seed_demo(other, fans=30)
            assert await _texts(other) == await _texts(engine)


async def _texts(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.execute(
            sa.select(FanProfile.display_name, FanMessage.text).join(
                FanProfile, FanProfile.id == FanMessage.fan_id
            )
        )
        return sorted((name, text) for name, text in rows.all())
