"""Subscription state transitions and the append-only ledger behind them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from crm.enums import SubscriptionStatus
from crm.fans import service as fans
from crm.fans import subscriptions as subs
from tests.factories import Tenant, make_tenant

T0 = datetime(2026, 10, 1, tzinfo=UTC)


async def _account(engine: AsyncEngine, tenant: Tenant) -> tuple[uuid.UUID, uuid.UUID]:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        fan, acct, _ = await fans.upsert_fan_from_platform(
            s, p, creator_id=tenant.creator_id, platform="onlyfans", platform_fan_id=uuid.uuid4().hex[:8]
        )
        return fan.id, acct.id


async def test_transitions_and_ledger(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    p = tenant.principal()
    fan_id, acct_id = await _account(engine, tenant)

    async def apply(event: str, at: datetime, **kw: object) -> subs.FanSubscription:
        async with tenant_session(p, engine=engine) as s:
            return await subs.apply_subscription_event(
                s,
                p,
                creator_id=tenant.creator_id,
                fan_id=fan_id,
                platform_account_id=acct_id,
                event_type=event,
                occurred_at=at,
                **kw,  # type: ignore[arg-type]
            )

    sub = await apply("new", T0, price=9.99)
    assert (sub.status, sub.price, sub.started_at) == (SubscriptionStatus.active, Decimal("9.99"), T0)
    assert sub.expires_at == T0 + timedelta(days=30) and sub.renews_at == sub.expires_at
    sub = await apply("renewed", T0 + timedelta(days=30), expires_at=T0 + timedelta(days=60))
    assert (sub.status, sub.renewal_count, sub.expires_at) == (
        SubscriptionStatus.active,
        1,
        T0 + timedelta(days=60),
    )
    assert sub.started_at == T0
    sub = await apply("cancelled", T0 + timedelta(days=40))
    assert (sub.status, sub.auto_renew, sub.renews_at) == (SubscriptionStatus.cancelled, False, None)
    assert sub.expires_at == T0 + timedelta(days=60)
    sub = await apply("expired", T0 + timedelta(days=60))
    assert (sub.status, sub.expires_at) == (SubscriptionStatus.expired, T0 + timedelta(days=60))
    # A late duplicate and a late old event are ledgered at most once and do not move the state back.
    sub = await apply("expired", T0 + timedelta(days=60))
    sub = await apply("renewed", T0 + timedelta(days=45))
    assert sub.status == SubscriptionStatus.expired
    sub = await apply("reactivated", T0 + timedelta(days=70), price=12)
    assert (sub.status, sub.price, sub.started_at, sub.auto_renew) == (
        SubscriptionStatus.active,
        Decimal("12.00"),
        T0 + timedelta(days=70),
        True,
    )
    async with tenant_session(p, engine=engine) as s:
        ledger = await subs.list_subscription_events(s, p, fan_id=fan_id)
        dossier = await fans.get_dossier(s, p, fan_id=fan_id)
    assert [(e.event_type, (e.occurred_at - T0).days) for e in ledger] == [
        ("new", 0),
        ("renewed", 30),
        ("cancelled", 40),
        ("renewed", 45),
        ("expired", 60),
        ("reactivated", 70),
    ]
    assert ledger[0].amount == Decimal("9.99")
    assert dossier.subscription is not None and dossier.subscription.status == SubscriptionStatus.active

    # The ledger is append-only for the app.
    with pytest.raises(DBAPIError, match="append-only"):
        async with tenant_session(p, engine=engine) as s:
            await s.execute(text("DELETE FROM fan_subscription_events WHERE fan_id = :f"), {"f": fan_id})


async def test_first_event_for_an_unknown_subscription_sets_state(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    p = tenant.principal()
    fan_id, acct_id = await _account(engine, tenant)
    async with tenant_session(p, engine=engine) as s:
        sub = await subs.apply_subscription_event(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            platform_account_id=acct_id,
            event_type="expired",
            occurred_at=T0,
        )
    assert (sub.status, sub.expires_at, sub.started_at) == (SubscriptionStatus.expired, T0, T0)
