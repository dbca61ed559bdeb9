"""Test fixtures on real servers: PostgreSQL + pgvector and Redis.

By default the embedded servers (started, or reused if running); or TEST_DATABASE_URL (a role that
may create databases and roles) and TEST_REDIS_URL. Each pytest process migrates its own database
`fanpilot_test_<pid>` with `alembic upgrade head` and drops it at the end. Tests isolate by tenant:
each makes its own agency and creators, so RLS keeps them apart and nothing needs cleaning.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

os.environ.setdefault("FANPILOT_ENV", "test")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from core import embedded
from core.db import DatabaseUrls, _with_credentials, make_engine
from core.settings import Settings, get_settings
from migrations import runner

ROOT = Path(__file__).resolve().parents[1]
LOG_ROOT = ROOT / "var" / "test-logs"


def _start_suite_logs() -> Path:
    """Every log line of this run goes to files under var/test-logs/run-<pid>/: this process' through a
    root handler, child processes' (API, workers) through FANPILOT_TEST_LOG_DIR. The log-scan test reads
    them all at the end of the run."""
    for old in LOG_ROOT.glob("run-*"):
        pid = old.name.removeprefix("run-")
        if pid.isdigit() and int(pid) != os.getpid() and not embedded._pid_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    directory = LOG_ROOT / f"run-{os.getpid()}"
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["FANPILOT_TEST_LOG_DIR"] = str(directory)
    handler = logging.FileHandler(directory / "pytest.log", encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return directory


SUITE_LOGS = _start_suite_logs()


def record_figure(line: str) -> None:
    """A measured figure of this run: printed (`-s`) and kept in var/test-logs/run-<pid>/figures.txt,
    where the README's reliability section takes them from."""
    print(line)
    with (SUITE_LOGS / "figures.txt").open("a", encoding="utf-8") as out:
        out.write(line.strip() + "\n")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The log scan reads what every other test logged: it runs last."""
    items.sort(key=lambda item: item.get_closest_marker("log_scan") is not None)


@dataclass(frozen=True)
class ProvisionedDatabase:
    admin_url: str
    name: str
    urls: DatabaseUrls


def _replace_db(url: str, db_name: str) -> str:
    base, _, _ = url.partition("?")
    return base.rsplit("/", 1)[0] + f"/{db_name}"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def test_db(settings: Settings) -> Iterator[ProvisionedDatabase]:
    name = f"fanpilot_test_{os.getpid()}"
    admin = os.environ.get("TEST_DATABASE_URL")
    if admin:
        # Never migrate as the superuser: tables it owns would let SECURITY DEFINER code skip RLS.
        owner = _with_credentials(_replace_db(admin, name), embedded.OWNER_ROLE, embedded.OWNER_PASSWORD)
    else:
        info = embedded.start_postgres(settings)
        admin = info.admin_url
        owner = info.owner_url(name)
    embedded.drop_database(admin, name)
    embedded.ensure_database(admin, name)
    runner.upgrade(owner)
    app = _with_credentials(owner, settings.app_db_role, settings.app_db_password.get_secret_value())
    yield ProvisionedDatabase(admin_url=admin, name=name, urls=DatabaseUrls(owner=owner, app=app))
    embedded.drop_database(admin, name)


@pytest_asyncio.fixture(scope="session")
async def engine(test_db: ProvisionedDatabase) -> AsyncIterator[AsyncEngine]:
    """The app role's engine: non-superuser, under RLS. What the product uses."""
    from agent.checkpointer import close_pools

    eng = make_engine(test_db.urls.app, pool_size=5)
    yield eng
    await close_pools()
    await eng.dispose()


@pytest_asyncio.fixture(scope="session")
async def owner_engine(test_db: ProvisionedDatabase) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(test_db.urls.owner, pool_size=2)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def redis_url(settings: Settings) -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        return url
    info = embedded.start_redis(settings)
    # A database index per pytest process, so parallel runs do not see each other's keys (`make test`
    # runs the fault proofs beside the rest and names the index of each).
    index = os.environ.get("FANPILOT_TEST_REDIS_DB") or str(1 + os.getpid() % 15)
    return f"redis://127.0.0.1:{info.port}/{index}"


@pytest.fixture(scope="session", autouse=True)
def _product_redis(redis_url: str) -> Iterator[None]:
    """The product reads Redis from settings (job queue, events, rate limits): the test Redis, from
    the first test on, before any client or pool is cached."""
    previous = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = redis_url
    get_settings.cache_clear()
    yield
    if previous is None:
        os.environ.pop("REDIS_URL", None)
    else:
        os.environ["REDIS_URL"] = previous
    get_settings.cache_clear()
