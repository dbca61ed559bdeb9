"""What every fans topic shares: input parsing that fails with a clear message, and the fan lookup.

The lowest of the topic modules: each of them may import it; it imports none of them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from core.errors import NotFound, ValidationFailed
from core.tenancy import Principal
from crm.enums import CustomRequestStatus
from crm.fans import spend
from crm.fans.models import FanProfile
from crm.fans.repository import FanRepository

OPEN_REQUEST_STATUSES = (
    CustomRequestStatus.requested,
    CustomRequestStatus.quoted,
    CustomRequestStatus.accepted,
    CustomRequestStatus.in_progress,
)
E = TypeVar("E", bound=StrEnum)


def now() -> datetime:
    return datetime.now(UTC)


def later(current: datetime | None, candidate: datetime) -> datetime:
    """The later of two activity times: a late, older event never moves a timestamp back."""
    return candidate if current is None or candidate > current else current


def parse_enum(enum: type[E], value: E | str, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValidationFailed(f"unknown {what} {value!r} (expected one of: {allowed})") from None


def parse_amount(value: Decimal | float | int | str, what: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed(f"{what} must be a number, got {value!r}") from None
    if not amount.is_finite():
        raise ValidationFailed(f"{what} must be a finite number")
    return spend.money(amount)


def normalize_tag(tag: str) -> str:
    cleaned = "-".join(tag.strip().lower().split())
    if not cleaned:
        raise ValidationFailed("a tag must not be empty")
    if len(cleaned) > 80:
        raise ValidationFailed("a tag is at most 80 characters")
    return cleaned


def require_creator(principal: Principal, creator_id: uuid.UUID) -> None:
    if not principal.can_see(creator_id):
        raise NotFound("creator not found")


async def require_fan(
    repository: FanRepository,
    fan_id: uuid.UUID,
    *,
    lock: bool = False,
    creator_id: uuid.UUID | None = None,
) -> FanProfile:
    """The fan (NotFound when invisible); with `creator_id`, also refused when another creator's."""
    fan = await repository.get_fan(fan_id, lock=lock)
    if fan is None:
        raise NotFound("fan not found")
    if creator_id is not None and fan.creator_id != creator_id:
        raise ValidationFailed("the fan does not belong to this creator")
    return fan
