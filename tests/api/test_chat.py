"""The chat API: threads owned by the staff member who opened them, history from the checkpointer,
streamed turns, inline approve / edit / reject through the one decision service, responses shaped by
scope, and hostile input answered with a clear 4xx that stores nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.redis import get_redis
from core.tenancy import SYSTEM, Principal, StaffRole
from crm.accounts import service as accounts
from crm.accounts.models import StaffUser
from crm.approvals.models import HitlAction
from crm.enums import ApprovalStatus, MessageDirection
from crm.fans import service as fans
from crm.fans.models import FanMessage
from crm.runtime.models import ChatThread
from tests.api.conftest import make_login, sign_in
from tests.factories import Tenant, make_tenant

pytestmark = pytest.mark.timeout(300)


async def add_fan(
    engine: AsyncEngine, creator_id: uuid.UUID, name: str, spend: str = "0", *, tip: str | None = None
) -> uuid.UUID:
    principal = Principal.for_creators(creator_id)
    async with tenant_session(principal, engine=engine) as s:
        fan, _, _ = await fans.upsert_fan_from_platform(
            s, principal, creator_id=creator_id, platform="onlyfans",
            platform_fan_id=f"{name}-{uuid.uuid4().hex[:8]}", display_name=name, username=f"{name.lower()}_{uuid.uuid4().hex[:4]}",
        )  # fmt: skip
        if Decimal(spend) > 0:
            await fans.record_transaction(
                s, principal, creator_id=creator_id, fan_id=fan.id, platform="onlyfans", kind="ppv", amount=spend,
                occurred_at=datetime(2025, 1, 15, tzinfo=UTC), external_id=uuid.uuid4().hex,
            )  # fmt: skip
        if tip is not None:
            await fans.record_transaction(
                s, principal, creator_id=creator_id, fan_id=fan.id, platform="onlyfans", kind="tip", amount=tip,
                external_id=uuid.uuid4().hex,
            )  # fmt: skip
        return fan.id


def events(body: str) -> list[tuple[str, dict[str, Any]]]:
    """The server-sent events of a streamed turn, in order."""
    out = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            out.append((lines["event"], json.loads(lines["data"])))
    return out


async def ask(client: httpx.AsyncClient, thread_id: str, text: str) -> list[tuple[str, dict[str, Any]]]:
    response = await client.post(f"/api/chat/threads/{thread_id}/messages", json={"text": text})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return events(response.text)


def answer(stream: list[tuple[str, dict[str, Any]]]) -> str:
    return "".join(data["text"] for kind, data in stream if kind == "token")


async def new_thread(client: httpx.AsyncClient, creator_id: uuid.UUID) -> str:
    created = await client.post("/api/chat/threads", json={"creator_id": str(creator_id)})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def other_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")


async def test_a_thread_belongs_to_the_staff_member_who_opened_it(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine)
    _, owner_email = await make_login(engine, tenant, role=StaffRole.owner)
    _, chatter_email = await make_login(
        engine, tenant, role=StaffRole.chatter, creator_ids=(tenant.creator_id,)
    )
    await add_fan(engine, tenant.creator_id, "Kyle", "60")
    await sign_in(client, owner_email)
    thread_id = await new_thread(client, tenant.creator_id)
    stream = await ask(client, thread_id, "send Kyle a message saying thanks for being here")
    item_id = next(data for kind, data in stream if kind == "approval_required")["item_ids"][0]

    async with other_client(client) as chatter:
        await sign_in(chatter, chatter_email)
        assert (await chatter.get("/api/chat/threads")).json() == []
        for response in (
            await chatter.get(f"/api/chat/threads/{thread_id}"),
            await chatter.patch(f"/api/chat/threads/{thread_id}", json={"title": "mine now"}),
            await chatter.post(
                f"/api/chat/threads/{thread_id}/messages", json={"text": "who are my top spenders?"}
            ),
            await chatter.post(
                f"/api/chat/threads/{thread_id}/items/{item_id}/decision", json={"decision": "approve"}
            ),
        ):
            assert response.status_code == 404, response.text
            assert "Kyle" not in response.text
        # Their own thread on the same creator is theirs alone.
        mine = await new_thread(chatter, tenant.creator_id)
        assert [t["id"] for t in (await chatter.get("/api/chat/threads")).json()] == [mine]
    assert [t["id"] for t in (await client.get("/api/chat/threads")).json()] == [thread_id]

    # The database itself keeps the chatter's session away from the owner's thread.
    async with tenant_session(SYSTEM, engine=engine) as s:
        chatter_id = (await s.scalars(sa.select(StaffUser.id).where(StaffUser.email == chatter_email))).one()
        principal = await accounts.principal_for_staff(s, staff_user_id=chatter_id)
    assert principal is not None
    async with tenant_session(principal, engine=engine) as s:
        assert await s.get(ChatThread, uuid.UUID(thread_id)) is None
        assert (
            await s.execute(sa.text("SELECT count(*) FROM chat_threads WHERE id = :i"), {"i": thread_id})
        ).scalar() == 0
    async with tenant_session(SYSTEM, engine=engine) as s:
        item = await s.get(HitlAction, uuid.UUID(item_id))
        assert item is not None and item.status == ApprovalStatus.pending


async def test_an_api_token_chats_in_its_own_threads_and_scopes_shape_what_it_sees(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine)
    _, owner_email = await make_login(engine, tenant, role=StaffRole.owner)
    await add_fan(engine, tenant.creator_id, "Harrison", "4800")
    await sign_in(client, owner_email)

    async def token(*scopes: str) -> httpx.AsyncClient:
        issued = await client.post("/api/admin/tokens", json={"name": "t", "scopes": list(scopes)})
        assert issued.status_code == 201, issued.text
        bearer = other_client(client)
        bearer.headers["Authorization"] = f"Bearer {issued.json()['token']}"
        return bearer

    async with await token("chat:write", "inbox:read", "inbox:write") as full:
        # Was a 500 (the token's id stored as the thread's staff member): the token acts as its staff member.
        thread_id = await new_thread(full, tenant.creator_id)
        stream = await ask(full, thread_id, "tell me about Harrison")
        assert "4,800" in answer(stream)
        assert [t["id"] for t in (await client.get("/api/chat/threads")).json()] == [thread_id]

    async with await token("inbox:write") as writer:
        assert (
            await writer.post("/api/chat/threads", json={"creator_id": str(tenant.creator_id)})
        ).status_code == 403
        assert (await writer.get(f"/api/chat/threads/{thread_id}")).status_code == 403
        refused = await writer.post(
            f"/api/chat/threads/{thread_id}/messages", json={"text": "tell me about Harrison"}
        )
        assert refused.status_code == 403 and "4800" not in refused.text and "4,800" not in refused.text

    async with await token("chat:write", "inbox:write") as blind:
        # It may chat, but the assistant may not read fans for it: no dossier, no names, no numbers.
        own = await new_thread(blind, tenant.creator_id)
        stream = await ask(blind, own, "tell me about Harrison")
        said = answer(stream)
        assert "4,800" not in said and "4800" not in json.dumps(stream) and "can't" in said
        assert not [d for k, d in stream if k == "tool_result" and "Harrison" in d["content"]]
        # Both tokens act as the owner, so the owner's threads are theirs; without inbox:read the
        # history keeps what was asked and which tools ran, not what they returned.
        history = (await blind.get(f"/api/chat/threads/{thread_id}")).json()
        tools = [m for m in history["messages"] if m["role"] == "tool"]
        assert tools and all(m["result"] is None for m in tools)
        assert "4800" not in json.dumps([m for m in history["messages"] if m["role"] == "tool"])


async def test_a_creator_login_chats_only_about_itself_and_numbers_need_the_scope(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine, creators=2)
    mine, sister = tenant.creator_ids
    _, creator_email = await make_login(engine, tenant, role=StaffRole.creator, creator_id=mine)
    _, chatter_email = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(mine,))
    await add_fan(engine, mine, "Kyle", tip="40")
    await add_fan(engine, sister, "Zed", tip="999")

    await sign_in(client, creator_email)
    assert (await client.post("/api/chat/threads", json={"creator_id": str(sister)})).status_code == 404
    assert (await client.get("/api/chat/threads", params={"creator_id": str(sister)})).status_code == 404
    thread_id = await new_thread(client, mine)
    said = answer(await ask(client, thread_id, "how much did I earn from tips this week?"))
    assert "$40" in said and "999" not in said and "Zed" not in said
    said = answer(await ask(client, thread_id, "who are my top spenders this month?"))
    assert "Kyle" in said and "Zed" not in said

    async with other_client(client) as chatter:
        await sign_in(chatter, chatter_email)
        own = await new_thread(chatter, mine)
        said = answer(await ask(chatter, own, "how much did I earn from tips this week?"))
        assert "$40" not in said and "analytics:read" in said


async def test_history_survives_a_restart_with_tool_calls_and_their_results(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.owner)
    await add_fan(engine, tenant.creator_id, "Sam", "3378")
    await add_fan(engine, tenant.creator_id, "Sam", "199")
    me = await sign_in(client, email)
    thread_id = await new_thread(client, tenant.creator_id)
    first = await ask(client, thread_id, "send Sam a PPV of my new beach set for 25 dollars")
    assert "which one" in answer(first) and not [d for k, d in first if k == "approval_required"]
    second = await ask(client, thread_id, "the whale one")
    (required,) = [d for k, d in second if k == "approval_required"]
    assert (
        required["items"][0]["price"] in ("25.0", "25.00", "25") and required["items"][0]["fan_name"] == "Sam"
    )

    from api.app import create_app

    # A new app (a restarted server) reads the same thread back from Postgres.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app()), base_url="http://testserver"
    ) as fresh:
        fresh.cookies.update(client.cookies)
        fresh.headers["X-CSRF-Token"] = me["csrf_token"]
        detail = (await fresh.get(f"/api/chat/threads/{thread_id}")).json()
    roles = [m["role"] for m in detail["messages"]]
    assert roles == ["user", "tool", "assistant", "user", "tool", "assistant"]
    lookup = detail["messages"][1]
    assert lookup["tool"] == "find_fan" and lookup["result"]["status"] == "ambiguous"
    assert len(lookup["result"]["candidates"]) == 2
    assert detail["messages"][4]["tool"] == "send_ppv_offer"
    assert detail["thread"]["title"] == "send Sam a PPV of my new beach set for 25 dollars"
    assert detail["waiting_for_approval"] is True and detail["items"][0]["status"] == "pending"


async def test_inline_edit_sends_once_and_the_first_decision_wins(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.owner)
    kyle = await add_fan(engine, tenant.creator_id, "Kyle", "60")
    await add_fan(engine, tenant.creator_id, "Leo", "60")
    await sign_in(client, email)
    thread_id = await new_thread(client, tenant.creator_id)

    redis = get_redis()
    pubsub = redis.pubsub()
    await pubsub.subscribe(f"fp:inbox:{tenant.creator_id}")
    stream = await ask(client, thread_id, "offer Kyle the new beach set for $25")
    (required,) = [d for k, d in stream if k == "approval_required"]
    item_id = required["item_ids"][0]
    # Queued from the chat: every open inbox hears about it.
    heard = []
    for _ in range(20):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message:
            heard.append(json.loads(message["data"]))
        if any(h["item_id"] == item_id for h in heard):
            break
    await pubsub.aclose()
    assert {"change": "item.created", "creator_id": str(tenant.creator_id), "item_id": item_id} in heard

    for bad in (
        {"decision": "edit"},
        {"decision": "edit", "args": {}},
        {"decision": "edit", "args": {"text": "nul\x00"}},
        {"decision": "edit", "args": {"price": "9999"}},  # outside the creator's bounds: re-checked, refused
        {"decision": "maybe"},
        {"decision": "edit", "args": {"fan_id": str(uuid.uuid4())}},  # the target never changes
    ):
        refused = await client.post(f"/api/chat/threads/{thread_id}/items/{item_id}/decision", json=bad)
        assert refused.status_code == 422, (bad, refused.text)
    edited = await client.post(
        f"/api/chat/threads/{thread_id}/items/{item_id}/decision",
        json={"decision": "edit", "args": {"price": "20", "text": "Beach set, just for you 🏖️"}},
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["item"]["status"] == "executed" and body["item"]["edited"] is True
    assert body["item"]["price"] in ("20", "20.0", "20.00")
    again = await client.post(
        f"/api/chat/threads/{thread_id}/items/{item_id}/decision", json={"decision": "approve"}
    )
    assert again.status_code == 409
    async with tenant_session(Principal.for_creators(tenant.creator_id), engine=engine) as s:
        sent = (
            await s.scalars(
                sa.select(FanMessage).where(
                    FanMessage.fan_id == kyle, FanMessage.direction == MessageDirection.outbound
                )
            )
        ).all()
    assert [(m.text, m.price) for m in sent] == [("Beach set, just for you 🏖️", Decimal("20.00"))]

    # Decided in the inbox first: the chat's later decision loses, and the thread says what happened.
    stream = await ask(client, thread_id, "offer Leo the new beach set for $30")
    leo_item = next(d for k, d in stream if k == "approval_required")["item_ids"][0]
    rejected = await client.post(f"/api/inbox/items/{leo_item}/reject", json={"reason": "not today"})
    assert rejected.status_code == 200
    late = await client.post(
        f"/api/chat/threads/{thread_id}/items/{leo_item}/decision",
        json={"decision": "reject", "reason": "no"},
    )
    assert late.status_code == 409
    detail = (await client.get(f"/api/chat/threads/{thread_id}")).json()
    assert [i["status"] for i in detail["items"]] == ["executed", "rejected"]
    # An item of another thread is not this thread's to decide.
    other = await new_thread(client, tenant.creator_id)
    wrong = await client.post(
        f"/api/chat/threads/{other}/items/{leo_item}/decision", json={"decision": "approve"}
    )
    assert wrong.status_code == 404


async def test_deciding_inline_needs_inbox_write(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.owner)
    await add_fan(engine, tenant.creator_id, "Kyle", "60")
    await sign_in(client, email)
    issued = await client.post(
        "/api/admin/tokens", json={"name": "t", "scopes": ["chat:write", "inbox:read"]}
    )
    async with other_client(client) as reader:
        reader.headers["Authorization"] = f"Bearer {issued.json()['token']}"
        thread_id = await new_thread(reader, tenant.creator_id)
        stream = await ask(reader, thread_id, "send Kyle a message saying hi there")
        # Without inbox:write the assistant cannot even queue it.
        assert not [d for k, d in stream if k == "approval_required"] and "can't" in answer(stream)


async def test_hostile_input_is_refused_and_stores_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant: Tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.owner)
    await sign_in(client, email)
    for body in (
        {},
        {"creator_id": "not-a-uuid"},
        {"creator_id": str(tenant.creator_id), "title": ""},
        {"creator_id": str(tenant.creator_id), "title": "x" * 201},
        {"creator_id": str(tenant.creator_id), "title": "nul\x00"},
        {"creator_id": str(tenant.creator_id), "extra": [1] * 10_000, "title": 5},
    ):
        response = await client.post("/api/chat/threads", json=body)
        assert response.status_code == 422, (body, response.text)
    assert (await client.post("/api/chat/threads", json={"creator_id": str(uuid.uuid4())})).status_code == 404
    async with tenant_session(SYSTEM, engine=engine) as s:
        count = await s.scalar(
            sa.select(sa.func.count())
            .select_from(ChatThread)
            .where(ChatThread.creator_id == tenant.creator_id)
        )
    assert count == 0

    thread_id = await new_thread(client, tenant.creator_id)
    for text in ("", "   ", "x" * 4001, "nul\x00"):
        response = await client.post(f"/api/chat/threads/{thread_id}/messages", json={"text": text})
        assert response.status_code == 422, (text[:10], response.text)
    assert (
        await client.post(f"/api/chat/threads/{uuid.uuid4()}/messages", json={"text": "hi"})
    ).status_code == 404
    assert (
        await client.post("/api/chat/threads/not-a-uuid/messages", json={"text": "hi"})
    ).status_code == 422
    assert (await client.patch(f"/api/chat/threads/{thread_id}", json={"title": "  "})).status_code == 422
    assert (await client.get("/api/chat/threads", params={"limit": 0})).status_code == 422
    detail = (await client.get(f"/api/chat/threads/{thread_id}")).json()
    assert detail["messages"] == [] and detail["items"] == []
    assert (
        await client.post(
            f"/api/chat/threads/{thread_id}/items/{uuid.uuid4()}/decision", json={"decision": "approve"}
        )
    ).status_code == 404

    # One turn at a time per thread: a second message while one is being answered waits its turn.
    await get_redis().set(f"fp:chat:turn:{thread_id}", "1", ex=30)
    busy = await client.post(f"/api/chat/threads/{thread_id}/messages", json={"text": "hi"})
    assert busy.status_code == 409
    await get_redis().delete(f"fp:chat:turn:{thread_id}")
    ok = await client.post(f"/api/chat/threads/{thread_id}/messages", json={"text": "hi"})
    assert ok.status_code == 200 and await get_redis().get(f"fp:chat:turn:{thread_id}") is None


async def test_tokens_stream_before_the_turn_is_done(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.owner)
    await add_fan(engine, tenant.creator_id, "Kyle", tip="40")
    await sign_in(client, email)
    thread_id = await new_thread(client, tenant.creator_id)
    stream = await ask(client, thread_id, "how much did I earn from tips this week?")
    kinds = [k for k, _ in stream]
    assert kinds[:2] == ["tool_call", "tool_result"] and kinds[-1] == "done"
    tokens = [d["text"] for k, d in stream if k == "token"]
    assert len(tokens) > 5  # word by word, not one final blob
    done = stream[-1][1]
    assert done["turn"]["text"] == "".join(tokens)
