"""Typed request dependencies: who is asking (principal), with which scopes, in which session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel, Field
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import sessions
from core.db import tenant_session
from core.errors import AppError, Forbidden
from core.redis import get_redis
from core.tenancy import SYSTEM, ActorKind, Principal
from crm.accounts import service as accounts


class NotAuthenticated(AppError):
    status_code = 401


# What a session that must first set up two-factor sign-in may reach.
ENROLMENT_PATHS = frozenset(
    {"/api/auth/me", "/api/auth/logout", "/api/auth/2fa/setup", "/api/auth/2fa/enable"}
)


def redis_client() -> Redis:
    return get_redis()


RedisDep = Annotated[Redis, Depends(redis_client)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _principal(request: Request, redis: RedisDep) -> Principal:
    return await resolve_principal(request, redis)


async def resolve_principal(request: Request, redis: Redis) -> Principal:
    """Who sends this request, read afresh (a long-lived stream calls it again to re-check access)."""
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        async with tenant_session(SYSTEM) as s:
            principal = await accounts.principal_for_token(s, plaintext=credentials.strip())
        if principal is None:
            raise NotAuthenticated("invalid, expired or revoked API token")
        return principal
    session_id = request.cookies.get(sessions.COOKIE_NAME)
    if session_id:
        web = await sessions.load_session(redis, session_id)
        if web is not None and web.enrol_only and request.url.path not in ENROLMENT_PATHS:
            raise Forbidden(
                "your agency requires two-factor sign-in: set it up first (POST /api/auth/2fa/setup)"
            )
        if web is not None:
            if request.method not in ("GET", "HEAD", "OPTIONS") and (
                request.headers.get(sessions.CSRF_HEADER) != web.csrf_token
            ):
                raise Forbidden(f"missing or wrong {sessions.CSRF_HEADER} header")
            async with tenant_session(SYSTEM) as s:
                found = await accounts.principal_for_staff(s, staff_user_id=web.staff_user_id)
            if found is not None:
                return found
    raise NotAuthenticated("sign in, or send an API token as 'Authorization: Bearer fp_…'")


PrincipalDep = Annotated[Principal, Depends(_principal)]


def require_scope(scope: str, *alternatives: str) -> Callable[..., Any]:
    """The principal, if it holds `scope` (or one of the alternatives); 403 otherwise."""

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.scopes & {scope, *alternatives}:
            who = "this token" if principal.actor_kind == ActorKind.api_token else f"a {principal.role}"
            wanted = " or ".join(f"'{s}'" for s in (scope, *alternatives))
            raise Forbidden(f"{who} lacks the {wanted} scope")
        return principal

    return check


async def _staff_only(principal: PrincipalDep) -> Principal:
    if principal.actor_kind == ActorKind.api_token:
        raise Forbidden("API tokens cannot manage API tokens; sign in as staff")
    return principal


StaffPrincipalDep = Annotated[Principal, Depends(_staff_only)]
InboxReader = Annotated[Principal, Depends(require_scope("inbox:read"))]
InboxWriter = Annotated[Principal, Depends(require_scope("inbox:write"))]
AdminReader = Annotated[Principal, Depends(require_scope("admin:read"))]
AdminWriter = Annotated[Principal, Depends(require_scope("admin:write"))]
ChatWriter = Annotated[Principal, Depends(require_scope("chat:write"))]
AnalyticsReader = Annotated[Principal, Depends(require_scope("analytics:read"))]
# A creator's own login changes its persona (voice, rules, price bounds) without admin rights.
PersonaReader = Annotated[Principal, Depends(require_scope("admin:read", "persona:write"))]
PersonaWriter = Annotated[Principal, Depends(require_scope("admin:write", "persona:write"))]
AutomationReader = Annotated[Principal, Depends(require_scope("automation:read"))]
AutomationWriter = Annotated[Principal, Depends(require_scope("automation:write"))]


async def _session(principal: PrincipalDep) -> AsyncIterator[AsyncSession]:
    async with tenant_session(principal) as session:
        yield session


# scope="function": the transaction commits before the response goes out, so a 2xx means stored.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


class ErrorDetail(BaseModel):
    detail: str | list[dict[str, Any]] = Field(
        description="What went wrong (a list of field errors when the request did not validate)."
    )
    error: str | None = Field(default=None, description="Machine-readable name, e.g. TwoFactorRequired.")


_ERROR_TEXT = {
    401: "Not signed in, or the API token is invalid",
    403: "Signed in, but not allowed (role, scope or CSRF header)",
    404: "Not found, or not visible to you",
    409: "Already decided, or conflicts with existing data",
    413: "Request body too large",
    422: "Invalid request",
    429: "Rate limited",
    503: "A backing service (database, Redis) is unavailable: retry after Retry-After seconds",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry for the error codes an endpoint may answer with."""
    return {code: {"model": ErrorDetail, "description": _ERROR_TEXT[code]} for code in codes}
