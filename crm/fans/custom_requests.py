"""Custom content a fan asks for: requested, quoted, and re-quoted while it is still open."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, ValidationFailed
from core.tenancy import Principal
from crm.enums import CustomRequestStatus
from crm.fans.common import OPEN_REQUEST_STATUSES, parse_amount, require_fan
from crm.fans.models import FanCustomRequest
from crm.fans.repository import FanRepository

__all__ = ["create_custom_request", "update_custom_request_price"]


def _price(value: Decimal | float | str) -> Decimal:
    price = parse_amount(value, "price")
    if price < 0:
        raise ValidationFailed("a price cannot be negative")
    return price


async def create_custom_request(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    description: str,
    price: Decimal | float | None = None,
    due_at: datetime | None = None,
) -> FanCustomRequest:
    if not description.strip():
        raise ValidationFailed("a custom request needs a description")
    repository = FanRepository.from_session(session)
    fan = await require_fan(repository, fan_id)
    value = None if price is None else _price(price)
    request = FanCustomRequest(
        id=uuid.uuid4(),
        creator_id=fan.creator_id,
        fan_id=fan_id,
        description=description.strip(),
        status=CustomRequestStatus.quoted if value is not None else CustomRequestStatus.requested,
        price=value,
        due_at=due_at,
    )
    return await repository.create(request, flush=True)


async def update_custom_request_price(
    session: AsyncSession, principal: Principal, *, request_id: uuid.UUID, price: Decimal | float | str
) -> FanCustomRequest:
    """Quote (or re-quote) an open custom request; a requested one becomes quoted."""
    request = await FanRepository.from_session(session).lock_custom_request(request_id)
    if request is None:
        raise NotFound("custom request not found")
    value = _price(price)
    if request.status not in OPEN_REQUEST_STATUSES:
        raise ValidationFailed(f"the custom request is {request.status}; its price can no longer change")
    request.price = value
    if request.status is CustomRequestStatus.requested:
        request.status = CustomRequestStatus.quoted
    await session.flush()
    return request
