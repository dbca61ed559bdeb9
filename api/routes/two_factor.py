"""Two-factor sign-in: set up and turn off your own, require it for an agency's owners and admins,
reset another staff member's, lift a sign-in lockout."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, SecretStr

from api.auth import sessions
from api.deps import AdminWriter, RedisDep, SessionDep, StaffPrincipalDep, errors
from api.schemas import Text
from core.errors import Forbidden, ValidationFailed
from core.passwords import verify_password
from core.tenancy import Principal, StaffRole
from crm.accounts import service as accounts
from crm.accounts import two_factor
from crm.accounts.models import StaffUser

router = APIRouter(tags=["two-factor"])


class SetupOut(BaseModel):
    secret: str = Field(description="The seed, for an authenticator app that cannot scan; shown once.")
    otpauth_uri: str = Field(description="Scan this (as a QR code) with an authenticator app.")


class CodeIn(BaseModel):
    code: Text = Field(min_length=6, max_length=32, description="The 6-digit code the app shows now.")


class RecoveryOut(BaseModel):
    recovery_codes: list[str] = Field(
        description="One-time codes for a lost device; shown once, keep them safe."
    )


class DisableIn(BaseModel):
    password: SecretStr = Field(max_length=1024)
    code: Text = Field(min_length=6, max_length=32, description="A current code, or a recovery code.")


class RequirementIn(BaseModel):
    required: bool


class RequirementOut(BaseModel):
    required: bool
    without_two_factor: list[uuid.UUID] = Field(
        description="Owners and admins who must set it up at their next sign-in (they were signed out)."
    )


async def _me(session: SessionDep, principal: Principal) -> StaffUser:
    assert principal.actor_id is not None
    return await accounts.get_staff(session, principal, staff_user_id=principal.actor_id)


def _may_manage(principal: Principal, user: StaffUser) -> None:
    if user.id == principal.actor_id:
        raise Forbidden("use your own two-factor settings under /api/auth/2fa")
    allowed = {StaffRole.owner: set(StaffRole), StaffRole.admin: {StaffRole.manager, StaffRole.chatter}}
    if principal.role is None or user.role not in allowed.get(principal.role, set()):
        raise Forbidden(f"a {principal.role} cannot change a {user.role}'s sign-in")


@router.post("/api/auth/2fa/setup", response_model=SetupOut, responses=errors(401, 403, 422))
async def setup(principal: StaffPrincipalDep, session: SessionDep) -> SetupOut:
    """Start setting up two-factor sign-in: a fresh seed to add to an authenticator app."""
    enrolment = await two_factor.begin_enrolment(session, await _me(session, principal))
    return SetupOut(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)


@router.post("/api/auth/2fa/enable", response_model=RecoveryOut, responses=errors(401, 403, 422))
async def enable(
    body: CodeIn, request: Request, principal: StaffPrincipalDep, session: SessionDep, redis: RedisDep
) -> RecoveryOut:
    """Turn two-factor sign-in on with a first code from the app; returns one-time recovery codes."""
    codes = await two_factor.confirm_enrolment(session, principal, await _me(session, principal), body.code)
    await sessions.finish_enrolment(redis, request.cookies.get(sessions.COOKIE_NAME, ""))
    return RecoveryOut(recovery_codes=codes)


@router.post("/api/auth/2fa/disable", status_code=204, responses=errors(401, 403, 422))
async def disable(body: DisableIn, principal: StaffPrincipalDep, session: SessionDep) -> None:
    """Turn your two-factor sign-in off (your password and a code); refused while your agency requires it."""
    user = await _me(session, principal)
    if await two_factor.required_for(session, user):
        raise Forbidden("your agency requires two-factor sign-in for your role")
    if not verify_password(user.password_hash, body.password.get_secret_value()) or not (
        await two_factor.accept_code(session, user, body.code)
    ):
        raise ValidationFailed("wrong password or code")
    await two_factor.turn_off(session, principal, user)


@router.put("/api/admin/agency/two-factor", response_model=RequirementOut, responses=errors(401, 403, 422))
async def require(
    body: RequirementIn, principal: StaffPrincipalDep, session: SessionDep, redis: RedisDep
) -> RequirementOut:
    """Require two-factor sign-in for the agency's owners and admins (owners only; yours must be on)."""
    missing = await two_factor.set_agency_requirement(
        session, principal, caller=await _me(session, principal), required=body.required
    )
    if body.required:
        for staff_user_id in missing:  # their next sign-in asks them to set it up
            await sessions.delete_user_sessions(redis, staff_user_id=staff_user_id)
    return RequirementOut(required=body.required, without_two_factor=missing if body.required else [])


@router.delete("/api/admin/staff/{staff_user_id}/2fa", status_code=204, responses=errors(401, 403, 404))
async def reset(
    staff_user_id: uuid.UUID, principal: AdminWriter, session: SessionDep, redis: RedisDep
) -> None:
    """Reset a staff member's two-factor sign-in (a lost device); they are signed out everywhere."""
    user = await accounts.get_staff(session, principal, staff_user_id=staff_user_id)
    _may_manage(principal, user)
    await two_factor.turn_off(session, principal, user)
    await sessions.delete_user_sessions(redis, staff_user_id=user.id)


@router.post("/api/admin/staff/{staff_user_id}/unlock", status_code=204, responses=errors(401, 403, 404))
async def unlock(staff_user_id: uuid.UUID, principal: AdminWriter, session: SessionDep) -> None:
    """Lift a staff member's sign-in lockout at once (it also ends by itself)."""
    user = await accounts.get_staff(session, principal, staff_user_id=staff_user_id)
    _may_manage(principal, user)
    await two_factor.unlock(session, principal, user)
