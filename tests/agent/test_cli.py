"""`fanpilot draft | approve | reject` from a shell against the test database."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import SYSTEM
from crm.creators.models import CreatorProfile
from crm.enums import MemoryKind
from memory import service as memory_service
from tests.agent.support import outbound, platform_fan
from tests.factories import make_tenant

ROOT = Path(__file__).resolve().parents[2]


def _cli(test_db: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": test_db.urls.owner,
        "FANPILOT_APP_DATABASE_URL": test_db.urls.app,
        "HF_HUB_OFFLINE": "1",
        "FANPILOT_LLM_PROVIDER": "offline",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


async def test_draft_approve_reject_from_the_cli(engine: AsyncEngine, test_db: Any) -> None:
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id, name="Riley Quinn")
    async with tenant_session(SYSTEM, engine=engine) as s:
        creator = await s.get(CreatorProfile, tenant.creator_id)
        assert creator is not None
        handle = creator.handle
        await memory_service.remember(
            s,
            SYSTEM,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Training for a marathon in October",
            kind=MemoryKind.personal_detail,
            importance=0.9,
        )
    drafted = await asyncio.to_thread(
        _cli,
        test_db,
        "draft",
        "--creator",
        f"@{handle}",
        "--fan",
        "Riley Quinn",
        "--message",
        "how is your running going?",
    )
    assert drafted.returncode == 0, drafted.stderr[-2000:]
    out = drafted.stdout
    assert "Riley" in out and "marathon" in out.lower()
    assert "memories used (1" in out and "offline" in out
    item = re.search(r"item ([0-9a-f-]{36})", out)
    assert item, out
    rejected = await asyncio.to_thread(
        _cli, test_db, "reject", item.group(1), "--reason", "shorter please, no emoji"
    )
    assert rejected.returncode == 0, rejected.stderr[-2000:]
    new_item = re.search(r"item ([0-9a-f-]{36})", rejected.stdout)
    assert new_item and new_item.group(1) != item.group(1)
    approved = await asyncio.to_thread(_cli, test_db, "approve", new_item.group(1))
    assert approved.returncode == 0, approved.stderr[-2000:]
    assert "executed" in approved.stdout
    assert len(await outbound(engine, fan_id)) == 1
    twice = await asyncio.to_thread(_cli, test_db, "approve", new_item.group(1))
    assert twice.returncode == 1 and "already decided" in twice.stderr
