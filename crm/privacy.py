"""GDPR: export everything a fan left with the creator, and erase it (audited, history included).

Both work table by table over every table with a `fan_id` column, so a table added later is covered
without a change here. Erase goes through `fanpilot_erase_fan()`, a SECURITY DEFINER function owned
by the migration role: the one way past the append-only ledgers. Routes and the CLI restrict both
to owner/admin.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Forbidden, NotFound, ValidationFailed
from core.settings import get_settings
from core.tenancy import Principal, StaffRole
from crm.accounts import audit
from crm.fans.models import FanProfile

# How long the confirmation of an erase request stays valid.
ERASE_CONFIRMATION_TTL = timedelta(minutes=10)

# Columns an export leaves out: derived vectors and search documents, not the fan's data.
_EXPORT_DROP = ("embedding", "search")


async def tables_with_fan_id(session: AsyncSession) -> list[str]:
    result = await session.execute(
        text(
            "SELECT c.table_name FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = 'public' AND c.column_name = 'fan_id' AND t.table_type = 'BASE TABLE'"
            " ORDER BY c.table_name"
        )
    )
    return [r[0] for r in result]


async def erase_fan(session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID) -> dict[str, int]:
    """GDPR erase: every row of the fan across the CRM, memories with their history, queue items and
    LangGraph checkpoints of the fan's threads; audited (who, when, which fan id). Returns row counts."""
    # Checked here too: the SQL function runs as its owner, which may bypass RLS on some servers.
    fan = await session.get(FanProfile, fan_id)
    if fan is None:
        raise NotFound("fan not found")
    session.expunge(fan)
    try:
        async with session.begin_nested():
            result = await session.execute(
                text("SELECT fanpilot_erase_fan(:fan_id, :kind, :actor)"),
                {"fan_id": fan_id, "kind": str(principal.actor_kind), "actor": principal.actor_id},
            )
            counts = result.scalar_one()
    except DBAPIError as exc:
        if "not found" in str(exc.orig):
            raise NotFound("fan not found") from exc
        raise
    session.expire_all()
    return {str(k): int(v) for k, v in (counts or {}).items()}


async def export_fan(session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID) -> dict[str, Any]:
    """All of a fan's data as JSON-ready dicts: the profile and every table with a fan_id column
    (memories include superseded history, without vectors)."""
    fan_row = (
        await session.execute(text("SELECT to_jsonb(f) FROM fan_profiles f WHERE id = :id"), {"id": fan_id})
    ).scalar_one_or_none()
    if fan_row is None:
        raise NotFound("fan not found")
    export: dict[str, Any] = {
        "exported_at": datetime.now(UTC).isoformat(),
        "fan_id": str(fan_id),
        "fan_profiles": [fan_row],
    }
    drop = " ".join(f"- '{c}'" for c in _EXPORT_DROP)
    for table in await tables_with_fan_id(session):
        rows = await session.execute(
            text(f'SELECT to_jsonb(t) {drop} FROM "{table}" t WHERE fan_id = :id'),
            {"id": fan_id},
        )
        export[table] = [r[0] for r in rows]
    # Tables keyed by a memory rather than the fan: how often each memory was recalled.
    rows = await session.execute(
        text(
            "SELECT to_jsonb(a) FROM fan_memory_access a JOIN fan_memories m ON m.id = a.memory_id"
            " WHERE m.fan_id = :id"
        ),
        {"id": fan_id},
    )
    export["fan_memory_access"] = [r[0] for r in rows]
    return export


# ---------------------------------------------------------------- who, and erase in two calls


def require_data_officer(principal: Principal) -> None:
    """Export and erase are for an agency's owners and admins (and the system)."""
    if not principal.system and principal.role not in (StaffRole.owner, StaffRole.admin):
        raise Forbidden("only an owner or admin can export or erase a fan's data")


async def count_fan_rows(session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID) -> dict[str, int]:
    """What an erase would remove: the fan's rows per table (tables with none left out)."""
    fan = await session.get(FanProfile, fan_id)
    if fan is None:
        raise NotFound("fan not found")
    counts = {"fan_profiles": 1}
    for table in await tables_with_fan_id(session):
        found = await session.execute(
            text(f'SELECT count(*) FROM "{table}" WHERE fan_id = :id'), {"id": fan_id}
        )
        if n := int(found.scalar_one()):
            counts[table] = n
    return counts


def _signature(fan_id: uuid.UUID, actor_id: uuid.UUID | None, expires: int) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    message = f"fanpilot:erase:v1:{fan_id}:{actor_id}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class EraseRequest:
    confirmation: str  # give it back in the second call, within ERASE_CONFIRMATION_TTL
    expires_at: datetime
    rows: dict[str, int]


async def request_erase(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID, now: datetime | None = None
) -> EraseRequest:
    """The first of the two calls an erase takes: what would go, and the confirmation for the second
    call (bound to this fan and this actor, valid for ten minutes). Audited; nothing is removed."""
    require_data_officer(principal)
    rows = await count_fan_rows(session, principal, fan_id=fan_id)
    fan = await session.get(FanProfile, fan_id)
    assert fan is not None
    expires_at = (now or datetime.now(UTC)).replace(microsecond=0) + ERASE_CONFIRMATION_TTL
    expires = int(expires_at.timestamp())
    await audit.record(
        session, principal, action="fan.erase_requested", target_type="fan", target_id=fan_id,
        creator_id=fan.creator_id, details={"tables": sorted(rows)},
    )  # fmt: skip
    return EraseRequest(
        confirmation=f"{expires}.{_signature(fan_id, principal.actor_id, expires)}",
        expires_at=expires_at,
        rows=rows,
    )


async def confirm_erase(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    confirmation: str,
    now: datetime | None = None,
) -> dict[str, int]:
    """The second call: erase the fan if `confirmation` is the one `request_erase` gave this actor for
    this fan and has not expired (422 otherwise). The erase itself is audited as `fan.erased`."""
    require_data_officer(principal)
    expires_text, _, signature = confirmation.partition(".")
    current = int((now or datetime.now(UTC)).timestamp())
    valid = (
        expires_text.isdigit()
        and current <= int(expires_text)
        and hmac.compare_digest(signature, _signature(fan_id, principal.actor_id, int(expires_text)))
    )
    if not valid:
        raise ValidationFailed("the erase confirmation is wrong or expired: request a new one")
    return await erase_fan(session, principal, fan_id=fan_id)


async def export_fan_audited(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID
) -> dict[str, Any]:
    """`export_fan` for an owner or admin, audited (which fan, by whom; not what)."""
    require_data_officer(principal)
    export = await export_fan(session, principal, fan_id=fan_id)
    fan = export["fan_profiles"][0]
    await audit.record(
        session, principal, action="fan.exported", target_type="fan", target_id=fan_id,
        creator_id=uuid.UUID(str(fan["creator_id"])),
    )  # fmt: skip
    return export
