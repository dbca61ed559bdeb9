"""Enqueue arq jobs from the API and from other jobs. Every job id is deterministic, so enqueuing
the same work twice is a no-op while the first job is queued, running or its result is kept."""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import datetime
from typing import Any

from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from core.redis import resolve_redis_url

log = logging.getLogger(__name__)
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[ArqRedis, AsyncScript]] = (
    weakref.WeakKeyDictionary()
)

# arq's enqueue_job (WATCH, EXISTS, MULTI/PSETEX/ZADD/EXEC: three round trips) as one atomic script:
# the same keys, job encoding, expiry and score, so arq workers cannot tell the difference.
_ENQUEUE_ONCE = """
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then
    return 0
end
redis.call('PSETEX', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
"""


def redis_settings(*, conn_retries: int = 5) -> RedisSettings:
    settings = RedisSettings.from_dsn(resolve_redis_url())
    settings.conn_retries = conn_retries
    return settings


async def _pool_and_script() -> tuple[ArqRedis, AsyncScript]:
    # One pool per event loop: a pool's connections belong to the loop that opened them.
    loop = asyncio.get_running_loop()
    entry = _pools.get(loop)
    if entry is None:
        # No connection retries: an enqueue during a Redis outage must fail at once (the caller keeps
        # the work in Postgres for the sweeps), not hold a webhook or an approval for seconds.
        pool = await create_pool(redis_settings(conn_retries=0))
        entry = (pool, pool.register_script(_ENQUEUE_ONCE))
        _pools[loop] = entry
    return entry


async def get_queue() -> ArqRedis:
    return (await _pool_and_script())[0]


async def enqueue(
    function: str, *args: Any, job_id: str, defer_until: datetime | None = None, **kwargs: Any
) -> bool:
    """True when queued (or already queued); False when Redis is unreachable — the sweeper retries.
    `defer_until`: not before this time (arq's queue is ordered by the time a job may start)."""
    try:
        pool, script = await _pool_and_script()
        enqueued_at = timestamp_ms()
        run_at = max(enqueued_at, int(defer_until.timestamp() * 1000)) if defer_until else enqueued_at
        job = serialize_job(function, args, kwargs, None, enqueued_at, serializer=pool.job_serializer)
        await script(
            keys=[job_key_prefix + job_id, result_key_prefix + job_id, pool.default_queue_name],
            args=[pool.expires_extra_ms + (run_at - enqueued_at), job, run_at, job_id],
        )
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue %s (%s): %s", function, job_id, exc)
        return False
    return True


async def missing_jobs(job_ids: list[str]) -> list[str]:
    """The ids among these with no job, no running mark and no result in Redis (lost, or never
    enqueued). Empty when Redis is unreachable: nothing can be enqueued then anyway."""
    if not job_ids:
        return []
    try:
        pool = await get_queue()
        async with pool.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.exists(
                    job_key_prefix + job_id, in_progress_key_prefix + job_id, result_key_prefix + job_id
                )
            found = await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("could not look up %d job(s): %s", len(job_ids), exc)
        return []
    return [job_id for job_id, exists in zip(job_ids, found, strict=True) if not exists]
