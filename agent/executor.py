"""Execute an approved queue item: one platform attempt per call, exactly once in effect.

The item row is locked for the whole transaction, so concurrent executors queue behind one another
(or, from the sweeper, skip a row someone else holds) and the later ones find it executed. Before
any platform call the item is re-checked against what the approver saw (`crm.approvals.recheck`);
when that no longer holds it ends `stale` and nothing is sent. The platform call carries the item id
as its idempotency key — on every attempt, retries included — so a crash after the platform accepted
but before our commit is de-duplicated on the next attempt. The effect (outbound fan message,
ledger row, draft feedback, item status, the attempt's record) commits atomically.

Transient failures (timeouts, network, 5xx, 429) record the attempt and schedule the next one with
exponential backoff, honouring the platform's `Retry-After`; after `MAX_ATTEMPTS` the item fails.
Permanent failures (4xx, no platform connection) fail the item at once. A failed item shows its
reason in the inbox and can be retried by a person (a decision, through `agent.decisions`).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from agent.platform import adapter_for_creator
from agent.platform.base import (
    OutboundMessage,
    PlatformAdapter,
    PlatformRejected,
    PlatformUnavailable,
    ScheduledPost,
)
from core.db import tenant_session
from core.errors import ConfigurationError, NotFound
from core.settings import Settings
from core.tenancy import Principal
from crm.approvals import recheck
from crm.approvals import service as approvals
from crm.approvals.models import HitlAction
from crm.automation import service as automation
from crm.enums import (
    ActionType,
    ApprovalOrigin,
    ApprovalStatus,
    DeliveryOutcome,
    MessageDirection,
    MessageSender,
    RunStatus,
)
from crm.fans import service as fan_service
from crm.messaging import broadcasts as broadcast_service
from crm.runtime import service as runtime_service

MAX_ATTEMPTS = 5
BASE_BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 15 * 60.0
ENDED = (ApprovalStatus.executed, ApprovalStatus.failed, ApprovalStatus.stale)


def backoff(attempt: int, retry_after: float | None = None) -> timedelta:
    """Delay before attempt `attempt + 1`: 2 s, 4 s, 8 s … with ±20 % jitter, never sooner than the
    platform's Retry-After, never more than 15 minutes."""
    delay = BASE_BACKOFF_SECONDS * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return timedelta(seconds=min(delay, MAX_BACKOFF_SECONDS))


@dataclass(frozen=True)
class Execution:
    """What one call of `execute_item` found or did."""

    item_id: uuid.UUID
    status: ApprovalStatus
    attempts: int
    result: dict[str, Any] | None = None
    error: str | None = None
    executed_at: datetime | None = None
    next_attempt_at: datetime | None = None
    attempted: bool = False  # False: the item had already ended, or another executor holds it
    busy: bool = False

    @classmethod
    def of(cls, item: HitlAction, *, attempted: bool = False) -> Execution:
        return cls(
            item_id=item.id,
            status=ApprovalStatus(item.status),
            attempts=item.attempts,
            result=item.result,
            error=item.error,
            executed_at=item.executed_at,
            next_attempt_at=item.next_attempt_at,
            attempted=attempted,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "item_id": str(self.item_id),
            "status": str(self.status),
            "attempts": self.attempts,
            "result": self.result,
            "error": self.error,
            "executed_at": self.executed_at.isoformat() if self.executed_at else None,
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
        }


async def _send_to_fan(
    session: AsyncSession,
    principal: Principal,
    item: HitlAction,
    adapter: PlatformAdapter,
    *,
    fan_id: uuid.UUID,
    text: str,
    price: Decimal | None,
    media_ids: list[str],
    key: str,
) -> dict[str, Any]:
    account = await fan_service.get_platform_account(session, principal, fan_id=fan_id)
    sent = await adapter.send_message(
        OutboundMessage(
            creator_id=item.creator_id,
            fan_id=fan_id,
            platform_fan_id=account.platform_fan_id if account else None,
            text=text,
            price=price,
            media_ids=media_ids,
            idempotency_key=key,
        )
    )
    message = await fan_service.log_message(
        session,
        principal,
        creator_id=item.creator_id,
        fan_id=fan_id,
        direction=MessageDirection.outbound,
        sender=MessageSender.agent,
        text=text,
        platform_message_id=sent.platform_message_id,
        platform_account_id=account.id if account else None,
        price=price,
        is_ppv=price is not None,
        media_ids=media_ids,
        hitl_item_id=item.id,
    )
    return {
        "adapter": sent.adapter,
        "platform_message_id": sent.platform_message_id,
        "fan_message_id": str(message.id),
    }


