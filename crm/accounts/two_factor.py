"""Two-factor sign-in (TOTP, RFC 6238) and the lockout after repeated failures.

TOTP: HMAC-SHA1 over 30-second steps, 6 digits, one step of clock drift either way; a code is
accepted once (the last used step is stored). The seed is a vault envelope; enrolment shows it once
(as an `otpauth://` URI for an authenticator app) and takes effect when a first code confirms it,
which also issues ten one-time recovery codes (stored as SHA-256).

Lockout: five failed sign-ins (wrong password or wrong code) lock the account for one minute, the
next lock two, then four … at most fifteen: guessing stays slow, and every lock ends by itself. The
counter is per device: a browser that signed in before carries a signed trusted-device cookie and
has its own counter, so a stranger hammering the account from elsewhere cannot lock its owner out
of their own devices; an owner or admin can also lift a lock at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import Vault, get_vault
from core.errors import Forbidden, ValidationFailed
from core.passwords import hash_password, needs_rehash, verify_password
from core.settings import get_settings
from core.tenancy import Principal, StaffRole
from crm.accounts import audit
from crm.accounts.models import Agency, LoginLockout, StaffUser

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
ISSUER = "Fanpilot"
RECOVERY_CODES = 10
MAX_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(minutes=15)
DEVICE_COOKIE = "fanpilot_device"
DEVICE_TTL_SECONDS = 90 * 24 * 3600
_SEALED = {"creator_id": "staff", "platform": "fanpilot", "field": "totp_secret"}


# ---------------------------------------------------------------- RFC 6238


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def code_at(secret: str, step: int) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, *, after: int | None, now: float | None = None) -> int | None:
    """The step this code belongs to (within the drift window, later than `after`), or None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    step = current_step(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if (after is None or candidate > after) and hmac.compare_digest(code_at(secret, candidate), code):
            return candidate
    return None


def otpauth_uri(secret: str, account: str) -> str:
    label = quote(f"{ISSUER}:{account}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={ISSUER}&digits={DIGITS}&period={STEP_SECONDS}"


def _seal(user: StaffUser, secret: str) -> bytes:
    return get_vault().encrypt(secret, **{**_SEALED, "creator_id": f"staff:{user.id}"})


def _open(user: StaffUser) -> str:
    assert user.totp_secret_encrypted is not None
    return get_vault().decrypt(user.totp_secret_encrypted, **{**_SEALED, "creator_id": f"staff:{user.id}"})


async def rotate_secrets(session: AsyncSession, vault: Vault) -> int:
    """Re-encrypt every TOTP seed not under the vault's active key (`fanpilot vault rotate`)."""
    query = sa.select(StaffUser).where(StaffUser.totp_secret_encrypted.is_not(None)).with_for_update()
    rotated = 0
    for user in (await session.scalars(query)).all():
        assert user.totp_secret_encrypted is not None
        if vault.needs_rotation(user.totp_secret_encrypted):
            context = {**_SEALED, "creator_id": f"staff:{user.id}"}
            user.totp_secret_encrypted = vault.encrypt(
                vault.decrypt(user.totp_secret_encrypted, **context), **context
            )
            rotated += 1
    await session.flush()
    return rotated


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


# ---------------------------------------------------------------- enrolment


@dataclass(frozen=True)
class Enrolment:
    secret: str  # shown once, for an authenticator app that cannot scan
    otpauth_uri: str


async def begin_enrolment(session: AsyncSession, user: StaffUser) -> Enrolment:
    """A fresh seed for this staff member, pending until `confirm_enrolment` (an enabled one stays)."""
    if user.totp_enabled_at is not None:
        raise ValidationFailed("two-factor sign-in is already on; turn it off first to change the device")
    secret = new_secret()
    user.totp_secret_encrypted = _seal(user, secret)
    await session.flush()
    return Enrolment(secret=secret, otpauth_uri=otpauth_uri(secret, user.email))


async def confirm_enrolment(
    session: AsyncSession, principal: Principal, user: StaffUser, code: str
) -> list[str]:
    """Turn two-factor sign-in on with a first code; returns the one-time recovery codes (shown once)."""
    if user.totp_secret_encrypted is None or user.totp_enabled_at is not None:
        raise ValidationFailed("start the set-up first (POST /api/auth/2fa/setup)")
    step = matching_step(_open(user), code, after=None)
    if step is None:
        raise ValidationFailed("that code does not match: check the device's clock and try the next code")
    recovery = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    user.totp_enabled_at, user.totp_last_step = datetime.now(UTC), step
    user.totp_recovery_hashes = [_hash(c) for c in recovery]
    await session.flush()
    await audit.record(
        session, principal, action="staff.two_factor_enabled", target_type="staff", target_id=user.id,
        agency_id=user.agency_id,
    )  # fmt: skip
    return recovery


async def turn_off(session: AsyncSession, principal: Principal, user: StaffUser) -> None:
    """Remove a staff member's second factor (theirs with a code, or an owner/admin's reset)."""
    user.totp_secret_encrypted = user.totp_enabled_at = user.totp_last_step = None
    user.totp_recovery_hashes = []
    await session.flush()
    await audit.record(
        session, principal, action="staff.two_factor_disabled", target_type="staff", target_id=user.id,
        agency_id=user.agency_id,
    )  # fmt: skip


def enabled(user: StaffUser) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret_encrypted is not None


async def accept_code(session: AsyncSession, user: StaffUser, code: str) -> bool:
    """A current TOTP code (each accepted once) or an unused recovery code (then spent)."""
    if not enabled(user):
        return False
    step = matching_step(_open(user), code, after=user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        await session.flush()
        return True
    hashed = _hash(code)
    if hashed in (user.totp_recovery_hashes or []):
        user.totp_recovery_hashes = [h for h in user.totp_recovery_hashes if h != hashed]
        await session.flush()
        return True
    return False


async def required_for(session: AsyncSession, user: StaffUser) -> bool:
    """Whether this staff member must sign in with a second factor (their agency requires it)."""
    if user.role not in (StaffRole.owner, StaffRole.admin):
        return False
    agency = await session.get(Agency, user.agency_id)
    return bool(agency and agency.require_two_factor)


async def set_agency_requirement(
    session: AsyncSession, principal: Principal, *, caller: StaffUser, required: bool
) -> list[uuid.UUID]:
    """Owners turn the requirement on or off; on needs the caller's own second factor first (so an
    agency cannot lock out the one who switched it on). Returns the owners/admins still without one."""
    if principal.role != StaffRole.owner:
        raise Forbidden("only an owner can change the two-factor requirement")
    if required and not enabled(caller):
        raise ValidationFailed("turn on your own two-factor sign-in before requiring it")
    agency = await session.get(Agency, caller.agency_id)
    assert agency is not None
    agency.require_two_factor = required
    await session.flush()
    await audit.record(
        session, principal, action="agency.two_factor_required" if required else "agency.two_factor_optional",
        target_type="agency", target_id=agency.id, agency_id=agency.id,
    )  # fmt: skip
    query = sa.select(StaffUser.id).where(
        StaffUser.agency_id == agency.id,
        StaffUser.role.in_((StaffRole.owner, StaffRole.admin)),
        StaffUser.totp_enabled_at.is_(None),
    )
    return list((await session.scalars(query)).all())


# ---------------------------------------------------------------- trusted devices and lockout


def device_cookie(staff_user_id: uuid.UUID, device: str | None = None) -> str:
    device = device or secrets.token_hex(8)
    return f"{device}.{_device_signature(staff_user_id, device)}"


def _device_signature(staff_user_id: uuid.UUID, device: str) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, f"fanpilot:device:v1:{staff_user_id}:{device}".encode(), hashlib.sha256).hexdigest()[
        :32
    ]


def trusted_device(staff_user_id: uuid.UUID, cookie: str | None) -> str:
    """The device id of a valid trusted-device cookie for this staff member, else '' (untrusted)."""
    device, _, signature = (cookie or "").partition(".")
    if not device or len(device) > 32 or not signature:
        return ""
    return device if hmac.compare_digest(signature, _device_signature(staff_user_id, device)) else ""


async def _lockout(session: AsyncSession, staff_user_id: uuid.UUID, device: str) -> LoginLockout:
    query = (
        sa.select(LoginLockout)
        .where(LoginLockout.staff_user_id == staff_user_id, LoginLockout.device == device)
        .with_for_update()
    )
    row = (await session.scalars(query)).one_or_none()
    if row is None:
        row = LoginLockout(id=uuid.uuid4(), staff_user_id=staff_user_id, device=device, failures=0, locks=0)
        session.add(row)
        await session.flush()
    return row


async def locked_until(session: AsyncSession, staff_user_id: uuid.UUID, device: str) -> datetime | None:
    row = await _lockout(session, staff_user_id, device)
    if row.locked_until is not None and row.locked_until > datetime.now(UTC):
        return row.locked_until
    return None


async def record_failure(session: AsyncSession, staff_user_id: uuid.UUID, device: str) -> datetime | None:
    """Count a failed sign-in; the lock it starts (if this was one too many), else None."""
    row = await _lockout(session, staff_user_id, device)
    row.failures += 1
    if row.failures < MAX_FAILURES:
        await session.flush()
        return None
    length = min(FIRST_LOCK * 2**row.locks, LONGEST_LOCK)
    row.locked_until, row.failures, row.locks = datetime.now(UTC) + length, 0, row.locks + 1
    await session.flush()
    return row.locked_until


async def record_success(session: AsyncSession, staff_user_id: uuid.UUID, device: str) -> None:
    row = await _lockout(session, staff_user_id, device)
    row.failures, row.locks, row.locked_until = 0, 0, None
    await session.flush()


async def unlock(session: AsyncSession, principal: Principal, user: StaffUser) -> int:
    """Lift every lock on a staff member (an owner or admin, after checking who is asking)."""
    result = await session.execute(sa.delete(LoginLockout).where(LoginLockout.staff_user_id == user.id))
    await audit.record(
        session, principal, action="staff.unlocked", target_type="staff", target_id=user.id,
        agency_id=user.agency_id,
    )  # fmt: skip
    return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------- signing in


@dataclass(frozen=True)
class SignIn:
    outcome: str  # ok | wrong | locked | code_required | wrong_code
    user: StaffUser | None = None
    locked_until: datetime | None = None
    enrol_only: bool = False  # signed in, but must set up two-factor sign-in before anything else


async def sign_in(
    session: AsyncSession, *, email: str, password: str, code: str | None, device_cookie_value: str | None
) -> SignIn:
    """Password, lockout and second factor, in that order of checks (SYSTEM session)."""
    query = sa.select(StaffUser).where(sa.func.lower(StaffUser.email) == email.strip().lower())
    user = (await session.scalars(query)).one_or_none()
    if user is None or not user.is_active:
        verify_password(None, password)  # the same time as a real check: emails stay secret
        return SignIn("wrong")
    device = trusted_device(user.id, device_cookie_value)
    until = await locked_until(session, user.id, device)
    if until is not None:
        return SignIn("locked", locked_until=until)
    if not verify_password(user.password_hash, password):
        return SignIn("wrong", locked_until=await record_failure(session, user.id, device))
    if enabled(user):
        if not code:
            return SignIn("code_required")
        if not await accept_code(session, user, code):
            return SignIn("wrong_code", locked_until=await record_failure(session, user.id, device))
    await record_success(session, user.id, device)
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = datetime.now(UTC)
    await session.flush()
    return SignIn("ok", user=user, enrol_only=not enabled(user) and await required_for(session, user))
