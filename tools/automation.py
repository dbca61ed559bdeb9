"""Template tools: list a creator's templates (read) and propose one filled for a fan (gated: it is
queued for approval, never sent here). `template_values` fills the slots for rules and tools alike."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationFailed
from core.tenancy import Principal
from crm.approvals.schemas import SendMessageArgs, SendPpvArgs
from crm.automation.repository import AutomationRepository
from crm.creators import service as creator_service
from crm.creators.models import CreatorProfile
from crm.enums import ActionType
from crm.fans import service as fan_service
from crm.fans.models import FanProfile
from crm.messaging import service as templates
from crm.messaging import slots
from tools.base import RiskLevel, ToolContext, tool
from tools.gated import _propose

__all__ = ["list_templates", "send_template", "template_values"]


def _money(value: Decimal | float | str | None) -> str | None:
    return None if value is None else f"${Decimal(str(value)):,.2f}"


# Memory-derived slots: the value inside a slot-like fact ("Lives in Boulder" → Boulder).
_MEMORY_SLOTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "fan_city",
        re.compile(
            r"\b(?i:lives in|moved to|now lives in|is based in)\s+([A-Z][\w .'-]*?)(?:\s*\(|[.,;!]|$)"
        ),
    ),
    (
        "fan_job",
        re.compile(r"\b(?i:works as|is employed as|job is)\s+(?:an?\s+)?([\w' -]+?)(?:\s+at\b|[.,;!]|$)"),
    ),
    ("fan_pet", re.compile(r"\b(?i:has an?) [\w-]+ (?i:named|called) ([A-Z][\w'-]*)")),
    ("fan_pet", re.compile(r"\b(?i:their|his|her) [\w-]+ (?i:is named|is called) ([A-Z][\w'-]*)")),
    (
        "fan_birthday",
        re.compile(r"\b(?i:birthday is) (?:on )?([A-Z][a-z]+ \d{1,2}|\d{1,2} [A-Z][a-z]+|\d{4}-\d{2}-\d{2})"),
    ),
)


async def _memory_slots(session: AsyncSession, principal: Principal, fan_id: uuid.UUID) -> dict[str, str]:
    from memory import service as memory_service

    found: dict[str, str] = {}
    memories = await memory_service.list_memories(session, principal, fan_id=fan_id)
    for memory in sorted(memories, key=lambda m: (m.created_at, m.importance), reverse=True):
        for slot, pattern in _MEMORY_SLOTS:
            match = pattern.search(memory.text) if slot not in found else None
            if match:
                found[slot] = match.group(1).strip()
    return found


async def template_values(
    session: AsyncSession,
    principal: Principal,
    *,
    fan: FanProfile,
    creator: CreatorProfile,
    facts: dict[str, Any],
    price: Decimal | None = None,
) -> dict[str, str | None]:
    """Every slot's value for this fan and moment (None: unknown, so the template's fallback applies).
    Memory slots come from the fan's newest active memories."""
    now = datetime.now(UTC)
    values: dict[str, str | None] = {
        "fan_name": fan.display_name.split()[0] if fan.display_name.strip() else None,
        "creator_name": creator.display_name,
        "price": _money(price),
        "lifetime_spend": _money(fan.lifetime_spend),
        "months_subscribed": str(facts["months_subscribed"]) if facts.get("months_subscribed") else None,
        "tip_amount": _money(facts.get("tip_amount")),
        "tip_note": facts.get("tip_note") or None,
        "ppv_amount": _money(facts.get("ppv_amount")),
    }
    if values["months_subscribed"] is None:
        sub = await AutomationRepository.from_session(session).live_subscription(fan.id)
        if sub is not None:
            end = min(sub.expires_at, now) if sub.expires_at else now
            values["months_subscribed"] = str(max(1, round((end - sub.started_at).days / 30)))
    values.update(await _memory_slots(session, principal, fan.id))
    return values


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListTemplatesArgs(_Args):
    category: str | None = Field(
        default=None, max_length=40, description="Only this category, e.g. welcome, win_back, ppv."
    )


class SendTemplateArgs(_Args):
    fan_id: uuid.UUID = Field(description="The fan who receives it.")
    template: str = Field(min_length=1, max_length=120, description="The template's name.")
    price: Decimal | None = Field(
        default=None, ge=0, le=10000, description="A PPV price in USD; default: the template's price, if any."
    )


@tool(risk=RiskLevel.read, args=ListTemplatesArgs)
async def list_templates(session: AsyncSession, ctx: ToolContext, args: ListTemplatesArgs) -> dict[str, Any]:
    """The creator's message templates (name, category, text with its {slots}, price)."""
    found = await templates.list_templates(
        session, ctx.principal, creator_id=ctx.creator_id, category=args.category
    )
    return {
        "templates": [
            {
                "name": t.name,
                "category": t.category,
                "body": t.body,
                "price": str(t.price) if t.price is not None else None,
                "slots": slots.slots_in(t.body),
                "platforms": sorted(t.variants or {}),
            }
            for t in found
        ]
    }


@tool(risk=RiskLevel.gated, args=SendTemplateArgs, action_type=ActionType.send_message)
async def send_template(session: AsyncSession, ctx: ToolContext, args: SendTemplateArgs) -> dict[str, Any]:
    """Propose a template, filled for one fan, as a message (or a PPV offer when it has a price). It is
    queued for human approval, not sent."""
    template = await templates.find_template(
        session, ctx.principal, creator_id=ctx.creator_id, name=args.template
    )
    fan = await fan_service.get_fan(session, ctx.principal, fan_id=args.fan_id)
    creator = await creator_service.get_creator(session, ctx.principal, creator_id=ctx.creator_id)
    price = args.price if args.price is not None else template.price
    account = await fan_service.get_platform_account(session, ctx.principal, fan_id=fan.id)
    values = await template_values(session, ctx.principal, fan=fan, creator=creator, facts={}, price=price)
    try:
        text = templates.render_template(template, values, platform=account.platform if account else None)
    except slots.MissingSlot as exc:
        raise ValidationFailed(f"template {template.name!r}: {exc.message}") from exc
    context = {"template": {"id": str(template.id), "name": template.name}}
    if price is not None:
        offer = SendPpvArgs(fan_id=fan.id, text=text, price=price.quantize(Decimal("0.01")))
        return await _propose(session, ctx, ActionType.send_ppv, offer, fan_id=fan.id, context=context)
    message = SendMessageArgs(fan_id=fan.id, text=text)
    return await _propose(session, ctx, ActionType.send_message, message, fan_id=fan.id, context=context)
