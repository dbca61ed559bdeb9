"""Fixed-window rate limits in Redis, shared by every API process."""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from core.errors import AppError

log = logging.getLogger(__name__)
_QUIET_SECONDS = 10.0  # one warning per outage burst, not one per request
_last_warning = [0.0]


class RateLimited(AppError):
    status_code = 429


@dataclass(frozen=True)
class Limit:
    name: str
    requests: int
    window_seconds: int


# Login: per client address and per email, so neither spraying nor guessing one account works.
LOGIN_PER_ADDRESS = Limit("login-ip", 30, 300)
LOGIN_PER_EMAIL = Limit("login-email", 10, 300)
# Webhooks: generous (platforms burst), per client address.
WEBHOOKS_PER_ADDRESS = Limit("webhook-ip", 1200, 60)


# INCR and EXPIRE as one atomic command (cheaper for the client than a MULTI/EXEC pipeline).
_COUNT_HIT = """
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return count
"""
# One script object per client: registering hashes the script text, on every call otherwise.
_count_hit_scripts: weakref.WeakKeyDictionary[Redis, AsyncScript] = weakref.WeakKeyDictionary()


def _count_hit(redis: Redis) -> AsyncScript:
    script = _count_hit_scripts.get(redis)
    if script is None:
        script = _count_hit_scripts[redis] = redis.register_script(_COUNT_HIT)
    return script


async def hit(redis: Redis, limit: Limit, subject: str, *, fail_open: bool = False) -> None:
    """Count one request for `subject`; raise RateLimited (429) past the limit.

    `fail_open`: when Redis cannot count, let the request through (webhooks: an event refused for
    want of a counter would be an event lost to a retry storm; it is stored in Postgres instead).
    Otherwise the Redis error propagates (the API answers 503).
    """
    window = int(time.time()) // limit.window_seconds
    key = f"fp:rl:{limit.name}:{subject}:{window}"
    try:
        count = await _count_hit(redis)(keys=[key], args=[limit.window_seconds + 1])
    except (RedisError, OSError) as exc:
        if not fail_open:
            raise
        if time.monotonic() - _last_warning[0] > _QUIET_SECONDS:
            _last_warning[0] = time.monotonic()
            log.warning("rate limit %s not counted (Redis unavailable, letting requests through): %s",
                        limit.name, exc)  # fmt: skip
        return
    if int(count) > limit.requests:
        raise RateLimited("too many requests, slow down and retry shortly")


async def reset(redis: Redis, limit: Limit, subject: str) -> None:
    window = int(time.time()) // limit.window_seconds
    await redis.delete(f"fp:rl:{limit.name}:{subject}:{window}")
