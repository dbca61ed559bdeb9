"""Execute an approved queue item exactly once.

The item row is locked for the whole transaction, so concurrent executors queue behind one another
and the later ones find it executed. The platform call carries the item id as its idempotency key,
so a crash after the platform accepted but before our commit is de-duplicated on retry. The effect
(outbound fan message, ledger row, item status) commits atomically.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from agent.platform.base import OutboundMessage, PlatformAdapter, PlatformRejected, ScheduledPost
from core.db import tenant_session
from core.tenancy import Principal
from crm.approvals import service as approvals
from crm.approvals.models import HitlAction
from crm.automation import service as automation
from crm.enums import ActionType, ApprovalStatus, MessageDirection, MessageSender
from crm.fans import service as fan_service
from crm.segments import service as segment_service

TERMINAL = (ApprovalStatus.executed, ApprovalStatus.failed)


def outcome_of(item: HitlAction) -> dict[str, Any]:
    return {
        "item_id": str(item.id),
        "status": str(item.status),
        "result": item.result,
        "error": item.error,
        "executed_at": item.executed_at.isoformat() if item.executed_at else None,
    }


async def _platform_account(
    session: AsyncSession, principal: Principal, fan_id: uuid.UUID
) -> tuple[uuid.UUID | None, str | None]:
    dossier = await fan_service.get_dossier(session, principal, fan_id=fan_id)
    if not dossier.platform_accounts:
        return None, None
    account = dossier.platform_accounts[0]
    return account.id, account.platform_fan_id


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
    account_id, platform_fan_id = await _platform_account(session, principal, fan_id)
    sent = await adapter.send_message(
        OutboundMessage(
            creator_id=item.creator_id,
            fan_id=fan_id,
            platform_fan_id=platform_fan_id,
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
        platform_account_id=account_id,
        price=price,
        is_ppv=price is not None,
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
        segment_id = uuid.UUID(str(args["segment_id"]))
        price = Decimal(str(args["price"])) if args.get("price") is not None else None
        members = await segment_service.segment_members(
            session, principal, segment_id=segment_id, limit=10000
        )
        sent = [
            await _send_to_fan(
                session,
                principal,
                item,
                adapter,
                fan_id=fan.id,
                text=str(args["text"]),
                price=price,
                media_ids=[],
                key=f"{key}:{fan.id}",
            )
            for fan in members
        ]
        return {"adapter": adapter.name, "recipients": len(sent), "segment_id": str(segment_id)}
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


async def execute_item(
    *, principal: Principal, engine: AsyncEngine, adapter: PlatformAdapter, item_id: uuid.UUID
) -> dict[str, Any]:
    """Run an approved item once; for an item already executed or failed, report the first outcome."""
    async with tenant_session(principal, engine=engine) as session:
        item = await approvals.lock_for_execution(session, principal, item_id=item_id)
        if item.status != ApprovalStatus.approved:
            return outcome_of(item)
        args = approvals.effective_args(item)
        try:
            result = await _perform(session, principal, item, args, adapter)
        except PlatformRejected as exc:
            await automation.record_action(
                session,
                principal,
                creator_id=item.creator_id,
                idempotency_key=str(item.id),
                action_type=item.action_type,
                args=args,
                status="failed",
                hitl_item_id=item.id,
                fan_id=item.fan_id,
                error=exc.message,
            )
            failed = await approvals.mark_failed(session, principal, item_id=item.id, error=exc.message)
            return outcome_of(failed)
        await automation.record_action(
            session,
            principal,
            creator_id=item.creator_id,
            idempotency_key=str(item.id),
            action_type=item.action_type,
            args=args,
            status="executed",
            hitl_item_id=item.id,
            fan_id=item.fan_id,
            result=result,
        )
        done = await approvals.mark_executed(session, principal, item_id=item.id, result=result)
        return outcome_of(done)
