"""API fixtures: the app wired to the per-process test database and Redis, signed webhook senders,
tenants with a platform connection, staff with passwords."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from redis import Redis as SyncRedis
from sqlalchemy.ext.asyncio import AsyncEngine

from api.webhooks.signing import sign_ofapi, sign_standard_webhook
from core.db import get_engine, tenant_session
from core.passwords import hash_password
from core.redis import get_redis, reset_clients
from core.settings import get_settings
from core.tenancy import SYSTEM, StaffRole
from crm.accounts.models import StaffUser
from crm.creators import service as creators
from crm.enums import Platform
from tests.factories import Tenant, make_staff, make_tenant

# Copies of the shared OnlyFansAPI sample deliveries (shapes from the provider's documentation).
SAMPLES = Path(__file__).parent / "samples"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session", autouse=True)
def api_environment(test_db: Any, redis_url: str) -> dict[str, str]:
    """Point the app, the queue and the agent at the test servers (they read settings, not fixtures)."""
    env = {
        "DATABASE_URL": test_db.urls.owner,
        "FANPILOT_APP_DATABASE_URL": test_db.urls.app,
        "REDIS_URL": redis_url,
        "FANPILOT_ENV": "test",
    }
    os.environ.update(env)
    get_settings.cache_clear()
    get_engine.cache_clear()
    reset_clients()
    SyncRedis.from_url(redis_url).flushdb()
    return env


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.json").read_text())


SAMPLE_NAMES = sorted(p.stem for p in SAMPLES.glob("*.json"))


@dataclass
class Shop:
    """A tenant (agency + creator) with an OnlyFansAPI connection and its signing secret."""

    tenant: Tenant
    account_id: str
    secret: str

    @property
    def creator_id(self) -> uuid.UUID:
        return self.tenant.creator_id

    def body(self, name: str, **payload_changes: Any) -> bytes:
        event = sample(name)
        event["account_id"] = self.account_id
        event["payload"].update(payload_changes)
        return json.dumps(event).encode()

    def ofapi_headers(self, body: bytes, *, key: str | None = None) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "signature": sign_ofapi(body, self.secret),
            "x-ofapi-idempotency-key": key or f"evt_{uuid.uuid4().hex}{uuid.uuid4().hex[:8]}",
        }

    def standard_headers(
        self, body: bytes, *, msg_id: str | None = None, at: int | None = None
    ) -> dict[str, str]:
        msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
        timestamp = int(time.time()) if at is None else at
        return {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign_standard_webhook(body, self.secret, msg_id=msg_id, timestamp=timestamp),
        }


async def make_shop(engine: AsyncEngine, *, creators_count: int = 1) -> Shop:
    tenant = await make_tenant(engine, creators=creators_count)
    account_id = f"acct_{uuid.uuid4().hex[:12]}"
    secret = f"whsec-test-{uuid.uuid4().hex}"
    async with tenant_session(SYSTEM, engine=engine) as s:
        await creators.create_connection(
            s,
            SYSTEM,
            creator_id=tenant.creator_id,
            platform=Platform.onlyfans,
            account_id=account_id,
            webhook_secret=secret,
        )
    return Shop(tenant=tenant, account_id=account_id, secret=secret)


@pytest_asyncio.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await make_shop(engine)


async def make_login(
    engine: AsyncEngine,
    tenant: Tenant,
    *,
    role: StaffRole,
    creator_ids: tuple[uuid.UUID, ...] = (),
    creator_id: uuid.UUID | None = None,
) -> tuple[uuid.UUID, str]:
    """A staff member with a password; returns (id, email). A creator login is bound to `creator_id`."""
    staff_id = await make_staff(engine, tenant, role=role, creator_ids=creator_ids, creator_id=creator_id)
    async with tenant_session(SYSTEM, engine=engine) as s:
        user = await s.get(StaffUser, staff_id)
        assert user is not None
        user.password_hash = hash_password(PASSWORD)
        email = user.email
    return staff_id, email


@pytest_asyncio.fixture
async def client(api_environment: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    from api.app import create_app

    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def sign_in(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    """Sign in on this client (cookie jar) and set the CSRF header for later writes."""
    response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    me: dict[str, Any] = response.json()
    client.headers["X-CSRF-Token"] = me["csrf_token"]
    return me


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(api_environment: dict[str, str]) -> Iterator[str]:
    """The real app under uvicorn in a child process on a free loopback port."""
    import subprocess
    import sys

    from tests.api.faults_kit import log_path

    port = _free_port()
    root = Path(__file__).resolve().parents[2]
    log = log_path("live-server", root / "var" / "test-logs")
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "info"],
            cwd=root,
            env={**os.environ, **api_environment, "PYTHONPATH": str(root)},
            stdout=out,
            stderr=out,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("the API did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


async def drain_queue() -> None:
    """Run an arq worker in this process in burst mode: it works the queue empty, then returns."""
    from arq.worker import Worker

    from api.worker import worker_settings

    worker = Worker(
        **{**worker_settings(), "cron_jobs": []}, burst=True, handle_signals=False, poll_delay=0.05
    )
    try:
        await worker.main()
    finally:
        await worker.close()


async def clear_queue() -> None:
    """Forget jobs earlier tests left queued, so a drain runs only the current test's work."""
    redis = get_redis()
    keys = [key async for key in redis.scan_iter("arq:*")]
    if keys:
        await redis.delete(*keys)


@pytest_asyncio.fixture(autouse=True)
async def fresh_login_address_window(redis_url: str) -> AsyncIterator[None]:
    """Every test signs in from 127.0.0.1; start each with that address's login window empty.

    The per-email limit and the limits within one test still apply (test_auth_inbox checks them).
    """
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    try:
        async for key in redis.scan_iter(match="fp:rl:login-ip:*"):
            await redis.delete(key)
    finally:
        await redis.aclose()
    yield
