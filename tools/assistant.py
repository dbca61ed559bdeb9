"""The assistant's tool set: the shared registry's tools plus creator-wide ones only the assistant gets,
offered according to the scopes of whoever chats.

The extra tools (name lookup, memories, numbers, fan lists by filter, untag, create segment) read
across a creator's fans, so they are deliberately NOT in the global registry: the reply graph, which
drafts to one fan, must never be able to list other fans.

What a person may see through the chat is what their scopes let them see elsewhere: fan data needs
`inbox:read`, numbers `analytics:read`, anything that writes or queues `inbox:write`. A tool the
principal may not use is not offered to the model at all, and the graph refuses it if named anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict
from core.tenancy import ActorKind, Principal
from crm.enums import SpendTier, SubscriptionStatus
from crm.fans import service as fan_service
from crm.fans.models import FanProfile
from crm.segments import service as segment_service
from tools import REGISTRY, lookup, numbers
from tools.base import RiskLevel, Tool, ToolContext
from tools.read import CREATOR_WIDE_READ_TOOLS

_SCAN_LIMIT = 500

SHARED_TOOL_NAMES = (
    "search_fans",
    "get_fan_dossier",
    "get_recent_messages",
    "get_transactions",
    "recall_memories",
    "list_segments",
    "list_templates",
    "add_note",
    "tag_fan",
    "remember_fact",
    "send_message",
    "send_ppv_offer",
    "create_broadcast",
    "send_template",
    "schedule_post",
    "update_custom_request_price",
)
# Tools that answer with money, subscriber and response figures.
NUMBERS_TOOLS = frozenset(
    {
        "revenue_summary",
        "list_top_spenders",
        "subscription_flow",
        "list_at_risk_fans",
        "response_times",
        "ppv_price_points",
    }
)
# Lookups that can come back with several fans for one name (see agent/nodes/assistant_act.py).
NAME_LOOKUPS = frozenset({"find_fan", "search_fans"})


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListFansArgs(_Args):
    tier: SpendTier | None = Field(default=None, description="Only fans of this spend tier.")
    tag: str | None = Field(default=None, max_length=80, description="Only fans with this tag.")
    subscription_status: SubscriptionStatus | None = Field(
        default=None, description="Only fans whose subscription is in this state."
    )
    limit: int = Field(default=25, ge=1, le=100, description="At most this many fans.")


class UntagArgs(_Args):
    fan_id: uuid.UUID = Field(description="The fan to untag.")
    tag: str = Field(min_length=1, max_length=80, description="The tag to remove.")


class CreateSegmentArgs(_Args):
    name: str = Field(min_length=1, max_length=120, description="A short name, e.g. 'Whales at risk'.")
    rules: dict[str, Any] = Field(
        description="Segment rule: {'all': [...]} | {'any': [...]} | {'not': rule} | "
        "{'field': F, 'op': OP, 'value': V}; fields: lifetime_spend, spend_tier, tag, score:<kind>, "
        "subscription_status, days_since_last_active, days_since_last_purchase, days_until_expiry, platform."
    )
    description: str = Field(default="", max_length=500, description="What the segment is for.")


def _fan_row(f: FanProfile) -> dict[str, Any]:
    return {
        "id": str(f.id),
        "name": f.display_name,
        "spend_tier": str(f.spend_tier),
        "lifetime_spend": str(f.lifetime_spend),
        "last_active_at": f.last_active_at.isoformat() if f.last_active_at else None,
    }


async def _matching(
    session: AsyncSession, ctx: ToolContext, rules: dict[str, Any], *, limit: int, min_spend: float = 0
) -> list[dict[str, Any]]:
    ids = set((await session.scalars(segment_service.matching_fans_query(ctx.creator_id, rules))).all())
    fans = await fan_service.list_fans(session, ctx.principal, creator_id=ctx.creator_id, limit=_SCAN_LIMIT)
    picked = [f for f in fans if f.id in ids and f.lifetime_spend >= Decimal(str(min_spend))]
    return [_fan_row(f) for f in picked[:limit]]


async def list_fans(session: AsyncSession, ctx: ToolContext, args: ListFansArgs) -> dict[str, Any]:
    """The creator's fans filtered by spend tier, tag and/or subscription state, top spenders first."""
    leaves: list[dict[str, Any]] = []
    if args.tier is not None:
        leaves.append({"field": "spend_tier", "op": "eq", "value": str(args.tier)})
    if args.tag:
        leaves.append({"field": "tag", "op": "has", "value": args.tag})
    if args.subscription_status is not None:
        leaves.append({"field": "subscription_status", "op": "eq", "value": str(args.subscription_status)})
    if not leaves:
        fans = await fan_service.list_fans(
            session, ctx.principal, creator_id=ctx.creator_id, limit=args.limit
        )
        return {"fans": [_fan_row(f) for f in fans], "count": len(fans)}
    rows = await _matching(session, ctx, {"all": leaves}, limit=args.limit)
    return {"fans": rows, "count": len(rows)}


