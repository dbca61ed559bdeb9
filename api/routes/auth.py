"""Sign in and out of the web inbox; who am I."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from api.auth import ratelimit, sessions
from api.auth.ratelimit import RateLimited
from api.deps import NotAuthenticated, PrincipalDep, RedisDep, client_address, errors
from api.schemas import Text
from core.db import tenant_session
from core.errors import Forbidden
from core.settings import get_settings
from core.tenancy import SYSTEM, Principal
from crm.accounts import audit, two_factor
from crm.accounts import service as accounts
from crm.creators import service as creators

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginRequest(BaseModel):
    email: Text = Field(min_length=3, max_length=320)
    password: Text = Field(min_length=1, max_length=1024)
    totp_code: Text | None = Field(
        default=None,
        max_length=32,
        description="With two-factor sign-in on: the 6-digit code of your authenticator app, or a recovery code.",
    )


class TwoFactorRequired(NotAuthenticated):
    """Right password; now the code of the authenticator app (send it as `totp_code`)."""


class SignInLocked(RateLimited):
    """Too many failed sign-ins from this device: locked for a while (it ends by itself)."""


class AcceptInviteRequest(BaseModel):
    token: Text = Field(min_length=10, max_length=200, description="The invitation token (from the link).")
    password: Text = Field(min_length=10, max_length=1024, description="At least 10 characters.")
    display_name: Text | None = Field(default=None, min_length=1, max_length=200)


class SignupRequest(BaseModel):
    """A creator without an agency: becomes the owner of an agency of one with one creator profile."""

    email: Text = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    password: Text = Field(min_length=10, max_length=1024, description="At least 10 characters.")
    display_name: Text = Field(min_length=1, max_length=200, description="Your name, as staff see it.")
    creator_name: Text = Field(min_length=1, max_length=200, description="Your creator name, as fans see it.")
    handle: Text = Field(min_length=1, max_length=120, pattern=r"^@?[A-Za-z0-9_.-]+$")
    timezone: Text = Field(default="UTC", max_length=64)


class CreatorRef(BaseModel):
    id: uuid.UUID
    display_name: str
    handle: str


class Me(BaseModel):
    id: uuid.UUID
    email: str
    display_name: str
    role: str
    scopes: list[str]
    creators: list[CreatorRef]
    creator_id: uuid.UUID | None = Field(default=None, description="For a creator login: its creator.")
    two_factor_enabled: bool = False
    two_factor_setup_required: bool = Field(
        default=False, description="Your agency requires two-factor sign-in: set it up before anything else."
    )
    csrf_token: str | None = Field(
        default=None, description="Send it as the X-CSRF-Token header on cookie-authenticated writes."
    )


async def _me(principal: Principal, *, csrf_token: str | None, enrol_only: bool = False) -> Me:
    async with tenant_session(SYSTEM) as s:
        user = await accounts.get_staff(s, SYSTEM, staff_user_id=_staff_id(principal))
    async with tenant_session(principal) as s:
        visible = await creators.list_creators(s, principal, agency_id=principal.agency_id)
    return Me(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=str(user.role),
        scopes=sorted(principal.scopes),
        creators=[CreatorRef(id=c.id, display_name=c.display_name, handle=c.handle) for c in visible],
        creator_id=user.creator_id,
        csrf_token=csrf_token,
        two_factor_enabled=two_factor.enabled(user),
        two_factor_setup_required=enrol_only,
    )


def _staff_id(principal: Principal) -> uuid.UUID:
    if principal.actor_kind == "api_token":
        raise NotAuthenticated("this endpoint is for signed-in staff, not API tokens")
    assert principal.actor_id is not None
    return principal.actor_id


SIGNUP_PER_ADDRESS = ratelimit.Limit("signup-ip", 10, 3600)


async def _start_session(
    response: Response,
    redis: RedisDep,
    principal: Principal,
    staff_id: uuid.UUID,
    *,
    enrol_only: bool = False,
    device_cookie: str | None = None,
) -> Me:
    """The session cookie, and the trusted-device cookie that keeps this browser's own lockout counter."""
    session_id, web = await sessions.create_session(redis, staff_user_id=staff_id, enrol_only=enrol_only)
    secure = get_settings().env == "production"
    response.set_cookie(
        sessions.COOKIE_NAME,
        session_id,
        max_age=sessions.SESSION_TTL_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    device = two_factor.trusted_device(staff_id, device_cookie)
    response.set_cookie(
        two_factor.DEVICE_COOKIE,
        two_factor.device_cookie(staff_id, device or None),
        max_age=two_factor.DEVICE_TTL_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/api/auth",
    )
    return await _me(principal, csrf_token=web.csrf_token, enrol_only=enrol_only)


@router.post("/login", response_model=Me, responses=errors(401, 422, 429))
async def login(body: LoginRequest, request: Request, response: Response, redis: RedisDep) -> Me:
    """Sign in with email and password (and a two-factor code when it is on); sets an HttpOnly session cookie."""
    address = client_address(request)
    await ratelimit.hit(redis, ratelimit.LOGIN_PER_ADDRESS, address)
    device_cookie = request.cookies.get(two_factor.DEVICE_COOKIE)
    if not device_cookie:
        # A device that signed in before is not slowed by strangers guessing this email; the lockout
        # below still counts its failures, on its own counter.
        await ratelimit.hit(redis, ratelimit.LOGIN_PER_EMAIL, body.email.strip().lower())
    async with tenant_session(SYSTEM) as s:
        attempt = await two_factor.sign_in(
            s,
            email=body.email,
            password=body.password,
            code=body.totp_code,
            device_cookie_value=device_cookie,
        )
        principal = None
        if attempt.outcome == "ok":
            assert attempt.user is not None
            principal = await accounts.principal_for_staff(s, staff_user_id=attempt.user.id)
            assert principal is not None
            await audit.record(
                s, principal, action="staff.login", target_type="staff", target_id=attempt.user.id,
                agency_id=attempt.user.agency_id,
            )  # fmt: skip
    # Failures are committed (counted) before the refusal goes out.
    if attempt.outcome == "locked" or attempt.locked_until is not None:
        assert attempt.locked_until is not None
        minutes = max(1, round((attempt.locked_until - datetime.now(UTC)).total_seconds() / 60))
        raise SignInLocked(
            f"too many failed sign-ins: try again in {minutes} minute(s), from a device you signed in "
            "from before, or ask an owner or admin to unlock you"
        )
    if attempt.outcome == "code_required":
        raise TwoFactorRequired("enter the code from your authenticator app")
    if attempt.outcome == "wrong_code":
        raise NotAuthenticated("wrong two-factor code")
    if principal is None or attempt.user is None:
        raise NotAuthenticated("wrong email or password")
    user = attempt.user
    await ratelimit.reset(redis, ratelimit.LOGIN_PER_EMAIL, body.email.strip().lower())
    return await _start_session(
        response, redis, principal, user.id, enrol_only=attempt.enrol_only, device_cookie=device_cookie
    )


@router.post("/invite/accept", response_model=Me, responses=errors(404, 422, 429))
async def accept_invite(
    body: AcceptInviteRequest, request: Request, response: Response, redis: RedisDep
) -> Me:
    """Accept an invitation: set your password and sign in (the link works once, for 7 days)."""
    await ratelimit.hit(redis, ratelimit.LOGIN_PER_ADDRESS, client_address(request))
    async with tenant_session(SYSTEM) as s:
        user = await accounts.accept_invite(
            s, token=body.token, password=body.password, display_name=body.display_name
        )
        principal = await accounts.principal_for_staff(s, staff_user_id=user.id)
        if principal is None:
            raise NotAuthenticated("this login is deactivated")
    return await _start_session(response, redis, principal, user.id)


@router.post("/signup", response_model=Me, status_code=201, responses=errors(403, 409, 422, 429))
async def signup(body: SignupRequest, request: Request, response: Response, redis: RedisDep) -> Me:
    """Sign up as a solo creator: an agency of one, your creator profile, you as its owner; signs in."""
    if not get_settings().signup_enabled:
        raise Forbidden("sign-up is turned off on this server; ask your agency for an invitation")
    await ratelimit.hit(redis, SIGNUP_PER_ADDRESS, client_address(request))
    async with tenant_session(SYSTEM) as s:
        created = await accounts.sign_up_solo_creator(
            s,
            email=body.email,
            password=body.password,
            display_name=body.display_name,
            creator_name=body.creator_name,
            handle=body.handle.lstrip("@"),
            timezone=body.timezone,
        )
        principal = await accounts.principal_for_staff(s, staff_user_id=created.owner.id)
        assert principal is not None
    return await _start_session(response, redis, principal, created.owner.id)


@router.post("/logout", status_code=204, responses=errors(401, 403))
async def logout(request: Request, response: Response, redis: RedisDep, principal: PrincipalDep) -> None:
    """Sign out: the session is deleted server-side and the cookie cleared."""
    session_id = request.cookies.get(sessions.COOKIE_NAME)
    if session_id:
        await sessions.delete_session(redis, session_id)
    response.delete_cookie(sessions.COOKIE_NAME, path="/")


@router.get("/me", response_model=Me, responses=errors(401))
async def me(request: Request, redis: RedisDep, principal: PrincipalDep) -> Me:
    """The signed-in staff member, their role, scopes, creators and CSRF token."""
    web = await sessions.load_session(redis, request.cookies.get(sessions.COOKIE_NAME, ""))
    return await _me(
        principal, csrf_token=web.csrf_token if web else None, enrol_only=bool(web and web.enrol_only)
    )
