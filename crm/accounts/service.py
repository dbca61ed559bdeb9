"""Staff users, their creator assignments, API tokens, and the principal each one acts as.

Roles: owner and admin see every creator of their agency; manager and chatter see only the creators
assigned to them (staff_creator_access); a creator login is bound to exactly one creator profile
(staff_users.creator_id) and sees only that one. Owners invite creators; a solo creator signs up as
the owner of an agency of one. Principals are resolved in a SYSTEM session because the
actor is not a tenant yet; every other function here checks the acting principal itself, since the
staff tables are agency-wide (not row-level secured).

API tokens: `fp_` + 40 url-safe characters, shown once, stored as SHA-256, scoped, revocable.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.passwords import hash_password, needs_rehash, verify_password
from core.tenancy import SYSTEM, ActorKind, Principal, StaffRole
from crm.accounts import audit
from crm.accounts.models import Agency, ApiToken, AuditLog, StaffCreatorAccess, StaffUser
from crm.creators import service as creator_service
from crm.creators.models import CreatorProfile

SCOPE_DESCRIPTIONS: dict[str, str] = {
    "inbox:read": "list and read approval items and their fans",
    "inbox:write": "approve, edit and reject approval items",
    "chat:write": "chat with the assistant (what it may look up still follows the other scopes)",
    "analytics:read": "read revenue, subscriber flow, response times and price points",
    "persona:write": "read and change the persona of creators you see: voice, rules, price bounds",
    "admin:read": "read creators, personas, connections, staff, tokens and the audit log",
    "admin:write": "change creators, personas, connections, staff and tokens",
    "automation:read": "read automation rules and their runs, templates and broadcasts",
    "automation:write": "create, change, pause and resume rules; create and change templates",
}
ALL_SCOPES = frozenset(SCOPE_DESCRIPTIONS)
ROLE_SCOPES: dict[StaffRole, frozenset[str]] = {
    StaffRole.owner: ALL_SCOPES,
    StaffRole.admin: ALL_SCOPES,
    StaffRole.manager: frozenset(
        {
            "inbox:read",
            "inbox:write",
            "chat:write",
            "analytics:read",
            "admin:read",
            "automation:read",
            "automation:write",
        }
    ),
    StaffRole.chatter: frozenset({"inbox:read", "inbox:write", "chat:write", "automation:read"}),
    # Their own inbox, chat, rules and numbers; never staff, tokens of others, connections or audit.
    StaffRole.creator: frozenset(
        {
            "inbox:read",
            "inbox:write",
            "chat:write",
            "analytics:read",
            "persona:write",
            "automation:read",
            "automation:write",
        }
    ),
}
# Who may create or change a staff member of a given role.
_MAY_MANAGE: dict[StaffRole, frozenset[StaffRole]] = {
    StaffRole.owner: frozenset(StaffRole),
    StaffRole.admin: frozenset({StaffRole.manager, StaffRole.chatter}),
    StaffRole.manager: frozenset(),
    StaffRole.chatter: frozenset(),
    StaffRole.creator: frozenset(),
}
TOKEN_PREFIX = "fp_"
INVITE_PREFIX = "fpi_"
INVITE_TTL = timedelta(days=7)
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class IssuedInvite:
    staff: StaffUser
    plaintext: str  # the one-time token for the invitee, shown to the inviter once
    expires_at: datetime


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown to the caller once, never stored


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _require_admin(principal: Principal) -> None:
    if principal.system:
        return
    if principal.role not in (StaffRole.owner, StaffRole.admin):
        raise Forbidden("only an owner or admin can do this")


# ---------------------------------------------------------------- principals


async def visible_creator_ids(session: AsyncSession, *, user: StaffUser) -> frozenset[uuid.UUID]:
    """The creators this staff member may act on. Call in a SYSTEM session."""
    if user.role == StaffRole.creator:
        query = sa.select(CreatorProfile.id).where(
            CreatorProfile.id == user.creator_id, CreatorProfile.agency_id == user.agency_id
        )
    elif user.role in (StaffRole.owner, StaffRole.admin):
        query = sa.select(CreatorProfile.id).where(CreatorProfile.agency_id == user.agency_id)
    else:
        query = (
            sa.select(StaffCreatorAccess.creator_id)
            .join(CreatorProfile, CreatorProfile.id == StaffCreatorAccess.creator_id)
            .where(
                StaffCreatorAccess.staff_user_id == user.id,
                CreatorProfile.agency_id == user.agency_id,
            )
        )
    return frozenset((await session.scalars(query)).all())


async def principal_for_staff(
    session: AsyncSession, *, staff_user_id: uuid.UUID, scopes: frozenset[str] | None = None
) -> Principal | None:
    """The principal of an active staff member (None when missing or deactivated). SYSTEM session."""
    user = await session.get(StaffUser, staff_user_id)
    if user is None or not user.is_active:
        return None
    role_scopes = ROLE_SCOPES[user.role]
    return Principal(
        creator_ids=await visible_creator_ids(session, user=user),
        agency_id=user.agency_id,
        actor_id=user.id,
        actor_kind=ActorKind.staff,
        role=user.role,
        scopes=role_scopes if scopes is None else role_scopes & scopes,
        staff_user_id=user.id,
    )


async def authenticate(session: AsyncSession, *, email: str, password: str) -> StaffUser | None:
    """The active staff member with this email and password, or None. SYSTEM session."""
    query = sa.select(StaffUser).where(sa.func.lower(StaffUser.email) == email.strip().lower())
    user = (await session.scalars(query)).one_or_none()
    # verify_password spends the same time on a missing user, so timing does not reveal emails.
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = datetime.now(UTC)
    await session.flush()
    return user


# ---------------------------------------------------------------- staff


async def get_staff(session: AsyncSession, principal: Principal, *, staff_user_id: uuid.UUID) -> StaffUser:
    user = await session.get(StaffUser, staff_user_id)
    if user is None or (not principal.system and user.agency_id != principal.agency_id):
        raise NotFound("staff member not found")
    return user


async def list_staff(session: AsyncSession, principal: Principal) -> list[StaffUser]:
    query = sa.select(StaffUser).order_by(StaffUser.display_name, StaffUser.id)
    if not principal.system:
        query = query.where(StaffUser.agency_id == principal.agency_id)
    return list((await session.scalars(query)).all())


async def assignments(
    session: AsyncSession, principal: Principal, *, staff_user_id: uuid.UUID
) -> list[uuid.UUID]:
    await get_staff(session, principal, staff_user_id=staff_user_id)
    query = (
        sa.select(StaffCreatorAccess.creator_id)
        .where(StaffCreatorAccess.staff_user_id == staff_user_id)
        .order_by(StaffCreatorAccess.creator_id)
    )
    return list((await session.scalars(query)).all())


async def _creator_in_agency(session: AsyncSession, *, creator_id: uuid.UUID, agency_id: uuid.UUID) -> None:
    found = await session.scalar(
        sa.select(CreatorProfile.id).where(
            CreatorProfile.id == creator_id, CreatorProfile.agency_id == agency_id
        )
    )
    if found is None:
        raise NotFound(f"creator not found: {creator_id}")


async def create_staff(
    session: AsyncSession,
    principal: Principal,
    *,
    email: str,
    display_name: str,
    role: StaffRole,
    password: str | None = None,
    agency_id: uuid.UUID | None = None,
    creator_id: uuid.UUID | None = None,
    invite_token_hash: str | None = None,
    invite_expires_at: datetime | None = None,
) -> StaffUser:
    """Add a staff member. A `creator` login needs the `creator_id` it is bound to (one of the
    agency's creators); no other role takes one."""
    _require_admin(principal)
    if not principal.system and principal.role is not None and role not in _MAY_MANAGE[principal.role]:
        raise Forbidden(f"a {principal.role} cannot add a {role}")
    agency = agency_id if principal.system else principal.agency_id
    if agency is None:
        raise ValidationFailed("agency_id is required")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if role == StaffRole.creator:
        if creator_id is None:
            raise ValidationFailed("a creator login needs the creator_id it belongs to")
        await _creator_in_agency(session, creator_id=creator_id, agency_id=agency)
    elif creator_id is not None:
        raise ValidationFailed("only a creator login is bound to a creator_id (use assignments)")
    user = StaffUser(
        id=uuid.uuid4(),
        agency_id=agency,
        email=email.strip(),
        display_name=display_name,
        role=role,
        password_hash=hash_password(password) if password else None,
        creator_id=creator_id,
        invite_token_hash=invite_token_hash,
        invite_expires_at=invite_expires_at,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("a staff member with this email already exists") from exc
    await audit.record(
        session,
        principal,
        action="staff.created",
        target_type="staff",
        target_id=user.id,
        creator_id=creator_id,
        agency_id=agency,
        details={"role": str(role), "invited": invite_token_hash is not None},
    )
    return user


async def update_staff(
    session: AsyncSession,
    principal: Principal,
    *,
    staff_user_id: uuid.UUID,
    display_name: str | None = None,
    role: StaffRole | None = None,
    is_active: bool | None = None,
    password: str | None = None,
) -> StaffUser:
    _require_admin(principal)
    user = await get_staff(session, principal, staff_user_id=staff_user_id)
    if not principal.system and principal.role is not None:
        allowed = _MAY_MANAGE[principal.role]
        if user.role not in allowed or (role is not None and role not in allowed):
            raise Forbidden(f"a {principal.role} cannot change a {user.role}")
        if user.id == principal.actor_id and (role is not None or is_active is False):
            raise Forbidden("you cannot change your own role or deactivate yourself")
    if role is not None and role != user.role and StaffRole.creator in (role, user.role):
        raise ValidationFailed("a creator login stays a creator login; invite a new login instead")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    changes = {
        "display_name": display_name,
        "role": role,
        "is_active": is_active,
        "password_hash": hash_password(password) if password is not None else None,
    }
    changed = [name for name, value in changes.items() if value is not None and getattr(user, name) != value]
    for name in changed:
        setattr(user, name, changes[name])
    await session.flush()
    await audit.record(
        session,
        principal,
        action="staff.updated",
        target_type="staff",
        target_id=user.id,
        agency_id=user.agency_id,
        details={"fields": changed},
    )
    return user


async def set_assignments(
    session: AsyncSession, principal: Principal, *, staff_user_id: uuid.UUID, creator_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Replace the creators a manager or chatter works on."""
    _require_admin(principal)
    user = await get_staff(session, principal, staff_user_id=staff_user_id)
    if user.role == StaffRole.creator:
        raise ValidationFailed("a creator login sees exactly its own creator; it has no assignments")
    wanted = set(creator_ids)
    known_query = sa.select(CreatorProfile.id).where(
        CreatorProfile.id.in_(wanted), CreatorProfile.agency_id == user.agency_id
    )
    known = set((await session.scalars(known_query)).all())
    if unknown := wanted - known:
        raise NotFound(f"creator not found: {sorted(str(c) for c in unknown)[0]}")
    current = set(await assignments(session, principal, staff_user_id=staff_user_id))
    if removed := current - wanted:
        await session.execute(
            sa.delete(StaffCreatorAccess).where(
                StaffCreatorAccess.staff_user_id == user.id, StaffCreatorAccess.creator_id.in_(removed)
            )
        )
    for creator_id in sorted(wanted - current, key=str):
        session.add(StaffCreatorAccess(staff_user_id=user.id, creator_id=creator_id))
    await session.flush()
    await audit.record(
        session,
        principal,
        action="staff.assignments_set",
        target_type="staff",
        target_id=user.id,
        agency_id=user.agency_id,
        details={
            "added": sorted(str(c) for c in wanted - current),
            "removed": sorted(str(c) for c in removed),
        },
    )
    return sorted(wanted, key=str)


# ---------------------------------------------------------------- invitations and sign-up


async def invite_staff(
    session: AsyncSession,
    principal: Principal,
    *,
    email: str,
    display_name: str,
    role: StaffRole,
    creator_id: uuid.UUID | None = None,
    creator_ids: list[uuid.UUID] | None = None,
    agency_id: uuid.UUID | None = None,
) -> IssuedInvite:
    """Add a staff member who sets their own password: the one-time token goes to the invitee (the
    response shows it once; only its SHA-256 is stored). Owners invite creators; admins invite
    managers and chatters. `creator_ids` are a manager's or chatter's assignments."""
    plaintext = INVITE_PREFIX + secrets.token_urlsafe(30)
    expires_at = datetime.now(UTC) + INVITE_TTL
    user = await create_staff(
        session,
        principal,
        email=email,
        display_name=display_name,
        role=role,
        agency_id=agency_id,
        creator_id=creator_id,
        invite_token_hash=hash_token(plaintext),
        invite_expires_at=expires_at,
    )
    if creator_ids:
        if role not in (StaffRole.manager, StaffRole.chatter):
            raise ValidationFailed(f"a {role} sees creators by role, not by assignment")
        await set_assignments(session, principal, staff_user_id=user.id, creator_ids=creator_ids)
    return IssuedInvite(staff=user, plaintext=plaintext, expires_at=expires_at)


async def accept_invite(
    session: AsyncSession, *, token: str, password: str, display_name: str | None = None
) -> StaffUser:
    """Set the invitee's password and close the invitation. SYSTEM session (no principal yet). An
    unknown, used or expired token is refused the same way, so a guess learns nothing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    user = None
    if token.startswith(INVITE_PREFIX):
        user = (
            await session.scalars(
                sa.select(StaffUser).where(StaffUser.invite_token_hash == hash_token(token)).with_for_update()
            )
        ).one_or_none()
    now = datetime.now(UTC)
    if user is None or not user.is_active or user.invite_expires_at is None or user.invite_expires_at <= now:
        raise NotFound("this invitation is unknown, used or expired; ask for a new one")
    user.password_hash = hash_password(password)
    if display_name:
        user.display_name = display_name
    user.invite_token_hash = None
    user.invite_expires_at = None
    await session.flush()
    acting = Principal(agency_id=user.agency_id, actor_id=user.id, actor_kind=ActorKind.staff, role=user.role)
    await audit.record(
        session,
        acting,
        action="staff.invite_accepted",
        target_type="staff",
        target_id=user.id,
        creator_id=user.creator_id,
        agency_id=user.agency_id,
    )
    return user


def _slug(text: str) -> str:
    base = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    base = "-".join(part for part in base.split("-") if part)[:60] or "creator"
    return f"{base}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class SignedUp:
    agency: Agency
    creator: CreatorProfile
    owner: StaffUser


async def sign_up_solo_creator(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str,
    creator_name: str,
    handle: str,
    timezone: str = "UTC",
) -> SignedUp:
    """A creator without an agency: an agency of one, their creator profile, and them as its owner.
    SYSTEM session (there is no principal before the account exists)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    taken = await session.scalar(
        sa.select(StaffUser.id).where(sa.func.lower(StaffUser.email) == email.strip().lower())
    )
    if taken is not None:
        raise Conflict("a staff member with this email already exists")
    agency = Agency(id=uuid.uuid4(), name=creator_name, slug=_slug(handle or creator_name))
    session.add(agency)
    await session.flush()
    creator = await creator_service.create_creator(
        session, SYSTEM, agency_id=agency.id, display_name=creator_name, handle=handle, timezone=timezone
    )
    owner = await create_staff(
        session,
        SYSTEM,
        email=email,
        display_name=display_name,
        role=StaffRole.owner,
        password=password,
        agency_id=agency.id,
    )
    acting = Principal(agency_id=agency.id, actor_id=owner.id, actor_kind=ActorKind.staff, role=owner.role)
    await audit.record(
        session,
        acting,
        action="agency.signed_up",
        target_type="agency",
        target_id=agency.id,
        creator_id=creator.id,
        agency_id=agency.id,
    )
    return SignedUp(agency=agency, creator=creator, owner=owner)


# ---------------------------------------------------------------- API tokens


async def create_api_token(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    staff_user_id: uuid.UUID | None = None,
) -> IssuedToken:
    """Issue a token acting as a staff member (default: the caller) with at most their scopes."""
    owner_id = staff_user_id or principal.actor_id
    if owner_id is None or (principal.actor_kind != ActorKind.staff and not principal.system):
        raise Forbidden("tokens are issued by a signed-in staff member")
    if owner_id != principal.actor_id:
        _require_admin(principal)
    owner = await get_staff(session, principal, staff_user_id=owner_id)
    requested = frozenset(scopes)
    if unknown := requested - ALL_SCOPES:
        raise ValidationFailed(f"unknown scope: {sorted(unknown)[0]}")
    if not requested:
        raise ValidationFailed("a token needs at least one scope")
    if excess := requested - ROLE_SCOPES[owner.role]:
        raise Forbidden(f"a {owner.role} cannot hold scope {sorted(excess)[0]}")
    if not principal.system and (excess := requested - principal.scopes):
        raise Forbidden(f"you cannot grant scope {sorted(excess)[0]}")
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise ValidationFailed("expires_at must be in the future")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken(
        id=uuid.uuid4(),
        agency_id=owner.agency_id,
        staff_user_id=owner.id,
        name=name,
        token_prefix=plaintext[:10],
        token_hash=hash_token(plaintext),
        scopes=sorted(requested),
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="api_token.created",
        target_type="api_token",
        target_id=token.id,
        agency_id=owner.agency_id,
        details={"scopes": sorted(requested), "for_staff": str(owner.id)},
    )
    await session.refresh(token)
    return IssuedToken(token=token, plaintext=plaintext)


async def list_api_tokens(session: AsyncSession, principal: Principal) -> list[ApiToken]:
    """Owners and admins see the agency's tokens; everyone else their own."""
    query = sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id)
    if not principal.system:
        query = query.where(ApiToken.agency_id == principal.agency_id)
        if principal.role not in (StaffRole.owner, StaffRole.admin):
            query = query.where(ApiToken.staff_user_id == principal.actor_id)
    return list((await session.scalars(query)).all())


async def revoke_api_token(session: AsyncSession, principal: Principal, *, token_id: uuid.UUID) -> ApiToken:
    token = await session.get(ApiToken, token_id)
    if token is None or (not principal.system and token.agency_id != principal.agency_id):
        raise NotFound("token not found")
    if token.staff_user_id != principal.actor_id:
        _require_admin(principal)
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        await session.flush()
        await audit.record(
            session,
            principal,
            action="api_token.revoked",
            target_type="api_token",
            target_id=token.id,
            agency_id=token.agency_id,
        )
    return token


async def principal_for_token(session: AsyncSession, *, plaintext: str) -> Principal | None:
    """The principal a bearer token acts as: its staff member's creators, the token's scopes."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    token = (
        await session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    ).one_or_none()
    now = datetime.now(UTC)
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    staff = await principal_for_staff(
        session, staff_user_id=token.staff_user_id, scopes=frozenset(token.scopes)
    )
    if staff is None:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        await session.flush()
    return Principal(
        creator_ids=staff.creator_ids,
        agency_id=staff.agency_id,
        actor_id=token.id,
        actor_kind=ActorKind.api_token,
        role=staff.role,
        scopes=staff.scopes,
        staff_user_id=staff.staff_user_id,
    )


# ---------------------------------------------------------------- audit log


async def list_audit(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID | None = None,
    action: str | None = None,
    limit: int = 100,
) -> list[AuditLog]:
    """Newest first. Row-level security limits entries to the principal's creators and agency."""
    query = (
        sa.select(AuditLog).order_by(AuditLog.created_at.desc(), AuditLog.id).limit(max(1, min(limit, 500)))
    )
    if creator_id is not None:
        query = query.where(AuditLog.creator_id == creator_id)
    if action is not None:
        query = query.where(AuditLog.action == action)
    return list((await session.scalars(query)).all())
