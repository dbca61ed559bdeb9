"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from core import health
from core.db import get_engine
from core.errors import AppError
from core.redis import get_redis


async def app_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse(status_code=exc.status_code, content={"detail": exc.message})


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        from memory.access import ACCESS_LOG

        await ACCESS_LOG.flush()  # recall's batched access counts, before the pool goes
        await get_engine().dispose()

    app = FastAPI(
        title="Fanpilot",
        version="0.1.0",
        description="AI chat assistant for creators: drafts, memories, and a human approval gate.",
        lifespan=lifespan,
    )
    app.add_exception_handler(AppError, app_error_handler)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> JSONResponse:
        """Report database, pgvector and Redis versions."""
        report = await health.check(get_engine(), get_redis())
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    from api import routes

    routes.include_all(app)
    return app
