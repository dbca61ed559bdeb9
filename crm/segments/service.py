"""Segments: named rule sets over a creator's fans, with materialised membership."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound, ValidationFailed
from core.tenancy import Principal
from crm.fans.models import FanProfile
from crm.segments.models import FanSegment, FanSegmentMember
from crm.segments.rules import compile_rule, parse_rule, rule_to_json

__all__ = [
    "create_segment",
    "delete_segment",
    "find_segment",
    "get_segment",
    "list_segments",
    "matching_fans_query",
    "pin_member",
    "preview_segment",
    "refresh_creator_segments",
    "refresh_segment",
    "segment_members",
    "update_segment",
]


def _validated(rules: Mapping[str, Any]) -> dict[str, Any]:
    return rule_to_json(parse_rule(dict(rules)))


def matching_fans_query(
    creator_id: uuid.UUID, rules: Mapping[str, Any], *, now: datetime | None = None
) -> sa.Select[Any]:
    """SELECT fan_profiles.id for the creator's fans matching `rules` (validated)."""
    condition = compile_rule(parse_rule(dict(rules)), now=now or datetime.now(UTC))
    return sa.select(FanProfile.id).where(FanProfile.creator_id == creator_id, condition)


async def create_segment(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    name: str,
    rules: Mapping[str, Any],
    description: str = "",
) -> FanSegment:
    """Create a segment (not yet materialised: call refresh_segment)."""
    if not principal.can_see(creator_id):
        raise NotFound("creator not found")
    name = name.strip()
    if not name:
        raise ValidationFailed("a segment needs a name")
    segment = FanSegment(
        id=uuid.uuid4(), creator_id=creator_id, name=name, description=description, rules=_validated(rules)
    )
    try:
        async with session.begin_nested():
            session.add(segment)
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a segment named {name!r} already exists") from None
    return segment


async def get_segment(session: AsyncSession, principal: Principal, *, segment_id: uuid.UUID) -> FanSegment:
    segment = await session.get(FanSegment, segment_id)
    if segment is None:
        raise NotFound("segment not found")
    return segment


async def update_segment(
    session: AsyncSession,
    principal: Principal,
    *,
    segment_id: uuid.UUID,
    name: str | None = None,
    description: str | None = None,
    rules: Mapping[str, Any] | None = None,
) -> FanSegment:
    segment = await get_segment(session, principal, segment_id=segment_id)
    if rules is not None:
        segment.rules = _validated(rules)
    if description is not None:
        segment.description = description
    if name is not None and name.strip() != segment.name:
        segment.name = name.strip()
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a segment named {name!r} already exists") from None
    return segment


async def delete_segment(session: AsyncSession, principal: Principal, *, segment_id: uuid.UUID) -> None:
    segment = await get_segment(session, principal, segment_id=segment_id)
    await session.delete(segment)
    await session.flush()


async def list_segments(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID
) -> list[FanSegment]:
    return list(
        (
            await session.scalars(
                sa.select(FanSegment).where(FanSegment.creator_id == creator_id).order_by(FanSegment.name)
            )
        ).all()
    )


async def preview_segment(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    rules: Mapping[str, Any],
    now: datetime | None = None,
) -> int:
    """How many of the creator's fans match `rules` right now, without storing anything."""
    query = matching_fans_query(creator_id, rules, now=now).subquery()
    return int(await session.scalar(sa.select(sa.func.count()).select_from(query)) or 0)


async def refresh_segment(
    session: AsyncSession, principal: Principal, *, segment_id: uuid.UUID, now: datetime | None = None
) -> int:
    """Re-evaluate the rules: add new members, remove those who no longer match. Returns the count."""
    segment = (
        await session.execute(
            sa.select(FanSegment)
            .where(FanSegment.id == segment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if segment is None:
        raise NotFound("segment not found")
    now = now or datetime.now(UTC)
    matching = matching_fans_query(segment.creator_id, segment.rules, now=now)
    await session.execute(
        sa.delete(FanSegmentMember).where(
            FanSegmentMember.segment_id == segment.id,
            FanSegmentMember.pinned.is_(False),
            FanSegmentMember.fan_id.not_in(matching.scalar_subquery()),
        )
    )
    await session.execute(
        pg_insert(FanSegmentMember)
        .from_select(
            ["id", "creator_id", "segment_id", "fan_id"],
            sa.select(
                sa.func.gen_random_uuid(),
                sa.literal(segment.creator_id, FanSegmentMember.creator_id.type),
                sa.literal(segment.id, FanSegmentMember.segment_id.type),
                matching.subquery().c.id,
            ),
        )
        .on_conflict_do_nothing(index_elements=["segment_id", "fan_id"])
    )
    count = int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(FanSegmentMember)
            .where(FanSegmentMember.segment_id == segment.id)
        )
        or 0
    )
    segment.member_count = count
    segment.refreshed_at = now
    await session.flush()
    return count


async def refresh_creator_segments(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> dict[uuid.UUID, int]:
    """Refresh every segment of the creator (or every segment the session sees): members by segment."""
    stmt = sa.select(FanSegment.id).order_by(FanSegment.creator_id, FanSegment.name)
    if creator_id is not None:
        stmt = stmt.where(FanSegment.creator_id == creator_id)
    ids = list((await session.scalars(stmt)).all())
    return {sid: await refresh_segment(session, principal, segment_id=sid, now=now) for sid in ids}


async def find_segment(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID, name: str
) -> FanSegment:
    """A creator's segment by name (case-insensitive)."""
    found = (
        await session.execute(
            sa.select(FanSegment).where(
                FanSegment.creator_id == creator_id, sa.func.lower(FanSegment.name) == name.strip().lower()
            )
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no segment named {name!r}")
    return found


async def pin_member(
    session: AsyncSession, principal: Principal, *, segment_id: uuid.UUID, fan_id: uuid.UUID
) -> bool:
    """Add the fan to the segment and keep them there on refreshes (a rule's add_to_segment step).
    True when the fan was not pinned before."""
    segment = await get_segment(session, principal, segment_id=segment_id)
    stmt = (
        pg_insert(FanSegmentMember)
        .values(
            id=uuid.uuid4(), creator_id=segment.creator_id, segment_id=segment_id, fan_id=fan_id, pinned=True
        )
        .on_conflict_do_update(
            index_elements=["segment_id", "fan_id"],
            set_={"pinned": True},
            where=FanSegmentMember.pinned.is_(False),
        )
        .returning(FanSegmentMember.id)
    )
    changed = (await session.execute(stmt)).scalar_one_or_none() is not None
    segment.member_count = int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(FanSegmentMember)
            .where(FanSegmentMember.segment_id == segment_id)
        )
        or 0
    )
    await session.flush()
    return changed


async def segment_members(
    session: AsyncSession, principal: Principal, *, segment_id: uuid.UUID, limit: int = 100, offset: int = 0
) -> list[FanProfile]:
    """The segment's materialised members, top spenders first."""
    await get_segment(session, principal, segment_id=segment_id)
    return list(
        (
            await session.scalars(
                sa.select(FanProfile)
                .join(FanSegmentMember, FanSegmentMember.fan_id == FanProfile.id)
                .where(FanSegmentMember.segment_id == segment_id)
                .order_by(FanProfile.lifetime_spend.desc(), FanProfile.display_name, FanProfile.id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
    )
