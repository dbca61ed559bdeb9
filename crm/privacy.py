"""GDPR: export everything a fan left with the creator, and erase it (audited, history included).

Both work table by table over every table with a `fan_id` column, so a table added later is covered
without a change here. Erase goes through `fanpilot_erase_fan()`, a SECURITY DEFINER function owned
by the migration role: the one way past the append-only ledgers. Routes and the CLI restrict both
to owner/admin.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.tenancy import Principal
from crm.fans.models import FanProfile

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
    return export
