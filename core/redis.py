"""Redis: URL resolution (REDIS_URL or the embedded server) and a shared async client."""

from __future__ import annotations

import asyncio
import weakref

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


# Connect timeout: an unreachable server fails a command in seconds instead of hanging it; a server
# that is down refuses at once either way.
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 10


def _client() -> Redis:
    return Redis.from_url(
        resolve_redis_url(),
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=READ_TIMEOUT_SECONDS,
    )


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Redis] = weakref.WeakKeyDictionary()
_outside_loop: list[Redis] = []


def get_redis() -> Redis:
    """The shared client of the running event loop (a client's connections belong to the loop that
    opened them; CLI commands and tests run more than one loop per process)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if not _outside_loop:
            _outside_loop.append(_client())
        return _outside_loop[0]
    client = _clients.get(loop)
    if client is None:
        client = _clients[loop] = _client()
    return client


def reset_clients() -> None:
    """Forget the shared clients (after the Redis URL changed)."""
    _clients.clear()
    _outside_loop.clear()
