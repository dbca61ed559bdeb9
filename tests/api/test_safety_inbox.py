"""Safety through the API: edits re-checked by the same meaning-based guardrails, possible-minor items
for owners only, the flag filter and labels for the new codes, and the creator's alert keywords."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import SYSTEM, Principal, StaffRole
from crm.approvals import guardrails
from crm.approvals import service as approvals
from crm.creators.models import CreatorProfile
from crm.enums import ActionType, ApprovalOrigin, ApprovalStatus
from tests.api.conftest import make_login, sign_in
from tests.factories import make_fan, make_tenant


async def _item(engine: AsyncEngine, creator_id: uuid.UUID, inbound: str, text: str = "hey you") -> uuid.UUID:
    fan_id = await make_fan(engine, creator_id, name="Tyler")
    principal = Principal.for_creators(creator_id)
    async with tenant_session(principal, engine=engine) as s:
        flags = await approvals.screen_action(
            s, principal, creator_id=creator_id, fan_id=fan_id, action_type=ActionType.send_message,
            args={"fan_id": str(fan_id), "text": text}, inbound_texts=[inbound],
        )  # fmt: skip
        item, _ = await approvals.create_item(
            s,
            principal,
            idempotency_key=f"test-{uuid.uuid4()}",
            creator_id=creator_id,
            fan_id=fan_id,
            action_type=ActionType.send_message,
            args={"fan_id": str(fan_id), "text": text},
            context={"inbound_texts": [inbound]},
            flags=guardrails.dump(flags),
            origin=ApprovalOrigin.direct,
        )
    return item.id


async def _status(engine: AsyncEngine, item_id: uuid.UUID) -> ApprovalStatus:
    async with tenant_session(SYSTEM, engine=engine) as s:
        return (await approvals.get_item(s, SYSTEM, item_id=item_id)).status


@pytest.mark.parametrize(
    "edit",
    [
        "No joke babe, come over to my place tonight",
        "let's meet at the starbucks…",
        "c0me 0ver t0night 😘",
        "I'm not busy tonight, come over",
        "this set is on the house, just for you",
        "nos vemos en el café a las 9",
        "add me on w h a t s a p p",
    ],
)
async def test_an_edit_is_rechecked_by_the_same_guardrails(
    client: httpx.AsyncClient, engine: AsyncEngine, edit: str
) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(tenant.creator_id,))
    item_id = await _item(engine, tenant.creator_id, "how was your day?")
    await sign_in(client, email)
    response = await client.post(f"/api/inbox/items/{item_id}/edit", json={"args": {"text": edit}})
    assert response.status_code == 422, response.text
    assert await _status(engine, item_id) == ApprovalStatus.pending
    fine = await client.post(
        f"/api/inbox/items/{item_id}/edit",
        json={"args": {"text": "I don't meet fans in person, but I love chatting here"}},
    )
    assert fine.status_code == 200, fine.text


async def test_possible_minor_items_are_for_owners_and_flags_filter_with_labels(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine)
    _, chatter = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(tenant.creator_id,))
    _, owner = await make_login(engine, tenant, role=StaffRole.owner)
    minor = await _item(engine, tenant.creator_id, "I'm 17 btw, is that a problem? haha")
    crisis = await _item(engine, tenant.creator_id, "I just want to end it all")
    plain = await _item(engine, tenant.creator_id, "how was your day?")

    await sign_in(client, chatter)
    listed = (await client.get("/api/inbox/items", params={"flag": "possible_minor"})).json()["items"]
    assert [i["id"] for i in listed] == [str(minor)]
    (flag,) = [f for f in listed[0]["flags"] if f["code"] == "possible_minor"]
    assert flag["severity"] == "review" and flag["label"] == "Possible minor"
    everything = (await client.get("/api/inbox/items")).json()["items"]
    assert everything[0]["id"] == str(crisis)  # urgent first
    assert {
        i["id"] for i in (await client.get("/api/inbox/items", params={"flag": "self_harm"})).json()["items"]
    } == {str(crisis)}
    for response in (
        await client.post(f"/api/inbox/items/{minor}/approve"),
        await client.post(f"/api/inbox/items/{minor}/edit", json={"args": {"text": "hi"}}),
        await client.post(f"/api/inbox/items/{minor}/reject", json={"reason": "no"}),
    ):
        assert response.status_code == 403, response.text
        assert "owner or admin" in response.text
    bulk = await client.post("/api/inbox/items/bulk-approve", json={"item_ids": [str(minor), str(plain)]})
    assert bulk.json()["approved"] == 1
    assert await _status(engine, minor) == ApprovalStatus.pending

    client.cookies.clear()
    await sign_in(client, owner)
    approved = await client.post(f"/api/inbox/items/{minor}/approve")
    assert approved.status_code == 200, approved.text
    # Edits keep the flags about the fan's own message.
    edited = await client.post(
        f"/api/inbox/items/{crisis}/edit", json={"args": {"text": "I'm here for you."}}
    )
    assert edited.status_code == 200 and "self_harm" in {f["code"] for f in edited.json()["flags"]}


async def test_admins_configure_safety_keywords(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    stranger = await make_tenant(engine)
    _, admin = await make_login(engine, tenant, role=StaffRole.admin)
    _, chatter = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(tenant.creator_id,))
    url = f"/api/admin/creators/{tenant.creator_id}"

    await sign_in(client, admin)
    ok = await client.patch(url, json={"safety_keywords": {"possible_minor": ["  Home Room ", "prom"]}})
    assert ok.status_code == 200, ok.text
    assert ok.json()["safety_keywords"] == {"possible_minor": ["home room", "prom"]}
    for bad in (
        {"safety_keywords": {"minor": ["prom"]}},
        {"safety_keywords": {"possible_minor": "prom"}},
        {"safety_keywords": {"possible_minor": [""]}},
        {"safety_keywords": {"self_harm": ["x" * 61]}},
        {"safety_keywords": {"self_harm": ["nul\x00"]}},
        {"safety_keywords": {"self_harm": [f"w{i}" for i in range(51)]}},
        {"safety_keywords": None},
    ):
        response = await client.patch(url, json=bad)
        assert response.status_code == 422, (bad, response.text)
    async with tenant_session(SYSTEM, engine=engine) as s:
        creator = await s.get(CreatorProfile, tenant.creator_id)
        assert creator is not None and creator.safety_keywords == {"possible_minor": ["home room", "prom"]}
    foreign = await client.patch(
        f"/api/admin/creators/{stranger.creator_id}", json={"safety_keywords": {"self_harm": ["x y"]}}
    )
    assert foreign.status_code in (403, 404)

    # The keyword now raises its signal on the fan's message.
    item_id = await _item(engine, tenant.creator_id, "ugh home room was so boring today")
    async with tenant_session(SYSTEM, engine=engine) as s:
        item = await approvals.get_item(s, SYSTEM, item_id=item_id)
    assert "possible_minor" in {f["code"] for f in item.flags}

    client.cookies.clear()
    await sign_in(client, chatter)
    assert (await client.patch(url, json={"safety_keywords": {}})).status_code == 403
