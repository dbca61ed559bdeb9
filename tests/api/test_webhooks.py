"""Signed webhooks: accepted when signed, refused (and not stored) otherwise, processed once."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api import worker
from api.routes.webhooks import MAX_BODY_BYTES
from core.db import tenant_session
from core.tenancy import SYSTEM, Principal, StaffRole
from crm.enums import ApprovalStatus, MessageDirection, SubscriptionStatus, WebhookStatus
from crm.fans import service as fans
from crm.fans.models import FanPlatformAccount
from crm.runtime.models import WebhookEvent
from crm.webhooks.mapping import html_to_text
from tests.api.conftest import SAMPLE_NAMES, Shop, clear_queue, drain_queue, make_login, make_shop, sign_in


async def stored_events(engine: AsyncEngine, shop: Shop) -> list[WebhookEvent]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        query = sa.select(WebhookEvent).where(WebhookEvent.creator_id == shop.creator_id)
        return list((await s.scalars(query)).all())


async def fan_by_platform_id(engine: AsyncEngine, shop: Shop, platform_fan_id: str) -> uuid.UUID:
    async with tenant_session(Principal.for_creators(shop.creator_id), engine=engine) as s:
        query = sa.select(FanPlatformAccount.fan_id).where(
            FanPlatformAccount.platform_fan_id == platform_fan_id
        )
        return (await s.scalars(query)).one()


async def process_all(engine: AsyncEngine, shop: Shop) -> list[str]:
    outcomes = []
    for event in sorted(await stored_events(engine, shop), key=lambda e: e.received_at):
        outcomes.append(await worker.process_webhook_event({"job_try": 1}, str(event.id)))
    return outcomes


@pytest.mark.parametrize("name", SAMPLE_NAMES)
async def test_every_sample_is_accepted_when_signed(
    client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop, name: str
) -> None:
    body = shop.body(name)
    response = await client.post("/webhooks/onlyfansapi", content=body, headers=shop.ofapi_headers(body))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"

    generic = await client.post("/webhooks/generic", content=body, headers=shop.standard_headers(body))
    assert generic.status_code == 200, generic.text

    events = await stored_events(engine, shop)
    assert {e.source for e in events} == {"onlyfansapi", "generic"}
    assert all(e.event_type == name and e.status == WebhookStatus.queued for e in events)
    assert events[0].payload == json.loads(body)


async def test_refused_deliveries_store_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop
) -> None:
    body = shop.body("messages.received")
    good = shop.ofapi_headers(body)

    bad_signature = {**good, "signature": "0" * 64}
    assert (
        await client.post("/webhooks/onlyfansapi", content=body, headers=bad_signature)
    ).status_code == 401
    tampered = body.replace(b"Boulder", b"Denver!")
    assert (await client.post("/webhooks/onlyfansapi", content=tampered, headers=good)).status_code == 401
    unsigned = {k: v for k, v in good.items() if k != "signature"}
    assert (await client.post("/webhooks/onlyfansapi", content=body, headers=unsigned)).status_code == 401
    other_secret = await make_shop(engine)
    wrong_key = other_secret.ofapi_headers(body)
    assert (await client.post("/webhooks/onlyfansapi", content=body, headers=wrong_key)).status_code == 401

    stale = shop.standard_headers(body, at=int(time.time()) - 6 * 60)
    assert (await client.post("/webhooks/generic", content=body, headers=stale)).status_code == 401
    future = shop.standard_headers(body, at=int(time.time()) + 6 * 60)
    assert (await client.post("/webhooks/generic", content=body, headers=future)).status_code == 401

    oversize = shop.body("messages.received", text="<p>" + "x" * MAX_BODY_BYTES + "</p>")
    response = await client.post(
        "/webhooks/onlyfansapi", content=oversize, headers=shop.ofapi_headers(oversize)
    )
    assert response.status_code == 413

    for malformed in (b"{not json", b"[1, 2]", json.dumps({"event": "messages.received"}).encode()):
        response = await client.post(
            "/webhooks/onlyfansapi", content=malformed, headers=shop.ofapi_headers(malformed)
        )
        assert response.status_code == 422, malformed
        response = await client.post(
            "/webhooks/generic", content=malformed, headers=shop.standard_headers(malformed)
        )
        assert response.status_code == 422, malformed

    assert await stored_events(engine, shop) == []


async def test_same_event_five_times_has_one_effect(
    client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop
) -> None:
    body = shop.body("messages.received")
    headers = shop.ofapi_headers(body)
    answers = [
        (await client.post("/webhooks/onlyfansapi", content=body, headers=headers)).json()["status"]
        for _ in range(5)
    ]
    assert answers == ["accepted"] + ["duplicate"] * 4
    events = await stored_events(engine, shop)
    assert len(events) == 1

    # The job itself may also run more than once (at-least-once delivery).
    assert await process_all(engine, shop) == ["processed"]
    assert await process_all(engine, shop) == ["already processed"]

    fan_id = await fan_by_platform_id(engine, shop, "99120311")
    async with tenant_session(Principal.for_creators(shop.creator_id), engine=engine) as s:
        messages = await fans.recent_messages(s, Principal.for_creators(shop.creator_id), fan_id=fan_id)
        dossier = await fans.get_dossier(s, Principal.for_creators(shop.creator_id), fan_id=fan_id)
    assert len(messages) == 1
    assert messages[0].direction == MessageDirection.inbound
    assert messages[0].text.startswith("hey babe 😊 just got back from my hike in Boulder")
    assert "<p>" not in messages[0].text
    assert dossier.display_name == "Mike"
    assert dossier.lifetime_spend == Decimal("412.50")


async def test_events_map_to_the_crm(client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop) -> None:
    for name in SAMPLE_NAMES:
        body = shop.body(name)
        assert (
            await client.post("/webhooks/onlyfansapi", content=body, headers=shop.ofapi_headers(body))
        ).is_success
    outcomes = await process_all(engine, shop)
    assert set(outcomes) == {"processed"}

    principal = Principal.for_creators(shop.creator_id)
    mike = await fan_by_platform_id(engine, shop, "99120311")
    sam = await fan_by_platform_id(engine, shop, "99455002")
    async with tenant_session(principal, engine=engine) as s:
        mike_dossier = await fans.get_dossier(s, principal, fan_id=mike)
        sam_dossier = await fans.get_dossier(s, principal, fan_id=sam)
        mike_money = await fans.list_transactions(s, principal, fan_id=mike)
    # tips.received and transactions.new describe the same $25 tip: it counts once.
    assert sorted((str(t.kind), t.amount) for t in mike_money) == [
        ("ppv", Decimal("12.00")),
        ("tip", Decimal("25.00")),
    ]
    assert mike_dossier.subscription is not None
    assert mike_dossier.subscription.status == SubscriptionStatus.expired
    assert sam_dossier.subscription is not None
    assert sam_dossier.subscription.status == SubscriptionStatus.active
    assert sam_dossier.display_name == "Sam"

    events = await stored_events(engine, shop)
    assert all(e.fan_id in (mike, sam) for e in events)


async def test_fansly_amounts_are_thousandths(
    client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop
) -> None:
    event = json.loads(shop.body("tips.received"))
    event["event"] = "fansly.tips.received"
    event["payload"]["amountGross"] = 25000
    event["payload"]["user"]["id"] = "712345678901234567"
    event["payload"]["fanData"]["spending"] = {"total": 25000, "tips": 25000}
    async with tenant_session(SYSTEM, engine=engine) as s:
        from crm.creators import service as creators
        from crm.enums import Platform

        await creators.create_connection(
            s, SYSTEM, creator_id=shop.creator_id, platform=Platform.fansly, account_id=shop.account_id,
            webhook_secret=shop.secret,
        )  # fmt: skip
    body = json.dumps(event).encode()
    assert (
        await client.post("/webhooks/onlyfansapi", content=body, headers=shop.ofapi_headers(body))
    ).is_success
    assert await process_all(engine, shop) == ["processed"]
    fan = await fan_by_platform_id(engine, shop, "712345678901234567")
    principal = Principal.for_creators(shop.creator_id)
    async with tenant_session(principal, engine=engine) as s:
        money = await fans.list_transactions(s, principal, fan_id=fan)
        dossier = await fans.get_dossier(s, principal, fan_id=fan)
    assert [t.amount for t in money] == [Decimal("25.00")]
    assert dossier.lifetime_spend == Decimal("25.00")


async def test_sweeper_enqueues_events_never_processed(
    engine: AsyncEngine, shop: Shop, owner_engine: AsyncEngine
) -> None:
    from datetime import UTC, datetime, timedelta

    from crm.webhooks import store

    async with tenant_session(SYSTEM, engine=engine) as s:
        event_id = await store.store_event(
            s, source="onlyfansapi", idempotency_key=f"evt_{uuid.uuid4().hex}", event_type="messages.received",
            payload=json.loads(shop.body("messages.received")), creator_id=shop.creator_id,
            connection_id=(await stored_connection(s, shop)),
        )  # fmt: skip
        assert event_id is not None
        await s.execute(
            sa.update(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .values(updated_at=datetime.now(UTC) - timedelta(minutes=10))
        )
    assert await worker.sweep_webhooks({}) >= 1
    from core.queue import get_queue

    queued = await (await get_queue()).queued_jobs()
    assert any(job.function == "process_webhook_event" and job.args == (str(event_id),) for job in queued)


async def stored_connection(session: object, shop: Shop) -> uuid.UUID:
    from crm.creators.models import PlatformConnection

    assert hasattr(session, "scalars")
    query = sa.select(PlatformConnection.id).where(PlatformConnection.account_id == shop.account_id)
    return (await session.scalars(query)).first()  # type: ignore[no-any-return]


def test_html_to_text() -> None:
    assert html_to_text("<p>hi &amp; bye</p><p>second<br>line</p>") == "hi & bye\nsecond\nline"


async def test_webhook_run_puts_a_pending_draft_in_the_inbox(
    client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop
) -> None:
    await clear_queue()
    for name in ("messages.received", "subscriptions.new"):
        body = shop.body(name)
        assert (
            await client.post("/webhooks/onlyfansapi", content=body, headers=shop.ofapi_headers(body))
        ).is_success
    await drain_queue()

    _, email = await make_login(engine, shop.tenant, role=StaffRole.chatter, creator_ids=(shop.creator_id,))
    await sign_in(client, email)
    items = (await client.get("/api/inbox/items")).json()["items"]
    assert sorted(i["fan"]["display_name"] for i in items) == ["Mike", "Sam"]
    mike = next(i for i in items if i["fan"]["display_name"] == "Mike")
    detail = (await client.get(f"/api/inbox/items/{mike['id']}")).json()
    assert detail["status"] == "pending"
    assert detail["conversation"][-1]["text"].startswith("hey babe")
    assert detail["proposed_args"]["text"]

    # Mike writes again before anyone answered: the pending draft is replaced, not duplicated.
    again = shop.body("messages.received", id=4123456790, text="<p>also, do you like trail running?</p>")
    assert (
        await client.post("/webhooks/onlyfansapi", content=again, headers=shop.ofapi_headers(again))
    ).is_success
    await drain_queue()
    items = (await client.get("/api/inbox/items")).json()["items"]
    mikes = [i for i in items if i["fan"]["display_name"] == "Mike"]
    assert len(mikes) == 1 and mikes[0]["id"] != mike["id"]
    async with tenant_session(SYSTEM, engine=engine) as s:
        from crm.approvals import service as approvals

        old = await approvals.get_item(s, SYSTEM, item_id=uuid.UUID(mike["id"]))
    assert old.status == ApprovalStatus.superseded
