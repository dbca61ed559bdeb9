"""webhook_events: the raw inbound events. Insert-once per (source, idempotency key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.db import execute_in_one_round_trip
from core.tenancy import SYSTEM
from crm.enums import WebhookStatus
from crm.runtime.models import WebhookEvent

# Statuses the sweeper picks up again: never queued, lost from the queue, or crashed mid-way.
RETRYABLE = (WebhookStatus.received, WebhookStatus.queued, WebhookStatus.processing, WebhookStatus.failed)
MAX_ATTEMPTS = 8


async def store_event(
    session: AsyncSession,
    *,
    source: str,
    idempotency_key: str,
    event_type: str,
    payload: dict[str, Any],
    creator_id: uuid.UUID,
    connection_id: uuid.UUID,
    status: WebhookStatus = WebhookStatus.received,
) -> uuid.UUID | None:
    """The new event's id, or None when this (source, key) was stored before (a redelivery)."""
    statement = (
        insert(WebhookEvent)
        .values(
            id=uuid.uuid4(),
            source=source,
            idempotency_key=idempotency_key,
            event_type=event_type,
            payload=payload,
            creator_id=creator_id,
            connection_id=connection_id,
            status=status,
        )
        .on_conflict_do_nothing(index_elements=["source", "idempotency_key"])
        .returning(WebhookEvent.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


# One statement: insert the event only while its connection still holds the secret it was verified
# with, and say which of "connection changed" and "already stored" explains an insert that did not
# happen. Sent with its transaction in one round trip (`core.db.execute_in_one_round_trip`).
_STORE_IF_SIGNER_CURRENT = """
    WITH signer AS (
        SELECT id, creator_id FROM platform_connections
        WHERE id = %(connection_id)s AND webhook_secret_encrypted = %(sealed_secret)s
    ), stored AS (
        INSERT INTO webhook_events
            (id, source, idempotency_key, event_type, payload, creator_id, connection_id, status)
        SELECT %(id)s, %(source)s, %(idempotency_key)s, %(event_type)s, CAST(%(payload)s AS jsonb),
            creator_id, id, %(status)s
        FROM signer
        ON CONFLICT (source, idempotency_key) DO NOTHING
        RETURNING id
    )
    SELECT EXISTS (SELECT 1 FROM signer), (SELECT id FROM stored)
    """


@dataclass(frozen=True)
class StoreOutcome:
    signer_current: bool  # False: the connection's secret changed (or it is gone); nothing was stored
    event_id: uuid.UUID | None  # None with signer_current: a redelivery of a stored event


async def store_event_if_signer_current(
    *,
    source: str,
    idempotency_key: str,
    event_type: str,
    payload_json: str,
    connection_id: uuid.UUID,
    sealed_secret: bytes,
    status: WebhookStatus = WebhookStatus.received,
    engine: AsyncEngine | None = None,
) -> StoreOutcome:
    """Like `store_event`, for a signature checked with a cached secret (`payload_json`: a JSON
    object), as the system, in its own transaction: committed when this returns. The ingest hot
    path's whole transaction, so it owns it (one round trip instead of four)."""
    row = await execute_in_one_round_trip(
        SYSTEM,
        _STORE_IF_SIGNER_CURRENT,
        {
            "id": uuid.uuid4(),
            "source": source,
            "idempotency_key": idempotency_key,
            "event_type": event_type,
            "payload": payload_json,
            "connection_id": connection_id,
            "sealed_secret": sealed_secret,
            "status": str(status),
        },
        engine=engine,
    )
    assert row is not None  # the final SELECT always returns one row
    return StoreOutcome(signer_current=bool(row[0]), event_id=row[1])


async def get_event(session: AsyncSession, *, event_id: uuid.UUID, lock: bool = False) -> WebhookEvent | None:
    query = sa.select(WebhookEvent).where(WebhookEvent.id == event_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def set_status(
    session: AsyncSession,
    *,
    event_id: uuid.UUID,
    status: WebhookStatus,
    error: str | None = None,
    fan_id: uuid.UUID | None = None,
    only_if: tuple[WebhookStatus, ...] | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "error": error}
    if fan_id is not None:
        values["fan_id"] = fan_id
    if status in (WebhookStatus.processed, WebhookStatus.ignored):
        values["processed_at"] = datetime.now(UTC)
    statement = sa.update(WebhookEvent).where(WebhookEvent.id == event_id).values(**values)
    if only_if:
        statement = statement.where(WebhookEvent.status.in_(only_if))
    await session.execute(statement)


async def stale_event_ids(
    session: AsyncSession,
    *,
    older_than: timedelta,
    statuses: tuple[WebhookStatus, ...] = RETRYABLE,
    limit: int = 200,
    now: datetime | None = None,
) -> list[uuid.UUID]:
    """Events in one of `statuses` untouched for `older_than`, oldest first (the sweeper's work)."""
    cutoff = (now or datetime.now(UTC)) - older_than
    query = (
        sa.select(WebhookEvent.id)
        .where(
            WebhookEvent.status.in_(statuses),
            WebhookEvent.updated_at < cutoff,
            WebhookEvent.attempts < MAX_ATTEMPTS,
        )
        .order_by(WebhookEvent.received_at)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def count_events(session: AsyncSession, *, source: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(WebhookEvent)
    if source is not None:
        query = query.where(WebhookEvent.source == source)
    return int((await session.execute(query)).scalar_one())
