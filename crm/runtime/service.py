"""Agent runs and draft feedback (what the agent drafted vs. what the human sent)."""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.tenancy import Principal
from crm.enums import MessageDirection, RunStatus
from crm.fans.models import FanMessage, FanProfile
from crm.runtime.models import AgentRun, DraftFeedback

__all__ = [
    "VoiceExample",
    "create_run",
    "edit_ratio",
    "get_run",
    "recent_voice_examples",
    "record_draft_feedback",
    "set_run_status",
    "voice_example_candidates",
]


async def create_run(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID | None,
    kind: str,
    trigger: str,
    trigger_ref: str | None = None,
    provider: str | None = None,
    model: str | None = None,
) -> AgentRun:
    run_id = uuid.uuid4()
    run = AgentRun(
        id=run_id,
        creator_id=creator_id,
        fan_id=fan_id,
        kind=kind,
        thread_id=f"{kind}:{run_id}",
        trigger=trigger,
        trigger_ref=trigger_ref,
        status=RunStatus.running,
        provider=provider,
        model=model,
    )
    session.add(run)
    await session.flush()
    return run


async def get_run(session: AsyncSession, principal: Principal, *, run_id: uuid.UUID) -> AgentRun:
    run = await session.get(AgentRun, run_id, populate_existing=True)
    if run is None:
        raise NotFound(f"agent run {run_id} not found")
    return run


async def set_run_status(
    session: AsyncSession,
    principal: Principal,
    *,
    run_ids: list[uuid.UUID],
    status: RunStatus,
    error: str | None = None,
) -> None:
    if not run_ids:
        return
    finished = status in (RunStatus.completed, RunStatus.failed, RunStatus.superseded)
    values: dict[str, object] = {"status": status, "error": error, "updated_at": sa.func.now()}
    if finished:
        values["finished_at"] = datetime.now(UTC)
    await session.execute(sa.update(AgentRun).where(AgentRun.id.in_(run_ids)).values(**values))


def edit_ratio(draft: str, final: str | None) -> float | None:
    """0 = sent as drafted, 1 = rewritten entirely."""
    if final is None:
        return None
    return round(1.0 - difflib.SequenceMatcher(None, draft, final).ratio(), 4)


async def record_draft_feedback(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID | None,
    hitl_item_id: uuid.UUID,
    draft_text: str,
    final_text: str | None,
    outcome: str,
    reason: str | None = None,
) -> bool:
    """One row per queue item (idempotent: a second call for the item records nothing, False)."""
    stmt = (
        insert(DraftFeedback)
        .values(
            id=uuid.uuid4(),
            creator_id=creator_id,
            fan_id=fan_id,
            hitl_item_id=hitl_item_id,
            draft_text=draft_text,
            final_text=final_text,
            outcome=outcome,
            reason=reason,
            edit_ratio=edit_ratio(draft_text, final_text),
        )
        .on_conflict_do_nothing(index_elements=["hitl_item_id"])
        .returning(DraftFeedback.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def recent_voice_examples(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID, limit: int = 3
) -> list[DraftFeedback]:
    """The creator's latest human edits of drafts, newest first: examples of their voice."""
    stmt = (
        sa.select(DraftFeedback)
        .where(
            DraftFeedback.creator_id == creator_id,
            DraftFeedback.outcome == "edited",
            DraftFeedback.final_text.is_not(None),
        )
        .order_by(DraftFeedback.created_at.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


@dataclass(frozen=True)
class VoiceExample:
    """One thing the creator sent, with the fan message it answered (the pair a drafter learns from)."""

    message_id: uuid.UUID
    fan_id: uuid.UUID
    fan_name: str
    fan_text: str
    reply: str
    sent_at: datetime
    source: str  # edited | approved | sent (written by the creator or her team directly)
    price: Decimal | None = None


@lru_cache(maxsize=2)
def _voice_example_statement(excluding_a_fan: bool) -> sa.Select[Any]:
    """Built once per process, with bound parameters (`creator_id`, `window`, `limit`, `exclude`):
    composing this select costs a few milliseconds, more than the server needs to run it."""
    recent = (
        sa.select(FanMessage)
        .where(FanMessage.creator_id == sa.bindparam("creator_id"))
        .order_by(FanMessage.sent_at.desc(), FanMessage.id.desc())
        .limit(sa.bindparam("window"))
        .subquery()
    )
    order = (recent.c.sent_at, recent.c.id)
    paired = sa.select(
        recent.c.id,
        recent.c.fan_id,
        recent.c.text,
        recent.c.sent_at,
        recent.c.price,
        recent.c.direction,
        recent.c.hitl_item_id,
        sa.func.lag(recent.c.text).over(partition_by=recent.c.fan_id, order_by=order).label("prev_text"),
        sa.func.lag(recent.c.direction).over(partition_by=recent.c.fan_id, order_by=order).label("prev_dir"),
    ).subquery()
    stmt = (
        sa.select(
            paired.c.id,
            paired.c.fan_id,
            FanProfile.display_name,
            paired.c.prev_text,
            paired.c.text,
            paired.c.sent_at,
            paired.c.price,
            DraftFeedback.outcome,
        )
        .join(FanProfile, FanProfile.id == paired.c.fan_id)
        .outerjoin(DraftFeedback, DraftFeedback.hitl_item_id == paired.c.hitl_item_id)
        .where(
            paired.c.direction == MessageDirection.outbound,
            paired.c.prev_dir == MessageDirection.inbound,
            sa.func.length(sa.func.trim(paired.c.text)) > 0,
        )
        .order_by(paired.c.sent_at.desc())
        .limit(sa.bindparam("limit"))
    )
    if excluding_a_fan:
        stmt = stmt.where(paired.c.fan_id != sa.bindparam("exclude"))
    return stmt


async def voice_example_candidates(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    exclude_fan_id: uuid.UUID | None = None,
    limit: int = 300,
    window: int = 3000,
) -> list[VoiceExample]:
    """The creator's latest sent replies that answered a fan message, newest first.

    Drafts a human approved or edited before they went out are marked as such: they are the
    strongest examples of the voice. Only the latest `window` messages are read.
    """
    stmt = _voice_example_statement(exclude_fan_id is not None)
    params: dict[str, Any] = {"creator_id": creator_id, "window": window, "limit": limit}
    if exclude_fan_id is not None:
        params["exclude"] = exclude_fan_id
    rows = (await session.execute(stmt, params)).all()
    return [
        VoiceExample(
            message_id=r.id,
            fan_id=r.fan_id,
            fan_name=r.display_name or "",
            fan_text=r.prev_text or "",
            reply=r.text,
            sent_at=r.sent_at,
            source=r.outcome if r.outcome in ("approved", "edited") else "sent",
            price=r.price,
        )
        for r in rows
    ]
