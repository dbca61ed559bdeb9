"""Webhook signatures. Both schemes sign the raw request body, byte for byte.

- OnlyFansAPI: `Signature` header = lowercase hex HMAC-SHA256 of the body, keyed with the
  connection's signing secret.
- Standard Webhooks (generic endpoint): `webhook-signature` = space-separated `v1,<base64>` entries,
  each an HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`; a `whsec_` secret is base64 key
  material, any other secret is used as its UTF-8 bytes. Timestamps older or newer than five minutes
  are refused, so a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

STANDARD_WEBHOOKS_TOLERANCE_SECONDS = 300


def _key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            return secret.encode()
    return secret.encode()


def sign_ofapi(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_ofapi_signature(body: bytes, secret: str, signature: str | None) -> bool:
    if not signature:
        return False
    return hmac.compare_digest(sign_ofapi(body, secret), signature.strip().lower())


def sign_standard_webhook(body: bytes, secret: str, *, msg_id: str, timestamp: int) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def timestamp_is_fresh(timestamp: str | None, *, now: float | None = None) -> bool:
    try:
        sent = int(timestamp or "")
    except ValueError:
        return False
    current = time.time() if now is None else now
    return abs(current - sent) <= STANDARD_WEBHOOKS_TOLERANCE_SECONDS


def verify_standard_webhook(
    body: bytes, secret: str, *, msg_id: str, timestamp: str, signature_header: str | None
) -> bool:
    """True when any `v1,` signature in the header matches. The timestamp is checked separately."""
    if not signature_header:
        return False
    try:
        expected = sign_standard_webhook(body, secret, msg_id=msg_id, timestamp=int(timestamp))
    except ValueError:
        return False
    return any(hmac.compare_digest(expected, part) for part in signature_header.split() if part.startswith("v1,"))
