"""Sign-in, sessions, RBAC (chatters see only assigned creators), token scopes, the inbox API, admin."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth import sessions
from core.db import tenant_session
from core.tenancy import SYSTEM, Principal, StaffRole
from crm.accounts.models import ApiToken, AuditLog
from crm.approvals import service as approvals
from crm.enums import ActionType, ApprovalOrigin, ApprovalStatus
from crm.fans import service as fans
from tests.api.conftest import PASSWORD, make_login, sign_in
from tests.factories import Tenant, make_fan, make_tenant


async def make_item(
    engine: AsyncEngine,
    creator_id: uuid.UUID,
    *,
    text: str = "hey you, how was the hike?",
    fan_name: str = "Mike",
) -> uuid.UUID:
    fan_id = await make_fan(engine, creator_id, name=fan_name, spend="412.50")
    principal = Principal.for_creators(creator_id)
    async with tenant_session(principal, engine=engine) as s:
        await fans.log_message(
            s, principal, creator_id=creator_id, fan_id=fan_id, direction="inbound", sender="fan",
            text="just got back from my hike in Boulder",
        )  # fmt: skip
        item, _ = await approvals.create_item(
            s,
            principal,
            idempotency_key=f"test-{uuid.uuid4()}",
            creator_id=creator_id,
            fan_id=fan_id,
            action_type=ActionType.send_message,
            args={"fan_id": str(fan_id), "text": text},
            context={
                "memories_used": [
                    {"id": str(uuid.uuid4()), "kind": "preference", "text": "loves hiking in Boulder"}
                ],
                "why": "fan shared news about a hike",
            },
            flags=[{"code": "off_platform", "severity": "warn", "message": "mentions another app"}],
            origin=ApprovalOrigin.direct,
            confidence=0.8,
        )
    return item.id


async def item_status(engine: AsyncEngine, item_id: uuid.UUID) -> ApprovalStatus:
    async with tenant_session(SYSTEM, engine=engine) as s:
        return (await approvals.get_item(s, SYSTEM, item_id=item_id)).status


async def test_login_sets_a_revocable_httponly_session(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.owner)

    wrong = await client.post("/api/auth/login", json={"email": email, "password": "nope-nope-nope"})
    assert wrong.status_code == 401
    response = await client.post("/api/auth/login", json={"email": email.upper(), "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert sessions.COOKIE_NAME in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    me = response.json()
    assert me["role"] == "owner" and "admin:write" in me["scopes"]
    assert [c["id"] for c in me["creators"]] == [str(tenant.creator_id)]

    assert (await client.get("/api/auth/me")).status_code == 200
    # Cookie writes need the CSRF header (a cross-site form cannot send it).
    assert (await client.post("/api/auth/logout")).status_code == 403
    out = await client.post("/api/auth/logout", headers={"X-CSRF-Token": me["csrf_token"]})
    assert out.status_code == 204
    client.cookies.set(sessions.COOKIE_NAME, response.cookies[sessions.COOKIE_NAME])
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_login_is_rate_limited(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.chatter)
    codes = [
        (await client.post("/api/auth/login", json={"email": email, "password": f"guess-{i}"})).status_code
        for i in range(12)
    ]
    # The fifth failure locks the account from this (untrusted) client; the email limit backs it up.
    assert codes[:4] == [401] * 4
    assert set(codes[4:]) == {429}
    # Even the right password waits out the window.
    assert (
        await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    ).status_code == 429


async def test_unauthenticated_requests_get_nothing(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    item_id = await make_item(engine, tenant.creator_id)
    assert (await client.get("/api/inbox/items")).status_code == 401
    assert (await client.get(f"/api/inbox/items/{item_id}")).status_code == 401
    assert (await client.post(f"/api/inbox/items/{item_id}/approve")).status_code == 401
    bogus = {"Authorization": "Bearer fp_not-a-real-token"}
    assert (await client.get("/api/inbox/items", headers=bogus)).status_code == 401
    assert await item_status(engine, item_id) == ApprovalStatus.pending


async def test_chatter_sees_and_decides_only_assigned_creators(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine, creators=2)
    mine, theirs = tenant.creator_ids
    _, email = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(mine,))
    my_item = await make_item(engine, mine, text="my creator's draft")
    their_item = await make_item(engine, theirs, text="SECRET other creator draft", fan_name="Zed")
    me = await sign_in(client, email)
    assert [c["id"] for c in me["creators"]] == [str(mine)]

    listed = await client.get("/api/inbox/items")
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["items"]] == [str(my_item)]
    assert "SECRET" not in listed.text and "Zed" not in listed.text

    filtered = await client.get("/api/inbox/items", params={"creator_id": str(theirs)})
    assert filtered.status_code in (403, 404) and "SECRET" not in filtered.text
    for response in (
        await client.get(f"/api/inbox/items/{their_item}"),
        await client.post(f"/api/inbox/items/{their_item}/approve"),
        await client.post(f"/api/inbox/items/{their_item}/edit", json={"args": {"text": "hijack"}}),
        await client.post(f"/api/inbox/items/{their_item}/reject", json={"reason": "no"}),
    ):
        assert response.status_code in (403, 404), response.text
        assert "SECRET" not in response.text
    bulk = await client.post("/api/inbox/items/bulk-approve", json={"item_ids": [str(their_item)]})
    assert bulk.json()["approved"] == 0 and "SECRET" not in bulk.text
    assert await item_status(engine, their_item) == ApprovalStatus.pending

    # Chatters have no admin rights at all.
    assert (await client.get("/api/admin/staff")).status_code == 403
    assert (await client.get(f"/api/admin/creators/{theirs}")).status_code == 403

    approved = await client.post(f"/api/inbox/items/{my_item}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"


async def test_item_detail_edit_diff_and_first_decision_wins(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.manager, creator_ids=(tenant.creator_id,))
    item_id = await make_item(engine, tenant.creator_id, text="hey you how was the hike")
    await sign_in(client, email)

    detail = (await client.get(f"/api/inbox/items/{item_id}")).json()
    assert detail["fan"]["display_name"] == "Mike"
    assert detail["dossier"]["lifetime_spend"] in ("412.50", "412.5")
    assert [m["text"] for m in detail["conversation"]] == ["just got back from my hike in Boulder"]
    assert detail["memories_used"][0]["text"] == "loves hiking in Boulder"
    assert detail["flags"][0]["code"] == "off_platform"
    assert detail["why"] == "fan shared news about a hike"
    assert detail["diff"] is None

    swap = await client.post(f"/api/inbox/items/{item_id}/edit", json={"args": {"action_type": "send_ppv"}})
    assert swap.status_code == 422
    edited = await client.post(
        f"/api/inbox/items/{item_id}/edit", json={"args": {"text": "hey you, how was the Boulder hike?"}}
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["status"] == "approved" and body["edited"] is True
    assert body["diff"] == [
        {"op": "equal", "text": "hey"},
        {"op": "delete", "text": "you"},
        {"op": "insert", "text": "you,"},
        {"op": "equal", "text": "how was the"},
        {"op": "delete", "text": "hike"},
        {"op": "insert", "text": "Boulder hike?"},
    ]
    assert (await client.post(f"/api/inbox/items/{item_id}/approve")).status_code == 409
    assert (
        await client.post(f"/api/inbox/items/{item_id}/reject", json={"reason": "late"})
    ).status_code == 409

    async with tenant_session(SYSTEM, engine=engine) as s:
        actions = (
            await s.scalars(sa.select(AuditLog.action).where(AuditLog.target_id == str(item_id)))
        ).all()
    assert "approval.edited" in actions


async def test_list_filters_sorts_and_pages(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine, creators=2)
    _, email = await make_login(engine, tenant, role=StaffRole.owner)
    ids = [await make_item(engine, tenant.creator_ids[i % 2], text=f"draft {i}") for i in range(5)]
    await sign_in(client, email)

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "sort": "waiting"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/inbox/items", params=params)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [str(i) for i in ids]
    only_first = (
        await client.get("/api/inbox/items", params={"creator_id": str(tenant.creator_ids[0])})
    ).json()
    assert {i["creator_id"] for i in only_first["items"]} == {str(tenant.creator_ids[0])}
    flagged = (await client.get("/api/inbox/items", params={"flag": "off_platform"})).json()
    assert len(flagged["items"]) == 5
    assert (await client.get("/api/inbox/items", params={"flag": "nothing"})).json()["items"] == []
    assert (await client.get("/api/inbox/items", params={"cursor": "garbage"})).status_code == 422

    bulk = await client.post("/api/inbox/items/bulk-approve", json={"item_ids": [str(i) for i in ids[:3]]})
    assert bulk.json()["approved"] == 3
    assert len((await client.get("/api/inbox/items")).json()["items"]) == 2


async def test_token_scopes_and_revocation(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.owner)
    item_id = await make_item(engine, tenant.creator_id)
    await sign_in(client, email)

    issued = await client.post("/api/admin/tokens", json={"name": "reader", "scopes": ["inbox:read"]})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert token.startswith("fp_")
    async with tenant_session(SYSTEM, engine=engine) as s:
        stored = await s.get(ApiToken, uuid.UUID(issued.json()["id"]))
        assert stored is not None and token not in (stored.token_hash, stored.token_prefix)
    listed = (await client.get("/api/admin/tokens")).json()
    assert token not in str(listed)

    bearer = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    bearer.headers["Authorization"] = f"Bearer {token}"
    async with bearer:
        assert (await bearer.get("/api/inbox/items")).status_code == 200
        assert (await bearer.get(f"/api/inbox/items/{item_id}")).status_code == 200
        assert (await bearer.post(f"/api/inbox/items/{item_id}/approve")).status_code == 403
        assert (await bearer.get("/api/admin/staff")).status_code == 403
        assert (
            await bearer.post("/api/admin/tokens", json={"name": "x", "scopes": ["inbox:read"]})
        ).status_code == 403
        assert (await client.delete(f"/api/admin/tokens/{issued.json()['id']}")).status_code == 200
        assert (await bearer.get("/api/inbox/items")).status_code == 401
    assert await item_status(engine, item_id) == ApprovalStatus.pending


async def test_chatter_cannot_mint_admin_tokens(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(tenant.creator_id,))
    await sign_in(client, email)
    refused = await client.post("/api/admin/tokens", json={"name": "x", "scopes": ["admin:write"]})
    assert refused.status_code == 403
    ok = await client.post(
        "/api/admin/tokens", json={"name": "mine", "scopes": ["inbox:read", "inbox:write"]}
    )
    assert ok.status_code == 201


async def test_admin_manages_staff_assignments_and_personas(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant: Tenant = await make_tenant(engine, creators=2)
    _, owner_email = await make_login(engine, tenant, role=StaffRole.owner)
    await sign_in(client, owner_email)

    new = await client.post(
        "/api/admin/staff",
        json={"email": f"new-{uuid.uuid4().hex[:6]}@example.test", "display_name": "Nia", "role": "chatter",
              "password": PASSWORD},
    )  # fmt: skip
    assert new.status_code == 201, new.text
    staff_id = new.json()["id"]
    assert "password" not in new.text
    assigned = await client.put(
        f"/api/admin/staff/{staff_id}/assignments", json={"creator_ids": [str(tenant.creator_ids[1])]}
    )
    assert assigned.json()["creator_ids"] == [str(tenant.creator_ids[1])]

    persona = await client.patch(
        f"/api/admin/creators/{tenant.creator_id}",
        json={
            "voice": "dry humour",
            "restricted_words": ["venmo"],
            "ppv_price_min": "8",
            "ppv_price_max": "40",
        },
    )
    assert persona.status_code == 200, persona.text
    assert persona.json()["restricted_words"] == ["venmo"]
    bad = await client.patch(
        f"/api/admin/creators/{tenant.creator_id}", json={"ppv_price_min": "50", "ppv_price_max": "10"}
    )
    assert bad.status_code == 422

    conn = await client.post(
        f"/api/admin/creators/{tenant.creator_id}/connections",
        json={
            "platform": "onlyfans",
            "account_id": f"acct_{uuid.uuid4().hex[:8]}",
            "webhook_secret": "s3cret-value",
        },
    )
    assert conn.status_code == 201, conn.text
    assert conn.json()["has_webhook_secret"] is True and "s3cret-value" not in conn.text

    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        me = await sign_in(other, new.json()["email"])
        assert [c["id"] for c in me["creators"]] == [str(tenant.creator_ids[1])]
        # Deactivation signs them out at once.
        assert (
            await client.patch(f"/api/admin/staff/{staff_id}", json={"is_active": False})
        ).status_code == 200
        assert (await other.get("/api/auth/me")).status_code == 401

    audit = (await client.get("/api/admin/audit")).json()
    actions = {entry["action"] for entry in audit}
    assert {"staff.created", "staff.assignments_set", "staff.updated", "creator.persona_updated"} <= actions


async def test_the_detail_says_which_earlier_replies_a_draft_was_adapted_from(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(tenant.creator_id,))
    item_id = await make_item(engine, tenant.creator_id)
    example = {"id": str(uuid.uuid4()), "fan_text": "back from a hike!", "reply": "ooh where did you go 🥾"}
    async with tenant_session(SYSTEM, engine=engine) as s:
        item = await approvals.get_item(s, SYSTEM, item_id=item_id)
        item.context = {**item.context, "voice_examples_used": [example, "not a dict"]}
    await sign_in(client, email)
    detail = (await client.get(f"/api/inbox/items/{item_id}")).json()
    assert detail["voice_examples_used"] == [
        {"fan_text": "back from a hike!", "reply": "ooh where did you go 🥾", "source": None}
    ]
