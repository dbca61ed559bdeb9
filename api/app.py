"""The FastAPI application."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import psycopg
import psycopg_pool
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import exc as sa_exc
from starlette.types import ASGIApp, Receive, Scope, Send

from core import health
from core.db import get_engine
from core.errors import AppError
from core.redis import get_redis
from crm import models as _all_models  # noqa: F401 - every mapper known before the first request

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
# A backing server that is down or unreachable: the request may succeed later, so 503 + Retry-After
# (what load balancers and webhook senders retry), never a 500 and never a hang.
UNAVAILABLE = (
    RedisConnectionError,
    RedisTimeoutError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg_pool.PoolTimeout,
    ConnectionError,
)


async def app_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    # `error`: the class name, for clients to switch on (e.g. TwoFactorRequired at sign-in).
    return JSONResponse(
        status_code=exc.status_code, content={"detail": exc.message, "error": type(exc).__name__}
    )


async def unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    # The class name only: a driver's message can quote connection details.
    log.warning(
        "%s %s: backing service unavailable (%s)", request.method, request.url.path, type(exc).__name__
    )
    return JSONResponse(
        status_code=503,
        content={"detail": "a backing service is unavailable; retry shortly"},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def dbapi_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A database error: 503 when the connection broke (server restart), else the generic 500."""
    assert isinstance(exc, sa_exc.DBAPIError)
    if exc.connection_invalidated:
        return await unavailable_handler(request, exc)
    log.error(
        "%s %s: database error %s", request.method, request.url.path, type(exc.orig).__name__, exc_info=exc
    )
    return JSONResponse(status_code=500, content={"detail": "internal error"})


ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


def exception_handlers() -> dict[type[Exception], ExceptionHandler]:
    """What each expected failure answers; the app and the webhook fast path both answer with these."""
    handlers: dict[type[Exception], ExceptionHandler] = {AppError: app_error_handler}
    handlers.update(dict.fromkeys(UNAVAILABLE, unavailable_handler))
    handlers[sa_exc.DBAPIError] = dbapi_error_handler
    return handlers


def _warm_up_embedder() -> asyncio.Task[None] | None:
    """Start the local embedding model's process in the background: the first memory search or
    assistant recall then finds it loaded (seconds of imports) instead of paying for it. Serving
    starts at once either way; a failure here is the first request's to report."""
    from memory.embeddings import LocalMiniLMEmbedder, get_embedder

    try:
        embedder = get_embedder()
    except Exception:  # noqa: BLE001 - a configuration error surfaces on first use, with its message
        return None
    if not isinstance(embedder, LocalMiniLMEmbedder):
        return None

    async def warm() -> None:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(embedder.warm_up)

    return asyncio.create_task(warm())


class FanpilotAPI(FastAPI):
    """The FastAPI app with webhook ingest served in front of it (`api.routes.webhooks.WebhookFastPath`):
    even FastAPI's outermost middlewares cost a measurable share of a delivery."""

    webhook_fast_path: ASGIApp | None = None  # None: webhooks through the router like any route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.webhook_fast_path is None:
            await super().__call__(scope, receive, send)
        else:
            await self.webhook_fast_path(scope, receive, send)


def create_app() -> FanpilotAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warming = _warm_up_embedder()
        yield
        if warming is not None and not warming.done():
            warming.cancel()
        from memory.access import ACCESS_LOG

        await ACCESS_LOG.flush()  # recall's batched access counts, before the pool goes
        await get_engine().dispose()

    app = FanpilotAPI(
        title="Fanpilot",
        version="0.1.0",
        description="AI chat assistant for creators: drafts, memories, and a human approval gate.",
        lifespan=lifespan,
    )
    handlers = exception_handlers()
    for exc_class, handler in handlers.items():
        app.add_exception_handler(exc_class, handler)
    from api.routes.webhooks import WebhookFastPath

    app.webhook_fast_path = WebhookFastPath(functools.partial(FastAPI.__call__, app), handlers=handlers)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> JSONResponse:
        """Report database, pgvector and Redis versions."""
        report = await health.check(get_engine(), get_redis())
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    from api import routes

    routes.include_all(app)
    return app
