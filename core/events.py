"""Inbox change notifications over Redis pub/sub: one channel per creator.

Publishers (API decisions, worker jobs) say *that* something changed for a creator; every open inbox
subscribed to that creator re-reads what it shows. Messages carry ids only, never fan text, so a
subscriber learns nothing it could not read through the API.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
CHANNEL = "fp:inbox:{}"
# Changes that concern every creator (expiry sweeps); every subscriber also listens here.
ALL_CHANNEL = "fp:inbox:all"


def channel_for(creator_id: uuid.UUID) -> str:
    return CHANNEL.format(creator_id)


async def publish_inbox_change(
    redis: Redis, *, creator_id: uuid.UUID, change: str, item_id: uuid.UUID | None = None
) -> None:
    """Best effort: a missed notification only delays a refresh, it loses no data."""
    message = {"change": change, "creator_id": str(creator_id), "item_id": str(item_id) if item_id else None}
    try:
        await redis.publish(channel_for(creator_id), json.dumps(message))
    except (RedisError, OSError) as exc:
        log.warning("inbox notification for %s not published: %s", creator_id, exc)


async def inbox_changes(
    redis: Redis, creator_ids: Iterable[uuid.UUID], *, idle_seconds: float = 15.0
) -> AsyncIterator[dict[str, Any] | None]:
    """Yield each change for these creators as it happens; None every `idle_seconds` of quiet."""
    channels = [channel_for(c) for c in creator_ids]
    if channels:
        channels.append(ALL_CHANNEL)
    pubsub = redis.pubsub()
    try:
        if channels:
            await pubsub.subscribe(*channels)
        while True:
            if not channels:
                await asyncio.sleep(idle_seconds)
                yield None
                continue
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=idle_seconds)
            if message is None:
                yield None
                continue
            try:
                yield json.loads(message["data"])
            except (TypeError, ValueError):
                continue
    finally:
        await pubsub.aclose()
