"""Redis: URL resolution (REDIS_URL or the embedded server) and a shared async client."""

from __future__ import annotations

from functools import lru_cache

from redis.asyncio import Redis

from core.settings import Settings, get_settings


def resolve_redis_url(settings: Settings | None = None, *, start: bool = True) -> str:
    settings = settings or get_settings()
    if settings.redis_url:
        return settings.redis_url
    from core import embedded

    info = embedded.start_redis(settings) if start else embedded.redis_status(settings)
    if info is None:
        raise embedded.EmbeddedServiceError("the embedded Redis is not running: `fanpilot services start`")
    return info.url


@lru_cache
def get_redis() -> Redis:
    return Redis.from_url(resolve_redis_url(), decode_responses=True)