async def untag_fan(session: AsyncSession, ctx: ToolContext, args: UntagArgs) -> dict[str, Any]:
    """Remove a tag from the fan."""
    removed = await fan_service.remove_tag(session, ctx.principal, fan_id=args.fan_id, tag=args.tag)
    return {"removed": removed, "tag": args.tag}


async def create_segment(session: AsyncSession, ctx: ToolContext, args: CreateSegmentArgs) -> dict[str, Any]:
    """Create (or reuse, by name) a segment of the creator's fans and compute its members."""
    try:
        segment = await segment_service.create_segment(
            session,
            ctx.principal,
            creator_id=ctx.creator_id,
            name=args.name,
            rules=args.rules,
            description=args.description,
        )
    except Conflict:
        existing = await segment_service.list_segments(session, ctx.principal, creator_id=ctx.creator_id)
        segment = next(s for s in existing if s.name == args.name.strip())
    count = await segment_service.refresh_segment(session, ctx.principal, segment_id=segment.id)
    members = await segment_service.segment_members(session, ctx.principal, segment_id=segment.id, limit=20)
    return {
        "segment": {"id": str(segment.id), "name": segment.name, "members": count},
        "sample": [m.display_name for m in members],
    }


def _tool(fn: Callable[..., Any], args: type[BaseModel], risk: RiskLevel = RiskLevel.read) -> Tool[Any]:
    """An assistant-only tool; its docstring is what the model reads."""
    return Tool(fn.__name__, " ".join((fn.__doc__ or "").split()), args, risk, fn)


ASSISTANT_ONLY: tuple[Tool[Any], ...] = (
    _tool(lookup.find_fan, lookup.FindFanArgs),
    _tool(lookup.fan_memories, lookup.FanMemoriesArgs),
    _tool(numbers.revenue_summary, numbers.RevenueArgs),
    _tool(numbers.list_top_spenders, numbers.TopSpendersArgs),
    _tool(numbers.subscription_flow, numbers.WindowArgs),
    _tool(numbers.list_at_risk_fans, numbers.AtRiskArgs),
    _tool(numbers.response_times, numbers.ResponseArgs),
    _tool(numbers.ppv_price_points, numbers.PriceArgs),
    _tool(list_fans, ListFansArgs),
    _tool(untag_fan, UntagArgs, RiskLevel.write),
    _tool(create_segment, CreateSegmentArgs, RiskLevel.write),
)


def required_scope(tool: Tool[Any]) -> str:
    """The scope a principal needs for the assistant to use this tool for them."""
    if tool.name in NUMBERS_TOOLS:
        return "analytics:read"
    return "inbox:read" if tool.risk is RiskLevel.read else "inbox:write"


def may_use(principal: Principal | None, tool: Tool[Any]) -> bool:
    # Scripts, the CLI and evals act as the system: the gate still holds every action for a person.
    if principal is None or principal.system or principal.actor_kind == ActorKind.system:
        return True
    return required_scope(tool) in principal.scopes


def assistant_tools(principal: Principal | None = None) -> dict[str, Tool[Any]]:
    """Every tool the assistant may call for this principal, by name."""
    shared = [REGISTRY[name] for name in SHARED_TOOL_NAMES if name in REGISTRY]
    return {t.name: t for t in (*shared, *ASSISTANT_ONLY, *CREATOR_WIDE_READ_TOOLS) if may_use(principal, t)}
