"""/healthz reports the real servers' versions through the app role."""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from core import health


async def test_health_reports_postgres_pgvector_redis_and_schema(engine: AsyncEngine, redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        report = await health.check(engine, redis)
    finally:
        await redis.aclose()
    assert report["status"] == "ok", report
    assert report["database"]["postgres"].startswith("18")
    assert report["database"]["pgvector"].startswith("0.8")
    assert report["database"]["schema_revision"]
    assert report["redis"]["version"]
