"""`fanpilot backup` / `fanpilot restore` round-trip the demo data: every table's rows, the schema
revision, row-level security and the append-only ledgers come back as they were."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from core import embedded
from core.db import _with_credentials, make_engine, tenant_session
from core.settings import get_settings
from core.tenancy import SYSTEM, Principal
from crm.demo import seed_demo
from migrations import runner
from tests.conftest import record_figure

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _url(admin: str, name: str) -> str:
    return admin.rsplit("/", 1)[0] + f"/{name}"


def _fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Rows and a checksum of their content, per table (as the superuser: no row-level security)."""
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        out = {}
        for table in sorted(tables):
            row = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \"{table}\" t"
            ).fetchone()
            assert row is not None
            out[table] = (int(row[0]), str(row[1]))
        return out


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


async def test_backup_and_restore_round_trip_the_demo_data(test_db: Any, tmp_path: Path) -> None:
    admin = test_db.admin_url
    source, target = f"fanpilot_bk_{uuid.uuid4().hex[:8]}", f"fanpilot_rs_{uuid.uuid4().hex[:8]}"
    settings = get_settings()
    owner = lambda name: _with_credentials(_url(admin, name), embedded.OWNER_ROLE, embedded.OWNER_PASSWORD)  # noqa: E731
    app = lambda name: _with_credentials(  # noqa: E731
        _url(admin, name), settings.app_db_role, settings.app_db_password.get_secret_value()
    )
    for name in (source, target):
        await asyncio.to_thread(embedded.ensure_database, admin, name)
    try:
        await asyncio.to_thread(runner.upgrade, owner(source))
        engine = make_engine(app(source), pool_size=2)
        try:
            summary = await seed_demo(engine, fans=12)
        finally:
            await engine.dispose()
        env = lambda name: {**os.environ, "DATABASE_URL": owner(name), "FANPILOT_APP_DATABASE_URL": app(name)}  # noqa: E731
        dump = tmp_path / "demo.dump"
        backed = await asyncio.to_thread(_cli, env(source), "backup", "--output", str(dump))
        assert backed.returncode == 0, backed.stderr + backed.stdout
        assert dump.stat().st_size > 10_000

        restored = await asyncio.to_thread(_cli, env(target), "restore", str(dump))
        assert restored.returncode == 0, restored.stderr + restored.stdout
        before, after = _fingerprint(_url(admin, source)), _fingerprint(_url(admin, target))
        assert after == before
        assert before["fan_profiles"][0] >= 12 and before["fan_messages"][0] > 0
        assert before["alembic_version"] == after["alembic_version"]

        # The restored database enforces what the original did: RLS for the app role, ledgers.
        engine = make_engine(app(target), pool_size=2)
        try:
            async with tenant_session(Principal(creator_ids=frozenset()), engine=engine) as s:
                assert (await s.execute(text("SELECT count(*) FROM fan_profiles"))).scalar_one() == 0
            creator = summary.creator_ids[0]
            async with tenant_session(Principal.for_creators(creator), engine=engine) as s:
                mine = (await s.execute(text("SELECT count(*) FROM fan_profiles"))).scalar_one()
            async with tenant_session(SYSTEM, engine=engine) as s:
                every = (await s.execute(text("SELECT count(*) FROM fan_profiles"))).scalar_one()
            assert 0 < mine < every == before["fan_profiles"][0]
            with pytest.raises(Exception, match="append-only"):
                async with tenant_session(SYSTEM, engine=engine) as s:
                    await s.execute(text("UPDATE audit_log SET action = 'x'"))
        finally:
            await engine.dispose()

        again = await asyncio.to_thread(_cli, env(target), "restore", str(dump))
        assert again.returncode == 1 and "not empty" in again.stderr
        clean = await asyncio.to_thread(_cli, env(target), "restore", str(dump), "--clean")
        assert clean.returncode == 0, clean.stderr
        assert _fingerprint(_url(admin, target)) == before
        missing = await asyncio.to_thread(_cli, env(target), "restore", str(tmp_path / "nope.dump"))
        assert missing.returncode == 1 and "no backup" in missing.stderr
        record_figure(
            f"\n[backup] demo ({before['fan_profiles'][0]} fans, {sum(n for n, _ in before.values())} rows in "
            f"{len(before)} tables) → {dump.stat().st_size:,} bytes → restored: every table identical"
        )
    finally:
        for name in (source, target):
            await asyncio.to_thread(embedded.drop_database, admin, name)
