"""Gated tools: calling one only queues the action for a human decision. Nothing is sent here."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from crm.approvals import guardrails
from crm.approvals import service as approvals
from crm.approvals.schemas import (
    CreateBroadcastArgs,
    SchedulePostArgs,
    SendMessageArgs,
    SendPpvArgs,
    UpdateCustomRequestPriceArgs,
)
from crm.enums import ActionType
from crm.fans import service as fan_service
from crm.segments import service as segment_service
from tools.base import RiskLevel, ToolContext, tool

NOT_SENT = "Nothing was sent: the action waits in the approval inbox until a person decides."


class SchedulePostToolArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000, description="The post caption.")
    publish_at: datetime = Field(description="When the post goes live (timezone-aware).")
    price: Decimal | None = Field(default=None, ge=0, description="Optional PPV price.")


async def _propose(
    session: AsyncSession,
    ctx: ToolContext,
    action_type: ActionType,
    args: BaseModel,
    *,
    fan_id: uuid.UUID | None = None,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    clean = args.model_dump(mode="json")
    priority = 0
    if fan_id is not None:
        fan = await fan_service.get_fan(session, ctx.principal, fan_id=fan_id)
        priority = approvals.priority_for_fan(fan.spend_tier, fan.lifetime_spend)
    flags = await approvals.screen_action(
        session, ctx.principal, creator_id=ctx.creator_id, fan_id=fan_id, action_type=action_type, args=clean
    )
    digest = hashlib.sha1(json.dumps([str(action_type), clean], sort_keys=True).encode()).hexdigest()[:20]
    item, _ = await approvals.create_item(
        session,
        ctx.principal,
        idempotency_key=f"tool:{ctx.thread_id or uuid.uuid4()}:{action_type}:{digest}",
        creator_id=ctx.creator_id,
        fan_id=fan_id,
        action_type=action_type,
        args=clean,
        context={"source": "tool", **(context or {})},
        flags=guardrails.dump(flags),
        origin=ctx.origin,
        priority=priority,
        thread_id=ctx.thread_id,
        run_id=ctx.run_id,
    )
    return {
        "queued_item_id": str(item.id),
        "status": str(item.status),
        "flags": item.flags,
        "note": NOT_SENT,
    }


@tool(risk=RiskLevel.gated, args=SendMessageArgs, action_type=ActionType.send_message)
async def send_message(session: AsyncSession, ctx: ToolContext, args: SendMessageArgs) -> dict[str, Any]:
    """Propose a chat message to one fan. It is queued for human approval, not sent."""
    return await _propose(session, ctx, ActionType.send_message, args, fan_id=args.fan_id)


@tool(risk=RiskLevel.gated, args=SendPpvArgs, action_type=ActionType.send_ppv)
async def send_ppv_offer(session: AsyncSession, ctx: ToolContext, args: SendPpvArgs) -> dict[str, Any]:
    """Propose a pay-per-view offer to one fan, priced within the creator's PPV bounds. Queued for
    human approval, not sent."""
    return await _propose(session, ctx, ActionType.send_ppv, args, fan_id=args.fan_id)


@tool(risk=RiskLevel.gated, args=CreateBroadcastArgs, action_type=ActionType.create_broadcast)
async def create_broadcast(
    session: AsyncSession, ctx: ToolContext, args: CreateBroadcastArgs
) -> dict[str, Any]:
    """Propose one message to every member of a segment. Queued for human approval, not sent."""
    segment = await segment_service.get_segment(session, ctx.principal, segment_id=args.segment_id)
    return await _propose(
        session,
        ctx,
        ActionType.create_broadcast,
        args,
        context={"segment": {"name": segment.name, "members": segment.member_count}},
    )


@tool(risk=RiskLevel.gated, args=SchedulePostToolArgs, action_type=ActionType.schedule_post)
async def schedule_post(
    session: AsyncSession, ctx: ToolContext, args: SchedulePostToolArgs
) -> dict[str, Any]:
    """Propose a feed post on the creator's page at a given time. Queued for human approval."""
    full = SchedulePostArgs(creator_id=ctx.creator_id, **args.model_dump())
    return await _propose(session, ctx, ActionType.schedule_post, full)


@tool(
    risk=RiskLevel.gated,
    args=UpdateCustomRequestPriceArgs,
    action_type=ActionType.update_custom_request_price,
)
async def update_custom_request_price(
    session: AsyncSession, ctx: ToolContext, args: UpdateCustomRequestPriceArgs
) -> dict[str, Any]:
    """Propose a (new) price for a fan's custom content request. Queued for human approval."""
    return await _propose(session, ctx, ActionType.update_custom_request_price, args)
