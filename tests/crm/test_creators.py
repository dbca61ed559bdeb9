"""Creators, personas and platform connections on the real database, under RLS."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core import embedded
from core.crypto import Vault, VaultError
from core.db import _with_credentials, make_engine, tenant_session
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.settings import Settings
from core.tenancy import SYSTEM, ActorKind, Principal, StaffRole
from crm.accounts.models import AuditLog
from crm.creators import service
from crm.creators.models import PlatformConnection
from crm.creators.schemas import Connection, ConnectionCreate, CreatorCreate, PersonaUpdate
from crm.enums import Platform
from migrations import runner
from tests.conftest import ProvisionedDatabase, _replace_db
from tests.factories import Tenant, make_tenant

KEY_A = "ka:" + base64.b64encode(b"a" * 32).decode()
KEY_B = "kb:" + base64.b64encode(b"b" * 32).decode()


def _admin(tenant: Tenant) -> Principal:
    return Principal(
        creator_ids=frozenset(tenant.creator_ids),
        agency_id=tenant.agency_id,
        actor_id=uuid.uuid4(),
        actor_kind=ActorKind.staff,
        role=StaffRole.admin,
    )


async def _connect(engine: AsyncEngine, tenant: Tenant, vault: Vault, **secrets: str) -> uuid.UUID:
    async with tenant_session(tenant.principal(), engine=engine) as s:
        conn = await service.create_connection(
            s,
            tenant.principal(),
            creator_id=tenant.creator_id,
            platform=Platform.onlyfans,
            account_id=f"acct_{uuid.uuid4().hex}",
            vault=vault,
            **secrets,  # type: ignore[arg-type]
        )
    return conn.id


async def test_admin_creates_a_creator_and_it_is_audited(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    admin = _admin(tenant)
    async with tenant_session(admin, engine=engine) as s:
        creator = await service.create_creator(
            s,
            admin,
            agency_id=tenant.agency_id,
            display_name="Luna",
            handle="luna",
            voice="cheeky",
            rules=["no meetups"],
            restricted_words=["venmo"],
            ppv_price_min=Decimal("8"),
            ppv_price_max=Decimal("80"),
            timezone="Europe/Paris",
        )
    principal = Principal.for_creators(creator.id, agency_id=tenant.agency_id)
    async with tenant_session(principal, engine=engine) as s:
        read = await service.get_creator(s, principal, creator_id=creator.id)
        entries = (await s.scalars(sa.select(AuditLog).where(AuditLog.creator_id == creator.id))).all()
    assert (read.display_name, read.timezone, read.ppv_price_max) == ("Luna", "Europe/Paris", Decimal("80"))
    assert [(e.action, e.actor_id, e.actor_kind) for e in entries] == [
        ("creator.created", admin.actor_id, "staff")
    ]


async def test_creator_in_another_agency_or_by_a_chatter_is_forbidden(engine: AsyncEngine) -> None:
    tenant, other = await make_tenant(engine), await make_tenant(engine)
    chatter = Principal(agency_id=tenant.agency_id, role=StaffRole.chatter, actor_kind=ActorKind.staff)
    async with tenant_session(_admin(tenant), engine=engine) as s:
        with pytest.raises(Forbidden):
            await service.create_creator(
                s, _admin(tenant), agency_id=other.agency_id, display_name="X", handle="x"
            )
        with pytest.raises(Forbidden):
            await service.create_creator(s, chatter, agency_id=tenant.agency_id, display_name="X", handle="x")


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [("-1", "10", "ppv_price_min"), ("20", "10", "ppv_price_max"), ("0", "0", None)],
)
async def test_price_bounds_are_validated(
    engine: AsyncEngine, low: str, high: str, message: str | None
) -> None:
    tenant = await make_tenant(engine)
    async with tenant_session(SYSTEM, engine=engine) as s:
        kwargs = {"ppv_price_min": Decimal(low), "ppv_price_max": Decimal(high)}
        if message is None:
            created = await service.create_creator(
                s, SYSTEM, agency_id=tenant.agency_id, display_name="Ok", handle="ok", **kwargs
            )
            assert created.ppv_price_max == Decimal(high)
        else:
            with pytest.raises(ValidationFailed, match=message):
                await service.create_creator(
                    s, SYSTEM, agency_id=tenant.agency_id, display_name="Bad", handle="bad", **kwargs
                )
    with pytest.raises(ValueError, match="ppv_price"):
        CreatorCreate(
            agency_id=tenant.agency_id,
            display_name="A",
            handle="a",
            ppv_price_min=Decimal("9"),
            ppv_price_max=Decimal("1"),
        )


async def test_unknown_timezone_is_refused(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    async with tenant_session(SYSTEM, engine=engine) as s:
        with pytest.raises(ValidationFailed, match="timezone"):
            await service.create_creator(
                s, SYSTEM, agency_id=tenant.agency_id, display_name="A", handle="a", timezone="Mars/Olympus"
            )


async def test_update_persona_checks_bounds_against_stored_values(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine, ppv_price_min="10", ppv_price_max="50")
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        with pytest.raises(ValidationFailed, match="ppv_price_max"):
            await service.update_persona(
                s, p, creator_id=tenant.creator_id, changes=PersonaUpdate(ppv_price_max=Decimal("5"))
            )
    async with tenant_session(p, engine=engine) as s:
        updated = await service.update_persona(
            s,
            p,
            creator_id=tenant.creator_id,
            changes=PersonaUpdate(voice="dry wit", restricted_words=["cashapp"], ppv_price_max=Decimal("60")),
        )
        assert (updated.voice, updated.restricted_words, updated.ppv_price_min) == (
            "dry wit",
            ["cashapp"],
            Decimal("10"),
        )
        entry = (
            await s.scalars(
                sa.select(AuditLog).where(
                    AuditLog.creator_id == tenant.creator_id, AuditLog.action == "creator.persona_updated"
                )
            )
        ).one()
    assert entry.details == {"fields": ["ppv_price_max", "restricted_words", "voice"]}
    assert "dry wit" not in str(entry.details)


async def test_a_principal_for_creator_a_cannot_see_creator_b(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine, creators=2)
    a, b = tenant.creator_ids
    only_a = tenant.principal(a)
    async with tenant_session(only_a, engine=engine) as s:
        assert (await service.get_creator(s, only_a, creator_id=a)).id == a
        with pytest.raises(NotFound):
            await service.get_creator(s, only_a, creator_id=b)
        with pytest.raises(NotFound):
            await service.update_persona(s, only_a, creator_id=b, changes=PersonaUpdate(voice="hijack"))
        with pytest.raises(NotFound):
            await service.create_connection(
                s, only_a, creator_id=b, platform=Platform.onlyfans, account_id="x"
            )
        assert [c.id for c in await service.list_creators(s, only_a)] == [a]


async def test_connection_secrets_are_encrypted_and_never_in_the_read_schema(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    vault = Vault.from_spec(KEY_A)
    conn_id = await _connect(engine, tenant, vault, api_key="sk-live-abc", webhook_secret="whsec-xyz")
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        conn = await service.get_connection(s, p, connection_id=conn_id)
        assert conn.api_key_encrypted is not None and b"sk-live-abc" not in conn.api_key_encrypted
        assert service.api_key_for(conn, vault=vault) == "sk-live-abc"
        assert service.webhook_secret_for(conn, vault=vault) == "whsec-xyz"
        read = Connection.of(conn)
        audit_rows = (await s.scalars(sa.select(AuditLog).where(AuditLog.target_id == str(conn_id)))).all()
    dumped = read.model_dump_json()
    assert read.has_api_key and read.has_webhook_secret and read.health == "unknown"
    assert "sk-live-abc" not in dumped and "whsec-xyz" not in dumped
    assert not {"api_key", "webhook_secret", "api_key_encrypted", "webhook_secret_encrypted"} & set(
        Connection.model_fields
    )
    assert [r.action for r in audit_rows] == ["connection.created"]
    assert "sk-live" not in str(audit_rows[0].details) and "whsec" not in str(audit_rows[0].details)
    assert "sk-live-abc" not in repr(
        ConnectionCreate(platform=Platform.onlyfans, account_id="a", api_key="sk-live-abc")
    )  # type: ignore[arg-type]


async def test_a_secret_copied_onto_another_connection_fails(engine: AsyncEngine) -> None:
    tenant, other = await make_tenant(engine), await make_tenant(engine)
    vault = Vault.from_spec(KEY_A)
    mine = await _connect(engine, tenant, vault, webhook_secret="whsec-mine")
    theirs = await _connect(engine, other, vault)
    async with tenant_session(SYSTEM, engine=engine) as s:
        src = await service.get_connection(s, SYSTEM, connection_id=mine)
        dst = await service.get_connection(s, SYSTEM, connection_id=theirs)
    blob = src.webhook_secret_encrypted
    other_creator = PlatformConnection(
        creator_id=dst.creator_id, platform=dst.platform, webhook_secret_encrypted=blob
    )
    other_field = PlatformConnection(creator_id=src.creator_id, platform=src.platform, api_key_encrypted=blob)
    other_platform = PlatformConnection(
        creator_id=src.creator_id, platform=Platform.fansly, webhook_secret_encrypted=blob
    )
    assert service.webhook_secret_for(src, vault=vault) == "whsec-mine"
    with pytest.raises(VaultError, match="failed authentication"):
        service.webhook_secret_for(other_creator, vault=vault)
    with pytest.raises(VaultError, match="failed authentication"):
        service.api_key_for(other_field, vault=vault)
    with pytest.raises(VaultError, match="failed authentication"):
        service.webhook_secret_for(other_platform, vault=vault)


async def test_duplicate_account_is_a_conflict(engine: AsyncEngine) -> None:
    tenant, other = await make_tenant(engine), await make_tenant(engine)
    account = f"acct_{uuid.uuid4().hex}"
    async with tenant_session(tenant.principal(), engine=engine) as s:
        await service.create_connection(
            s,
            tenant.principal(),
            creator_id=tenant.creator_id,
            platform=Platform.onlyfans,
            account_id=account,
        )
    async with tenant_session(other.principal(), engine=engine) as s:
        with pytest.raises(Conflict, match="already connected"):
            await service.create_connection(
                s,
                other.principal(),
                creator_id=other.creator_id,
                platform=Platform.onlyfans,
                account_id=account,
            )
        # The session is still usable after the refused insert.
        assert await service.list_connections(s, other.principal(), creator_id=other.creator_id) == []


async def test_webhook_lookup_secret_change_and_health(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    vault = Vault.from_spec(KEY_A)
    conn_id = await _connect(engine, tenant, vault, webhook_secret="old-secret")
    async with tenant_session(SYSTEM, engine=engine) as s:
        conn = await service.get_connection(s, SYSTEM, connection_id=conn_id)
        found = await service.find_connection_for_webhook(s, platform="onlyfans", account_id=conn.account_id)
        assert found is not None and found.id == conn_id
        assert (
            await service.find_connection_for_webhook(s, platform="fansly", account_id=conn.account_id)
            is None
        )
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        conn = await service.set_connection_secrets(
            s, p, connection_id=conn_id, webhook_secret="new-secret", api_key="k-1", vault=vault
        )
        assert service.webhook_secret_for(conn, vault=vault) == "new-secret"
        conn = await service.set_connection_secrets(
            s, p, connection_id=conn_id, clear_api_key=True, vault=vault
        )
        assert service.api_key_for(conn, vault=vault) is None
        conn = await service.record_connection_health(
            s, p, connection_id=conn_id, health="failing", error="401 from provider"
        )
        read = Connection.of(conn)
    assert (read.health, read.last_error, read.has_api_key) == ("failing", "401 from provider", False)
    assert read.last_checked_at is not None


async def test_rotation_moves_every_secret_to_the_new_key(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine, creators=2)
    old = Vault.from_spec(KEY_A)
    c1 = await _connect(engine, tenant, old, api_key="key-one", webhook_secret="hook-one")
    c2 = await _connect(engine, tenant, old, webhook_secret="hook-two")
    await _connect(engine, tenant, old)  # no secrets: nothing to rotate

    new = Vault.from_spec(f"{KEY_B},{KEY_A}")
    # The tenant's principal sees only its own connections, so the count is exact in a shared database.
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        assert await service.rotate_connection_secrets(s, new) == 3
    async with tenant_session(p, engine=engine) as s:
        assert await service.rotate_connection_secrets(s, new) == 0
        one = await service.get_connection(s, p, connection_id=c1)
        two = await service.get_connection(s, p, connection_id=c2)
    blobs = [one.api_key_encrypted, one.webhook_secret_encrypted, two.webhook_secret_encrypted]
    assert [new.key_id_of(b) for b in blobs if b is not None] == ["kb", "kb", "kb"]
    only_new = Vault.from_spec(KEY_B)
    assert service.api_key_for(one, vault=only_new) == "key-one"
    assert service.webhook_secret_for(one, vault=only_new) == "hook-one"
    assert service.webhook_secret_for(two, vault=only_new) == "hook-two"


async def test_rotation_with_a_missing_key_names_it_and_writes_nothing(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    conn_id = await _connect(engine, tenant, Vault.from_spec(KEY_A), api_key="key-one")
    p = tenant.principal()
    with pytest.raises(VaultError, match="key 'ka' is not configured"):
        async with tenant_session(p, engine=engine) as s:
            await service.rotate_connection_secrets(s, Vault.from_spec(KEY_B))
    async with tenant_session(p, engine=engine) as s:
        conn = await service.get_connection(s, p, connection_id=conn_id)
        assert conn.api_key_encrypted is not None
        assert Vault.from_spec(KEY_A).key_id_of(conn.api_key_encrypted) == "ka"


async def test_stored_connection_rows_hold_only_envelopes(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    conn_id = await _connect(engine, tenant, Vault.from_spec(KEY_A), api_key="plain-visible?")
    async with tenant_session(SYSTEM, engine=engine) as s:
        raw = (
            await s.execute(
                sa.select(PlatformConnection.api_key_encrypted).where(PlatformConnection.id == conn_id)
            )
        ).scalar_one()
    assert raw is not None and raw[0] == 1 and b"plain-visible" not in raw


async def test_audit_refuses_details_that_look_like_secrets(engine: AsyncEngine) -> None:
    from crm.accounts import audit

    tenant = await make_tenant(engine)
    async with tenant_session(tenant.principal(), engine=engine) as s:
        with pytest.raises(ValueError, match="must not carry secrets"):
            await audit.record(
                s,
                tenant.principal(),
                action="x",
                target_type="creator",
                target_id=tenant.creator_id,
                creator_id=tenant.creator_id,
                details={"api_key": "sk-live"},
            )


def _run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_cli_vault_rotate_end_to_end(test_db: ProvisionedDatabase, settings: Settings) -> None:
    """`fanpilot vault rotate` in its own database, so the whole-database count is exact."""
    name = f"fanpilot_vaultcli_{os.getpid()}"
    embedded.drop_database(test_db.admin_url, name)
    embedded.ensure_database(test_db.admin_url, name)
    try:
        owner = _replace_db(test_db.urls.owner, name)
        await asyncio.to_thread(runner.upgrade, owner)
        app_url = _with_credentials(owner, settings.app_db_role, settings.app_db_password.get_secret_value())
        eng = make_engine(app_url, pool_size=1)
        try:
            tenant = await make_tenant(eng)
            await _connect(eng, tenant, Vault.from_spec(KEY_A), api_key="k", webhook_secret="w")
        finally:
            await eng.dispose()
        env = {"DATABASE_URL": owner, "FANPILOT_APP_DATABASE_URL": app_url}

        missing = _run_cli("vault", "rotate", env={**env, "FANPILOT_VAULT_KEYS": KEY_B})
        assert missing.returncode == 1
        assert "key 'ka' is not configured" in missing.stderr

        first = _run_cli("vault", "rotate", env={**env, "FANPILOT_VAULT_KEYS": f"{KEY_B},{KEY_A}"})
        assert first.returncode == 0, first.stderr
        assert "re-encrypted 2 secret(s)" in first.stdout and "'kb'" in first.stdout
        again = _run_cli("vault", "rotate", env={**env, "FANPILOT_VAULT_KEYS": f"{KEY_B},{KEY_A}"})
        assert again.returncode == 0, again.stderr
        assert "re-encrypted 0 secret(s)" in again.stdout
        # The old key can go now: everything decrypts with the new key alone.
        done = _run_cli("vault", "rotate", env={**env, "FANPILOT_VAULT_KEYS": KEY_B})
        assert done.returncode == 0 and "re-encrypted 0 secret(s)" in done.stdout
    finally:
        embedded.drop_database(test_db.admin_url, name)
