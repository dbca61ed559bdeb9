"""Admin API: creators and personas, platform connections, staff and assignments, API tokens, audit."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from api.auth import sessions
from api.deps import (
    AdminReader,
    AdminWriter,
    PersonaReader,
    PersonaWriter,
    RedisDep,
    SessionDep,
    StaffPrincipalDep,
    errors,
)
from api.schemas import Text, TextList
from core.errors import ValidationFailed
from core.tenancy import StaffRole
from crm.accounts import service as accounts
from crm.creators import service as creators
from crm.creators.schemas import Connection, Creator, PersonaUpdate
from crm.enums import Platform

router = APIRouter(prefix="/api/admin", tags=["admin"])


Price = Annotated[Decimal, Field(ge=0, le=99999999, decimal_places=2)]


class CreatorIn(BaseModel):
    display_name: Text = Field(min_length=1, max_length=200)
    handle: Text = Field(min_length=1, max_length=120)
    voice: Text = Field(default="", max_length=4000)
    rules: TextList = Field(default_factory=list, max_length=100)
    restricted_words: TextList = Field(default_factory=list, max_length=500)
    ppv_price_min: Price = Decimal("5")
    ppv_price_max: Price = Decimal("100")
    timezone: Text = Field(default="UTC", max_length=64)


class PersonaPatch(BaseModel):
    """Only the fields that are set change."""

    display_name: Text | None = Field(default=None, min_length=1, max_length=200)
    voice: Text | None = Field(default=None, max_length=4000)
    bio: Text | None = Field(default=None, max_length=4000)
    rules: TextList | None = Field(default=None, max_length=100)
    restricted_words: TextList | None = Field(default=None, max_length=500)
    ppv_price_min: Price | None = None
    ppv_price_max: Price | None = None
    timezone: Text | None = Field(default=None, max_length=64)
    safety_keywords: dict[Text, TextList] | None = Field(
        default=None,
        max_length=6,
        description="Your own alert words per inbound safety signal (possible_minor, off_platform_attempt, "
        "off_platform_payment, chargeback_threat, self_harm, harassment), e.g. {'possible_minor': ['prom']}; "
        "up to 50 words of 2–60 characters each. Replaces the whole mapping.",
    )


class ConnectionIn(BaseModel):
    platform: Platform
    account_id: Text = Field(min_length=1, max_length=120)
    platform_user_id: Text | None = Field(default=None, max_length=120)
    api_base_url: Text | None = Field(default=None, max_length=500)
    api_key: SecretStr | None = Field(default=None, max_length=4000, description="Write-only.")
    webhook_secret: SecretStr | None = Field(default=None, max_length=4000, description="Write-only.")


class SecretsIn(BaseModel):
    """Write-only: values are encrypted in the vault and never returned."""

    api_key: SecretStr | None = Field(default=None, max_length=4000)
    webhook_secret: SecretStr | None = Field(default=None, max_length=4000)
    clear_api_key: bool = False
    clear_webhook_secret: bool = False


class StaffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    display_name: str
    role: StaffRole
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
    creator_id: uuid.UUID | None = Field(default=None, description="For a creator login: its creator.")
    invite_pending: bool = Field(default=False, description="Invited, and has not set a password yet.")

    @classmethod
    def of(cls, user: Any) -> StaffOut:
        out = cls.model_validate(user)
        out.invite_pending = user.invite_token_hash is not None
        return out


class StaffIn(BaseModel):
    email: Text = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    display_name: Text = Field(min_length=1, max_length=200)
    role: StaffRole
    password: SecretStr | None = Field(default=None, max_length=1024, description="At least 10 characters.")
    creator_id: uuid.UUID | None = Field(
        default=None, description="Required for role `creator`: the creator profile this login is."
    )


class InviteIn(BaseModel):
    email: Text = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    display_name: Text = Field(min_length=1, max_length=200)
    role: StaffRole
    creator_id: uuid.UUID | None = Field(
        default=None, description="Required for role `creator`: the creator profile this login is."
    )
    creator_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=1000, description="A manager's or chatter's creators."
    )


class InviteOut(BaseModel):
    staff: StaffOut
    invite_token: str = Field(description="Shown this once: the invitee accepts with it and sets a password.")
    accept_url: str = Field(description="Where the invitee sets their password (send them this link).")
    expires_at: datetime


class StaffPatch(BaseModel):
    display_name: Text | None = Field(default=None, min_length=1, max_length=200)
    role: StaffRole | None = None
    is_active: bool | None = None
    password: SecretStr | None = Field(default=None, max_length=1024)


class Assignments(BaseModel):
    creator_ids: list[uuid.UUID] = Field(max_length=1000)


class TokenIn(BaseModel):
    name: Text = Field(min_length=1, max_length=200)
    scopes: TextList = Field(
        min_length=1, max_length=10, description=f"Any of: {', '.join(sorted(accounts.ALL_SCOPES))}."
    )
    expires_at: AwareDatetime | None = None
    staff_user_id: uuid.UUID | None = Field(default=None, description="Acting staff member (default: you).")


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    staff_user_id: uuid.UUID
    token_prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class IssuedTokenOut(TokenOut):
    token: str = Field(description="The token itself. Shown this once; only its hash is stored.")


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    creator_id: uuid.UUID | None
    actor_kind: str
    actor_id: uuid.UUID | None
    action: str
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]


# ---------------------------------------------------------------- creators


@router.get("/creators", response_model=list[Creator], responses=errors(401, 403))
async def list_creators(principal: PersonaReader, session: SessionDep) -> list[Creator]:
    """Creators you may see, with their persona."""
    found = await creators.list_creators(session, principal, agency_id=principal.agency_id)
    return [Creator.of(c) for c in found]


@router.post("/creators", response_model=Creator, status_code=201, responses=errors(401, 403, 422))
async def create_creator(body: CreatorIn, principal: AdminWriter, session: SessionDep) -> Creator:
    """Add a creator to your agency."""
    assert principal.agency_id is not None
    creator = await creators.create_creator(
        session, principal, agency_id=principal.agency_id, **body.model_dump()
    )
    return Creator.of(creator)


@router.get("/creators/{creator_id}", response_model=Creator, responses=errors(401, 403, 404))
async def get_creator(creator_id: uuid.UUID, principal: PersonaReader, session: SessionDep) -> Creator:
    """One creator and their persona."""
    return Creator.of(await creators.get_creator(session, principal, creator_id=creator_id))


@router.patch("/creators/{creator_id}", response_model=Creator, responses=errors(401, 403, 404, 422))
async def update_persona(
    creator_id: uuid.UUID, body: PersonaPatch, principal: PersonaWriter, session: SessionDep
) -> Creator:
    """Change the persona: voice, rules, restricted words, price bounds, timezone, safety keywords."""
    try:
        changes = PersonaUpdate(**body.model_dump(exclude_unset=True))
    except ValidationError as exc:
        raise ValidationFailed(str(exc.errors()[0]["msg"])) from exc
    return Creator.of(
        await creators.update_persona(session, principal, creator_id=creator_id, changes=changes)
    )


# ---------------------------------------------------------------- connections


@router.get(
    "/creators/{creator_id}/connections", response_model=list[Connection], responses=errors(401, 403, 404)
)
async def list_connections(
    creator_id: uuid.UUID, principal: AdminReader, session: SessionDep
) -> list[Connection]:
    """A creator's platform connections and their health (never their secrets)."""
    return [
        Connection.of(c) for c in await creators.list_connections(session, principal, creator_id=creator_id)
    ]


