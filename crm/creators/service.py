"""Creators, their persona and platform connections. Connection secrets go only through the vault."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import Vault, get_vault
from core.db import apply_principal
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.tenancy import Principal, StaffRole
from crm.accounts import audit
from crm.creators.models import CreatorProfile, PlatformConnection
from crm.creators.schemas import ConnectionHealth, PersonaUpdate
from crm.enums import Platform

API_KEY_FIELD = "api_key"
WEBHOOK_SECRET_FIELD = "webhook_secret"
_SECRET_COLUMNS = {API_KEY_FIELD: "api_key_encrypted", WEBHOOK_SECRET_FIELD: "webhook_secret_encrypted"}
_LAST_ERROR_MAX = 500


def _validate_persona(
    *, ppv_price_min: Decimal | None, ppv_price_max: Decimal | None, timezone: str | None
) -> None:
    if ppv_price_min is not None and ppv_price_min < 0:
        raise ValidationFailed("ppv_price_min must be ≥ 0")
    if ppv_price_min is not None and ppv_price_max is not None and ppv_price_max < ppv_price_min:
        raise ValidationFailed(f"ppv_price_max ({ppv_price_max}) must be ≥ ppv_price_min ({ppv_price_min})")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationFailed(
                f"unknown timezone {timezone!r} (use an IANA name like 'Europe/Paris')"
            ) from exc


# ---------------------------------------------------------------- creators


async def create_creator(
    session: AsyncSession,
    principal: Principal,
    *,
    agency_id: uuid.UUID,
    display_name: str,
    handle: str,
    voice: str = "",
    rules: list[str] | None = None,
    restricted_words: list[str] | None = None,
    ppv_price_min: Decimal = Decimal("5"),
    ppv_price_max: Decimal = Decimal("100"),
    timezone: str = "UTC",
) -> CreatorProfile:
    if not principal.system:
        if principal.agency_id != agency_id:
            raise Forbidden("you can only add creators to your own agency")
        if principal.role in (StaffRole.manager, StaffRole.chatter, StaffRole.creator):
            raise Forbidden("only an owner or admin can add creators")
    ppv_price_min, ppv_price_max = Decimal(ppv_price_min), Decimal(ppv_price_max)
    _validate_persona(ppv_price_min=ppv_price_min, ppv_price_max=ppv_price_max, timezone=timezone)
    creator = CreatorProfile(
        id=uuid.uuid4(),
        agency_id=agency_id,
        display_name=display_name,
        handle=handle,
        voice=voice,
        rules=list(rules or []),
        restricted_words=list(restricted_words or []),
        ppv_price_min=ppv_price_min,
        ppv_price_max=ppv_price_max,
        timezone=timezone,
    )
    if not principal.system:
        # RLS only admits rows the transaction may see: the creator being created joins that set.
        widened = dataclasses.replace(principal, creator_ids=principal.creator_ids | {creator.id})
        await apply_principal(session, widened)
    session.add(creator)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="creator.created",
        target_type="creator",
        target_id=creator.id,
        creator_id=creator.id,
        agency_id=agency_id,
    )
    await session.refresh(creator)
    return creator


async def get_creator(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID
) -> CreatorProfile:
    creator = await session.get(CreatorProfile, creator_id)
    if creator is None or not principal.can_see(creator.id):
        raise NotFound("creator not found")
    return creator


async def list_creators(
    session: AsyncSession, principal: Principal, *, agency_id: uuid.UUID | None = None
) -> list[CreatorProfile]:
    query = sa.select(CreatorProfile).order_by(CreatorProfile.display_name, CreatorProfile.id)
    if agency_id is not None:
        query = query.where(CreatorProfile.agency_id == agency_id)
    return list((await session.scalars(query)).all())


async def update_persona(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID, changes: PersonaUpdate
) -> CreatorProfile:
    creator = await get_creator(session, principal, creator_id=creator_id)
    fields = changes.model_dump(exclude_unset=True)
    new_min = fields.get("ppv_price_min", creator.ppv_price_min)
    new_max = fields.get("ppv_price_max", creator.ppv_price_max)
    if new_min is None or new_max is None:
        raise ValidationFailed("price bounds cannot be cleared")
    _validate_persona(ppv_price_min=new_min, ppv_price_max=new_max, timezone=fields.get("timezone"))
    for name in ("display_name", "voice", "bio", "rules", "restricted_words", "timezone", "safety_keywords"):
        if name in fields and fields[name] is None:
            raise ValidationFailed(f"{name} cannot be cleared")
    for name, value in fields.items():
        setattr(creator, name, list(value) if isinstance(value, list) else value)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="creator.persona_updated",
        target_type="creator",
        target_id=creator.id,
        creator_id=creator.id,
        agency_id=creator.agency_id,
        details={"fields": sorted(fields)},
    )
    await session.refresh(creator)
    return creator


# ---------------------------------------------------------------- platform connections


def _seal(
    vault: Vault, connection: PlatformConnection, field: str, value: str | None, *, clear: bool
) -> bool:
    """Encrypt `value` into the field's column; returns whether the column changed."""
    column = _SECRET_COLUMNS[field]
    if clear:
        setattr(connection, column, None)
        return True
    if value is None:
        return False
    if not value:
        raise ValidationFailed(f"{field} cannot be empty")
    blob = vault.encrypt(
        value, creator_id=connection.creator_id, platform=str(connection.platform), field=field
    )
    setattr(connection, column, blob)
    return True


