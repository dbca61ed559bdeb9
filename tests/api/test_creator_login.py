"""The creator role: one login bound to one creator profile (its own inbox, chat, rules and numbers),
invited by the agency owner; solo creators signing up as the owner of an agency of one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.errors import ValidationFailed
from core.tenancy import SYSTEM, StaffRole
from crm.accounts import service as accounts
from crm.accounts.models import Agency, AuditLog, StaffUser
from crm.creators.models import CreatorProfile
from crm.enums import ApprovalStatus
from tests.api.conftest import PASSWORD, make_login, sign_in
from tests.api.test_auth_inbox import item_status, make_item
from tests.factories import make_tenant


def _email(prefix: str = "mia") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.test"


async def test_a_creator_login_sees_and_decides_only_its_own_creator(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine, creators=2)
    mine, theirs = tenant.creator_ids
    _, email = await make_login(engine, tenant, role=StaffRole.creator, creator_id=mine)
    my_item = await make_item(engine, mine, text="my own draft")
    their_item = await make_item(engine, theirs, text="SECRET sister draft", fan_name="Zed")

    me = await sign_in(client, email)
    assert me["role"] == "creator" and me["creator_id"] == str(mine)
    assert [c["id"] for c in me["creators"]] == [str(mine)]
    assert set(me["scopes"]) == {
        "inbox:read", "inbox:write", "chat:write", "analytics:read", "persona:write",
        "automation:read", "automation:write",
    }  # fmt: skip

    listed = await client.get("/api/inbox/items")
    assert [i["id"] for i in listed.json()["items"]] == [str(my_item)]
    assert "SECRET" not in listed.text and "Zed" not in listed.text
    for response in (
        await client.get("/api/inbox/items", params={"creator_id": str(theirs)}),
        await client.get(f"/api/inbox/items/{their_item}"),
        await client.post(f"/api/inbox/items/{their_item}/approve"),
        await client.post(f"/api/inbox/items/{their_item}/edit", json={"args": {"text": "hijack"}}),
        await client.post(f"/api/inbox/items/{their_item}/reject", json={"reason": "no"}),
        await client.post(f"/api/inbox/items/{their_item}/retry"),
        await client.get(f"/api/admin/creators/{theirs}"),
        await client.patch(f"/api/admin/creators/{theirs}", json={"voice": "hijacked"}),
    ):
        assert response.status_code == 404, response.text
        assert "SECRET" not in response.text
    bulk = await client.post("/api/inbox/items/bulk-approve", json={"item_ids": [str(their_item)]})
    assert bulk.json()["approved"] == 0
    assert await item_status(engine, their_item) == ApprovalStatus.pending

    # Their rules: the persona, read and changed by the creator; nothing else of the agency.
    creators = await client.get("/api/admin/creators")
    assert [c["id"] for c in creators.json()] == [str(mine)]
    persona = await client.patch(f"/api/admin/creators/{mine}", json={"rules": ["no customs on Sundays"]})
    assert persona.status_code == 200, persona.text
    assert persona.json()["rules"] == ["no customs on Sundays"]
    for path in ("/api/admin/staff", "/api/admin/audit", f"/api/admin/creators/{mine}/connections"):
        assert (await client.get(path)).status_code == 403, path
    assert (
        await client.post("/api/admin/creators", json={"display_name": "X", "handle": "x"})
    ).status_code == 403
    invite = {"email": _email(), "display_name": "Sneaky", "role": "chatter"}
    assert (await client.post("/api/admin/invites", json=invite)).status_code == 403

    # Tokens: at most the creator's own scopes.
    refused = await client.post("/api/admin/tokens", json={"name": "x", "scopes": ["admin:read"]})
    assert refused.status_code == 403
    token = await client.post("/api/admin/tokens", json={"name": "mine", "scopes": ["inbox:read"]})
    assert token.status_code == 201

    decided = await client.post(f"/api/inbox/items/{my_item}/approve")
    assert decided.status_code == 200 and decided.json()["status"] == "approved"


async def test_the_database_binds_a_creator_login_to_exactly_one_creator(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    for role, creator_id in ((StaffRole.creator, None), (StaffRole.chatter, tenant.creator_id)):
        with pytest.raises(IntegrityError, match="creator_binding"):
            async with tenant_session(SYSTEM, engine=engine) as s:
                s.add(
                    StaffUser(
                        agency_id=tenant.agency_id,
                        email=_email(),
                        display_name="x",
                        role=role,
                        creator_id=creator_id,
                    )
                )


async def test_only_the_owner_invites_a_creator_and_the_invite_works_once(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine, creators=2)
    other_agency = await make_tenant(engine)
    _, owner_email = await make_login(engine, tenant, role=StaffRole.owner)
    _, admin_email = await make_login(engine, tenant, role=StaffRole.admin)
    email = _email()

    admin = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with admin:
        await sign_in(admin, admin_email)
        body = {
            "email": email,
            "display_name": "Mia",
            "role": "creator",
            "creator_id": str(tenant.creator_id),
        }
        assert (await admin.post("/api/admin/invites", json=body)).status_code == 403

    await sign_in(client, owner_email)
    for bad, code in (
        ({"email": email, "display_name": "Mia", "role": "creator"}, 422),  # no creator_id
        ({"email": email, "display_name": "Mia", "role": "creator", "creator_id": str(other_agency.creator_id)}, 404),
        ({"email": email, "display_name": "Mia", "role": "chatter", "creator_id": str(tenant.creator_id)}, 422),
        ({"email": "not-an-email", "display_name": "Mia", "role": "creator", "creator_id": str(tenant.creator_id)}, 422),
        ({"email": email, "display_name": "", "role": "creator", "creator_id": str(tenant.creator_id)}, 422),
        ({"email": email, "display_name": "Mia", "role": "wizard", "creator_id": str(tenant.creator_id)}, 422),
    ):  # fmt: skip
        response = await client.post("/api/admin/invites", json=bad)
        assert response.status_code == code, (bad, response.text)
    async with tenant_session(SYSTEM, engine=engine) as s:
        assert await s.scalar(sa.select(StaffUser.id).where(StaffUser.email == email)) is None

    invited = await client.post(
        "/api/admin/invites",
        json={"email": email, "display_name": "Mia", "role": "creator", "creator_id": str(tenant.creator_id)},
    )
    assert invited.status_code == 201, invited.text
    out = invited.json()
    token = out["invite_token"]
    assert token.startswith("fpi_") and out["staff"]["invite_pending"] is True
    assert out["staff"]["creator_id"] == str(tenant.creator_id)
    async with tenant_session(SYSTEM, engine=engine) as s:
        stored = (await s.scalars(sa.select(StaffUser).where(StaffUser.email == email))).one()
        assert stored.password_hash is None and token not in (stored.invite_token_hash or "")
    # Not yet accepted: no password, so no sign-in.
    assert (
        await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    ).status_code == 401
    assert (
        await client.post(
            "/api/admin/invites",
            json={**out["staff"], "role": "creator", "creator_id": str(tenant.creator_id)},
        )
    ).status_code == 409

    invitee = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with invitee:
        short = await invitee.post("/api/auth/invite/accept", json={"token": token, "password": "short"})
        assert short.status_code == 422
        wrong = await invitee.post(
            "/api/auth/invite/accept", json={"token": "fpi_" + "x" * 40, "password": PASSWORD}
        )
        assert wrong.status_code == 404
        accepted = await invitee.post("/api/auth/invite/accept", json={"token": token, "password": PASSWORD})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["role"] == "creator"
        assert [c["id"] for c in accepted.json()["creators"]] == [str(tenant.creator_id)]
        assert (await invitee.get("/api/auth/me")).status_code == 200
        again = await invitee.post(
            "/api/auth/invite/accept", json={"token": token, "password": PASSWORD + "x"}
        )
        assert again.status_code == 404
    assert (
        await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    ).status_code == 200
    async with tenant_session(SYSTEM, engine=engine) as s:
        actions = set(
            (await s.scalars(sa.select(AuditLog.action).where(AuditLog.agency_id == tenant.agency_id))).all()
        )
    assert {"staff.created", "staff.invite_accepted"} <= actions


async def test_an_expired_invite_is_refused(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    async with tenant_session(SYSTEM, engine=engine) as s:
        issued = await accounts.invite_staff(
            s,
            SYSTEM,
            email=_email(),
            display_name="Late",
            role=StaffRole.chatter,
            creator_ids=[tenant.creator_id],
            agency_id=tenant.agency_id,
        )
        issued.staff.invite_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    response = await client.post(
        "/api/auth/invite/accept", json={"token": issued.plaintext, "password": PASSWORD}
    )
    assert response.status_code == 404


async def test_a_creator_login_cannot_change_role_or_take_assignments(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine, creators=2)
    staff_id, _ = await make_login(engine, tenant, role=StaffRole.creator)
    chatter_id, _ = await make_login(engine, tenant, role=StaffRole.chatter)
    async with tenant_session(SYSTEM, engine=engine) as s:
        with pytest.raises(ValidationFailed):
            await accounts.update_staff(s, SYSTEM, staff_user_id=staff_id, role=StaffRole.manager)
        with pytest.raises(ValidationFailed):
            await accounts.update_staff(s, SYSTEM, staff_user_id=chatter_id, role=StaffRole.creator)
        with pytest.raises(ValidationFailed):
            await accounts.set_assignments(
                s, SYSTEM, staff_user_id=staff_id, creator_ids=list(tenant.creator_ids)
            )
        principal = await accounts.principal_for_staff(s, staff_user_id=staff_id)
    assert principal is not None and principal.creator_ids == frozenset({tenant.creator_id})
    assert principal.staff_user_id == staff_id


async def test_a_solo_creator_signs_up_as_the_owner_of_an_agency_of_one(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    someone_else = await make_tenant(engine)
    email = _email("solo")
    body = {
        "email": email,
        "password": PASSWORD,
        "display_name": "Luna",
        "creator_name": "Luna Lux",
        "handle": "@lunalux",
        "timezone": "Europe/Paris",
    }
    for field, value in (
        ("email", "nope"),
        ("password", "short"),
        ("handle", "has spaces"),
        ("creator_name", ""),
        ("timezone", "Mars/Olympus"),
        ("display_name", "nul\x00byte"),
    ):
        bad = await client.post("/api/auth/signup", json={**body, field: value})
        assert bad.status_code == 422, (field, bad.text)
    async with tenant_session(SYSTEM, engine=engine) as s:
        assert await s.scalar(sa.select(StaffUser.id).where(StaffUser.email == email)) is None
        assert await s.scalar(sa.select(CreatorProfile.id).where(CreatorProfile.handle == "lunalux")) is None

    created = await client.post("/api/auth/signup", json=body)
    assert created.status_code == 201, created.text
    me = created.json()
    assert me["role"] == "owner" and len(me["creators"]) == 1
    assert me["creators"][0]["display_name"] == "Luna Lux" and me["creators"][0]["handle"] == "lunalux"
    client.headers["X-CSRF-Token"] = me["csrf_token"]
    assert (await client.get("/api/auth/me")).status_code == 200
    visible = await client.get("/api/admin/creators")
    assert [c["id"] for c in visible.json()] == [me["creators"][0]["id"]]
    assert (await client.get(f"/api/admin/creators/{someone_else.creator_id}")).status_code == 404
    async with tenant_session(SYSTEM, engine=engine) as s:
        owner = (await s.scalars(sa.select(StaffUser).where(StaffUser.email == email))).one()
        agency = await s.get(Agency, owner.agency_id)
        assert agency is not None and agency.name == "Luna Lux"
        staff = (await s.scalars(sa.select(StaffUser).where(StaffUser.agency_id == agency.id))).all()
    assert len(staff) == 1

    again = await client.post("/api/auth/signup", json={**body, "email": email.upper()})
    assert again.status_code == 409


async def test_sign_up_can_be_turned_off(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import get_settings

    monkeypatch.setenv("FANPILOT_SIGNUP_ENABLED", "false")
    get_settings.cache_clear()
    try:
        body = {
            "email": _email(),
            "password": PASSWORD,
            "display_name": "A",
            "creator_name": "B",
            "handle": "b",
        }
        refused = await client.post("/api/auth/signup", json=body)
        assert refused.status_code == 403
    finally:
        monkeypatch.delenv("FANPILOT_SIGNUP_ENABLED")
        get_settings.cache_clear()
