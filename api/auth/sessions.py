"""Web sessions in Redis: an opaque id in an HttpOnly cookie; Redis holds only its SHA-256.

Deleting the key revokes the session at once; every request re-reads the staff member, so a
deactivated user or a changed assignment takes effect on the next request.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis

COOKIE_NAME = "fanpilot_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_TTL_SECONDS = 12 * 3600
_KEY = "fp:session:{}"
_USER_KEY = "fp:user-sessions:{}"


@dataclass(frozen=True)
class WebSession:
    staff_user_id: uuid.UUID
    csrf_token: str
    enrol_only: bool = False  # must set up two-factor sign-in before anything else


def _key(session_id: str) -> str:
    return _KEY.format(hashlib.sha256(session_id.encode()).hexdigest())


async def create_session(
    redis: Redis, *, staff_user_id: uuid.UUID, enrol_only: bool = False
) -> tuple[str, WebSession]:
    session_id = secrets.token_urlsafe(32)
    web = WebSession(staff_user_id=staff_user_id, csrf_token=secrets.token_urlsafe(24), enrol_only=enrol_only)
    key = _key(session_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(
            key,
            mapping={
                "uid": str(staff_user_id),
                "csrf": web.csrf_token,
                "created": str(int(time.time())),
                "enrol": "1" if enrol_only else "0",
            },
        )
        pipe.expire(key, SESSION_TTL_SECONDS)
        pipe.sadd(_USER_KEY.format(staff_user_id), key)
        pipe.expire(_USER_KEY.format(staff_user_id), SESSION_TTL_SECONDS)
        await pipe.execute()
    return session_id, web


async def load_session(redis: Redis, session_id: str) -> WebSession | None:
    """The session for this cookie value, its expiry slid forward; None when unknown or expired."""
    if not session_id or len(session_id) > 200:
        return None
    key = _key(session_id)
    data = await redis.hgetall(key)  # type: ignore[misc]  # redis-py's sync/async union
    if not data or "uid" not in data:
        return None
    await redis.expire(key, SESSION_TTL_SECONDS)
    return WebSession(
        staff_user_id=uuid.UUID(data["uid"]), csrf_token=data["csrf"], enrol_only=data.get("enrol") == "1"
    )


async def finish_enrolment(redis: Redis, session_id: str) -> None:
    """The session's staff member has set up two-factor sign-in: lift the enrol-only restriction."""
    await redis.hset(_key(session_id), "enrol", "0")  # type: ignore[misc]


async def delete_session(redis: Redis, session_id: str) -> None:
    key = _key(session_id)
    uid = await redis.hget(key, "uid")  # type: ignore[misc]
    await redis.delete(key)
    if uid:
        await redis.srem(_USER_KEY.format(uid), key)  # type: ignore[misc]


async def delete_user_sessions(redis: Redis, *, staff_user_id: uuid.UUID) -> int:
    """Sign a staff member out everywhere (deactivation, password change)."""
    user_key = _USER_KEY.format(staff_user_id)
    keys = list(await redis.smembers(user_key))  # type: ignore[misc]
    if keys:
        await redis.delete(*keys)
    await redis.delete(user_key)
    return len(keys)
