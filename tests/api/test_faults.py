"""Delivery under faults, with real processes: a worker killed (SIGKILL) at random points after
approvals, and approvals taken while Redis is down. Nothing approved is lost or sent twice.

Each test prints its figures (`-s` shows them; the README's reliability section quotes them).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.decisions import creator_principal, decide
from core import embedded
from core.db import tenant_session
from core.settings import Settings
from core.tenancy import SYSTEM
from crm.approvals.models import HitlAction
from crm.creators import service as creators
from crm.enums import ApprovalStatus, MessageDirection, Platform
from crm.fans.models import FanMessage
from tests.agent.stubs import FakePlatform, serve
from tests.api.conftest import clear_queue
from tests.api.test_delivery_api import platform_item
from tests.factories import make_tenant

pytestmark = [pytest.mark.slow, pytest.mark.faults]

ROOT = Path(__file__).resolve().parents[2]
KILL_CYCLES = 20
SEND_DEADLINE_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(api_environment: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **api_environment,
        "FANPILOT_PLATFORM_ADAPTER": "onlyfansapi",
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        **extra,
    }


class Worker:
    """`fanpilot worker` in a child process, killable with SIGKILL and restartable."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "worker"], cwd=ROOT, env=self.env, stdout=out, stderr=out
            )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


async def _connected_shop(engine: AsyncEngine, url: str) -> Any:
    tenant = await make_tenant(engine)
    async with tenant_session(SYSTEM, engine=engine) as s:
        await creators.create_connection(
            s, SYSTEM, creator_id=tenant.creator_id, platform=Platform.onlyfans, account_id=f"acct_{uuid.uuid4().hex[:8]}",
            api_base_url=url, api_key="stub-key",
        )  # fmt: skip
    return tenant


async def _items(engine: AsyncEngine, ids: list[uuid.UUID]) -> dict[uuid.UUID, HitlAction]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = (await s.scalars(sa.select(HitlAction).where(HitlAction.id.in_(ids)))).all()
        return {r.id: r for r in rows}


async def _sent_per_item(engine: AsyncEngine, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.execute(
            sa.select(FanMessage.hitl_item_id, sa.func.count())
            .where(FanMessage.direction == MessageDirection.outbound, FanMessage.hitl_item_id.in_(ids))
            .group_by(FanMessage.hitl_item_id)
        )
        return {r[0]: int(r[1]) for r in rows}


async def _wait_until_ended(
    engine: AsyncEngine, ids: list[uuid.UUID], within: float
) -> dict[uuid.UUID, HitlAction]:
    deadline = time.monotonic() + within
    while True:
        items = await _items(engine, ids)
        if all(i.status != ApprovalStatus.approved for i in items.values()) or time.monotonic() > deadline:
            return items
        await asyncio.sleep(0.5)


@pytest.fixture
def slow_platform() -> Iterator[tuple[FakePlatform, Any]]:
    fake = FakePlatform(delay_seconds=0.4)  # slow enough that some kills land mid-send
    with serve(fake) as stub:
        yield fake, stub


async def test_killing_the_worker_after_approvals_loses_nothing_and_sends_nothing_twice(
    engine: AsyncEngine,
    api_environment: dict[str, str],
    slow_platform: tuple[FakePlatform, Any],
    tmp_path: Path,
) -> None:
    fake, stub = slow_platform
    tenant = await _connected_shop(engine, stub.url)
    ids = [await platform_item(engine, tenant.creator_id, name=f"Fan{n}") for n in range(KILL_CYCLES)]
    await clear_queue()
    worker = Worker(_env(api_environment), tmp_path / "worker.log")
    rng = random.Random(9)
    approved_at: dict[uuid.UUID, float] = {}
    restarted_after: dict[uuid.UUID, float] = {}
    worker.start()
    try:
        for item_id in ids:
            await decide(
                principal=creator_principal(tenant.creator_id),
                item_id=item_id,
                decision="approve",
                deliver="later",
            )
            approved_at[item_id] = time.time()
            await asyncio.sleep(rng.uniform(0, 3))
            worker.kill()
            worker.start()
            restarted_after[item_id] = time.time()
        items = await _wait_until_ended(engine, ids, SEND_DEADLINE_S + 15)
    finally:
        worker.stop()
    sent = await _sent_per_item(engine, ids)
    log = (tmp_path / "worker.log").read_text()[-3000:]
    assert {i: it.status for i, it in items.items()} == dict.fromkeys(ids, ApprovalStatus.executed), log
    assert sent == dict.fromkeys(ids, 1)  # one message in the CRM per approval
    assert sorted(fake.messages) == sorted(str(i) for i in ids)  # one on the platform per approval
    # Every approval was sent within the deadline of the worker restart that followed its kill.
    after_restart = [
        items[i].executed_at.timestamp() - restarted_after[i] for i in ids if items[i].executed_at
    ]
    to_send = [items[i].executed_at.timestamp() - approved_at[i] for i in ids if items[i].executed_at]
    platform_calls = len(stub.requests)
    print(
        f"\n[faults] worker SIGKILL 0–3 s after each of {KILL_CYCLES} approvals: {KILL_CYCLES}/{KILL_CYCLES} "
        f"executed exactly once ({platform_calls} platform calls for {len(fake.messages)} messages); "
        f"approval→send median {statistics.median(to_send):.1f} s, max {max(to_send):.1f} s; "
        f"longest after the restart that followed its kill {max(after_restart):.1f} s"
    )
    assert max(after_restart) <= SEND_DEADLINE_S


async def test_approvals_taken_while_redis_is_down_are_sent_once_it_is_back(
    engine: AsyncEngine, api_environment: dict[str, str], tmp_path: Path
) -> None:
    private = Settings(var_dir=tmp_path / "var", redis_port=_free_port())
    redis_url = f"redis://127.0.0.1:{private.redis_port}/0"
    fake = FakePlatform()
    with serve(fake) as stub:
        tenant = await _connected_shop(engine, stub.url)
        ids = [await platform_item(engine, tenant.creator_id, name=f"Fan{n}") for n in range(3)]
        embedded.start_redis(private)
        info = embedded.redis_status(private)
        assert info is not None
        os.kill(info.pid, signal.SIGKILL)  # Redis vanishes
        env = _env(api_environment, REDIS_URL=redis_url)
        decided = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "tests.api.fault_proc", "approve", str(tenant.creator_id), *map(str, ids)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert decided.returncode == 0, decided.stderr[-2000:]
        assert decided.stdout.strip().splitlines()[-1] == '["approved", "approved", "approved"]'
        assert {i.status for i in (await _items(engine, ids)).values()} == {ApprovalStatus.approved}
        assert stub.requests == []  # decided, nothing sent yet
        down_at = datetime.now(UTC)

        embedded.start_redis(private)
        worker = Worker(env, tmp_path / "worker.log")
        back = time.time()
        worker.start()
        try:
            items = await _wait_until_ended(engine, ids, SEND_DEADLINE_S)
        finally:
            worker.stop()
            embedded.stop_redis(private)
    log = (tmp_path / "worker.log").read_text()[-3000:]
    assert {i.status for i in items.values()} == {ApprovalStatus.executed}, log
    assert await _sent_per_item(engine, ids) == dict.fromkeys(ids, 1)
    assert sorted(fake.messages) == sorted(str(i) for i in ids)
    after = max(i.executed_at.timestamp() for i in items.values() if i.executed_at) - back
    print(
        f"\n[faults] {len(ids)} approvals taken with Redis down (decided {down_at:%H:%M:%S}): all sent once, "
        f"the last {after:.1f} s after Redis and the worker came back"
    )
