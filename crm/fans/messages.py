"""A fan's conversation: messages stored once, and the activity times they move."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, ValidationFailed
from core.tenancy import Principal
from crm.enums import MessageDirection, MessageSender
from crm.fans.common import now, parse_amount, parse_enum
from crm.fans.models import FanMessage
from crm.fans.repository import FanRepository

__all__ = ["log_message", "mark_ppv_unlocked", "recent_messages"]


async def log_message(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    direction: MessageDirection | str,
    sender: MessageSender | str,
    text: str,
    sent_at: datetime | None = None,
    platform_message_id: str | None = None,
    platform_account_id: uuid.UUID | None = None,
    price: Decimal | float | None = None,
    is_ppv: bool = False,
    hitl_item_id: uuid.UUID | None = None,
    media_count: int = 0,
    media_ids: Sequence[str] = (),
) -> FanMessage:
    """Store a message once (a repeated platform_message_id returns the first) and bump activity."""
    direction = parse_enum(MessageDirection, direction, "message direction")
    sender = parse_enum(MessageSender, sender, "message sender")
    repository = FanRepository.from_session(session)
    sent_at = sent_at or now()
    # Messages of one fan are stored one at a time (the row lock), and only to the fan's own creator.
    owner = await repository.lock_fan_owner(fan_id)
    if owner is None:
        raise NotFound("fan not found")
    if owner != creator_id:
        raise ValidationFailed("the fan does not belong to this creator")
    values: dict[str, Any] = {
        "creator_id": creator_id,
        "fan_id": fan_id,
        "platform_account_id": platform_account_id,
        "direction": direction,
        "sender": sender,
        "text": text,
        "sent_at": sent_at,
        "platform_message_id": platform_message_id,
        "price": None if price is None else parse_amount(price, "price"),
        "is_ppv": is_ppv,
        "media_count": media_count or len(media_ids),
        "media_ids": list(media_ids),
        "hitl_item_id": hitl_item_id,
    }
    if platform_message_id is not None:
        message = await repository.insert_message_if_new(values)
        if message is None:  # delivered again: nothing changes, activity included
            return await repository.get_message_by_platform_id(
                creator_id=creator_id, platform_message_id=platform_message_id
            )
    else:
        message = await repository.create(FanMessage(id=uuid.uuid4(), **values), flush=True)
    await repository.bump_activity(fan_id, inbound=direction is MessageDirection.inbound, at=sent_at)
    return message


async def recent_messages(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID, limit: int = 20
) -> list[FanMessage]:
    """The fan's last `limit` messages, oldest first."""
    newest_first = await FanRepository.from_session(session).latest_messages(fan_id, limit=limit)
    return list(reversed(newest_first))


async def mark_ppv_unlocked(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    unlocked_at: datetime,
    platform_message_id: str | None = None,
    price: Decimal | None = None,
) -> FanMessage | None:
    """The fan bought a PPV we sent: set its `unlocked_at` (once; a repeat keeps the first time).
    None when no such PPV is on record (sent before we were connected)."""
    message = await FanRepository.from_session(session).unlockable_ppv(
        fan_id=fan_id, platform_message_id=platform_message_id, price=price, before=unlocked_at
    )
    if message is not None and message.unlocked_at is None:
        message.unlocked_at = unlocked_at
        await session.flush()
    return message