async def create_connection(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    platform: Platform,
    account_id: str,
    platform_user_id: str | None = None,
    api_base_url: str | None = None,
    api_key: str | None = None,
    webhook_secret: str | None = None,
    vault: Vault | None = None,
) -> PlatformConnection:
    creator = await get_creator(session, principal, creator_id=creator_id)
    vault = vault or get_vault()
    connection = PlatformConnection(
        id=uuid.uuid4(),
        creator_id=creator.id,
        platform=Platform(platform),
        account_id=account_id,
        platform_user_id=platform_user_id,
        api_base_url=api_base_url,
    )
    _seal(vault, connection, API_KEY_FIELD, api_key, clear=False)
    _seal(vault, connection, WEBHOOK_SECRET_FIELD, webhook_secret, clear=False)
    try:
        async with session.begin_nested():
            session.add(connection)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"the {platform} account {account_id!r} is already connected") from exc
    await audit.record(
        session,
        principal,
        action="connection.created",
        target_type="platform_connection",
        target_id=connection.id,
        creator_id=creator.id,
        agency_id=creator.agency_id,
        details={
            "platform": str(connection.platform),
            "fields_set": [f for f in _SECRET_COLUMNS if getattr(connection, _SECRET_COLUMNS[f]) is not None],
        },
    )
    await session.refresh(connection)
    return connection


async def get_connection(
    session: AsyncSession, principal: Principal, *, connection_id: uuid.UUID
) -> PlatformConnection:
    connection = await session.get(PlatformConnection, connection_id)
    if connection is None or not principal.can_see(connection.creator_id):
        raise NotFound("platform connection not found")
    return connection


async def list_connections(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID
) -> list[PlatformConnection]:
    await get_creator(session, principal, creator_id=creator_id)
    query = (
        sa.select(PlatformConnection)
        .where(PlatformConnection.creator_id == creator_id)
        .order_by(PlatformConnection.platform, PlatformConnection.account_id)
    )
    return list((await session.scalars(query)).all())


async def set_connection_secrets(
    session: AsyncSession,
    principal: Principal,
    *,
    connection_id: uuid.UUID,
    api_key: str | None = None,
    webhook_secret: str | None = None,
    clear_api_key: bool = False,
    clear_webhook_secret: bool = False,
    vault: Vault | None = None,
) -> PlatformConnection:
    """Replace (value given), keep (None) or remove (clear_…) each secret."""
    connection = await get_connection(session, principal, connection_id=connection_id)
    vault = vault or get_vault()
    changed = [
        field
        for field, value, clear in (
            (API_KEY_FIELD, api_key, clear_api_key),
            (WEBHOOK_SECRET_FIELD, webhook_secret, clear_webhook_secret),
        )
        if _seal(vault, connection, field, value, clear=clear)
    ]
    if not changed:
        return connection
    await session.flush()
    creator = await get_creator(session, principal, creator_id=connection.creator_id)
    await audit.record(
        session,
        principal,
        action="connection.secrets_changed",
        target_type="platform_connection",
        target_id=connection.id,
        creator_id=connection.creator_id,
        agency_id=creator.agency_id,
        details={
            "fields": changed,
            "cleared": [f for f in changed if getattr(connection, _SECRET_COLUMNS[f]) is None],
        },
    )
    await session.refresh(connection)
    return connection


async def find_connection_for_webhook(
    session: AsyncSession, *, platform: Platform | str, account_id: str
) -> PlatformConnection | None:
    """The connection a webhook is addressed to. Call it in a SYSTEM session: the sender is not a tenant yet."""
    query = sa.select(PlatformConnection).where(
        PlatformConnection.platform == Platform(platform), PlatformConnection.account_id == account_id
    )
    return (await session.scalars(query)).one_or_none()


