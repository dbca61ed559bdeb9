"""The agent's view of the guardrails: every shared check plus draft-only ones (confidence)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from agent.context import AgentContext
from crm.approvals import guardrails as rules
from crm.approvals import service as approvals
from crm.approvals.schemas import Flag
from crm.enums import ActionType

LOW_CONFIDENCE = 0.5
# Signals in the fan's message after which no sale may be proposed.
NO_SALE_SIGNALS = frozenset({"possible_minor", "self_harm"})


async def screen_draft(
    session: AsyncSession,
    ctx: AgentContext,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    action_type: ActionType,
    args: dict[str, Any],
    inbound_texts: list[str],
    confidence: float,
) -> list[dict[str, Any]]:
    flags = await approvals.screen_action(
        session,
        ctx.principal,
        creator_id=creator_id,
        fan_id=fan_id,
        action_type=action_type,
        args=args,
        inbound_texts=inbound_texts,
    )
    no_sale = sorted(NO_SALE_SIGNALS.intersection(f.code for f in flags))
    if no_sale and action_type in (ActionType.send_ppv, ActionType.create_broadcast):
        flags.append(
            Flag(
                code="unsafe_offer",
                severity="block",
                message=f"A sales offer to a fan whose message raised {', '.join(no_sale)}: send no offer.",
            )
        )
    if confidence < LOW_CONFIDENCE:
        flags.append(
            Flag(
                code="low_confidence", severity="warn", message=f"The model's confidence is {confidence:.2f}."
            )
        )
    return rules.dump(flags)
