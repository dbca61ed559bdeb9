"""Broadcasts: the audience frozen at approval, delivery counters and per-fan status (sent, failed,
skipped with the reason, purchased when the fan unlocked the PPV). Read-only: a broadcast is proposed
as a gated action and approved in the inbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import AutomationReader, SessionDep, errors
from core.errors import NotFound
from core.tenancy import Principal
from crm.enums import BroadcastStatus, DeliveryStatus
from crm.messaging import broadcasts
from crm.messaging.models import MessageBroadcast

router = APIRouter(prefix="/api/broadcasts", tags=["automation"])


class CountersOut(BaseModel):
    recipients: int
    pending: int
    sent: int
    failed: int
    skipped: int
    purchased: int


class BroadcastOut(BaseModel):
    id: uuid.UUID
    creator_id: uuid.UUID
    segment_id: uuid.UUID | None
    hitl_item_id: uuid.UUID | None
    text: str
    price: Decimal | None
    status: BroadcastStatus
    audience_seen: int | None
    recipient_count: int
    snapshot: dict[str, Any]
    frozen_at: datetime | None
    sent_at: datetime | None
    counters: CountersOut


class DeliveryOut(BaseModel):
    id: uuid.UUID
    fan_id: uuid.UUID
    fan_name: str
    status: DeliveryStatus
    reason: str | None
    error: str | None
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    purchased_at: datetime | None


async def _out(session: Any, principal: Principal, broadcast: MessageBroadcast) -> BroadcastOut:
    counts = await broadcasts.counters(session, principal, broadcast_id=broadcast.id)
    return BroadcastOut(
        id=broadcast.id, creator_id=broadcast.creator_id, segment_id=broadcast.segment_id,
        hitl_item_id=broadcast.hitl_item_id, text=broadcast.text, price=broadcast.price,
        status=broadcast.status, audience_seen=broadcast.audience_seen, recipient_count=broadcast.recipient_count,
        snapshot=broadcast.snapshot or {}, frozen_at=broadcast.frozen_at, sent_at=broadcast.sent_at,
        counters=CountersOut(**counts.as_dict()),
    )  # fmt: skip


@router.get("", response_model=list[BroadcastOut], responses=errors(401, 403, 404, 422))
async def list_broadcasts(
    principal: AutomationReader,
    session: SessionDep,
    creator_id: uuid.UUID | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> list[BroadcastOut]:
    """Broadcasts of the creators you may see, newest first, with their delivery counters."""
    if creator_id is not None and not principal.can_see(creator_id):
        raise NotFound("creator not found")
    ids = [creator_id] if creator_id else sorted(principal.creator_ids)
    found = await broadcasts.list_broadcasts(session, principal, creator_ids=ids, limit=limit)
    return [await _out(session, principal, b) for b in found]


@router.get("/{broadcast_id}", response_model=BroadcastOut, responses=errors(401, 403, 404))
async def get_broadcast(
    broadcast_id: uuid.UUID, principal: AutomationReader, session: SessionDep
) -> BroadcastOut:
    """One broadcast: frozen audience, what the approver saw, counters."""
    return await _out(
        session, principal, await broadcasts.get_broadcast(session, principal, broadcast_id=broadcast_id)
    )


@router.get(
    "/{broadcast_id}/deliveries", response_model=list[DeliveryOut], responses=errors(401, 403, 404, 422)
)
async def list_deliveries(
    broadcast_id: uuid.UUID,
    principal: AutomationReader,
    session: SessionDep,
    status: DeliveryStatus | None = None,
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> list[DeliveryOut]:
    """Per-fan status of a broadcast's deliveries."""
    await broadcasts.get_broadcast(session, principal, broadcast_id=broadcast_id)
    rows = await broadcasts.list_deliveries(
        session, principal, broadcast_id=broadcast_id, status=status, limit=limit, offset=offset
    )
    return [
        DeliveryOut(
            id=d.id,
            fan_id=d.fan_id,
            fan_name=name,
            status=d.status,
            reason=d.reason,
            error=d.error,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            sent_at=d.sent_at,
            purchased_at=d.purchased_at,
        )
        for d, name in rows
    ]
