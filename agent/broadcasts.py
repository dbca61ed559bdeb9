"""Send a broadcast's frozen deliveries: in batches, each exactly once, resumable after a crash.

The executor froze the audience when the broadcast was approved (`crm.messaging.broadcasts`); this is
the rest of its execution, in the worker. Each batch is one transaction: its pending deliveries are
row-locked (`SKIP LOCKED`, so two senders never take the same one), each fan is re-checked (opted
out or blocked → skipped; a PPV to a fan whose subscription ended → skipped), each send carries its
own idempotency key `broadcast:<broadcast>:<fan>`, and the fan message, the delivery's status and the
batch commit together. A crash mid-batch rolls that batch back; the next run sends it again with the
same keys, which the platform de-duplicates, so no fan gets the message twice and none is lost.
Transient failures keep a delivery pending with a backoff (at most `MAX_ATTEMPTS`); permanent ones
fail it with the reason. The adapter is picked from settings, like every other send.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from agent.context import Knobs
from agent.decisions import creator_principal
from agent.executor import MAX_ATTEMPTS, backoff
from agent.platform import adapter_for_creator
from agent.platform.base import OutboundMessage, PlatformAdapter, PlatformRejected, PlatformUnavailable
from core import queue
from core.db import tenant_session
from core.errors import ConfigurationError
from core.tenancy import SYSTEM
from crm.enums import BroadcastStatus, DeliveryStatus, MessageDirection, MessageSender
from crm.fans import service as fan_service
from crm.messaging import broadcasts

log = logging.getLogger(__name__)

__all__ = ["BATCH", "JOB", "Progress", "enqueue_sending", "send_broadcast", "send_due_broadcasts"]

JOB = "send_broadcast"
BATCH = 100


@dataclass
class Progress:
    broadcast_id: uuid.UUID
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retrying: int = 0
    batches: int = 0
    status: str = "sending"


async def enqueue_sending(creator_id: uuid.UUID, broadcast_id: str | uuid.UUID | None) -> bool:
    """Hand the broadcast's deliveries to the worker (False when Redis is away: the sweep sends them)."""
    if broadcast_id is None:
        return False
    return await queue.enqueue(
        JOB, broadcast_id=str(broadcast_id), creator_id=str(creator_id), job_id=f"broadcast:{broadcast_id}"
    )


async def send_broadcast(
    *,
    broadcast_id: uuid.UUID,
    creator_id: uuid.UUID,
    knobs: Knobs | None = None,
    batch: int = BATCH,
    max_batches: int | None = None,
    now: datetime | None = None,
) -> Progress:
    """Send the broadcast's due pending deliveries, batch after batch, until none is left (or
    `max_batches`). Safe to run any number of times, from any number of workers."""
    knobs = knobs or Knobs.make()
    principal = creator_principal(creator_id)
    progress = Progress(broadcast_id)
    adapter: PlatformAdapter | None = knobs.adapter
    while max_batches is None or progress.batches < max_batches:
        async with tenant_session(principal, engine=knobs.engine) as session:
            claimed = await broadcasts.claim_batch(
                session, principal, broadcast_id=broadcast_id, limit=batch, now=now
            )
            if not claimed:
                break
            broadcast = await broadcasts.get_broadcast(session, principal, broadcast_id=broadcast_id)
            if broadcast.status != BroadcastStatus.sending:
                break
            if adapter is None:
                try:
                    adapter = await adapter_for_creator(
                        session, principal, creator_id=creator_id, settings=knobs.settings
                    )
                except ConfigurationError as exc:
                    # Nothing can be sent until the connection is fixed; the deliveries wait.
                    log.warning("broadcast %s cannot be sent: %s", broadcast_id, exc.message)
                    break
            price = Decimal(broadcast.price) if broadcast.price is not None else None
            fan_ids = [fan.id for _, fan in claimed]
            live = await broadcasts.fans_with_live_subscription(session, principal, fan_ids=fan_ids)
            accounts = await broadcasts.first_accounts(session, principal, fan_ids=fan_ids)
            for delivery, fan in claimed:
                reason = None
                if fan.messaging_blocked_at is not None:
                    reason = "the fan can no longer be messaged (blocked or opted out)"
                elif price is not None and fan.id not in live:
                    reason = "the fan's subscription has ended, so they cannot unlock paid content"
                if reason is not None:
                    await broadcasts.set_delivery(
                        session, principal, delivery=delivery, status=DeliveryStatus.skipped, reason=reason
                    )
                    progress.skipped += 1
                    continue
                account = accounts.get(fan.id)
                attempt = delivery.attempts + 1
                try:
                    sent = await adapter.send_message(
                        OutboundMessage(
                            creator_id=creator_id,
                            fan_id=fan.id,
                            platform_fan_id=account.platform_fan_id if account else None,
                            text=broadcast.text,
                            price=price,
                            idempotency_key=f"broadcast:{broadcast.id}:{fan.id}",
                        )
                    )
                except PlatformRejected as exc:
                    await broadcasts.set_delivery(
                        session, principal, delivery=delivery, status=DeliveryStatus.failed,
                        error=exc.message, attempts=attempt,
                    )  # fmt: skip
                    progress.failed += 1
                    continue
                except PlatformUnavailable as exc:
                    if attempt >= MAX_ATTEMPTS:
                        await broadcasts.set_delivery(
                            session, principal, delivery=delivery, status=DeliveryStatus.failed,
                            error=f"gave up after {attempt} attempts: {exc.message}", attempts=attempt,
                        )  # fmt: skip
                        progress.failed += 1
                    else:
                        await broadcasts.set_delivery(
                            session, principal, delivery=delivery, error=exc.message, attempts=attempt,
                            next_attempt_at=datetime.now(UTC) + backoff(attempt, exc.retry_after),
                        )  # fmt: skip
                        progress.retrying += 1
                    continue
                message = await fan_service.log_message(
                    session,
                    principal,
                    creator_id=creator_id,
                    fan_id=fan.id,
                    direction=MessageDirection.outbound,
                    sender=MessageSender.agent,
                    text=broadcast.text,
                    platform_message_id=sent.platform_message_id,
                    platform_account_id=account.id if account else None,
                    price=price,
                    is_ppv=price is not None,
                    hitl_item_id=broadcast.hitl_item_id,
                )
                await broadcasts.set_delivery(
                    session, principal, delivery=delivery, status=DeliveryStatus.sent,
                    sent_at=datetime.now(UTC), fan_message_id=message.id, attempts=attempt, error=None,
                    next_attempt_at=None,
                )  # fmt: skip
                progress.sent += 1
            progress.batches += 1
    async with tenant_session(principal, engine=knobs.engine) as session:
        finished = await broadcasts.finish_if_done(session, principal, broadcast_id=broadcast_id)
        progress.status = str(finished.status)
    return progress


async def send_due_broadcasts(*, knobs: Knobs | None = None, now: datetime | None = None) -> list[Progress]:
    """The sweep (a worker cron): every broadcast still sending with due deliveries — a crashed or
    lost sender's work resumes here; one with nothing pending is marked sent."""
    knobs = knobs or Knobs.make()
    async with tenant_session(SYSTEM, engine=knobs.engine) as session:
        due = await broadcasts.due_broadcasts(session, SYSTEM, now=now)
    return [
        await send_broadcast(broadcast_id=broadcast_id, creator_id=creator_id, knobs=knobs, now=now)
        for broadcast_id, creator_id in due
    ]
