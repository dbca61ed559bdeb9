"""What the product does with an inbound safety signal besides flagging the item, and the numbers.

A possible minor marks the fan (tag `possible-minor`) and leaves an entry in the agency's audit log
(ids and the signal code only, never the message). `count_flags` gives the owner's numbers page the
flags per code for a creator and a period.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.tenancy import Principal
from crm.accounts import audit
from crm.approvals import repository as repo
from crm.approvals.signals import POSSIBLE_MINOR
from crm.fans import service as fan_service

POSSIBLE_MINOR_TAG = "possible-minor"
POSSIBLE_MINOR_AUDIT = "safety.possible_minor"

__all__ = [
    "POSSIBLE_MINOR_AUDIT",
    "POSSIBLE_MINOR_TAG",
    "count_flagged_items",
    "count_flags",
    "record_inbound_signals",
]


async def record_inbound_signals(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    flags: Iterable[dict[str, Any]],
    message_id: uuid.UUID | None = None,
) -> list[str]:
    """Mark the fan and audit once per fan message; safe to call again (returns what it recorded)."""
    codes = {str(f.get("code")) for f in flags}
    if POSSIBLE_MINOR not in codes:
        return []
    await fan_service.add_tag(session, principal, fan_id=fan_id, tag=POSSIBLE_MINOR_TAG, source="agent")
    ref = str(message_id) if message_id else None
    if await repo.audit_exists(
        session, action=POSSIBLE_MINOR_AUDIT, target_id=str(fan_id), detail_key="message_id", detail_value=ref
    ):
        return [POSSIBLE_MINOR_TAG]
    creator = await repo.get_creator(session, creator_id)
    await audit.record(
        session,
        principal,
        action=POSSIBLE_MINOR_AUDIT,
        target_type="fan",
        target_id=fan_id,
        creator_id=creator_id,
        agency_id=creator.agency_id if creator else None,
        details={"signal": POSSIBLE_MINOR, "message_id": ref, "tag": POSSIBLE_MINOR_TAG},
    )
    return [POSSIBLE_MINOR_TAG, POSSIBLE_MINOR_AUDIT]


async def count_flags(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID | None = None,
    creator_ids: Sequence[uuid.UUID] = (),
    since: datetime,
    until: datetime,
) -> dict[str, int]:
    """Queue items per flag code for one creator (or several, together), created in [since, until).

    Superseded drafts are left out: the fresh draft that replaced them carries the same flags, so a
    fan who wrote twice is counted once.
    """
    ids = [*creator_ids, *([creator_id] if creator_id else [])]
    if until <= since or not ids:
        return {}
    return await repo.count_flags(session, creator_ids=ids, since=since, until=until)


async def count_flagged_items(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_ids: Sequence[uuid.UUID],
    since: datetime,
    until: datetime,
) -> dict[uuid.UUID, int]:
    """Queue items with at least one flag, per creator, created in [since, until)."""
    if until <= since or not creator_ids:
        return {}
    return await repo.count_flagged_items(session, creator_ids=creator_ids, since=since, until=until)
