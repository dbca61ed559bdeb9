"""SQL for the approval queue. Decisions are conditional updates: the first one wins."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm.accounts.models import AuditLog
from crm.approvals.models import DeliveryAttempt, HitlAction
from crm.creators.models import CreatorProfile
from crm.enums import ActionType, ApprovalOrigin, ApprovalStatus, AuditActorKind
from crm.fans.models import FanProfile

SortKey = Literal["priority", "waiting", "fan_value"]
View = Literal["pending", "sending", "failed"]
# What each inbox view lists: waiting for a decision; approved and on its way; ended unsent.
VIEW_STATUSES: dict[View, tuple[ApprovalStatus, ...]] = {
    "pending": (ApprovalStatus.pending,),
    "sending": (ApprovalStatus.approved,),
    "failed": (ApprovalStatus.failed, ApprovalStatus.stale),
}
_BLOCKING = [{"severity": "block"}]


async def get(
    session: AsyncSession, item_id: uuid.UUID, *, for_update: bool = False, skip_locked: bool = False
) -> HitlAction | None:
    stmt = sa.select(HitlAction).where(HitlAction.id == item_id).execution_options(populate_existing=True)
    if for_update:
        stmt = stmt.with_for_update(skip_locked=skip_locked)
    return (await session.execute(stmt)).scalar_one_or_none()


@lru_cache(maxsize=2)
def _approve_statement(may_review: bool) -> sa.Select[Any]:
    """The approval statement, built once per `may_review` (building its CTEs costs more than
    running it); the item, time and actor are bound per call."""
    now = sa.bindparam("now", type_=HitlAction.expires_at.type)
    conditions = [
        HitlAction.id == sa.bindparam("item_id", type_=HitlAction.id.type),
        HitlAction.status == ApprovalStatus.pending,
        HitlAction.expires_at > now,
        sa.not_(HitlAction.flags.contains(_BLOCKING)),
    ]
    if not may_review:
        conditions.append(sa.not_(HitlAction.flags.contains([{"severity": "review"}])))
    decided = (
        sa.update(HitlAction)
        .where(*conditions)
        .values(
            status=ApprovalStatus.approved,
            final_args=sa.func.coalesce(HitlAction.final_args, HitlAction.proposed_args),
            edit_distance=sa.case((HitlAction.proposed_args.has_key("text"), 0), else_=None),
            decided_by=sa.bindparam("decided_by", type_=HitlAction.decided_by.type),
            decided_at=now,
            updated_at=now,
        )
        .returning(*HitlAction.__table__.c)
        .cte("decided")
    )
    audit = (
        sa.insert(AuditLog)
        .from_select(
            [
                "id",
                "agency_id",
                "creator_id",
                "actor_kind",
                "actor_id",
                "action",
                "target_type",
                "target_id",
                "details",
            ],
            sa.select(
                sa.func.gen_random_uuid(),
                CreatorProfile.agency_id,
                decided.c.creator_id,
                sa.bindparam("actor_kind", type_=sa.String()),
                sa.bindparam("audit_actor_id", type_=AuditLog.actor_id.type),
                sa.literal("approval.approved"),
                sa.literal("hitl_action"),
                sa.cast(decided.c.id, sa.String),
                sa.func.jsonb_build_object("action_type", decided.c.action_type),
            ).join_from(decided, CreatorProfile, CreatorProfile.id == decided.c.creator_id),
        )
        .cte("audit")
    )
    row = aliased(HitlAction, decided)
    return sa.select(row).add_cte(audit).execution_options(populate_existing=True)


async def approve_if_pending(
    session: AsyncSession,
    item_id: uuid.UUID,
    *,
    actor_kind: AuditActorKind,
    actor_id: uuid.UUID | None,
    now: datetime,
    may_review: bool,
) -> HitlAction | None:
    """Approve as proposed and write its audit entry in one statement, if the item is still pending,
    inside its TTL, carries no blocking flag and — unless the approver `may_review` — no `review`
    flag; None otherwise (the caller reads why)."""
    params = {
        "item_id": item_id,
        "now": now,
        "decided_by": actor_id,
        "actor_kind": str(actor_kind),
        "audit_actor_id": actor_id,
    }
    result = await session.execute(_approve_statement(may_review), params)
    return result.scalar_one_or_none()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ReplyInTheWay:
    """A reply-run item `proposal_checks` found: what `propose_reply` decides on."""

    id: uuid.UUID
    idempotency_key: str
    status: ApprovalStatus
    action_type: ActionType
    source_message_id: uuid.UUID | None


@dataclass(frozen=True)
class ProposalChecks:
    fan: tuple[str, Decimal] | None  # (spend tier, lifetime spend); None: no such fan visible
    replies: list[ReplyInTheWay]  # the item under the key, the pending reply, replies made elsewhere
    newer_inbound: bool  # the fan wrote after the draft's newest message


_LOCK_FAN = "SELECT spend_tier, lifetime_spend FROM fan_profiles WHERE id = %(fan)s FOR UPDATE"
_REPLIES = (
    "SELECT id, idempotency_key, status, action_type, source_message_id FROM hitl_action_queue"
    " WHERE (fan_id = %(fan)s AND origin = 'reply_run' AND (status = 'pending'"
    " OR (%(answering)s::uuid IS NOT NULL AND source_message_id = %(answering)s::uuid"
    " AND status <> 'superseded' AND thread_id IS DISTINCT FROM %(thread)s)))"
    " OR idempotency_key = %(key)s"
)
_NEWER_INBOUND = (
    "SELECT EXISTS (SELECT FROM fan_messages WHERE fan_id = %(fan)s AND direction = 'inbound'"
    " AND created_at > %(after)s AND (%(exclude)s::uuid IS NULL OR id <> %(exclude)s::uuid))"
)


async def proposal_checks(
    session: AsyncSession,
    *,
    fan_id: uuid.UUID,
    idempotency_key: str,
    answering: uuid.UUID | None,
    thread_id: str,
    after: datetime,
    exclude: uuid.UUID | None,
) -> ProposalChecks:
    """Lock the fan's row (proposals for one fan happen one at a time), then read what decides where
    a reply draft goes: the item under `idempotency_key`, the fan's pending reply draft, any reply
    another run already made for the message `answering` (decided, sent or failed alike; superseded
    ones do not count), and whether the fan wrote anything stored after `after` (other than message
    `exclude`). Sent as one pipeline: the server runs the three statements in order in this
    transaction, and each read takes its snapshot when it starts, after the lock was granted — the
    same checks as three awaited statements, in one round trip."""
    await session.flush()
    conn = await session.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None  # a checked-out connection
    params = {
        "fan": fan_id,
        "key": idempotency_key,
        "answering": answering,
        "thread": thread_id,
        "after": after,
        "exclude": exclude,
    }
    async with driver.pipeline():
        lock = await driver.execute(_LOCK_FAN, params)
        replies = await driver.execute(_REPLIES, params)
        newer = await driver.execute(_NEWER_INBOUND, params)
    fan = await lock.fetchone()
    found = [
        ReplyInTheWay(row[0], row[1], ApprovalStatus(row[2]), ActionType(row[3]), row[4])
        for row in await replies.fetchall()
    ]
    newer_row = await newer.fetchone()
    return ProposalChecks(
        fan=(str(fan[0]), Decimal(fan[1])) if fan is not None else None,
        replies=found,
        newer_inbound=bool(newer_row and newer_row[0]),
    )


async def get_by_key(session: AsyncSession, idempotency_key: str) -> HitlAction | None:
    stmt = (
        sa.select(HitlAction)
        .where(HitlAction.idempotency_key == idempotency_key)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_idempotent(session: AsyncSession, values: dict[str, Any]) -> tuple[HitlAction, bool]:
    """Insert the item, or find the one stored under its key: (the row, whether it is new). A new
    row comes back from the insert itself (RETURNING the whole row), with no read after it."""
    stmt = (
        insert(HitlAction)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(HitlAction)
        .execution_options(populate_existing=True)
    )
    created = (await session.scalars(stmt)).one_or_none()
    if created is not None:
        return created, True
    item = await get_by_key(session, values["idempotency_key"])
    assert item is not None
    return item, False


async def decide_if_pending(
    session: AsyncSession, item_id: uuid.UUID, values: dict[str, Any], *, now: datetime | None = None
) -> HitlAction | None:
    """Set a decision only if the item is still pending and not past its TTL; None otherwise."""
    stmt = (
        sa.update(HitlAction)
        .where(
            HitlAction.id == item_id,
            HitlAction.status == ApprovalStatus.pending,
            HitlAction.expires_at > (now or sa.func.now()),
        )
        .values(**values, updated_at=sa.func.now())
        .returning(HitlAction.id)
    )
    if (await session.execute(stmt)).scalar_one_or_none() is None:
        return None
    return await get(session, item_id)


async def set_status(
    session: AsyncSession, item_id: uuid.UUID, *, expected: Sequence[ApprovalStatus], values: dict[str, Any]
) -> HitlAction | None:
    """Change the item if it is in one of the `expected` states; the updated row, or None."""
    stmt = (
        sa.update(HitlAction)
        .where(HitlAction.id == item_id, HitlAction.status.in_(list(expected)))
        .values(**values, updated_at=sa.func.now())
        .returning(HitlAction)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def expire_due(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    stmt = (
        sa.update(HitlAction)
        .where(HitlAction.status == ApprovalStatus.pending, HitlAction.expires_at <= now)
        .values(status=ApprovalStatus.expired, decided_at=now, updated_at=sa.func.now())
        .returning(HitlAction.id)
    )
    return list((await session.execute(stmt)).scalars())


# `supersede_pending` for reply drafts, and their runs marked superseded, in one statement: what a
# new reply run does first (`supersede_pending_replies_statement`). The ids superseded come back.
_SUPERSEDE_PENDING_REPLIES = (
    "WITH s AS (UPDATE hitl_action_queue SET status = 'superseded', decided_at = now(), updated_at = now()"
    " WHERE fan_id = %(fan)s AND status = 'pending' AND action_type = ANY(%(types)s)"
    " AND origin = 'reply_run' AND (%(keep)s::uuid IS NULL OR source_message_id IS DISTINCT FROM %(keep)s::uuid)"
    " RETURNING id, run_id),"
    " r AS (UPDATE agent_runs SET status = 'superseded', error = NULL, finished_at = now(), updated_at = now()"
    " WHERE id IN (SELECT run_id FROM s WHERE run_id IS NOT NULL))"
    " SELECT id FROM s"
)


def supersede_pending_statement(
    *, fan_id: uuid.UUID, action_types: Sequence[ActionType], keep_source: uuid.UUID | None
) -> tuple[str, dict[str, Any]]:
    return _SUPERSEDE_PENDING_REPLIES, {
        "fan": fan_id,
        "types": [str(t) for t in action_types],
        "keep": keep_source,
    }


async def get_many(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[HitlAction]:
    rows = await session.execute(
        sa.select(HitlAction).where(HitlAction.id.in_(list(ids))).execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def supersede_pending(
    session: AsyncSession,
    *,
    fan_id: uuid.UUID,
    action_types: Sequence[ActionType],
    keep_source: uuid.UUID | None = None,
) -> list[HitlAction]:
    clauses = [
        HitlAction.fan_id == fan_id,
        HitlAction.status == ApprovalStatus.pending,
        HitlAction.action_type.in_(list(action_types)),
        HitlAction.origin == ApprovalOrigin.reply_run,
    ]
    if keep_source is not None:
        clauses.append(HitlAction.source_message_id.is_distinct_from(keep_source))
    stmt = (
        sa.update(HitlAction)
        .where(*clauses)
        .values(status=ApprovalStatus.superseded, decided_at=sa.func.now(), updated_at=sa.func.now())
        .returning(HitlAction.id)
    )
    ids = list((await session.execute(stmt)).scalars())
    return await get_many(session, ids) if ids else []


async def link_superseded(session: AsyncSession, old_ids: Sequence[uuid.UUID], new_id: uuid.UUID) -> None:
    if old_ids:
        await session.execute(
            sa.update(HitlAction)
            .where(HitlAction.id.in_(list(old_ids)), HitlAction.superseded_by.is_(None))
            .values(superseded_by=new_id)
        )


def _encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode()


def _decode_cursor(cursor: str) -> list[Any]:
    return list(json.loads(base64.urlsafe_b64decode(cursor.encode())))


async def list_items(
    session: AsyncSession,
    *,
    view: View = "pending",
    creator_id: uuid.UUID | None,
    action_type: ActionType | None,
    flag: str | None,
    sort: SortKey,
    cursor: str | None,
    limit: int,
) -> tuple[list[HitlAction], str | None]:
    spend = sa.func.coalesce(FanProfile.lifetime_spend, 0)
    stmt = (
        sa.select(HitlAction, spend.label("spend"))
        .outerjoin(FanProfile, FanProfile.id == HitlAction.fan_id)
        .where(HitlAction.status.in_(VIEW_STATUSES[view]))
    )
    if creator_id is not None:
        stmt = stmt.where(HitlAction.creator_id == creator_id)
    if action_type is not None:
        stmt = stmt.where(HitlAction.action_type == action_type)
    if flag is not None:
        stmt = stmt.where(HitlAction.flags.op("@>")(sa.cast([{"code": flag}], HitlAction.flags.type)))
    # Keyset pagination over (descending key, created_at, id): stable while items get decided.
    lead: Any
    if sort == "priority":
        lead = -HitlAction.priority
    elif sort == "fan_value":
        lead = -spend
    else:
        lead = sa.literal(0)
    order = (lead, HitlAction.created_at, HitlAction.id)
    if cursor:
        key, created, item_id = _decode_cursor(cursor)
        stmt = stmt.where(
            sa.tuple_(*order)
            > sa.tuple_(
                sa.literal(Decimal(str(key))),
                sa.literal(datetime.fromisoformat(created)),
                sa.literal(uuid.UUID(item_id)),
            )
        )
    rows = (await session.execute(stmt.order_by(*order).limit(limit + 1))).all()
    items = [r[0] for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last, last_spend = rows[limit - 1]
        key = -last.priority if sort == "priority" else (-last_spend if sort == "fan_value" else 0)
        next_cursor = _encode_cursor([str(key), last.created_at.isoformat(), str(last.id)])
    return items, next_cursor


async def count_items(session: AsyncSession, *, creator_id: uuid.UUID | None, view: View = "pending") -> int:
    stmt = (
        sa.select(sa.func.count()).select_from(HitlAction).where(HitlAction.status.in_(VIEW_STATUSES[view]))
    )
    if creator_id is not None:
        stmt = stmt.where(HitlAction.creator_id == creator_id)
    return int((await session.execute(stmt)).scalar_one())


async def get_creator(session: AsyncSession, creator_id: uuid.UUID) -> CreatorProfile | None:
    return await session.get(CreatorProfile, creator_id)


async def other_fan_names_in(
    session: AsyncSession, *, creator_id: uuid.UUID, fan_id: uuid.UUID | None, text: str
) -> list[str]:
    """Display names of the creator's *other* fans that appear in `text` as whole words."""
    lowered = text.lower()
    stmt = sa.select(FanProfile.id, FanProfile.display_name).where(
        FanProfile.creator_id == creator_id,
        sa.func.length(FanProfile.display_name) >= 3,
        sa.func.strpos(sa.literal(lowered), sa.func.lower(FanProfile.display_name)) > 0,
    )
    rows = (await session.execute(stmt.limit(50))).all()
    if not rows:
        return []  # no fan's name in the text (the common case): the fan's own name is not needed
    own = next((name.lower() for fid, name in rows if fid == fan_id), None)
    if own is None and fan_id is not None:
        fan = await session.get(FanProfile, fan_id)
        own = fan.display_name.lower() if fan else None
    # "Eli" is not another fan's data in a reply to "Eli A.": the fan's own first name is theirs.
    own_parts = set((own or "").split())
    return [
        name
        for fid, name in rows
        if fid != fan_id
        and name.lower() != own
        and name.lower() not in own_parts
        and re.search(rf"\b{re.escape(name.lower())}\b", lowered)
    ][:10]


