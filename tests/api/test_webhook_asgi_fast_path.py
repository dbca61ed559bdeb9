"""The webhook ASGI fast path answers exactly as the FastAPI routes do: same bodies for accepted and
duplicate deliveries, same error bodies through the app's own exception handlers, 500 for the
unexpected; other methods still reach the router."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from redis.exceptions import BusyLoadingError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.routes import webhooks
from api.routes.webhooks import MAX_BODY_BYTES, WebhookFastPath
from crm.webhooks import store
from tests.api.conftest import Shop


def _app(*, fast: bool) -> FastAPI:
    from api.app import create_app

    app = create_app()
    if not fast:
        app.webhook_fast_path = None
    return app


@pytest_asyncio.fixture
async def routed(api_environment: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """The same app with its webhook requests going through FastAPI's router instead."""
    transport = httpx.ASGITransport(app=_app(fast=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _answer(response: httpx.Response) -> tuple[int, str, object]:
    return response.status_code, response.headers["content-type"], response.json()


async def test_accepted_and_duplicate_answer_as_the_routes_do(
    client: httpx.AsyncClient, routed: httpx.AsyncClient, shop: Shop
) -> None:
    first, second = shop.body("messages.received", id=101), shop.body("messages.received", id=102)
    h1, h2 = shop.ofapi_headers(first), shop.ofapi_headers(second)

    fast_new = await client.post("/webhooks/onlyfansapi", content=first, headers=h1)
    routed_new = await routed.post("/webhooks/onlyfansapi", content=second, headers=h2)
    assert fast_new.status_code == routed_new.status_code == 200
    assert fast_new.json().keys() == routed_new.json().keys() == {"status", "event_id"}
    assert fast_new.json()["status"] == routed_new.json()["status"] == "accepted"

    # Each side sees the other's delivery again: a duplicate, answered byte for byte alike.
    fast_again = await client.post("/webhooks/onlyfansapi", content=second, headers=h2)
    routed_again = await routed.post("/webhooks/onlyfansapi", content=first, headers=h1)
    assert _answer(fast_again) == _answer(routed_again)
    assert fast_again.json() == {"status": "duplicate", "event_id": None}
    assert int(fast_again.headers["content-length"]) == len(fast_again.content)

    generic = shop.body("messages.received", id=103)
    fast_generic = await client.post(
        "/webhooks/generic", content=generic, headers=shop.standard_headers(generic)
    )
    assert fast_generic.json()["status"] == "accepted"


async def test_refusals_answer_as_the_routes_do(
    client: httpx.AsyncClient, routed: httpx.AsyncClient, shop: Shop
) -> None:
    body = shop.body("messages.received")
    oversize = shop.body("messages.received", text="x" * MAX_BODY_BYTES)
    refusals = [
        ("/webhooks/onlyfansapi", body, {**shop.ofapi_headers(body), "signature": "0" * 64}),
        ("/webhooks/onlyfansapi", b"{not json", shop.ofapi_headers(b"{not json")),
        ("/webhooks/onlyfansapi", oversize, shop.ofapi_headers(oversize)),
        ("/webhooks/generic", body, {"content-type": "application/json"}),
        ("/webhooks/generic", b"[1]", shop.standard_headers(b"[1]")),
    ]
    for path, content, headers in refusals:
        fast = await client.post(path, content=content, headers=headers)
        slow = await routed.post(path, content=content, headers=headers)
        assert _answer(fast) == _answer(slow), (path, fast.text, slow.text)
        assert fast.status_code in (401, 413, 422)
        assert fast.json()["error"] in ("NotAuthenticated", "PayloadTooLarge", "ValidationFailed")


async def test_other_methods_and_paths_reach_the_router(client: httpx.AsyncClient) -> None:
    assert isinstance(_app(fast=True).webhook_fast_path, WebhookFastPath)
    assert (await client.get("/webhooks/onlyfansapi")).status_code == 405
    assert (await client.post("/webhooks/unknown", content=b"{}")).status_code == 404
    spec = (await client.get("/openapi.json")).json()
    assert {"/webhooks/onlyfansapi", "/webhooks/generic"} <= set(spec["paths"])


async def test_a_backing_service_away_is_503_through_the_apps_handler(
    client: httpx.AsyncClient, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def loading(**_: object) -> store.StoreOutcome:
        # A subclass of a handled class (redis ConnectionError): matched along the class hierarchy.
        raise BusyLoadingError("loading the dataset in memory")

    monkeypatch.setattr(store, "store_event_if_signer_current", loading)
    body = shop.body("messages.received")
    warm = await client.post("/webhooks/onlyfansapi", content=body, headers=shop.ofapi_headers(body))
    # The first delivery may take the uncached-secret path; the cached one then hits the patched store.
    again = shop.body("messages.received", id=7)
    response = await client.post("/webhooks/onlyfansapi", content=again, headers=shop.ofapi_headers(again))
    assert response.status_code == 503, (warm.status_code, response.text)
    assert response.headers["retry-after"] == "5"
    assert "Redis" not in response.text


async def test_an_unexpected_error_is_a_plain_500(
    api_environment: dict[str, str], engine: AsyncEngine, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(body: bytes) -> webhooks.ParsedEvent:
        raise RuntimeError(f"a bug, with a secret in its message: {json.loads(body)['account_id']}")

    monkeypatch.setattr(webhooks, "_parse", broken)
    transport = httpx.ASGITransport(app=_app(fast=True), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        body = shop.body("messages.received")
        response = await c.post("/webhooks/onlyfansapi", content=body, headers=shop.ofapi_headers(body))
    assert response.status_code == 500
    assert shop.account_id not in response.text
