"""Agent runs and draft feedback (what the agent drafted vs. what the human sent)."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Statement, pipelined
from core.errors import NotFound
from core.tenancy import Principal
from crm.enums import RunStatus
from crm.runtime.models import AgentRun, DraftFeedback

__all__ = [
    "NewRun",
    "VoiceExample",
    "create_run",
    "edit_ratio",
    "get_run",
    "new_run_statement",
    "recent_voice_examples",
    "record_draft_feedback",
    "set_run_status",
    "voice_example_candidates",
    "voice_example_statement",
    "voice_examples_from_rows",
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


@dataclass(frozen=True)
class NewRun:
    id: uuid.UUID
    thread_id: str


# Inserted only when the creator and the fan (if any) are visible to the principal: a run for a
# creator or fan that is not theirs inserts nothing (no error from the row-level security check or
# the foreign key), and the caller, which reads both in the same pipeline, refuses the request.
_INSERT_RUN_SQL = (
    "INSERT INTO agent_runs (id, creator_id, fan_id, kind, thread_id, trigger, trigger_ref, status,"
    " provider, model) SELECT %(id)s::uuid, %(creator_id)s::uuid, %(fan_id)s::uuid, %(kind)s::text,"
    " %(thread_id)s::text, %(trigger)s::text, %(trigger_ref)s::text, 'running', %(provider)s::text,"
    " %(model)s::text"
    " WHERE EXISTS (SELECT FROM creator_profiles WHERE id = %(creator_id)s::uuid)"
    " AND (%(fan_id)s::uuid IS NULL OR EXISTS (SELECT FROM fan_profiles WHERE id = %(fan_id)s::uuid))"
)


def new_run_statement(
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID | None,
    kind: str,
    trigger: str,
    trigger_ref: str | None = None,
    provider: str | None = None,
    model: str | None = None,
) -> tuple[NewRun, Statement]:
    """`create_run` as a statement, for a caller that sends it in a pipeline with others: the run
    it records (its id and thread are chosen here) and the insert."""
    run_id = uuid.uuid4()
    run = NewRun(run_id, f"{kind}:{run_id}")
    params = {
        "id": run_id,
        "creator_id": creator_id,
        "fan_id": fan_id,
        "kind": kind,
        "thread_id": run.thread_id,
        "trigger": trigger,
        "trigger_ref": trigger_ref,
        "provider": provider,
        "model": model,
    }
    return run, (_INSERT_RUN_SQL, params)


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


# The creator's latest sent replies that answered a fan message (the message before it in that
# fan's conversation was the fan's), newest first, among her latest `window` messages.
_VOICE_EXAMPLES_SQL = """
    SELECT p.id, p.fan_id, f.display_name, p.prev_text, p.text, p.sent_at, p.price, d.outcome
    FROM (
        SELECT r.id, r.fan_id, r.text, r.sent_at, r.price, r.direction, r.hitl_item_id,
               lag(r.text) OVER w AS prev_text, lag(r.direction) OVER w AS prev_dir
        FROM (
            SELECT id, fan_id, text, sent_at, price, direction, hitl_item_id FROM fan_messages
            WHERE creator_id = %(creator_id)s ORDER BY sent_at DESC, id DESC LIMIT %(window)s
        ) r
        WINDOW w AS (PARTITION BY r.fan_id ORDER BY r.sent_at, r.id)
    ) p
    JOIN fan_profiles f ON f.id = p.fan_id
    LEFT JOIN draft_feedback d ON d.hitl_item_id = p.hitl_item_id
    WHERE p.direction = 'outbound' AND p.prev_dir = 'inbound' AND length(trim(p.text)) > 0
      AND (%(exclude)s::uuid IS NULL OR p.fan_id <> %(exclude)s::uuid)
    ORDER BY p.sent_at DESC
    LIMIT %(limit)s
"""


def voice_example_statement(
    *, creator_id: uuid.UUID, exclude_fan_id: uuid.UUID | None = None, limit: int = 300, window: int = 3000
) -> Statement:
    """`voice_example_candidates`' read, for a caller that sends it in a pipeline with others."""
    params = {"creator_id": creator_id, "window": window, "limit": limit, "exclude": exclude_fan_id}
    return _VOICE_EXAMPLES_SQL, params


def voice_examples_from_rows(rows: Sequence[Any]) -> list[VoiceExample]:
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
    statement = voice_example_statement(
        creator_id=creator_id, exclude_fan_id=exclude_fan_id, limit=limit, window=window
    )
    (rows,) = await pipelined(session, [statement])
    return voice_examples_from_rows(rows)
