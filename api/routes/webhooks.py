"""Inbound platform webhooks: verified over the raw body, stored before the 2xx, processed by the worker."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import ratelimit
from api.deps import NotAuthenticated, client_address, errors
from api.webhooks import signing
from api.webhooks.body import parse_object
from core import queue
from core.db import tenant_session
from core.errors import AppError, ValidationFailed
from core.redis import get_redis
from core.tenancy import SYSTEM
from crm.creators import service as creators
from crm.enums import Platform, WebhookStatus
from crm.webhooks import store

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

MAX_BODY_BYTES = 256 * 1024


class PayloadTooLarge(AppError):
    status_code = 413


# The body, for the OpenAPI document (the endpoints read the raw bytes: signatures cover them).
WEBHOOK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["event", "account_id", "payload"],
                    "properties": {
                        "event": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 80,
                            "example": "messages.received",
                        },
                        "account_id": {"type": "string", "minLength": 1, "maxLength": 120},
                        "payload": {"type": "object"},
                        "platform": {"type": "string", "enum": ["onlyfans", "fansly"]},
                    },
                }
            }
        },
    }
}


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


@dataclass(frozen=True)
class ParsedEvent:
    event: str
    account_id: str
    document: dict[str, Any]
    document_json: str  # the document as JSON text (what is stored)


def _parse(body: bytes) -> ParsedEvent:
    """The delivery's event type, account id and document, or 422 (strict, bounded JSON first)."""
    document, document_json = parse_object(body)
    event = document.get("event", document.get("type"))
    account_id = document.get("account_id")
    payload = document.get("payload", document.get("data", {}))
    if not isinstance(event, str) or not event or len(event) > 80:
        raise ValidationFailed("'event' must be a non-empty string")
    if not isinstance(account_id, str) or not account_id or len(account_id) > 120:
        raise ValidationFailed("'account_id' must be a non-empty string")
    if not isinstance(payload, dict):
        raise ValidationFailed("'payload' must be an object")
    return ParsedEvent(event=event, account_id=account_id, document=document, document_json=document_json)


def _platform_for(event: str, document: dict[str, Any]) -> Platform:
    if event.startswith("fansly."):
        return Platform.fansly
    try:
        return Platform(str(document.get("platform", Platform.onlyfans)))
    except ValueError as exc:
        raise ValidationFailed("unknown 'platform'") from exc


async def _store(
    *, source: str, idempotency_key: str, parsed: ParsedEvent, verify: Callable[[str], bool]
) -> uuid.UUID | None:
    """Verify the signature and store the event in one transaction: its id, or None for a redelivery.

    Optimistically stored as `queued` (the caller enqueues right after the commit and puts it back to
    `received` if Redis refuses); both statuses are swept alike, so a crash in between loses nothing.
    """
    platform = _platform_for(parsed.event, parsed.document)
    cached = creators.webhook_signers.get(platform, parsed.account_id)
    if cached is not None and cached.secret and cached.sealed_secret and verify(cached.secret):
        outcome = await store.store_event_if_signer_current(
            source=source,
            idempotency_key=idempotency_key,
            event_type=parsed.event,
            payload_json=parsed.document_json,
            connection_id=cached.connection_id,
            sealed_secret=cached.sealed_secret,
            status=WebhookStatus.queued,
        )
        if outcome.signer_current:
            return outcome.event_id
    # No cached secret, a signature the cached one does not verify, or a secret changed since it was
    # cached: read the connection again and decide on what the database holds now.
    async with tenant_session(SYSTEM) as s:
        signer = await creators.load_webhook_signer(s, platform=platform, account_id=parsed.account_id)
        # Unknown account and wrong signature answer the same, so senders cannot probe accounts.
        if signer is None or not signer.secret or not verify(signer.secret):
            raise NotAuthenticated("bad signature")
        return await store.store_event(
            s,
            source=source,
            idempotency_key=idempotency_key,
            event_type=parsed.event,
            payload=parsed.document,
            creator_id=signer.creator_id,
            connection_id=signer.connection_id,
            status=WebhookStatus.queued,
        )


async def _accept(
    *, source: str, idempotency_key: str, parsed: ParsedEvent, verify: Callable[[str], bool]
) -> WebhookAccepted:
    event_id = await _store(source=source, idempotency_key=idempotency_key, parsed=parsed, verify=verify)
    if event_id is None:
        return WebhookAccepted(status="duplicate")
    # Stored and committed: from here nothing is lost, even if Redis is down (the sweeper re-enqueues).
    if not await queue.enqueue("process_webhook_event", str(event_id), job_id=f"webhook:{event_id}"):
        async with tenant_session(SYSTEM) as s:
            await store.set_status(
                s, event_id=event_id, status=WebhookStatus.received, only_if=(WebhookStatus.queued,)
            )
    return WebhookAccepted(status="accepted", event_id=event_id)


