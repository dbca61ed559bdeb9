"""Message templates: a creator's reusable texts (welcome, win-back, PPV teasers)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound, ValidationFailed
from core.tenancy import Principal
from crm.fans.spend import money
from crm.messaging.models import MessageTemplate

__all__ = ["create_template", "delete_template", "get_template", "list_templates", "update_template"]


def _price(price: Decimal | float | str | None) -> Decimal | None:
    if price is None:
        return None
    value = money(price)
    if value < 0:
        raise ValidationFailed("a template price cannot be negative")
    return value


async def _flush_unique(session: AsyncSession, name: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a template named {name!r} already exists") from None


async def create_template(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    name: str,
    body: str,
    category: str = "general",
    price: Decimal | float | str | None = None,
) -> MessageTemplate:
    if not principal.can_see(creator_id):
        raise NotFound("creator not found")
    if not name.strip() or not body.strip():
        raise ValidationFailed("a template needs a name and a body")
    template = MessageTemplate(
        id=uuid.uuid4(),
        creator_id=creator_id,
        name=name.strip(),
        body=body,
        category=category,
        price=_price(price),
    )
    session.add(template)
    await _flush_unique(session, template.name)
    return template


async def get_template(
    session: AsyncSession, principal: Principal, *, template_id: uuid.UUID
) -> MessageTemplate:
    template = await session.get(MessageTemplate, template_id)
    if template is None:
        raise NotFound("template not found")
    return template


async def list_templates(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID, category: str | None = None
) -> list[MessageTemplate]:
    stmt = sa.select(MessageTemplate).where(MessageTemplate.creator_id == creator_id)
    if category is not None:
        stmt = stmt.where(MessageTemplate.category == category)
    return list((await session.scalars(stmt.order_by(MessageTemplate.category, MessageTemplate.name))).all())


async def update_template(
    session: AsyncSession,
    principal: Principal,
    *,
    template_id: uuid.UUID,
    name: str | None = None,
    body: str | None = None,
    category: str | None = None,
    price: Decimal | float | str | None = None,
    clear_price: bool = False,
) -> MessageTemplate:
    template = await get_template(session, principal, template_id=template_id)
    if name is not None:
        if not name.strip():
            raise ValidationFailed("a template needs a name")
        template.name = name.strip()
    if body is not None:
        if not body.strip():
            raise ValidationFailed("a template needs a body")
        template.body = body
    if category is not None:
        template.category = category
    if clear_price:
        template.price = None
    elif price is not None:
        template.price = _price(price)
    await _flush_unique(session, template.name)
    return template


async def delete_template(session: AsyncSession, principal: Principal, *, template_id: uuid.UUID) -> None:
    template = await get_template(session, principal, template_id=template_id)
    await session.delete(template)
    await session.flush()
