"""The inbox after a decision: the sending and failed views, retry as a decision, and one adapter for
every surface (an inbox approval and a chat approval both reach the platform, exactly once)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.settings import get_settings
from core.tenancy import SYSTEM, StaffRole
from crm.accounts.models import AuditLog
from crm.approvals import service as approvals
from crm.creators import service as creators
from crm.enums import ActionType, ApprovalOrigin, ApprovalStatus, Platform
from tests.agent.stubs import FakePlatform, serve
from tests.agent.support import platform_fan
from tests.api.conftest import clear_queue, drain_queue, make_login, sign_in
from tests.api.test_auth_inbox import item_status, make_item
from tests.factories import make_tenant


async def platform_item(engine: AsyncEngine, creator_id: uuid.UUID, *, name: str = "Kyle") -> uuid.UUID:
    """A queued message to a fan who has an account on the platform (so a send can reach it)."""
    fan_id = await platform_fan(engine, creator_id, name=name)
    async with tenant_session(SYSTEM, engine=engine) as s:
        item, _ = await approvals.create_item(
            s, SYSTEM, idempotency_key=f"t-{uuid.uuid4()}", creator_id=creator_id, fan_id=fan_id,
            action_type=ActionType.send_message, origin=ApprovalOrigin.direct, context={}, flags=[],
            args={"fan_id": str(fan_id), "text": f"hey {name}, thanks for being here"},
        )  # fmt: skip
    return item.id


@pytest.fixture
def platform() -> Iterator[tuple[FakePlatform, Any]]:
    fake = FakePlatform()
    with serve(fake) as stub:
        yield fake, stub


@pytest.fixture
def platform_mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """FANPILOT_PLATFORM_ADAPTER=onlyfansapi for the app, the worker and the chat alike."""
    monkeypatch.setenv("FANPILOT_PLATFORM_ADAPTER", "onlyfansapi")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("FANPILOT_PLATFORM_ADAPTER")
    get_settings.cache_clear()


async def _connect(engine: AsyncEngine, creator_id: uuid.UUID, url: str) -> None:
    async with tenant_session(SYSTEM, engine=engine) as s:
        await creators.create_connection(
            s, SYSTEM, creator_id=creator_id, platform=Platform.onlyfans, account_id=f"acct_{uuid.uuid4().hex[:6]}",
            api_base_url=url, api_key="stub-key",
        )  # fmt: skip


async def test_a_failed_send_shows_in_the_failed_view_and_a_retry_sends_it_once(
    client: httpx.AsyncClient, engine: AsyncEngine, platform: tuple[FakePlatform, Any], platform_mode: None
) -> None:
    fake, stub = platform
    tenant = await make_tenant(engine)
    await _connect(engine, tenant.creator_id, stub.url)
    _, email = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(tenant.creator_id,))
    item_id = await platform_item(engine, tenant.creator_id)
    await sign_in(client, email)
    await clear_queue()
    fake.fail_first, fake.fail_status = 1, 400  # the platform refuses the first send

    approved = await client.post(f"/api/inbox/items/{item_id}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    sending = (await client.get("/api/inbox/items", params={"view": "sending"})).json()
    assert [i["id"] for i in sending["items"]] == [str(item_id)]
    await drain_queue()

    failed = (await client.get("/api/inbox/items", params={"view": "failed"})).json()
    assert [(i["id"], i["status"], i["attempts"]) for i in failed["items"]] == [(str(item_id), "failed", 1)]
    assert "HTTP 400" in failed["items"][0]["error"]
    detail = (await client.get(f"/api/inbox/items/{item_id}")).json()
    assert [(a["attempt"], a["outcome"], a["http_status"]) for a in detail["delivery_attempts"]] == [
        (1, "failed", 400)
    ]
    assert (await client.get("/api/inbox/items")).json()["items"] == []  # not pending any more

    retried = await client.post(f"/api/inbox/items/{item_id}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "approved"
    assert (await client.post(f"/api/inbox/items/{item_id}/retry")).status_code == 409  # first one wins
    await drain_queue()
    assert await item_status(engine, item_id) == ApprovalStatus.executed
    assert [r["headers"]["idempotency-key"] for r in stub.requests] == [str(item_id), str(item_id)]
    assert len(fake.messages) == 1
    assert (await client.get("/api/inbox/items", params={"view": "failed"})).json()["items"] == []
    async with tenant_session(SYSTEM, engine=engine) as s:
        actions = (
            await s.scalars(sa.select(AuditLog.action).where(AuditLog.target_id == str(item_id)))
        ).all()
    assert "approval.retried" in actions


async def test_retry_and_views_respect_tenants_roles_and_input(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine, creators=2)
    mine, theirs = tenant.creator_ids
    _, email = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(mine,))
    their_item = await make_item(engine, theirs, text="SECRET")
    my_item = await make_item(engine, mine)
    await sign_in(client, email)
    assert (await client.post(f"/api/inbox/items/{their_item}/retry")).status_code == 404
    pending = await client.post(f"/api/inbox/items/{my_item}/retry")
    assert pending.status_code == 409 and "only a failed item" in pending.json()["detail"]
    assert await item_status(engine, my_item) == ApprovalStatus.pending
    assert (await client.post("/api/inbox/items/not-a-uuid/retry")).status_code == 422
    assert (await client.get("/api/inbox/items", params={"view": "everything"})).status_code == 422
    for view in ("sending", "failed"):
        listed = await client.get("/api/inbox/items", params={"view": view})
        assert listed.status_code == 200 and "SECRET" not in listed.text
    client.cookies.clear()
    assert (await client.post(f"/api/inbox/items/{my_item}/retry")).status_code == 401


async def test_an_inbox_approval_and_a_chat_approval_both_reach_the_platform_once(
    client: httpx.AsyncClient, engine: AsyncEngine, platform: tuple[FakePlatform, Any], platform_mode: None
) -> None:
    fake, stub = platform
    tenant = await make_tenant(engine)
    await _connect(engine, tenant.creator_id, stub.url)
    _, email = await make_login(engine, tenant, role=StaffRole.owner)
    await sign_in(client, email)
    await clear_queue()

    inbox_item = await platform_item(engine, tenant.creator_id, name="Kyle")
    assert (await client.post(f"/api/inbox/items/{inbox_item}/approve")).status_code == 200
    await drain_queue()
    assert await item_status(engine, inbox_item) == ApprovalStatus.executed

    thread = await client.post("/api/chat/threads", json={"creator_id": str(tenant.creator_id)})
    assert thread.status_code == 201, thread.text
    thread_id = thread.json()["id"]
    streamed = await client.post(
        f"/api/chat/threads/{thread_id}/messages",
        json={"text": "send Kyle a message saying thanks for being here"},
    )
    events = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: ")]
    queued = [e for e in events if e.get("type") == "approval_required"]
    assert queued, events
    chat_item = queued[0]["item_ids"][0]
    decided = await client.post(
        f"/api/chat/threads/{thread_id}/items/{chat_item}/decision", json={"decision": "approve"}
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["delivery"]["status"] == "executed"
    assert (
        await client.post(
            f"/api/chat/threads/{thread_id}/items/{chat_item}/decision", json={"decision": "approve"}
        )
    ).status_code == 409

    keys = sorted(r["headers"]["idempotency-key"] for r in stub.requests)
    assert keys == sorted([str(inbox_item), chat_item])
    assert len(fake.messages) == 2
    detail = (await client.get(f"/api/inbox/items/{chat_item}")).json()
    assert detail["origin"] == "assistant_thread" and detail["result"]["adapter"] == "onlyfansapi"