@dataclasses.dataclass(frozen=True)
class WebhookSigner:
    """What verifying and storing a webhook needs from its connection, secret already decrypted."""

    connection_id: uuid.UUID
    creator_id: uuid.UUID
    secret: str | None
    # The vault envelope the secret was opened from. Any change of the secret (set, cleared, vault key
    # rotation) writes a new envelope, so "the row still holds this envelope" means "still this secret".
    sealed_secret: bytes | None


class WebhookSignerCache:
    """Per-process cache of decrypted webhook secrets by (platform, account id).

    Never trusted on its own: an event verified with a cached secret is stored only if its connection
    still holds the same envelope (`crm.webhooks.store.store_event_if_signer_current`); otherwise the
    entry is dropped and the connection read again. The TTL and size bound only limit memory.
    """

    def __init__(self, *, ttl_seconds: float = 300.0, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], tuple[float, WebhookSigner]] = OrderedDict()

    def get(self, platform: Platform | str, account_id: str) -> WebhookSigner | None:
        key = (str(platform), account_id)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, platform: Platform | str, account_id: str, signer: WebhookSigner) -> None:
        key = (str(platform), account_id)
        self._entries[key] = (time.monotonic() + self.ttl_seconds, signer)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, platform: Platform | str, account_id: str) -> None:
        self._entries.pop((str(platform), account_id), None)

    def clear(self) -> None:
        self._entries.clear()


webhook_signers = WebhookSignerCache()


async def load_webhook_signer(
    session: AsyncSession, *, platform: Platform | str, account_id: str, vault: Vault | None = None
) -> WebhookSigner | None:
    """Read the connection a webhook is addressed to (SYSTEM session), decrypt its secret, cache it."""
    connection = await find_connection_for_webhook(session, platform=platform, account_id=account_id)
    if connection is None:
        webhook_signers.forget(platform, account_id)
        return None
    signer = WebhookSigner(
        connection_id=connection.id,
        creator_id=connection.creator_id,
        secret=webhook_secret_for(connection, vault=vault),
        sealed_secret=connection.webhook_secret_encrypted,
    )
    webhook_signers.put(platform, account_id, signer)
    return signer


def _open(connection: PlatformConnection, field: str, vault: Vault | None) -> str | None:
    blob: bytes | None = getattr(connection, _SECRET_COLUMNS[field])
    if blob is None:
        return None
    return (vault or get_vault()).decrypt(
        blob, creator_id=connection.creator_id, platform=str(connection.platform), field=field
    )


def webhook_secret_for(connection: PlatformConnection, *, vault: Vault | None = None) -> str | None:
    return _open(connection, WEBHOOK_SECRET_FIELD, vault)


def api_key_for(connection: PlatformConnection, *, vault: Vault | None = None) -> str | None:
    return _open(connection, API_KEY_FIELD, vault)


async def record_connection_health(
    session: AsyncSession,
    principal: Principal,
    *,
    connection_id: uuid.UUID,
    health: ConnectionHealth | str,
    error: str | None = None,
    checked_at: datetime | None = None,
) -> PlatformConnection:
    """Store the outcome of a health check. Not audited: it is an observation, not a change by a person."""
    connection = await get_connection(session, principal, connection_id=connection_id)
    connection.health = str(ConnectionHealth(health))
    connection.last_checked_at = checked_at or datetime.now(UTC)
    connection.last_error = error[:_LAST_ERROR_MAX] if error else None
    await session.flush()
    await session.refresh(connection)
    return connection


async def rotate_connection_secrets(session: AsyncSession, vault: Vault) -> int:
    """Re-encrypt every connection secret not under the vault's active key; returns how many.

    Run it with the SYSTEM principal so that it sees every creator. A secret under a key that is no
    longer configured raises VaultError (naming the key) and nothing is written.
    """
    query = sa.select(PlatformConnection).order_by(PlatformConnection.id).with_for_update()
    rotated = 0
    for connection in (await session.scalars(query)).all():
        for field, column in _SECRET_COLUMNS.items():
            blob: bytes | None = getattr(connection, column)
            if blob is None or not vault.needs_rotation(blob):
                continue
            cid, platform = connection.creator_id, str(connection.platform)
            plaintext = vault.decrypt(blob, creator_id=cid, platform=platform, field=field)
            setattr(
                connection, column, vault.encrypt(plaintext, creator_id=cid, platform=platform, field=field)
            )
            rotated += 1
    await session.flush()
    return rotated
