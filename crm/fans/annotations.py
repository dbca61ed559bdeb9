"""What staff, rules and the agent attach to a fan: tags, notes and scores."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationFailed
from core.tenancy import Principal
from crm.fans.common import normalize_tag, now, require_fan
from crm.fans.models import FanNote, FanScore, FanTagValue
from crm.fans.repository import FanRepository

__all__ = ["add_note", "add_tag", "list_notes", "remove_tag", "set_score"]

TAG_SOURCES = ("staff", "agent", "rule", "import")
NOTE_AUTHOR_KINDS = ("staff", "agent")


async def add_tag(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    tag: str,
    value: str | None = None,
    source: str = "staff",
) -> FanTagValue:
    """Tag a fan (tags are lower-case; tagging twice updates the value and source)."""
    if source not in TAG_SOURCES:
        raise ValidationFailed(f"unknown tag source {source!r} (expected staff, agent, rule or import)")
    repository = FanRepository.from_session(session)
    fan = await require_fan(repository, fan_id)
    return await repository.upsert_tag(
        creator_id=fan.creator_id, fan_id=fan_id, tag=normalize_tag(tag), value=value, source=source
    )


async def remove_tag(session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID, tag: str) -> bool:
    repository = FanRepository.from_session(session)
    await require_fan(repository, fan_id)
    return await repository.delete_tag(fan_id=fan_id, tag=normalize_tag(tag))


async def add_note(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    body: str,
    pinned: bool = False,
    author_kind: str = "staff",
    author_id: uuid.UUID | None = None,
) -> FanNote:
    if not body.strip():
        raise ValidationFailed("a note must not be empty")
    if author_kind not in NOTE_AUTHOR_KINDS:
        raise ValidationFailed(f"unknown note author kind {author_kind!r} (expected staff or agent)")
    repository = FanRepository.from_session(session)
    fan = await require_fan(repository, fan_id)
    note = FanNote(
        id=uuid.uuid4(),
        creator_id=fan.creator_id,
        fan_id=fan_id,
        body=body.strip(),
        pinned=pinned,
        author_kind=author_kind,
        author_id=author_id if author_id is not None else principal.actor_id,
    )
    return await repository.create(note, flush=True)


async def list_notes(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID, limit: int = 50
) -> list[FanNote]:
    """Pinned notes first, then newest first."""
    return await FanRepository.from_session(session).list_notes(fan_id, limit=limit)


async def set_score(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    kind: str,
    value: float,
    details: Mapping[str, Any] | None = None,
) -> FanScore:
    """Set the latest value (0..1) of one score kind for a fan."""
    kind = kind.strip().lower()
    if not kind or len(kind) > 40:
        raise ValidationFailed("a score kind is 1 to 40 characters")
    if not 0.0 <= float(value) <= 1.0:
        raise ValidationFailed(f"score {kind} must be between 0 and 1, got {value}")
    repository = FanRepository.from_session(session)
    fan = await require_fan(repository, fan_id)
    return await repository.upsert_score(
        creator_id=fan.creator_id,
        fan_id=fan_id,
        kind=kind,
        value=float(value),
        details=dict(details or {}),
        computed_at=now(),
    )
