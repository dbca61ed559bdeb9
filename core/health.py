"""Versions of the real servers behind the product, for /healthz and `fanpilot up`."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def check(engine: AsyncEngine, redis: Redis) -> dict[str, Any]:
    report: dict[str, Any] = {"status": "ok"}
    try:
        async with engine.connect() as conn:
            pg = (await conn.execute(text("SHOW server_version"))).scalar()
            vector = (
                await conn.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
            ).scalar()
            revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        report["database"] = {"ok": True, "postgres": pg, "pgvector": vector, "schema_revision": revision}
    except Exception as exc:  # noqa: BLE001 - a health check reports any failure, it never raises
        report["database"] = {"ok": False, "error": type(exc).__name__ + ": " + str(exc)[:200]}
        report["status"] = "degraded"
    try:
        info = await redis.info("server")
        report["redis"] = {"ok": True, "version": info.get("redis_version")}
    except Exception as exc:  # noqa: BLE001
        report["redis"] = {"ok": False, "error": type(exc).__name__ + ": " + str(exc)[:200]}
        report["status"] = "degraded"
    return report
