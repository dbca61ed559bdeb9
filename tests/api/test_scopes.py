"""Responses shaped by scope, and event streams that re-check access while they are open."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.events import publish_inbox_change
from core.redis import get_redis
from core.tenancy import StaffRole
from tests.api.conftest import PASSWORD, make_login, sign_in
from tests.api.test_auth_inbox import make_item
from tests.factories import make_tenant

FAN_DATA_KEYS = {"conversation", "dossier", "memories_used", "proposed_args", "final_args", "preview", "fan"}


async def _token(client: httpx.AsyncClient, scopes: list[str]) -> str:
    issued = await client.post("/api/admin/tokens", json={"name": "t", "scopes": scopes})
    assert issued.status_code == 201, issued.text
    return str(issued.json()["token"])


async def test_a_write_only_token_learns_outcomes_not_fan_data(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.owner)
    rejected, approved, edited = [await make_item(engine, tenant.creator_id) for _ in range(3)]
    await sign_in(client, email)
    writer = await _token(client, ["inbox:write"])
    both = await _token(client, ["inbox:read", "inbox:write"])

    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as bearer:
        bearer.headers["Authorization"] = f"Bearer {writer}"
        assert (await bearer.get(f"/api/inbox/items/{rejected}")).status_code == 403
        answers = [
            await bearer.post(f"/api/inbox/items/{rejected}/reject", json={"reason": "too pushy"}),
            await bearer.post(f"/api/inbox/items/{approved}/approve"),
            await bearer.post(
                f"/api/inbox/items/{edited}/edit", json={"args": {"text": "hey, how are you?"}}
            ),
        ]
        for answer in answers:
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert set(body) == {"id", "status", "decided_at", "error"}, body
            assert not FAN_DATA_KEYS & set(body)
            assert "Boulder" not in answer.text  # the fan's message
        assert [a.json()["status"] for a in answers] == ["rejected", "approved", "approved"]

        # The same decision with inbox:read as well returns the full detail, as the inbox needs.
        third = await make_item(engine, tenant.creator_id)
        bearer.headers["Authorization"] = f"Bearer {both}"
        full = await bearer.post(f"/api/inbox/items/{third}/reject", json={"reason": "no"})
        assert full.status_code == 200
        assert {"conversation", "dossier"} <= set(full.json())
        assert "Boulder" in full.text


async def _read_events(response: httpx.Response, into: list[tuple[str, Any]]) -> None:
    event = "message"
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            into.append((event, json.loads(line.split(":", 1)[1])))
            event = "message"


async def _wait_for(events: list[tuple[str, Any]], name: str, within: float) -> bool:
    for _ in range(int(within * 10)):
        if any(e == name for e, _ in events):
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.mark.slow
async def test_a_stream_stops_delivering_once_the_chatter_is_unassigned(
    engine: AsyncEngine, live_server: str
) -> None:
    tenant = await make_tenant(engine, creators=2)
    first, second = tenant.creator_ids
    _, owner_email = await make_login(engine, tenant, role=StaffRole.owner)
    chatter_id, chatter_email = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(first,))
    redis = get_redis()
    events: list[tuple[str, Any]] = []
    async with (
        httpx.AsyncClient(base_url=live_server, timeout=30) as owner,
        httpx.AsyncClient(base_url=live_server, timeout=None) as chatter,
    ):
        await sign_in(owner, owner_email)
        assert (
            await chatter.post("/api/auth/login", json={"email": chatter_email, "password": PASSWORD})
        ).status_code == 200
        async with chatter.stream("GET", "/api/inbox/stream") as response:
            reader = asyncio.create_task(_read_events(response, events))
            assert await _wait_for(events, "ready", 10)
            assert events[0][1]["creators"] == [str(first)]
            await publish_inbox_change(redis, creator_id=first, change="item.created", item_id=uuid.uuid4())
            assert await _wait_for(events, "inbox", 10)

            unassigned = await owner.put(
                f"/api/admin/staff/{chatter_id}/assignments", json={"creator_ids": []}
            )
            assert unassigned.status_code == 200, unassigned.text
            leaked = uuid.uuid4()
            await publish_inbox_change(redis, creator_id=first, change="item.created", item_id=leaked)
            # The stream notices within its re-check interval and ends; nothing about `first` gets out.
            assert await _wait_for(events, "access_changed", 15), events
            await asyncio.wait_for(reader, 10)  # the server closed the stream
    assert str(leaked) not in json.dumps(events)
    assert str(second) not in json.dumps(events)


@pytest.mark.slow
async def test_a_stream_ends_when_its_token_is_revoked(engine: AsyncEngine, live_server: str) -> None:
    tenant = await make_tenant(engine)
    _, owner_email = await make_login(engine, tenant, role=StaffRole.owner)
    events: list[tuple[str, Any]] = []
    async with (
        httpx.AsyncClient(base_url=live_server, timeout=30) as owner,
        httpx.AsyncClient(base_url=live_server, timeout=None) as integration,
    ):
        await sign_in(owner, owner_email)
        issued = (await owner.post("/api/admin/tokens", json={"name": "s", "scopes": ["inbox:read"]})).json()
        integration.headers["Authorization"] = f"Bearer {issued['token']}"
        async with integration.stream("GET", "/api/inbox/stream") as response:
            reader = asyncio.create_task(_read_events(response, events))
            assert await _wait_for(events, "ready", 10)
            assert (await owner.delete(f"/api/admin/tokens/{issued['id']}")).status_code == 200
            await publish_inbox_change(
                get_redis(), creator_id=tenant.creator_id, change="item.created", item_id=uuid.uuid4()
            )
            assert await _wait_for(events, "access_changed", 15), events
            await asyncio.wait_for(reader, 10)
    assert [e for e, _ in events] == ["ready", "access_changed"]