@router.post(
    "/creators/{creator_id}/connections",
    response_model=Connection,
    status_code=201,
    responses=errors(401, 403, 404, 409, 422),
)
async def create_connection(
    creator_id: uuid.UUID, body: ConnectionIn, principal: AdminWriter, session: SessionDep
) -> Connection:
    """Connect a platform account; the API key and webhook secret go into the vault."""
    connection = await creators.create_connection(
        session,
        principal,
        creator_id=creator_id,
        platform=body.platform,
        account_id=body.account_id,
        platform_user_id=body.platform_user_id,
        api_base_url=body.api_base_url,
        api_key=body.api_key.get_secret_value() if body.api_key else None,
        webhook_secret=body.webhook_secret.get_secret_value() if body.webhook_secret else None,
    )
    return Connection.of(connection)


@router.put(
    "/connections/{connection_id}/secrets", response_model=Connection, responses=errors(401, 403, 404, 422)
)
async def set_secrets(
    connection_id: uuid.UUID, body: SecretsIn, principal: AdminWriter, session: SessionDep
) -> Connection:
    """Replace or clear a connection's API key and webhook secret (write-only)."""
    connection = await creators.set_connection_secrets(
        session,
        principal,
        connection_id=connection_id,
        api_key=body.api_key.get_secret_value() if body.api_key else None,
        webhook_secret=body.webhook_secret.get_secret_value() if body.webhook_secret else None,
        clear_api_key=body.clear_api_key,
        clear_webhook_secret=body.clear_webhook_secret,
    )
    return Connection.of(connection)


# ---------------------------------------------------------------- staff


@router.get("/staff", response_model=list[StaffOut], responses=errors(401, 403))
async def list_staff(principal: AdminReader, session: SessionDep) -> list[StaffOut]:
    """Your agency's staff."""
    return [StaffOut.of(u) for u in await accounts.list_staff(session, principal)]


