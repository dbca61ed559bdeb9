"""Two-factor sign-in (TOTP) and the sign-in lockout that cannot lock a victim out for good."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import SYSTEM, StaffRole
from crm.accounts import two_factor
from crm.accounts.models import AuditLog, LoginLockout
from tests.api.conftest import PASSWORD, make_login, sign_in
from tests.factories import make_tenant


def _code(secret: str, ahead: int = 0) -> str:
    return two_factor.code_at(secret, two_factor.current_step() + ahead)


async def _login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, code: str | None = None
) -> httpx.Response:
    body = {"email": email, "password": password} | ({"totp_code": code} if code else {})
    response = await client.post("/api/auth/login", json=body)
    if response.status_code == 200:
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return response


async def _enrol(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    setup = await client.post("/api/auth/2fa/setup")
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    assert setup.json()["otpauth_uri"].startswith("otpauth://totp/Fanpilot")
    assert (await client.post("/api/auth/2fa/enable", json={"code": "000000"})).status_code == 422
    enabled = await client.post("/api/auth/2fa/enable", json={"code": _code(secret)})
    assert enabled.status_code == 200, enabled.text
    return secret, enabled.json()["recovery_codes"]


async def test_sign_in_with_a_second_factor(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    _, email = await make_login(engine, tenant, role=StaffRole.chatter)
    await sign_in(client, email)
    secret, recovery = await _enrol(client)
    assert len(recovery) == 10
    client.cookies.clear()

    needs = await _login(client, email)
    assert needs.status_code == 401 and needs.json()["error"] == "TwoFactorRequired"
    assert (await _login(client, email, code="123456")).status_code == 401
    assert (await _login(client, email, "not the password", code=_code(secret, 1))).status_code == 401
    ok = await _login(client, email, code=_code(secret, 1))
    assert ok.status_code == 200 and ok.json()["two_factor_enabled"] is True
    client.cookies.clear()
    assert (await _login(client, email, code=_code(secret, 1))).status_code == 401  # a code works once
    assert (await _login(client, email, code=recovery[0])).status_code == 200
    client.cookies.clear()
    assert (await _login(client, email, code=recovery[0])).status_code == 401  # so does a recovery code
    async with tenant_session(SYSTEM, engine=engine) as s:
        actions = (
            await s.scalars(sa.select(AuditLog.action).where(AuditLog.action.like("staff.two_factor%")))
        ).all()
    assert "staff.two_factor_enabled" in actions


async def test_an_agency_can_require_it_for_owners_and_admins(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine)
    _, owner = await make_login(engine, tenant, role=StaffRole.owner)
    _, admin = await make_login(engine, tenant, role=StaffRole.admin)
    _, chatter = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(tenant.creator_id,))
    await sign_in(client, owner)
    refused = await client.put("/api/admin/agency/two-factor", json={"required": True})
    assert refused.status_code == 422  # not before the owner's own second factor is on
    await _enrol(client)
    turned_on = await client.put("/api/admin/agency/two-factor", json={"required": True})
    assert turned_on.status_code == 200, turned_on.text
    assert len(turned_on.json()["without_two_factor"]) == 1  # the admin

    client.cookies.clear()
    restricted = await _login(client, admin)
    assert restricted.status_code == 200 and restricted.json()["two_factor_setup_required"] is True
    assert (await client.get("/api/inbox/items")).status_code == 403
    assert (await client.get("/api/admin/staff")).status_code == 403
    await _enrol(client)
    assert (await client.get("/api/inbox/items")).status_code == 200

    client.cookies.clear()
    plain = await _login(client, chatter)  # chatters are not concerned
    assert plain.status_code == 200 and plain.json()["two_factor_setup_required"] is False


async def test_lockout_ends_and_never_locks_out_a_known_device(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant = await make_tenant(engine)
    victim_id, victim = await make_login(engine, tenant, role=StaffRole.chatter)
    _, owner = await make_login(engine, tenant, role=StaffRole.owner)
    # The victim signed in on their laptop before: it holds a trusted-device cookie.
    assert (await _login(client, victim)).status_code == 200
    laptop = client.cookies.get(two_factor.DEVICE_COOKIE, path="/api/auth")
    assert laptop

    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as attacker:
        answers = [(await _login(attacker, victim, f"guess-{n}")).status_code for n in range(6)]
        assert answers == [401] * 4 + [429, 429]
        assert (await _login(attacker, victim)).status_code == 429  # even the right password, from there

    client.cookies.clear()
    client.cookies.set(two_factor.DEVICE_COOKIE, laptop, path="/api/auth")
    assert (await _login(client, victim)).status_code == 200  # the victim's own device still works
    client.cookies.clear()
    forged = laptop.split(".")[0] + "." + "0" * 32
    client.cookies.set(two_factor.DEVICE_COOKIE, forged, path="/api/auth")
    assert (await _login(client, victim)).status_code == 429  # a forged device cookie counts as untrusted

    # A lock ends by itself (here: moved into the past), and an owner can lift one at once.
    async with tenant_session(SYSTEM, engine=engine) as s:
        await s.execute(
            sa.update(LoginLockout)
            .where(LoginLockout.staff_user_id == victim_id, LoginLockout.device == "")
            .values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    client.cookies.clear()
    assert (await _login(client, victim)).status_code == 200
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as attacker:
        for n in range(5):
            await _login(attacker, victim, f"guess-{n}")
        assert (await _login(attacker, victim)).status_code == 429
        async with tenant_session(SYSTEM, engine=engine) as s:
            lock = (
                await s.scalars(
                    sa.select(LoginLockout).where(
                        LoginLockout.staff_user_id == victim_id, LoginLockout.device == ""
                    )
                )
            ).one()
        assert lock.locked_until is not None
        assert lock.locked_until - datetime.now(UTC) <= two_factor.LONGEST_LOCK  # never longer than 15 min
        await sign_in(attacker, owner)
        assert (await attacker.post(f"/api/admin/staff/{victim_id}/unlock")).status_code == 204
        assert (await attacker.post(f"/api/admin/staff/{uuid.uuid4()}/unlock")).status_code == 404
    client.cookies.clear()
    assert (await _login(client, victim)).status_code == 200


def test_totp_matches_rfc_6238_vectors() -> None:
    # RFC 6238 appendix B, SHA-1 seed "12345678901234567890", 8 digits there; the last 6 here.
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    for at, expected in ((59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924")):
        assert two_factor.code_at(secret, at // 30) == expected[-6:]
    assert two_factor.matching_step(secret, expected[-6:], after=None, now=1234567890) == 1234567890 // 30
    assert two_factor.matching_step(secret, expected[-6:], after=1234567890 // 30, now=1234567890) is None


async def test_vault_rotation_re_encrypts_totp_seeds(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    from core.crypto import Vault, generate_key
    from core.settings import get_settings
    from crm.accounts.models import StaffUser

    tenant = await make_tenant(engine)
    staff_id, email = await make_login(engine, tenant, role=StaffRole.owner)
    await sign_in(client, email)
    secret, _ = await _enrol(client)
    rotated = Vault.from_spec(generate_key("k2") + "," + get_settings().vault_keys.get_secret_value())
    async with tenant_session(SYSTEM, engine=engine) as s:
        assert await two_factor.rotate_secrets(s, rotated) >= 1
        user = await s.get(StaffUser, staff_id)
        assert user is not None and user.totp_secret_encrypted is not None
        assert rotated.key_id_of(user.totp_secret_encrypted) == "k2"
        context = {"creator_id": f"staff:{staff_id}", "platform": "fanpilot", "field": "totp_secret"}
        assert rotated.decrypt(user.totp_secret_encrypted, **context) == secret
