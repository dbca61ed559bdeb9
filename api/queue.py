"""Enqueue arq jobs from the API and from other jobs. Every job id is deterministic, so enqueuing
the same work twice is a no-op while the first job is queued, running or its result is kept."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from redis.exceptions import RedisError

from core.redis import resolve_redis_url

log = logging.getLogger(__name__)
_pools: dict[int, ArqRedis] = {}


def redis_settings() -> RedisSettings:
    return RedisSettings.from_dsn(resolve_redis_url())


async def get_queue() -> ArqRedis:
    # One pool per event loop: a pool's connections belong to the loop that opened them.
    loop_id = id(asyncio.get_running_loop())
    pool = _pools.get(loop_id)
    if pool is None:
        pool = await create_pool(redis_settings())
        _pools[loop_id] = pool
    return pool


async def enqueue(function: str, *args: Any, job_id: str, **kwargs: Any) -> bool:
    """True when queued (or already queued); False when Redis is unreachable — the sweeper retries."""
    try:
        queue = await get_queue()
        await queue.enqueue_job(function, *args, _job_id=job_id, **kwargs)
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue %s (%s): %s", function, job_id, exc)
        return False
    return True