async def add_audit(
    session: AsyncSession,
    *,
    agency_id: uuid.UUID | None,
    creator_id: uuid.UUID,
    actor_kind: AuditActorKind,
    actor_id: uuid.UUID | None,
    action: str,
    item_id: uuid.UUID,
    details: dict[str, Any],
) -> None:
    session.add(
        AuditLog(
            agency_id=agency_id,
            creator_id=creator_id,
            actor_kind=actor_kind,
            actor_id=actor_id,
            action=action,
            target_type="hitl_action",
            target_id=str(item_id),
            details=details,
        )
    )
    await session.flush()


async def audit_exists(
    session: AsyncSession, *, action: str, target_id: str, detail_key: str, detail_value: str | None
) -> bool:
    """An audit entry for this action and target whose details[detail_key] equals the value."""
    stmt = sa.select(
        sa.exists().where(
            AuditLog.action == action,
            AuditLog.target_id == target_id,
            AuditLog.details[detail_key].astext.is_(None)
            if detail_value is None
            else AuditLog.details[detail_key].astext == detail_value,
        )
    )
    return bool((await session.execute(stmt)).scalar())


def _flagged_in(creator_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[Any]:
    return [
        HitlAction.creator_id.in_(list(creator_ids)),
        HitlAction.created_at >= since,
        HitlAction.created_at < until,
        HitlAction.status != ApprovalStatus.superseded,
    ]


async def count_flags(
    session: AsyncSession, *, creator_ids: Sequence[uuid.UUID], since: datetime, until: datetime
) -> dict[str, int]:
    """Items per flag code (each item counted once per code), superseded drafts left out."""
    flag = sa.func.jsonb_array_elements(HitlAction.flags).table_valued("value").alias("flag")
    code = flag.c.value.op("->>")("code")
    stmt = (
        sa.select(code.label("code"), sa.func.count(sa.distinct(HitlAction.id)))
        .select_from(HitlAction)
        .join(flag, sa.true())
        .where(*_flagged_in(creator_ids, since, until))
        .group_by(code)
    )
    return {str(c): int(n) for c, n in (await session.execute(stmt)).all()}


async def count_flagged_items(
    session: AsyncSession, *, creator_ids: Sequence[uuid.UUID], since: datetime, until: datetime
) -> dict[uuid.UUID, int]:
    """Items with at least one flag, per creator (superseded drafts left out)."""
    stmt = (
        sa.select(HitlAction.creator_id, sa.func.count())
        .where(*_flagged_in(creator_ids, since, until), HitlAction.flags != sa.text("'[]'::jsonb"))
        .group_by(HitlAction.creator_id)
    )
    return {cid: int(n) for cid, n in (await session.execute(stmt)).all()}


async def count_views(session: AsyncSession, *, creator_id: uuid.UUID | None) -> dict[str, int]:
    """Items per inbox view, in one statement."""
    columns = [
        sa.func.count().filter(HitlAction.status.in_(statuses)).label(view)
        for view, statuses in VIEW_STATUSES.items()
    ]
    everything = [s for statuses in VIEW_STATUSES.values() for s in statuses]
    stmt = sa.select(*columns).where(HitlAction.status.in_(everything))
    if creator_id is not None:
        stmt = stmt.where(HitlAction.creator_id == creator_id)
    row = (await session.execute(stmt)).one()
    return {view: int(row._mapping[view]) for view in VIEW_STATUSES}


# --- delivery -------------------------------------------------------------------------------------


async def add_attempt(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(sa.insert(DeliveryAttempt).values(id=uuid.uuid4(), **values))


async def attempts_of(session: AsyncSession, item_id: uuid.UUID) -> list[DeliveryAttempt]:
    stmt = (
        sa.select(DeliveryAttempt).where(DeliveryAttempt.item_id == item_id).order_by(DeliveryAttempt.attempt)
    )
    return list((await session.scalars(stmt)).all())


async def items_of_thread(session: AsyncSession, thread_id: str) -> list[HitlAction]:
    stmt = (
        sa.select(HitlAction)
        .where(HitlAction.thread_id == thread_id)
        .order_by(HitlAction.created_at, HitlAction.id)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(stmt)).all())


async def due_for_delivery(
    session: AsyncSession,
    *,
    now: datetime,
    decided_before: datetime,
    limit: int,
    creator_ids: Sequence[uuid.UUID] | None = None,
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(item id, creator id) of approved items whose delivery is due: a retry whose time has come, or
    a decision older than the grace period that nothing has attempted yet (its job was lost)."""
    stmt = (
        sa.select(HitlAction.id, HitlAction.creator_id)
        .where(
            HitlAction.status == ApprovalStatus.approved,
            sa.or_(
                HitlAction.next_attempt_at <= now,
                sa.and_(HitlAction.next_attempt_at.is_(None), HitlAction.decided_at <= decided_before),
            ),
        )
        .order_by(sa.func.coalesce(HitlAction.next_attempt_at, HitlAction.decided_at))
        .limit(limit)
    )
    if creator_ids is not None:
        stmt = stmt.where(HitlAction.creator_id.in_(list(creator_ids)))
    return [(r[0], r[1]) for r in (await session.execute(stmt)).all()]
