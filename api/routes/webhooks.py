"""Inbound platform webhooks: verified over the raw body, stored before the 2xx, processed by the worker."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api import queue
from api.auth import ratelimit
from api.deps import NotAuthenticated, RedisDep, client_address, errors
from api.webhooks import signing, store
from core.db import tenant_session
from core.errors import AppError, ValidationFailed
from core.tenancy import SYSTEM
from crm.creators import service as creators
from crm.enums import Platform, WebhookStatus

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

MAX_BODY_BYTES = 256 * 1024


class PayloadTooLarge(AppError):
    status_code = 413


class WebhookAccepted(BaseModel):
    status: Literal["accepted", "duplicate"]
    event_id: uuid.UUID | None = None


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body larger than {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"body larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """(event type, account id, payload, whole document) or 422."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed("body is not valid JSON") from exc
    if not isinstance(document, dict):
        raise ValidationFailed("body must be a JSON object")
    event = document.get("event", document.get("type"))
    account_id = document.get("account_id")
    payload = document.get("payload", document.get("data", {}))
    if not isinstance(event, str) or not event or len(event) > 80:
        raise ValidationFailed("'event' must be a non-empty string")
    if not isinstance(account_id, str) or not account_id or len(account_id) > 120:
        raise ValidationFailed("'account_id' must be a non-empty string")
    if not isinstance(payload, dict):
        raise ValidationFailed("'payload' must be an object")
    return event, account_id, payload, document


def _platform_for(event: str, document: dict[str, Any]) -> Platform:
    if event.startswith("fansly."):
        return Platform.fansly
    try:
        return Platform(str(document.get("platform", Platform.onlyfans)))
    except ValueError as exc:
        raise ValidationFailed("unknown 'platform'") from exc


async def _accept(
    *, source: str, idempotency_key: str, event: str, account_id: str, document: dict[str, Any], verify: Callable[[str], bool]
) -> WebhookAccepted:
    async with tenant_session(SYSTEM) as s:
        connection = await creators.find_connection_for_webhook(
            s, platform=_platform_for(event, document), account_id=account_id
        )
        secret = creators.webhook_secret_for(connection) if connection else None
        # Unknown account and wrong signature answer the same, so senders cannot probe accounts.
        if connection is None or not secret or not verify(secret):
            raise NotAuthenticated("bad signature")
        event_id = await store.store_event(
            s,
            source=source,
            idempotency_key=idempotency_key,
            event_type=event,
            payload=document,
            creator_id=connection.creator_id,
            connection_id=connection.id,
        )
    if event_id is None:
        return WebhookAccepted(status="duplicate")
    # Stored and committed: from here nothing is lost, even if Redis is down (the sweeper re-enqueues).
    if await queue.enqueue("process_webhook_event", str(event_id), job_id=f"webhook:{event_id}"):
        async with tenant_session(SYSTEM) as s:
            await store.set_status(
                s, event_id=event_id, status=WebhookStatus.queued, only_if=(WebhookStatus.received,)
            )
    return WebhookAccepted(status="accepted", event_id=event_id)


@router.post("/onlyfansapi", response_model=WebhookAccepted, responses=errors(401, 413, 422, 429))
async def onlyfansapi(request: Request, redis: RedisDep) -> WebhookAccepted:
    """Receive an OnlyFansAPI event (hex HMAC-SHA256 `Signature` over the raw body)."""
    await ratelimit.hit(redis, ratelimit.WEBHOOKS_PER_ADDRESS, client_address(request))
    body = await _read_body(request)
    event, account_id, _, document = _parse(body)
    signature = request.headers.get("signature")
    key = request.headers.get("x-ofapi-idempotency-key") or ""
    if not key or len(key) > 200:
        # Without a delivery id, identical bodies are the same delivery.
        key = "sha256:" + hashlib.sha256(body).hexdigest()
    return await _accept(
        source="onlyfansapi",
        idempotency_key=key,
        event=event,
        account_id=account_id,
        document=document,
        verify=lambda secret: signing.verify_ofapi_signature(body, secret, signature),
    )


@router.post("/generic", response_model=WebhookAccepted, responses=errors(401, 413, 422, 429))
async def generic(request: Request, redis: RedisDep) -> WebhookAccepted:
    """Receive an event signed the Standard Webhooks way (webhook-id/-timestamp/-signature)."""
    await ratelimit.hit(redis, ratelimit.WEBHOOKS_PER_ADDRESS, client_address(request))
    body = await _read_body(request)
    msg_id = request.headers.get("webhook-id") or ""
    timestamp = request.headers.get("webhook-timestamp") or ""
    signature = request.headers.get("webhook-signature")
    if not msg_id or len(msg_id) > 200 or not signature:
        raise NotAuthenticated("missing webhook-id or webhook-signature")
    if not signing.timestamp_is_fresh(timestamp):
        raise NotAuthenticated("webhook-timestamp missing or outside the 5-minute tolerance")
    event, account_id, _, document = _parse(body)
    return await _accept(
        source="generic",
        idempotency_key=msg_id,
        event=event,
        account_id=account_id,
        document=document,
        verify=lambda secret: signing.verify_standard_webhook(
            body, secret, msg_id=msg_id, timestamp=timestamp, signature_header=signature
        ),
    )
