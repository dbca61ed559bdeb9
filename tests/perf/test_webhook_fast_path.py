"""The webhook fast path (cached secrets, one transaction, one-round-trip enqueue) keeps every guarantee:
a changed or removed secret takes effect on the very next delivery, nothing unsigned is stored, and
a delivery is queued exactly once — or left for the sweeper when Redis is unreachable."""

from __future__ import annotations

import uuid

import httpx
import pytest
import sqlalchemy as sa
from arq.connections import RedisSettings
from sqlalchemy.ext.asyncio import AsyncEngine

from core import queue
from core.db import tenant_session
from core.tenancy import SYSTEM
from crm.creators import service as creators
from crm.creators.models import PlatformConnection
from crm.enums import WebhookStatus
from crm.runtime.models import WebhookEvent
from tests.api.conftest import Shop


async def _events(engine: AsyncEngine, shop: Shop) -> list[WebhookEvent]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        query = sa.select(WebhookEvent).where(WebhookEvent.creator_id == shop.creator_id)
        return list((await s.scalars(query)).all())


async def _connection_id(engine: AsyncEngine, shop: Shop) -> uuid.UUID:
    async with tenant_session(SYSTEM, engine=engine) as s:
        query = sa.select(PlatformConnection.id).where(PlatformConnection.account_id == shop.account_id)
        return (await s.scalars(query)).one()


async def _deliver(client: httpx.AsyncClient, shop: Shop, *, secret: str | None = None) -> httpx.Response:
    body = shop.body("messages.received", id=uuid.uuid4().int % 10**9)
    signer = Shop(tenant=shop.tenant, account_id=shop.account_id, secret=secret or shop.secret)
    return await client.post("/webhooks/onlyfansapi", content=body, headers=signer.ofapi_headers(body))


async def _set_secret(engine: AsyncEngine, shop: Shop, secret: str | None) -> None:
    connection_id = await _connection_id(engine, shop)
    async with tenant_session(SYSTEM, engine=engine) as s:
        await creators.set_connection_secrets(
            s, SYSTEM, connection_id=connection_id, webhook_secret=secret, clear_webhook_secret=secret is None
        )


async def test_a_changed_secret_applies_to_the_next_delivery(
    client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop
) -> None:
    assert (await _deliver(client, shop)).json()["status"] == "accepted"  # the secret is now cached
    new_secret = f"whsec-rotated-{uuid.uuid4().hex}"
    await _set_secret(engine, shop, new_secret)

    assert (await _deliver(client, shop)).status_code == 401
    assert (await _deliver(client, shop, secret=new_secret)).json()["status"] == "accepted"
    assert (await _deliver(client, shop)).status_code == 401
    assert len(await _events(engine, shop)) == 2


async def test_a_cleared_secret_or_removed_connection_refuses_the_next_delivery(
    client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop
) -> None:
    assert (await _deliver(client, shop)).status_code == 200
    await _set_secret(engine, shop, None)
    assert (await _deliver(client, shop)).status_code == 401

    await _set_secret(engine, shop, shop.secret)
    assert (await _deliver(client, shop)).status_code == 200
    connection_id = await _connection_id(engine, shop)
    async with tenant_session(SYSTEM, engine=engine) as s:
        await s.execute(sa.delete(PlatformConnection).where(PlatformConnection.id == connection_id))
    assert (await _deliver(client, shop)).status_code == 401
    assert len(await _events(engine, shop)) == 2


async def test_the_same_secret_sealed_again_still_verifies(
    client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop
) -> None:
    """Re-sealing (a vault key rotation does the same) changes the envelope, not the secret."""
    body = shop.body("messages.received")
    headers = shop.ofapi_headers(body)
    assert (await client.post("/webhooks/onlyfansapi", content=body, headers=headers)).status_code == 200
    await _set_secret(engine, shop, shop.secret)
    again = await client.post("/webhooks/onlyfansapi", content=body, headers=headers)
    assert again.json()["status"] == "duplicate"
    assert (await _deliver(client, shop)).json()["status"] == "accepted"
    assert len(await _events(engine, shop)) == 2


async def test_a_delivery_is_queued_once_and_redeliveries_are_not(
    client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop
) -> None:
    body = shop.body("tips.received")
    headers = shop.ofapi_headers(body)
    answers = [await client.post("/webhooks/onlyfansapi", content=body, headers=headers) for _ in range(3)]
    assert [a.json()["status"] for a in answers] == ["accepted", "duplicate", "duplicate"]
    event_id = answers[0].json()["event_id"]
    jobs = await (await queue.get_queue()).queued_jobs()
    mine = [job for job in jobs if job.args == (event_id,)]
    assert [job.function for job in mine] == ["process_webhook_event"]
    [event] = await _events(engine, shop)
    assert event.status == WebhookStatus.queued


async def test_redis_unreachable_leaves_the_event_stored_for_the_sweeper(
    client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    monkeypatch.setattr(queue, "_pools", {})
    monkeypatch.setattr(
        queue,
        "redis_settings",
        lambda conn_retries=0: RedisSettings(host="127.0.0.1", port=closed_port, conn_retries=conn_retries),
    )
    response = await _deliver(client, shop)
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    [event] = await _events(engine, shop)
    assert event.status == WebhookStatus.received
