"""Processes and load for the fault tests: `fanpilot worker` and the API in child processes (killable
with SIGKILL, restartable), a signed webhook burst, and what the database says afterwards."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.webhooks.signing import sign_ofapi
from core.db import tenant_session
from core.tenancy import SYSTEM
from crm.approvals.models import HitlAction
from crm.creators import service as creators
from crm.enums import ApprovalStatus, MessageDirection, Platform
from crm.fans.models import FanMessage
from crm.runtime.models import WebhookEvent
from tests.factories import Tenant, make_tenant

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(api_environment: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **api_environment,
        "FANPILOT_PLATFORM_ADAPTER": "onlyfansapi",
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        **extra,
    }


def log_path(name: str, fallback: Path) -> Path:
    """Where a child process writes its log: the suite's log directory (scanned for secrets at the
    end of the run), else the test's own tmp dir."""
    base = os.environ.get("FANPILOT_TEST_LOG_DIR")
    directory = Path(base) if base else fallback
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{name}-{uuid.uuid4().hex[:8]}.log"


class Child:
    """A child process writing to one log file; SIGKILL-able and restartable."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=out)
        self.started_at = time.time()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def worker(env: dict[str, str], log: Path) -> Child:
    return Child([sys.executable, "-m", "cli", "worker"], env, log)


class Api(Child):
    """The API under uvicorn on a free port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        super().__init__(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            env, log,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, within: float = 90) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"the API exited:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the API did not start")


@dataclass
class Connected:
    tenant: Tenant
    account_id: str
    secret: str

    @property
    def creator_id(self) -> uuid.UUID:
        return self.tenant.creator_id


async def connected_tenant(engine: AsyncEngine, platform_url: str | None = None) -> Connected:
    """A tenant whose OnlyFansAPI connection signs webhooks and (optionally) sends to a stub platform."""
    tenant = await make_tenant(engine)
    account_id, secret = f"acct_{uuid.uuid4().hex[:10]}", f"whsec-test-{uuid.uuid4().hex}"
    async with tenant_session(SYSTEM, engine=engine) as s:
        await creators.create_connection(
            s, SYSTEM, creator_id=tenant.creator_id, platform=Platform.onlyfans, account_id=account_id,
            webhook_secret=secret, api_base_url=platform_url, api_key="stub-key" if platform_url else None,
        )  # fmt: skip
    return Connected(tenant=tenant, account_id=account_id, secret=secret)


def fan_message(shop: Connected, n: int, *, fan: int | None = None) -> bytes:
    """A new fan (or `fan`) writes a message: a reply run follows."""
    fan_id = fan if fan is not None else 70_000_000 + n
    return json.dumps(
        {
            "event": "messages.received",
            "account_id": shop.account_id,
            "payload": {
                "id": 5_000_000_000 + n,
                "text": f"<p>hey, message number {n}: how was your day?</p>",
                "createdAt": f"2026-11-20T18:{n // 60 % 60:02d}:{n % 60:02d}+00:00",
                "fromUser": {"id": fan_id, "username": f"fan{fan_id}", "displayName": f"Fan {fan_id}"},
            },
        }
    ).encode()


def tip(shop: Connected, n: int) -> bytes:
    """A tip recorded in the CRM (no agent run): cheap load."""
    return json.dumps(
        {
            "event": "transactions.new",
            "account_id": shop.account_id,
            "payload": {
                "id": f"txn_{uuid.uuid4().hex}",
                "type": "tip",
                "amount": round(1 + n / 100, 2),
                "currency": "USD",
                "createdAt": f"2026-11-21T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}+00:00",
                "fan": {"id": 99_120_311, "username": "burst_fan", "display_name": "Burst"},
            },
        }
    ).encode()


def signed(shop: Connected, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "signature": sign_ofapi(body, shop.secret),
        "x-ofapi-idempotency-key": f"evt_{uuid.uuid4().hex}",
    }


@dataclass
class BurstResult:
    acknowledged: list[uuid.UUID] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)  # "200" / "503" / "timeout" … → count
    slowest_refusal_s: float = 0.0
    timeline: list[tuple[float, str]] = field(default_factory=list)  # (time sent, outcome)

    def count(self, outcome: str) -> None:
        self.statuses[outcome] = self.statuses.get(outcome, 0) + 1


async def burst(
    url: str,
    shop: Connected,
    *,
    seconds: float,
    per_second: float,
    body: Callable[[int], bytes],
    request_timeout: float = 15.0,
) -> BurstResult:
    """Deliver signed webhooks at a steady rate; record every answer (and every failure to get one)."""
    result = BurstResult()

    async def deliver(http: httpx.AsyncClient, n: int) -> None:
        payload = body(n)
        started, sent_at = time.monotonic(), time.time()
        try:
            response = await http.post(
                "/webhooks/onlyfansapi", content=payload, headers=signed(shop, payload)
            )
        except httpx.TimeoutException:
            outcome = "timeout"
        except httpx.TransportError as exc:
            outcome = type(exc).__name__
        else:
            outcome = str(response.status_code)
            if response.status_code == 200 and response.json().get("status") == "accepted":
                result.acknowledged.append(uuid.UUID(response.json()["event_id"]))
            elif response.status_code != 200:
                result.slowest_refusal_s = max(result.slowest_refusal_s, time.monotonic() - started)
        result.count(outcome)
        result.timeline.append((sent_at, outcome))

    # A fresh connection per delivery, as platforms send them: a kept-alive one can be closed by the
    # server's idle timeout just as it is reused, a client-side race that says nothing about the API.
    no_reuse = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=request_timeout, limits=no_reuse) as http:
        tasks = []
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < seconds:
            tasks.append(asyncio.create_task(deliver(http, n)))
            n += 1
            await asyncio.sleep(max(0.0, start + n / per_second - time.monotonic()))
        await asyncio.gather(*tasks)
    return result


# ---------------------------------------------------------------- what the database says


async def items_of(engine: AsyncEngine, creator_id: uuid.UUID) -> list[HitlAction]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        query = sa.select(HitlAction).where(HitlAction.creator_id == creator_id)
        return list((await s.scalars(query)).all())


async def sent_per_item(engine: AsyncEngine, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.execute(
            sa.select(FanMessage.hitl_item_id, sa.func.count())
            .where(FanMessage.direction == MessageDirection.outbound, FanMessage.hitl_item_id.in_(ids))
            .group_by(FanMessage.hitl_item_id)
        )
        return {r[0]: int(r[1]) for r in rows}


async def event_statuses(engine: AsyncEngine, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.execute(
            sa.select(WebhookEvent.id, WebhookEvent.status).where(WebhookEvent.id.in_(ids))
        )
        return {r[0]: str(r[1]) for r in rows}


async def wait_for(check: Callable[[], Any], *, within: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(every)
    return bool(await check())


def approved_and_waiting(items: list[HitlAction]) -> list[HitlAction]:
    return [i for i in items if i.status == ApprovalStatus.approved]