async def _perform(
    session: AsyncSession,
    principal: Principal,
    item: HitlAction,
    args: dict[str, Any],
    adapter: PlatformAdapter,
) -> dict[str, Any]:
    key = str(item.id)
    if item.action_type in (ActionType.send_message, ActionType.send_ppv):
        price = Decimal(str(args["price"])) if item.action_type == ActionType.send_ppv else None
        return await _send_to_fan(
            session,
            principal,
            item,
            adapter,
            fan_id=uuid.UUID(str(args["fan_id"])),
            text=str(args["text"]),
            price=price,
            media_ids=list(args.get("media_ids") or []),
            key=key,
        )
    if item.action_type == ActionType.create_broadcast:
        # Approval freezes the audience: the broadcast and one pending delivery per member of the
        # segment, now, in this transaction; `agent.broadcasts` then sends the deliveries in batches,
        # each once. The item is executed once its audience is frozen (see docs/automation.md).
        segment_id = uuid.UUID(str(args["segment_id"]))
        price = Decimal(str(args["price"])) if args.get("price") is not None else None
        seen = (item.context.get("segment") or {}).get("members")
        try:
            broadcast = await broadcast_service.freeze_audience(
                session,
                principal,
                creator_id=item.creator_id,
                hitl_item_id=item.id,
                segment_id=segment_id,
                text=str(args["text"]),
                price=price,
                audience_seen=int(seen) if isinstance(seen, int | str) and str(seen).isdigit() else None,
            )
        except NotFound as exc:
            raise PlatformRejected(exc.message) from exc
        return {
            "adapter": adapter.name,
            "broadcast_id": str(broadcast.id),
            "recipients": broadcast.recipient_count,
            "audience_seen": broadcast.audience_seen,
            "segment_id": str(segment_id),
        }
    if item.action_type == ActionType.schedule_post:
        price = Decimal(str(args["price"])) if args.get("price") is not None else None
        result = await adapter.schedule_post(
            ScheduledPost(
                creator_id=item.creator_id,
                text=str(args["text"]),
                publish_at=datetime.fromisoformat(str(args["publish_at"])),
                price=price,
                idempotency_key=key,
            )
        )
        return {"adapter": result.adapter, "platform_post_id": result.platform_message_id}
    if item.action_type == ActionType.update_custom_request_price:
        request = await fan_service.update_custom_request_price(
            session,
            principal,
            request_id=uuid.UUID(str(args["custom_request_id"])),
            price=Decimal(str(args["price"])),
        )
        return {
            "custom_request_id": str(request.id),
            "price": str(request.price),
            "status": str(request.status),
        }
    raise PlatformRejected(f"no executor for {item.action_type}")


