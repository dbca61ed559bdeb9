"""The audit log: who did what to which object. Ids and field names only, never secrets or personal data."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.tenancy import Principal
from crm.accounts.models import AuditLog
from crm.enums import AuditActorKind

# Keys that must never reach the log; a caller that tries is a bug, so fail loudly.
_FORBIDDEN_DETAIL_KEYS = ("secret", "password", "token", "api_key", "key_material", "plaintext")


async def record(
    session: AsyncSession,
    principal: Principal,
    *,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str | None,
    creator_id: uuid.UUID | None = None,
    agency_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    details = details or {}
    leaked = [k for k in details if any(word in k.lower() for word in _FORBIDDEN_DETAIL_KEYS)]
    if leaked:
        raise ValueError(f"audit details must not carry secrets: {', '.join(sorted(leaked))}")
    entry = AuditLog(
        agency_id=agency_id or principal.agency_id,
        creator_id=creator_id,
        actor_kind=AuditActorKind(str(principal.actor_kind)),
        actor_id=principal.actor_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        details=details,
    )
    session.add(entry)
    await session.flush()
    return entry
