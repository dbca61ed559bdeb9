"""GDPR export and erase from the API and the CLI: owner/admin only, audited, erase in two calls."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import SYSTEM, Principal, StaffRole
from crm.accounts.models import AuditLog
from crm.fans import service as fans
from crm.fans.models import FanProfile
from tests.api.conftest import make_login, sign_in
from tests.factories import make_fan, make_tenant

ROOT = Path(__file__).resolve().parents[2]


async def _fan_with_history(engine: AsyncEngine, creator_id: uuid.UUID) -> uuid.UUID:
    fan_id = await make_fan(engine, creator_id, name="Quinn Erasable", spend="80")
    principal = Principal.for_creators(creator_id)
    async with tenant_session(principal, engine=engine) as s:
        await fans.log_message(
            s, principal, creator_id=creator_id, fan_id=fan_id, direction="inbound", sender="fan",
            text="my number is 555 0199, call me",
        )  # fmt: skip
    return fan_id


async def _fan_exists(engine: AsyncEngine, fan_id: uuid.UUID) -> bool:
    async with tenant_session(SYSTEM, engine=engine) as s:
        return await s.get(FanProfile, fan_id) is not None


async def _audit(engine: AsyncEngine, fan_id: uuid.UUID) -> list[str]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.scalars(
            sa.select(AuditLog.action).where(AuditLog.target_id == str(fan_id)).order_by(AuditLog.created_at)
        )
        return list(rows.all())


async def test_owner_exports_and_erases_in_two_calls(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    fan_id = await _fan_with_history(engine, tenant.creator_id)
    _, email = await make_login(engine, tenant, role=StaffRole.admin)
    await sign_in(client, email)

    export = await client.get(f"/api/admin/fans/{fan_id}/export")
    assert export.status_code == 200, export.text
    assert export.json()["fan_profiles"][0]["display_name"] == "Quinn Erasable"
    assert "555 0199" in json.dumps(export.json()["fan_messages"])

    first = await client.post(f"/api/admin/fans/{fan_id}/erase", json={})
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "confirm"
    assert first.json()["rows"] == {"fan_profiles": 1, "fan_messages": 1}
    assert await _fan_exists(engine, fan_id)  # nothing removed by the first call

    code = first.json()["confirmation"]
    expires, _, signature = code.partition(".")
    forged = f"{int(expires) + 3600}.{signature}"
    for wrong in (forged, f"{expires}.{'0' * len(signature)}"):
        refused = await client.post(f"/api/admin/fans/{fan_id}/erase", json={"confirmation": wrong})
        assert refused.status_code == 422, refused.text
    assert (
        await client.post(f"/api/admin/fans/{fan_id}/erase", json={"confirmation": "x"})
    ).status_code == 422
    other = await _fan_with_history(engine, tenant.creator_id)  # a code is bound to its fan
    assert (
        await client.post(f"/api/admin/fans/{other}/erase", json={"confirmation": code})
    ).status_code == 422
    assert await _fan_exists(engine, fan_id)

    done = await client.post(f"/api/admin/fans/{fan_id}/erase", json={"confirmation": code})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "erased"
    assert not await _fan_exists(engine, fan_id)
    assert (await client.get(f"/api/admin/fans/{fan_id}/export")).status_code == 404
    assert (
        await client.post(f"/api/admin/fans/{fan_id}/erase", json={"confirmation": code})
    ).status_code == 404
    assert await _audit(engine, fan_id) == ["fan.exported", "fan.erase_requested", "fan.erased"]


async def test_only_owners_and_admins_of_the_fans_agency(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    tenant, stranger = await make_tenant(engine), await make_tenant(engine)
    fan_id = await _fan_with_history(engine, tenant.creator_id)
    _, chatter = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(tenant.creator_id,))
    _, manager = await make_login(engine, tenant, role=StaffRole.manager, creator_ids=(tenant.creator_id,))
    _, other_owner = await make_login(engine, stranger, role=StaffRole.owner)
    _, owner = await make_login(engine, tenant, role=StaffRole.owner)

    for email, status in ((chatter, 403), (manager, 403), (other_owner, 404)):
        client.cookies.clear()
        await sign_in(client, email)
        assert (await client.get(f"/api/admin/fans/{fan_id}/export")).status_code == status, email
        assert (await client.post(f"/api/admin/fans/{fan_id}/erase", json={})).status_code == status, email

    # An owner's token with admin:read may export, not erase; the confirmation of one actor does not
    # work for another.
    client.cookies.clear()
    await sign_in(client, owner)
    reader = (await client.post("/api/admin/tokens", json={"name": "r", "scopes": ["admin:read"]})).json()
    code = (await client.post(f"/api/admin/fans/{fan_id}/erase", json={})).json()["confirmation"]
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as bearer:
        bearer.headers["Authorization"] = f"Bearer {reader['token']}"
        assert (await bearer.get(f"/api/admin/fans/{fan_id}/export")).status_code == 200
        assert (
            await bearer.post(f"/api/admin/fans/{fan_id}/erase", json={"confirmation": code})
        ).status_code == 403
    client.cookies.clear()
    await sign_in(client, (await make_login(engine, tenant, role=StaffRole.admin))[1])
    assert (
        await client.post(f"/api/admin/fans/{fan_id}/erase", json={"confirmation": code})
    ).status_code == 422
    assert (await client.post("/api/admin/fans/not-a-uuid/erase", json={})).status_code == 422
    assert await _fan_exists(engine, fan_id)


def _cli(test_db: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": test_db.urls.owner,
        "FANPILOT_APP_DATABASE_URL": test_db.urls.app,
        "HF_HUB_OFFLINE": "1",
        "COLUMNS": "250",
    }
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


async def test_export_and_erase_from_the_cli(engine: AsyncEngine, test_db: Any, tmp_path: Path) -> None:
    tenant = await make_tenant(engine)
    fan_id = await _fan_with_history(engine, tenant.creator_id)
    _, owner = await make_login(engine, tenant, role=StaffRole.owner)
    _, chatter = await make_login(engine, tenant, role=StaffRole.chatter, creator_ids=(tenant.creator_id,))

    out = tmp_path / "fan.json"
    exported = await asyncio.to_thread(
        _cli, test_db, "fan", "export", str(fan_id), "--as", owner, "-o", str(out)
    )
    assert exported.returncode == 0, exported.stderr
    assert json.loads(out.read_text())["fan_profiles"][0]["id"] == str(fan_id)

    refused = await asyncio.to_thread(_cli, test_db, "fan", "erase", str(fan_id), "--as", chatter)
    assert refused.returncode == 1 and "only an owner or admin" in refused.stderr

    first = await asyncio.to_thread(_cli, test_db, "fan", "erase", str(fan_id), "--as", owner)
    assert first.returncode == 0, first.stderr
    assert "would erase" in first.stdout and await _fan_exists(engine, fan_id)
    code = first.stdout.split("--confirm")[-1].split()[0]
    second = await asyncio.to_thread(
        _cli, test_db, "fan", "erase", str(fan_id), "--as", owner, "--confirm", code
    )
    assert second.returncode == 0, second.stderr
    assert "erased fan" in second.stdout
    assert not await _fan_exists(engine, fan_id)
    assert await _audit(engine, fan_id) == ["fan.exported", "fan.erase_requested", "fan.erased"]
