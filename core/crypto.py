"""The secrets vault: AES-256-GCM envelopes with a key id and associated data binding the context.

Envelope (bytes): version (1 byte, 0x01) | key-id length (1 byte) | key id (ASCII) | nonce (12 bytes)
| ciphertext + 16-byte GCM tag. The associated data is the envelope header plus
`fanpilot:v1:{creator_id}:{platform}:{field}`, so a ciphertext copied onto another creator, platform
or field (or with an edited header) fails authentication instead of decrypting.

Keys come from FANPILOT_VAULT_KEYS: comma-separated `key_id:base64(32 bytes)`. The first key
encrypts; every listed key decrypts. Rotation = put a new key first, re-encrypt, drop the old key.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import uuid
from datetime import UTC, datetime
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import AppError
from core.settings import Settings, get_settings

__all__ = ["ENVELOPE_VERSION", "Vault", "VaultError", "generate_key", "get_vault", "parse_keys"]

ENVELOPE_VERSION = 1
NONCE_BYTES = 12
KEY_BYTES = 32
TAG_BYTES = 16
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
KEYS_ENV = "FANPILOT_VAULT_KEYS"


class VaultError(AppError):
    """A secret cannot be encrypted or decrypted. Never carries the plaintext."""

    status_code = 500


def parse_keys(spec: str) -> list[tuple[str, bytes]]:
    """Parse `kid:base64,kid:base64` (first = active) into (key id, 32-byte key) pairs."""
    keys: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for position, raw in enumerate(spec.split(","), start=1):
        entry = raw.strip()
        if not entry:
            continue
        kid, sep, material = entry.partition(":")
        kid = kid.strip()
        if not sep or not material.strip():
            raise VaultError(f"{KEYS_ENV} entry {position} is malformed: expected 'key_id:base64(32 bytes)'")
        if not KEY_ID_PATTERN.match(kid):
            raise VaultError(
                f"{KEYS_ENV} entry {position}: key id must be 1-64 characters of letters, digits, '_', '.', '-'"
            )
        if kid in seen:
            raise VaultError(f"{KEYS_ENV} lists key id '{kid}' twice")
        try:
            key = base64.b64decode(material.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise VaultError(f"{KEYS_ENV}: key '{kid}' is not valid base64") from exc
        if len(key) != KEY_BYTES:
            raise VaultError(
                f"{KEYS_ENV}: key '{kid}' decodes to {len(key)} bytes; AES-256 needs exactly {KEY_BYTES}"
            )
        seen.add(kid)
        keys.append((kid, key))
    if not keys:
        raise VaultError(f"{KEYS_ENV} is empty: configure at least one 'key_id:base64(32 bytes)' key")
    return keys


def generate_key(key_id: str | None = None) -> str:
    """A fresh `key_id:base64(32 random bytes)` line for FANPILOT_VAULT_KEYS."""
    kid = key_id or f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"
    if not KEY_ID_PATTERN.match(kid):
        raise VaultError("key id must be 1-64 characters of letters, digits, '_', '.', '-'")
    return f"{kid}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


def _context(creator_id: uuid.UUID | str, platform: str, field: str) -> bytes:
    return f"fanpilot:v1:{creator_id}:{platform}:{field}".encode()


class Vault:
    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise VaultError(f"{KEYS_ENV} is empty: configure at least one key")
        self._ciphers = {kid: AESGCM(key) for kid, key in keys}
        self.active_key_id = keys[0][0]
        self.key_ids = tuple(kid for kid, _ in keys)

    @classmethod
    def from_spec(cls, spec: str) -> Vault:
        return cls(parse_keys(spec))

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        return cls.from_spec(settings.vault_keys.get_secret_value())

    def __repr__(self) -> str:  # never show key material
        return f"Vault(active={self.active_key_id!r}, keys={list(self.key_ids)!r})"

    def encrypt(self, plaintext: str, *, creator_id: uuid.UUID | str, platform: str, field: str) -> bytes:
        kid = self.active_key_id.encode("ascii")
        header = bytes([ENVELOPE_VERSION, len(kid)]) + kid
        nonce = os.urandom(NONCE_BYTES)
        aad = header + _context(creator_id, str(platform), field)
        return header + nonce + self._ciphers[self.active_key_id].encrypt(nonce, plaintext.encode(), aad)

    def decrypt(self, blob: bytes, *, creator_id: uuid.UUID | str, platform: str, field: str) -> str:
        kid, header, body = self._split(blob)
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise VaultError(f"key '{kid}' is not configured; add it to {KEYS_ENV}")
        nonce, ciphertext = body[:NONCE_BYTES], body[NONCE_BYTES:]
        aad = header + _context(creator_id, str(platform), field)
        try:
            plaintext = cipher.decrypt(nonce, ciphertext, aad)
        except InvalidTag as exc:
            raise VaultError(
                f"secret {field!r} failed authentication: it was tampered with or belongs to another "
                "creator, platform or field"
            ) from exc
        return plaintext.decode()

    def key_id_of(self, blob: bytes) -> str:
        return self._split(blob)[0]

    def needs_rotation(self, blob: bytes) -> bool:
        return self.key_id_of(blob) != self.active_key_id

    @staticmethod
    def _split(blob: bytes) -> tuple[str, bytes, bytes]:
        blob = bytes(blob)
        if len(blob) < 2:
            raise VaultError("not a vault envelope: too short")
        if blob[0] != ENVELOPE_VERSION:
            raise VaultError(f"unsupported vault envelope version {blob[0]}")
        kid_len = blob[1]
        header_len = 2 + kid_len
        if kid_len == 0 or len(blob) < header_len + NONCE_BYTES + TAG_BYTES:
            raise VaultError("not a vault envelope: truncated")
        try:
            kid = blob[2:header_len].decode("ascii")
        except UnicodeDecodeError as exc:
            raise VaultError("not a vault envelope: key id is not ASCII") from exc
        return kid, blob[:header_len], blob[header_len:]


@lru_cache
def get_vault() -> Vault:
    return Vault.from_settings(get_settings())
