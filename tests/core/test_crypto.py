"""The secrets vault: envelopes round-trip, and anything tampered, misplaced or unkeyed fails loudly."""

from __future__ import annotations

import base64
import uuid

import pytest
from typer.testing import CliRunner

from cli.main import app
from core.crypto import Vault, VaultError, generate_key, parse_keys
from core.settings import Settings

KEY_A = "a1:" + base64.b64encode(b"A" * 32).decode()
KEY_B = "b2:" + base64.b64encode(b"B" * 32).decode()
CREATOR = uuid.uuid4()
CTX = {"creator_id": CREATOR, "platform": "onlyfans", "field": "api_key"}


def test_round_trip_and_random_nonce() -> None:
    vault = Vault.from_spec(KEY_A)
    first = vault.encrypt("sk-live-123", **CTX)  # type: ignore[arg-type]
    second = vault.encrypt("sk-live-123", **CTX)  # type: ignore[arg-type]
    assert first != second
    assert b"sk-live-123" not in first
    assert vault.decrypt(first, **CTX) == "sk-live-123"  # type: ignore[arg-type]
    assert vault.key_id_of(first) == "a1"
    assert not vault.needs_rotation(first)


def test_from_settings_uses_first_key_to_encrypt() -> None:
    vault = Vault.from_settings(Settings(vault_keys=f"{KEY_B},{KEY_A}"))  # type: ignore[arg-type]
    assert vault.active_key_id == "b2"
    assert vault.key_id_of(vault.encrypt("x", **CTX)) == "b2"  # type: ignore[arg-type]


@pytest.mark.parametrize("position", [0, 1, 3, 10, -1])
def test_flipping_any_byte_fails(position: int) -> None:
    vault = Vault.from_spec(KEY_A)
    blob = bytearray(vault.encrypt("secret", **CTX))  # type: ignore[arg-type]
    blob[position] ^= 0x01
    with pytest.raises(VaultError):
        vault.decrypt(bytes(blob), **CTX)  # type: ignore[arg-type]


def test_tampered_ciphertext_reports_failed_authentication() -> None:
    vault = Vault.from_spec(KEY_A)
    blob = bytearray(vault.encrypt("hunter2-plaintext", **CTX))  # type: ignore[arg-type]
    blob[-1] ^= 0x80
    with pytest.raises(VaultError, match="failed authentication") as info:
        vault.decrypt(bytes(blob), **CTX)  # type: ignore[arg-type]
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    "other",
    [
        {"creator_id": uuid.uuid4(), "platform": "onlyfans", "field": "api_key"},
        {"creator_id": CREATOR, "platform": "fansly", "field": "api_key"},
        {"creator_id": CREATOR, "platform": "onlyfans", "field": "webhook_secret"},
    ],
)
def test_ciphertext_copied_to_another_context_fails(other: dict[str, object]) -> None:
    vault = Vault.from_spec(KEY_A)
    blob = vault.encrypt("secret", **CTX)  # type: ignore[arg-type]
    with pytest.raises(VaultError, match="failed authentication"):
        vault.decrypt(blob, **other)  # type: ignore[arg-type]


def test_unknown_key_id_names_the_key_and_the_setting() -> None:
    blob = Vault.from_spec(KEY_A).encrypt("secret", **CTX)  # type: ignore[arg-type]
    with pytest.raises(VaultError, match=r"key 'a1' is not configured; add it to FANPILOT_VAULT_KEYS"):
        Vault.from_spec(KEY_B).decrypt(blob, **CTX)  # type: ignore[arg-type]


def test_old_key_still_decrypts_after_a_new_key_goes_first() -> None:
    blob = Vault.from_spec(KEY_A).encrypt("secret", **CTX)  # type: ignore[arg-type]
    rotated = Vault.from_spec(f"{KEY_B},{KEY_A}")
    assert rotated.needs_rotation(blob)
    assert rotated.decrypt(blob, **CTX) == "secret"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("nokey", "malformed"),
        ("a1:not base64!!", "not valid base64"),
        ("a1:" + base64.b64encode(b"short").decode(), "exactly 32"),
        (f"{KEY_A},{KEY_A}", "twice"),
        ("bad id:" + base64.b64encode(b"A" * 32).decode(), "key id"),
    ],
)
def test_malformed_key_config_is_a_clear_error(spec: str, message: str) -> None:
    with pytest.raises(VaultError, match=message):
        parse_keys(spec)


def test_garbage_is_not_an_envelope() -> None:
    vault = Vault.from_spec(KEY_A)
    for blob in (b"", b"\x01", b"\x02\x02a1" + b"\x00" * 40, b"\x01\x02a1" + b"\x00" * 5):
        with pytest.raises(VaultError):
            vault.decrypt(blob, **CTX)  # type: ignore[arg-type]


def test_generated_key_is_usable_and_repr_hides_material() -> None:
    line = generate_key()
    [(kid, key)] = parse_keys(line)
    assert len(key) == 32
    vault = Vault.from_spec(line)
    assert vault.decrypt(vault.encrypt("x", **CTX), **CTX) == "x"  # type: ignore[arg-type]
    assert line.split(":", 1)[1] not in repr(vault)
    assert kid in repr(vault)


def test_cli_new_key_prints_a_key_line_and_instructions() -> None:
    result = CliRunner().invoke(app, ["vault", "new-key"])
    assert result.exit_code == 0, result.output
    first_line = result.stdout.strip().splitlines()[0]
    [(kid, _)] = parse_keys(first_line)
    assert "FANPILOT_VAULT_KEYS" in result.output
    assert f"FANPILOT_VAULT_KEYS={kid}:" in result.output
    assert "fanpilot vault rotate" in result.output
