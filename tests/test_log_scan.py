"""The log scan: after every other test of the run, read what this run logged — this pytest process and
every child it started (the API under uvicorn, workers killed and restarted, servers' error pages) —
and find no token, password, signing secret, vault key or ciphertext in it."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from core import embedded
from core.crypto import Vault, parse_keys
from core.settings import (
    DEFAULT_APP_DB_PASSWORD,
    DEFAULT_DEMO_WEBHOOK_SECRET,
    DEFAULT_SECRET_KEY,
    get_settings,
)
from crm.demo import DEMO_PASSWORD
from tests.api.conftest import PASSWORD
from tests.conftest import SUITE_LOGS, record_figure

pytestmark = pytest.mark.log_scan


@dataclass(frozen=True)
class Secret:
    kind: str
    pattern: re.Pattern[str]


def _literal(kind: str, value: str) -> Secret:
    return Secret(kind, re.compile(re.escape(value)))


def secrets_to_find() -> list[Secret]:
    """Every secret this run knows of, as the forms it would take in a log line."""
    settings = get_settings()
    found = [
        _literal("staff password", PASSWORD),
        _literal("demo password", DEMO_PASSWORD),
        _literal("secret key", settings.secret_key.get_secret_value()),
        _literal("secret key", DEFAULT_SECRET_KEY),
        _literal("database password", settings.app_db_password.get_secret_value()),
        _literal("database password", DEFAULT_APP_DB_PASSWORD),
        _literal("database password", embedded.OWNER_PASSWORD),
        _literal("webhook signing secret", settings.demo_webhook_secret.get_secret_value()),
        _literal("webhook signing secret", DEFAULT_DEMO_WEBHOOK_SECRET),
        # Test tenants' signing secrets, API tokens (`fp_` + 40), TOTP seeds shown at enrolment.
        Secret("webhook signing secret", re.compile(r"whsec-test-[0-9a-f]{32}")),
        Secret("API token", re.compile(r"\bfp_[A-Za-z0-9_-]{40}")),
        Secret("TOTP secret", re.compile(r"otpauth://totp/[^\s\"']*secret=")),
    ]
    for key_id, key in parse_keys(settings.vault_keys.get_secret_value()):
        found.append(_literal("vault key", base64.b64encode(key).decode()))
        # A vault envelope starts with version, key-id length and key id: as Python bytes, as
        # Postgres' bytea hex and as base64 (the forms a log line, an SQL error or JSON would use).
        header = bytes([1, len(key_id)]) + key_id.encode()
        # (Python's repr writes a length byte of 9, 10 or 13 as an escape letter, and 32 or more as a character.)
        # Python picks double quotes for a bytes repr holding a ' and no ": the ciphertext decides.
        inside = repr(header)[2:-1]
        found.append(_literal("vault ciphertext", "b'" + inside))
        found.append(_literal("vault ciphertext", 'b"' + inside))
        found.append(_literal("vault ciphertext", "\\x" + header.hex()))
        found.append(_literal("vault ciphertext", base64.b64encode(header).decode()[:8]))
    return found


def scan(directory: Path, secrets: list[Secret]) -> tuple[int, int, list[str]]:
    """(files, lines, leaks) — each leak as `file:line: kind`, the value itself never repeated."""
    files = lines = 0
    leaks: list[str] = []
    for path in sorted(directory.rglob("*.log")):
        files += 1
        with path.open(encoding="utf-8", errors="replace") as text:
            for number, line in enumerate(text, start=1):
                lines += 1
                for secret in secrets:
                    if secret.pattern.search(line):
                        leaks.append(f"{path.name}:{number}: {secret.kind}")
    return files, lines, leaks


def test_the_scanner_finds_each_kind_of_secret(tmp_path: Path) -> None:
    settings = get_settings()
    vault = Vault.from_settings(settings)
    sealed = vault.encrypt("s3cret", creator_id="c", platform="onlyfans", field="webhook_secret")
    planted = [
        f"login failed for password {PASSWORD}",
        "issued fp_" + "A" * 40,
        "verified with whsec-test-" + "0" * 32,
        f"parameters: ({sealed!r},)",
        f"[SQL: INSERT …] [parameters: ('\\x{sealed.hex()}',)]",
        f'{{"secret": "{base64.b64encode(sealed).decode()}"}}',
        "FANPILOT_VAULT_KEYS=" + settings.vault_keys.get_secret_value(),
        "otpauth://totp/Fanpilot:me?secret=JBSWY3DPEHPK3PXP",
    ]
    (tmp_path / "planted.log").write_text("\n".join(["nothing to see", *planted]) + "\n")
    files, lines, leaks = scan(tmp_path, secrets_to_find())
    assert (files, lines) == (1, len(planted) + 1)
    assert {int(leak.split(":")[1]) for leak in leaks} == set(range(2, len(planted) + 2))


def test_no_secret_in_the_logs_of_the_whole_run() -> None:
    files, lines, leaks = scan(SUITE_LOGS, secrets_to_find())
    children = sorted({p.name.rsplit("-", 1)[0] for p in SUITE_LOGS.rglob("*.log") if p.name != "pytest.log"})
    record_figure(
        f"\n[log scan] {files} log files ({', '.join(children) or 'this process only'}), {lines} lines: "
        f"{len(leaks)} secrets"
    )
    assert (SUITE_LOGS / "pytest.log").exists()
    assert not leaks, "\n".join(leaks[:50])
