"""The webhook abuse table, against the real server (uvicorn in its own process): forged, replayed,
stale, oversize, deep, NaN, wrong types, unicode and NUL deliveries each get the documented 4xx,
never a 5xx, and nothing is stored twice. Prints the figure the README quotes."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.routes.webhooks import MAX_BODY_BYTES
from api.webhooks.body import MAX_DEPTH
from api.webhooks.signing import sign_ofapi, sign_standard_webhook
from core.db import tenant_session
from core.tenancy import SYSTEM
from crm.runtime.models import WebhookEvent
from tests.api.conftest import Shop, make_shop
from tests.conftest import record_figure

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Delivery:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Case:
    family: str
    name: str
    expected: int  # the documented answer
    stored: int  # rows this delivery may add: 1 when accepted, 0 otherwise
    build: Callable[[Shop, Shop], Delivery]


def _ofapi(shop: Shop, body: bytes, *, key: str | None = None, secret: str | None = None) -> Delivery:
    headers = {
        "content-type": "application/json",
        "signature": sign_ofapi(body, secret or shop.secret),
        "x-ofapi-idempotency-key": key or f"evt_{uuid.uuid4().hex}",
    }
    return Delivery("/webhooks/onlyfansapi", body, headers)


def _generic(shop: Shop, body: bytes, *, msg_id: str | None = None, at: int | None = None) -> Delivery:
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if at is None else at
    return Delivery(
        "/webhooks/generic",
        body,
        {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign_standard_webhook(body, shop.secret, msg_id=msg_id, timestamp=timestamp),
        },
    )


def _event(shop: Shop, **payload: object) -> dict[str, object]:
    return {"event": "messages.received", "account_id": shop.account_id, "payload": {"text": "hi", **payload}}


def _raw(shop: Shop, payload_json: str) -> bytes:
    """An event whose payload is the given JSON text, byte for byte."""
    return (
        '{"event": "messages.received", "account_id": "'
        + shop.account_id
        + '", "payload": '
        + payload_json
        + "}"
    ).encode()


def _nested(depth: int, *, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def _cases() -> list[Case]:
    ok = lambda shop: json.dumps(_event(shop)).encode()  # noqa: E731
    cases = [
        # forged
        Case("forged", "wrong signature", 401, 0,
             lambda s, o: Delivery("/webhooks/onlyfansapi", ok(s), {**_ofapi(s, ok(s)).headers, "signature": "0" * 64})),
        Case("forged", "no signature", 401, 0,
             lambda s, o: Delivery("/webhooks/onlyfansapi", ok(s), {"content-type": "application/json"})),
        Case("forged", "signed with another creator's secret", 401, 0, lambda s, o: _ofapi(s, ok(s), secret=o.secret)),
        Case("forged", "body changed after signing", 401, 0,
             lambda s, o: Delivery("/webhooks/onlyfansapi", ok(s).replace(b"hi", b"yo"), _ofapi(s, ok(s)).headers)),
        Case("forged", "unknown account", 401, 0,
             lambda s, o: _ofapi(s, json.dumps({**_event(s), "account_id": "acct_nobody"}).encode())),
        Case("forged", "generic: signature of another id", 401, 0,
             lambda s, o: Delivery("/webhooks/generic", ok(s), {**_generic(s, ok(s)).headers, "webhook-id": "msg_other"})),
        Case("forged", "generic: no signature header", 401, 0,
             lambda s, o: Delivery("/webhooks/generic", ok(s), {k: v for k, v in _generic(s, ok(s)).headers.items() if k != "webhook-signature"})),
        # stale
        Case("stale", "generic: 6 minutes old", 401, 0, lambda s, o: _generic(s, ok(s), at=int(time.time()) - 360)),
        Case("stale", "generic: 6 minutes ahead", 401, 0, lambda s, o: _generic(s, ok(s), at=int(time.time()) + 360)),
        Case("stale", "generic: timestamp not a number", 401, 0,
             lambda s, o: Delivery("/webhooks/generic", ok(s), {**_generic(s, ok(s)).headers, "webhook-timestamp": "yesterday"})),
        # oversize
        Case("oversize", "declared larger than 256 KiB", 413, 0,
             lambda s, o: _ofapi(s, _raw(s, json.dumps({"text": "x" * MAX_BODY_BYTES})))),
        # deep
        Case("deep", "1,000 nested arrays (2 KB)", 422, 0, lambda s, o: _ofapi(s, _raw(s, '{"a": ' + _nested(1000) + "}"))),
        Case("deep", "1,000 nested objects", 422, 0,
             lambda s, o: _ofapi(s, _raw(s, '{"a": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}"))),
        Case("deep", "1,000 nested arrays, generic", 422, 0, lambda s, o: _generic(s, _raw(s, '{"a": ' + _nested(1000) + "}"))),
        Case("deep", f"one level past {MAX_DEPTH}", 422, 0,
             lambda s, o: _ofapi(s, _raw(s, '{"a": ' + _nested(MAX_DEPTH - 1) + "}"))),
        Case("deep", "unbalanced brackets, unsigned", 422, 0,
             lambda s, o: Delivery("/webhooks/onlyfansapi", b"[" * 5000, {"content-type": "application/json"})),
        # NaN and friends
        Case("NaN", "NaN literal", 422, 0, lambda s, o: _ofapi(s, _raw(s, '{"amount": NaN}'))),
        Case("NaN", "Infinity literal", 422, 0, lambda s, o: _ofapi(s, _raw(s, '{"amount": Infinity}'))),
        Case("NaN", "-Infinity literal", 422, 0, lambda s, o: _ofapi(s, _raw(s, '{"amount": -Infinity}'))),
        Case("NaN", "1e999 (overflows to infinity)", 422, 0, lambda s, o: _ofapi(s, _raw(s, '{"amount": 1e999}'))),
        Case("NaN", "NaN, generic", 422, 0, lambda s, o: _generic(s, _raw(s, '{"amount": NaN}'))),
        Case("NaN", "5,000-digit integer", 422, 0, lambda s, o: _ofapi(s, _raw(s, '{"amount": ' + "9" * 5000 + "}"))),
        # wrong types
        Case("types", "not JSON", 422, 0, lambda s, o: _ofapi(s, b"event=messages.received")),
        Case("types", "empty body", 422, 0, lambda s, o: _ofapi(s, b"")),
        Case("types", "a JSON array", 422, 0, lambda s, o: _ofapi(s, b"[1, 2]")),
        Case("types", "a JSON string", 422, 0, lambda s, o: _ofapi(s, b'"hello"')),
        Case("types", "event is a number", 422, 0, lambda s, o: _ofapi(s, json.dumps({**_event(s), "event": 7}).encode())),
        Case("types", "event missing", 422, 0,
             lambda s, o: _ofapi(s, json.dumps({"account_id": s.account_id, "payload": {}}).encode())),
        Case("types", "account_id is an object", 422, 0,
             lambda s, o: _ofapi(s, json.dumps({**_event(s), "account_id": {"id": 1}}).encode())),
        Case("types", "payload is a string", 422, 0, lambda s, o: _ofapi(s, json.dumps({**_event(s), "payload": "x"}).encode())),
        Case("types", "unknown platform", 422, 0,
             lambda s, o: _ofapi(s, json.dumps({**_event(s), "platform": "myspace"}).encode())),
        Case("types", "a key repeated", 422, 0,
             lambda s, o: _ofapi(s, _raw(s, '{"text": "hi"}').replace(b'"event"', b'"account_id": "x", "event"', 1))),
        Case("types", "event name of 500 characters", 422, 0,
             lambda s, o: _ofapi(s, json.dumps({**_event(s), "event": "e" * 500}).encode())),
        # unicode and NUL
        Case("unicode", "raw NUL byte", 422, 0, lambda s, o: _ofapi(s, _raw(s, '{"text": "a\x00b"}'))),
        Case("unicode", "escaped \\u0000", 422, 0, lambda s, o: _ofapi(s, _raw(s, '{"text": "a\\u0000b"}'))),
        Case("unicode", "NUL in a key", 422, 0, lambda s, o: _ofapi(s, _raw(s, '{"a\\u0000": 1}'))),
        Case("unicode", "lone surrogate \\ud800", 422, 0, lambda s, o: _ofapi(s, _raw(s, '{"text": "\\ud800"}'))),
        Case("unicode", "invalid UTF-8 bytes", 422, 0,
             lambda s, o: _ofapi(s, _raw(s, '{"text": "x"}').replace(b'"x"', b'"\xff\xfe"'))),
        Case("unicode", "UTF-16 body", 422, 0, lambda s, o: _ofapi(s, json.dumps(_event(s)).encode("utf-16"))),
        Case("unicode", "NUL, generic", 422, 0, lambda s, o: _generic(s, _raw(s, '{"text": "a\\u0000b"}'))),
        # and what must still work
        Case("accepted", "emoji, RTL, combining marks, CJK", 200, 1,
             lambda s, o: _ofapi(s, json.dumps(_event(s, text="hey 😊 مرحبا é 你好 \u202e")).encode())),
        Case("accepted", f"{MAX_DEPTH} levels deep", 200, 1,
             lambda s, o: _ofapi(s, _raw(s, '{"a": ' + _nested(MAX_DEPTH - 2) + "}"))),
        Case("accepted", "a plain delivery, generic", 200, 1, lambda s, o: _generic(s, ok(s))),
    ]  # fmt: skip
    return cases


CASES = _cases()


async def _count(engine: AsyncEngine, shop: Shop) -> int:
    async with tenant_session(SYSTEM, engine=engine) as s:
        query = (
            sa.select(sa.func.count())
            .select_from(WebhookEvent)
            .where(WebhookEvent.creator_id == shop.creator_id)
        )
        return int((await s.execute(query)).scalar_one())


async def test_the_abuse_table(engine: AsyncEngine, live_server: str) -> None:
    shop, other = await make_shop(engine), await make_shop(engine)
    outcomes: list[tuple[Case, int, int]] = []
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        for case in CASES:
            delivery = case.build(shop, other)
            before = await _count(engine, shop)
            response = await http.post(delivery.path, content=delivery.body, headers=delivery.headers)
            outcomes.append((case, response.status_code, await _count(engine, shop) - before))

        # Replays: the same delivery again, and the same id with another (validly signed) body.
        replays = 0
        first = _ofapi(shop, json.dumps(_event(shop, id=1)).encode(), key=f"evt_{uuid.uuid4().hex}")
        generic_first = _generic(shop, json.dumps(_event(shop, id=2)).encode())
        before = await _count(engine, shop)
        for delivery in (first, generic_first):
            assert (await http.post(delivery.path, content=delivery.body, headers=delivery.headers)).json()[
                "status"
            ] == "accepted"
        resent = [
            first,
            first,
            _ofapi(
                shop, json.dumps(_event(shop, id=3)).encode(), key=first.headers["x-ofapi-idempotency-key"]
            ),
            generic_first,
            _generic(
                shop, json.dumps(_event(shop, id=4)).encode(), msg_id=generic_first.headers["webhook-id"]
            ),
        ]
        for delivery in resent:
            response = await http.post(delivery.path, content=delivery.body, headers=delivery.headers)
            replays += response.status_code == 200 and response.json()["status"] == "duplicate"
        replay_rows = await _count(engine, shop) - before

        # Oversize without a Content-Length (chunked): counted while streaming.
        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(MAX_BODY_BYTES // 4096 + 2):
                yield b" " * 4096

        chunked = await http.post(
            "/webhooks/onlyfansapi", content=chunks(), headers={"content-type": "application/json"}
        )

    wrong = [
        f"{case.family}/{case.name}: {status} (expected {case.expected}), stored {rows}"
        for case, status, rows in outcomes
        if status != case.expected or rows != case.stored
    ]
    five_xx = sum(status >= 500 for _, status, _ in outcomes) + (chunked.status_code >= 500)
    refused = [o for o in outcomes if o[0].expected >= 400]
    record_figure(
        f"\n[abuse] {len(refused)} hostile deliveries in {len({c.family for c, _, _ in refused})} families: "
        f"{sum(s == c.expected for c, s, _ in refused)}/{len(refused)} got the documented 4xx, {five_xx} 5xx, "
        f"{sum(r for c, _, r in refused)} stored; {replays}/{len(resent)} replays answered duplicate, "
        f"{replay_rows} rows for 2 distinct deliveries; chunked oversize → {chunked.status_code}"
    )
    assert not wrong, "\n".join(wrong)
    assert five_xx == 0
    assert replays == len(resent) and replay_rows == 2
    assert chunked.status_code == 413