@router.post("/staff", response_model=StaffOut, status_code=201, responses=errors(401, 403, 409, 422))
async def create_staff(body: StaffIn, principal: AdminWriter, session: SessionDep) -> StaffOut:
    """Add a staff member (owners add anyone; admins add managers and chatters)."""
    user = await accounts.create_staff(
        session,
        principal,
        email=body.email,
        display_name=body.display_name,
        role=body.role,
        password=body.password.get_secret_value() if body.password else None,
        creator_id=body.creator_id,
    )
    return StaffOut.of(user)


@router.post("/invites", response_model=InviteOut, status_code=201, responses=errors(401, 403, 404, 409, 422))
async def invite_staff(body: InviteIn, principal: AdminWriter, session: SessionDep) -> InviteOut:
    """Invite someone by email: they set their own password (owners invite creators to their own login)."""
    issued = await accounts.invite_staff(
        session,
        principal,
        email=body.email,
        display_name=body.display_name,
        role=body.role,
        creator_id=body.creator_id,
        creator_ids=body.creator_ids,
    )
    return InviteOut(
        staff=StaffOut.of(issued.staff),
        invite_token=issued.plaintext,
        accept_url=f"/join#invite={issued.plaintext}",
        expires_at=issued.expires_at,
    )


@router.patch("/staff/{staff_user_id}", response_model=StaffOut, responses=errors(401, 403, 404, 422))
async def update_staff(
    staff_user_id: uuid.UUID, body: StaffPatch, principal: AdminWriter, session: SessionDep, redis: RedisDep
) -> StaffOut:
    """Change a staff member's name, role, password or active flag (deactivation signs them out)."""
    user = await accounts.update_staff(
        session,
        principal,
        staff_user_id=staff_user_id,
        display_name=body.display_name,
        role=body.role,
        is_active=body.is_active,
        password=body.password.get_secret_value() if body.password else None,
    )
    if body.is_active is False or body.password is not None:
        await sessions.delete_user_sessions(redis, staff_user_id=user.id)
    return StaffOut.of(user)


@router.get("/staff/{staff_user_id}/assignments", response_model=Assignments, responses=errors(401, 403, 404))
async def get_assignments(
    staff_user_id: uuid.UUID, principal: AdminReader, session: SessionDep
) -> Assignments:
    """The creators a manager or chatter works on."""
    return Assignments(
        creator_ids=await accounts.assignments(session, principal, staff_user_id=staff_user_id)
    )


@router.put(
    "/staff/{staff_user_id}/assignments", response_model=Assignments, responses=errors(401, 403, 404, 422)
)
async def set_assignments(
    staff_user_id: uuid.UUID, body: Assignments, principal: AdminWriter, session: SessionDep
) -> Assignments:
    """Replace the creators a manager or chatter works on."""
    ids = await accounts.set_assignments(
        session, principal, staff_user_id=staff_user_id, creator_ids=body.creator_ids
    )
    return Assignments(creator_ids=ids)


# ---------------------------------------------------------------- API tokens


@router.get("/tokens", response_model=list[TokenOut], responses=errors(401, 403))
async def list_tokens(principal: StaffPrincipalDep, session: SessionDep) -> list[TokenOut]:
    """API tokens (owners and admins: the agency's; others: their own). Never the token itself."""
    return [TokenOut.model_validate(t) for t in await accounts.list_api_tokens(session, principal)]


@router.post("/tokens", response_model=IssuedTokenOut, status_code=201, responses=errors(401, 403, 404, 422))
async def create_token(body: TokenIn, principal: StaffPrincipalDep, session: SessionDep) -> IssuedTokenOut:
    """Issue a scoped API token; the response is the only time it is shown."""
    issued = await accounts.create_api_token(
        session,
        principal,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
        staff_user_id=body.staff_user_id,
    )
    return IssuedTokenOut(**TokenOut.model_validate(issued.token).model_dump(), token=issued.plaintext)


@router.delete("/tokens/{token_id}", response_model=TokenOut, responses=errors(401, 403, 404))
async def revoke_token(token_id: uuid.UUID, principal: StaffPrincipalDep, session: SessionDep) -> TokenOut:
    """Revoke a token; it stops working at once."""
    return TokenOut.model_validate(await accounts.revoke_api_token(session, principal, token_id=token_id))


# ---------------------------------------------------------------- audit


@router.get("/audit", response_model=list[AuditOut], responses=errors(401, 403, 404))
async def audit_log(
    principal: AdminReader,
    session: SessionDep,
    creator_id: uuid.UUID | None = None,
    action: str | None = Query(default=None, max_length=80, pattern=r"^[a-z0-9_.]+$"),
    limit: int = Query(default=100, ge=1, le=500),
) -> list[AuditOut]:
    """The audit log, newest first: decisions, logins, admin changes."""
    entries = await accounts.list_audit(session, principal, creator_id=creator_id, action=action, limit=limit)
    return [AuditOut.model_validate(e) for e in entries]