@router.post(
    "/onlyfansapi",
    response_model=WebhookAccepted,
    responses=errors(401, 413, 422, 429, 503),
    openapi_extra=WEBHOOK_BODY,
)
async def onlyfansapi(request: Request) -> WebhookAccepted:
    """Receive an OnlyFansAPI event (hex HMAC-SHA256 `Signature` over the raw body)."""
    # The shared client directly: as a (sync) dependency it would cost a thread-pool hop per delivery.
    await ratelimit.hit(get_redis(), ratelimit.WEBHOOKS_PER_ADDRESS, client_address(request), fail_open=True)
    body = await _read_body(request)
    parsed = _parse(body)
    signature = request.headers.get("signature")
    key = request.headers.get("x-ofapi-idempotency-key") or ""
    if not key or len(key) > 200:
        # Without a delivery id, identical bodies are the same delivery.
        key = "sha256:" + hashlib.sha256(body).hexdigest()
    return await _accept(
        source="onlyfansapi",
        idempotency_key=key,
        parsed=parsed,
        verify=lambda secret: signing.verify_ofapi_signature(body, secret, signature),
    )


@router.post(
    "/generic",
    response_model=WebhookAccepted,
    responses=errors(401, 413, 422, 429, 503),
    openapi_extra=WEBHOOK_BODY,
)
async def generic(request: Request) -> WebhookAccepted:
    """Receive an event signed the Standard Webhooks way (webhook-id/-timestamp/-signature)."""
    await ratelimit.hit(get_redis(), ratelimit.WEBHOOKS_PER_ADDRESS, client_address(request), fail_open=True)
    body = await _read_body(request)
    msg_id = request.headers.get("webhook-id") or ""
    timestamp = request.headers.get("webhook-timestamp") or ""
    signature = request.headers.get("webhook-signature")
    if not msg_id or len(msg_id) > 200 or not signature:
        raise NotAuthenticated("missing webhook-id or webhook-signature")
    if not signing.timestamp_is_fresh(timestamp):
        raise NotAuthenticated("webhook-timestamp missing or outside the 5-minute tolerance")
    parsed = _parse(body)
    return await _accept(
        source="generic",
        idempotency_key=msg_id,
        parsed=parsed,
        verify=lambda secret: signing.verify_standard_webhook(
            body, secret, msg_id=msg_id, timestamp=timestamp, signature_header=signature
        ),
    )


# ------------------------------------------------------------------------------------------ fast path

# The hot path of ingest, measured (`fanpilot bench webhooks`): FastAPI's routing (every route of the
# app is tried in order, and webhooks come last), its exit stacks, dependency solving and response
# model serialisation cost about as much Python time per delivery as verifying and storing it. The
# endpoints take the raw request and nothing else, so the fast path calls them directly.
_FAST_ENDPOINTS: dict[str, Callable[[Request], Awaitable[WebhookAccepted]]] = {
    f"{router.prefix}/onlyfansapi": onlyfansapi,
    f"{router.prefix}/generic": generic,
}
_JSON_HEADERS = [(b"content-type", b"application/json")]


class WebhookFastPath:
    """Pure ASGI, in front of the app: `POST /webhooks/onlyfansapi|generic` go straight to their
    endpoints; everything else (other methods and paths, lifespan) goes to `app` as usual.

    Same endpoint functions, same answers: the JSON body FastAPI would have serialised, and every
    expected failure through the app's own exception handlers (`handlers`, matched along the
    exception's class hierarchy as Starlette does). Anything else propagates to the server, which
    answers 500 and logs it. The routes stay registered for the OpenAPI document.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        handlers: Mapping[type[Exception], Callable[[Request, Exception], Awaitable[Response]]],
    ) -> None:
        self.app = app
        self.handlers = dict(handlers)
        self.handled = tuple(self.handlers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = (
            _FAST_ENDPOINTS.get(scope["path"])
            if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path")
            else None
        )
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            accepted = await endpoint(request)
        except self.handled as exc:
            handler = next(self.handlers[c] for c in type(exc).__mro__ if c in self.handlers)
            await (await handler(request, exc))(scope, receive, send)
            return
        body = accepted.model_dump_json().encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