async def _ledger(
    session: AsyncSession,
    principal: Principal,
    item: HitlAction,
    args: dict[str, Any],
    status: str,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    await automation.record_action(
        session,
        principal,
        creator_id=item.creator_id,
        idempotency_key=str(item.id),
        action_type=item.action_type,
        args=args,
        status=status,
        hitl_item_id=item.id,
        fan_id=item.fan_id,
        result=result,
        error=error,
    )


async def _feedback(
    session: AsyncSession, principal: Principal, item: HitlAction, args: dict[str, Any]
) -> None:
    """Draft vs. what was sent: approved-as-is and edited drafts become examples of the creator's voice."""
    if item.origin != ApprovalOrigin.reply_run or item.action_type not in (
        ActionType.send_message,
        ActionType.send_ppv,
    ):
        return
    await runtime_service.record_draft_feedback(
        session,
        principal,
        creator_id=item.creator_id,
        fan_id=item.fan_id,
        hitl_item_id=item.id,
        draft_text=str(item.proposed_args.get("text") or ""),
        final_text=str(args.get("text") or ""),
        outcome="edited" if item.edited else "approved",
    )


def _now() -> datetime:
    return datetime.now(UTC)


async def execute_item(
    *,
    principal: Principal,
    engine: AsyncEngine,
    item_id: uuid.UUID,
    settings: Settings,
    adapter: PlatformAdapter | None = None,
    skip_locked: bool = False,
    finishes_run: uuid.UUID | None = None,
) -> Execution:
    """One delivery attempt of an approved item; for an item that already ended (or, with
    `skip_locked`, that another executor holds right now), report where it stands and do nothing.
    `finishes_run`: the reply run whose last step this is; it is marked completed in the same commit."""
    async with tenant_session(principal, engine=engine) as session:
        if finishes_run is not None:
            await runtime_service.set_run_status(
                session, principal, run_ids=[finishes_run], status=RunStatus.completed
            )
        item = await approvals.lock_for_execution(
            session, principal, item_id=item_id, skip_locked=skip_locked
        )
        if item is None:
            return Execution(item_id=item_id, status=ApprovalStatus.approved, attempts=0, busy=True)
        if item.status != ApprovalStatus.approved:
            return Execution.of(item)
        args = approvals.effective_args(item)
        attempt = item.attempts + 1
        started = _now()
        reason = await recheck.stale_reason(session, principal, item=item, args=args)
        if reason is not None:
            await approvals.record_attempt(
                session, principal, item=item, attempt=attempt, outcome=DeliveryOutcome.stale,
                started_at=started, error=reason,
            )  # fmt: skip
            await _ledger(session, principal, item, args, "stale", error=reason)
            stale = await approvals.mark_stale(
                session, principal, item_id=item.id, reason=reason, attempts=attempt
            )
            return Execution.of(stale, attempted=True)
        used: PlatformAdapter | None = adapter
        try:
            used = used or await adapter_for_creator(
                session, principal, creator_id=item.creator_id, settings=settings
            )
            if item.action_type == ActionType.create_broadcast:
                # A broadcast that fails part-way leaves none of its partial rows behind.
                async with session.begin_nested():
                    result = await _perform(session, principal, item, args, used)
            else:
                # One platform call, before any write of its own: a failure leaves nothing behind.
                result = await _perform(session, principal, item, args, used)
        except (PlatformRejected, ConfigurationError) as exc:
            status = exc.http_status if isinstance(exc, PlatformRejected) else None
            await approvals.record_attempt(
                session, principal, item=item, attempt=attempt, outcome=DeliveryOutcome.failed,
                started_at=started, adapter=used.name if used else None, http_status=status, error=exc.message,
            )  # fmt: skip
            await _ledger(session, principal, item, args, "failed", error=exc.message)
            failed = await approvals.mark_failed(
                session, principal, item_id=item.id, error=exc.message, attempts=attempt
            )
            return Execution.of(failed, attempted=True)
        except PlatformUnavailable as exc:
            assert used is not None
            final = attempt >= MAX_ATTEMPTS
            await approvals.record_attempt(
                session, principal, item=item, attempt=attempt,
                outcome=DeliveryOutcome.failed if final else DeliveryOutcome.retry, started_at=started,
                adapter=used.name, http_status=exc.http_status, retry_after_seconds=exc.retry_after,
                error=exc.message,
            )  # fmt: skip
            if final:
                error = f"gave up after {attempt} attempts: {exc.message}"
                await _ledger(session, principal, item, args, "failed", error=error)
                ended = await approvals.mark_failed(
                    session, principal, item_id=item.id, error=error, attempts=attempt
                )
            else:
                ended = await approvals.schedule_retry(
                    session,
                    principal,
                    item_id=item.id,
                    error=f"attempt {attempt} of {MAX_ATTEMPTS} failed: {exc.message}",
                    attempts=attempt,
                    next_attempt_at=_now() + backoff(attempt, exc.retry_after),
                )
            return Execution.of(ended, attempted=True)
        await approvals.record_attempt(
            session, principal, item=item, attempt=attempt, outcome=DeliveryOutcome.sent,
            started_at=started, adapter=used.name,
        )  # fmt: skip
        await _ledger(session, principal, item, args, "executed", result=result)
        await _feedback(session, principal, item, args)
        done = await approvals.mark_executed(
            session, principal, item_id=item.id, result=result, attempts=attempt
        )
        return Execution.of(done, attempted=True)
