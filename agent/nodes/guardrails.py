"""The guardrails on a draft: flags on the draft and on the fan's message; a possible minor also marks
the fan. `propose` screens the draft in the transaction that queues it (one commit for both).

Every shared check (`crm.approvals.service.screen_action`: outbound text, inbound signals, the
creator's keywords) plus the draft-only ones: no sales offer after a no-sale signal, low confidence.
Blocking flags stop the action. Everything written here is idempotent (the step may run again)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from agent.context import AgentContext
from agent.state import ReplyState
from crm.approvals import guardrails as rules
from crm.approvals import safety
from crm.approvals import service as approvals
from crm.approvals.schemas import Flag
from crm.enums import ActionType

LOW_CONFIDENCE = 0.5
# Signals in the fan's message after which no sale may be proposed.
NO_SALE_SIGNALS = frozenset({"possible_minor", "self_harm"})


def draft_only_flags(flags: list[Flag], *, action_type: ActionType, confidence: float) -> list[Flag]:
    """What only a draft (not a person's edit) is checked for: an offer after a no-sale signal, and
    the model's own doubt."""
    extra: list[Flag] = []
    no_sale = sorted(NO_SALE_SIGNALS.intersection(f.code for f in flags))
    if no_sale and action_type in (ActionType.send_ppv, ActionType.create_broadcast):
        extra.append(
            Flag(
                code="unsafe_offer",
                severity="block",
                message=f"A sales offer to a fan whose message raised {', '.join(no_sale)}: send no offer.",
            )
        )
    if confidence < LOW_CONFIDENCE:
        extra.append(
            Flag(
                code="low_confidence", severity="warn", message=f"The model's confidence is {confidence:.2f}."
            )
        )
    return extra


async def screen_draft(
    session: AsyncSession,
    ctx: AgentContext,
    state: ReplyState,
    *,
    action_type: ActionType,
    args: dict[str, Any],
) -> list[dict[str, Any]]:
    """The draft's flags (dumped); records the inbound safety signals on the fan (idempotently)."""
    ids = ctx.ids
    confidence = float(state["draft"].get("confidence") or 0)
    found = await approvals.screen_action(
        session,
        ctx.principal,
        creator_id=ids.creator_id,
        fan_id=ids.fan_id,
        action_type=action_type,
        args=args,
        inbound_texts=list((state.get("context") or {}).get("unanswered") or []),
        policy=ctx.policy.guardrails,
    )
    found += draft_only_flags(found, action_type=action_type, confidence=confidence)
    flags = rules.dump(found)
    await safety.record_inbound_signals(
        session,
        ctx.principal,
        creator_id=ids.creator_id,
        fan_id=ids.fan_id,
        flags=flags,
        message_id=ids.inbound_message_id,
    )
    return flags
