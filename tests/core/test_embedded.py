"""The embedded PostgreSQL and Redis: start, reuse, stale pid files, busy ports, and the CLI around them.

Runs its own servers in a temporary var dir on free ports (never the shared 55432 / 56379) and
stops exactly those at the end.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import embedded
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SHARED_PORTS = {55432, 56379}


def _free_port() -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in SHARED_PORTS:
            return port


def _settings(var_dir: Path, pg_port: int, redis_port: int) -> Settings:
    return Settings(
        var_dir=var_dir,
        pg_port=pg_port,
        redis_port=redis_port,
        database_url=None,
        redis_url=None,
        app_database_url=None,
    )


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = _settings(tmp_path_factory.mktemp("var"), _free_port(), _free_port())
    yield settings
    # Only the servers of this temporary var dir.
    embedded.stop_redis(settings)
    embedded.stop_postgres(settings)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_second_start_reuses_the_running_servers(local: Settings) -> None:
    pg = embedded.start_postgres(local)
    assert pg.port == local.pg_port
    assert embedded.start_postgres(local).pid == pg.pid
    rd = embedded.start_redis(local)
    assert rd.port == local.redis_port
    assert embedded.start_redis(local).pid == rd.pid

    import psycopg

    with psycopg.connect(pg.owner_url(), connect_timeout=5) as conn:
        assert conn.execute("SELECT extname FROM pg_extension WHERE extname = 'vector'").fetchone()


def test_stale_redis_pid_file_is_replaced(local: Settings) -> None:
    embedded.stop_redis(local)
    pid_file = local.var_dir.resolve() / "redis" / "redis.pid"
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    dead = _dead_pid()
    pid_file.write_text(f"{dead} {local.redis_port}\n")
    assert embedded.redis_status(local) is None
    info = embedded.start_redis(local)
    assert info.pid != dead
    assert pid_file.read_text().split()[0] == str(info.pid)
    assert embedded.redis_status(local) == info


def test_busy_port_names_the_port_and_the_setting(local: Settings, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = int(squatter.getsockname()[1])

        redis_settings = _settings(tmp_path / "var", local.pg_port, busy)
        with pytest.raises(embedded.EmbeddedServiceError) as redis_error:
            embedded.start_redis(redis_settings)
        assert str(busy) in str(redis_error.value)
        assert "FANPILOT_REDIS_PORT" in str(redis_error.value)

        # Same cluster directory, now asked to listen on the busy port.
        embedded.stop_postgres(local)
        pg_settings = _settings(local.var_dir, busy, local.redis_port)
        with pytest.raises(embedded.EmbeddedServiceError) as pg_error:
            embedded.start_postgres(pg_settings)
        assert str(busy) in str(pg_error.value)
        assert "FANPILOT_PG_PORT" in str(pg_error.value)
    assert embedded.postgres_status(local) is None


def _cli(local: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "FANPILOT_DATABASE_URL", "FANPILOT_REDIS_URL"}
        and k != "FANPILOT_APP_DATABASE_URL"
    }
    env |= {
        "FANPILOT_VAR_DIR": str(local.var_dir),
        "FANPILOT_PG_PORT": str(local.pg_port),
        "FANPILOT_REDIS_PORT": str(local.redis_port),
    }
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_cli_services_start_env_stop(local: Settings) -> None:
    started = _cli(local, "services", "start")
    assert started.returncode == 0, started.stderr
    assert f"127.0.0.1:{local.pg_port}" in started.stdout
    assert f"127.0.0.1:{local.redis_port}" in started.stdout

    again = _cli(local, "services", "start")
    assert again.returncode == 0, again.stderr
    assert "PostgreSQL reusing" in again.stdout and "Redis reusing" in again.stdout

    env = _cli(local, "services", "env")
    assert env.returncode == 0, env.stderr
    lines = dict(line.split("=", 1) for line in env.stdout.strip().splitlines())
    assert f":{local.pg_port}/" in lines["DATABASE_URL"]
    assert lines["REDIS_URL"] == f"redis://127.0.0.1:{local.redis_port}/0"

    stopped = _cli(local, "services", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "PostgreSQL: stopped" in stopped.stdout and "Redis: stopped" in stopped.stdout
    assert embedded.postgres_status(local) is None and embedded.redis_status(local) is None

    not_running = _cli(local, "services", "env")
    assert not_running.returncode == 1
    assert "fanpilot services start" in not_running.stderr
