"""Message templates: a creator's reusable texts (welcome, win-back, PPV teasers) with slots and
per-platform variants, checked when they are saved (`crm.messaging.slots`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound, ValidationFailed
from core.tenancy import Principal
from crm.enums import Platform
from crm.fans.spend import money
from crm.messaging import slots
from crm.messaging.models import MessageTemplate

__all__ = [
    "body_for",
    "create_template",
    "delete_template",
    "find_template",
    "get_template",
    "list_templates",
    "render_template",
    "update_template",
]

MAX_BODY = 2000


def _price(price: Decimal | float | str | None) -> Decimal | None:
    if price is None:
        return None
    value = money(price)
    if value < 0:
        raise ValidationFailed("a template price cannot be negative")
    return value


def _check_body(body: str, where: str = "body") -> str:
    if not body.strip():
        raise ValidationFailed(f"a template needs a {where}")
    if len(body) > MAX_BODY:
        raise ValidationFailed(f"{where}: at most {MAX_BODY} characters")
    if "\x00" in body:
        raise ValidationFailed(f"{where}: must not contain NUL characters")
    slots.parse(body, where=where)
    return body


def _check_variants(variants: Mapping[str, Any] | None) -> dict[str, str]:
    clean: dict[str, str] = {}
    for platform, body in (variants or {}).items():
        if platform not in {p.value for p in Platform}:
            raise ValidationFailed(
                f"variants: unknown platform {platform!r} (known: {', '.join(p.value for p in Platform)})"
            )
        if not isinstance(body, str):
            raise ValidationFailed(f"variants.{platform}: a variant is a text")
        clean[platform] = _check_body(body, f"variants.{platform}")
    return clean


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
    variants: Mapping[str, Any] | None = None,
) -> MessageTemplate:
    """A new template; unknown slots, unbalanced braces or an unknown platform variant are refused."""
    if not principal.can_see(creator_id):
        raise NotFound("creator not found")
    if not name.strip():
        raise ValidationFailed("a template needs a name and a body")
    template = MessageTemplate(
        id=uuid.uuid4(),
        creator_id=creator_id,
        name=name.strip(),
        body=_check_body(body),
        category=category,
        price=_price(price),
        variants=_check_variants(variants),
    )
    session.add(template)
    await _flush_unique(session, template.name)
    await session.refresh(template)
    return template


async def get_template(
    session: AsyncSession, principal: Principal, *, template_id: uuid.UUID
) -> MessageTemplate:
    template = await session.get(MessageTemplate, template_id)
    if template is None:
        raise NotFound("template not found")
    return template


async def find_template(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID, name: str
) -> MessageTemplate:
    """A creator's template by name (case-insensitive)."""
    stmt = sa.select(MessageTemplate).where(
        MessageTemplate.creator_id == creator_id, sa.func.lower(MessageTemplate.name) == name.strip().lower()
    )
    template = (await session.execute(stmt)).scalar_one_or_none()
    if template is None:
        raise NotFound(f"no template named {name!r}")
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
    variants: Mapping[str, Any] | None = None,
) -> MessageTemplate:
    template = await get_template(session, principal, template_id=template_id)
    if name is not None:
        if not name.strip():
            raise ValidationFailed("a template needs a name")
        template.name = name.strip()
    if body is not None:
        template.body = _check_body(body)
    if category is not None:
        template.category = category
    if clear_price:
        template.price = None
    elif price is not None:
        template.price = _price(price)
    if variants is not None:
        template.variants = _check_variants(variants)
    await _flush_unique(session, template.name)
    await session.refresh(template)
    return template


async def delete_template(session: AsyncSession, principal: Principal, *, template_id: uuid.UUID) -> None:
    template = await get_template(session, principal, template_id=template_id)
    await session.delete(template)
    await session.flush()


def body_for(template: MessageTemplate, platform: Platform | str | None) -> str:
    """The variant for the fan's platform, else the template's body."""
    variants = template.variants or {}
    return (
        str(variants.get(str(platform)))
        if platform is not None and str(platform) in variants
        else template.body
    )


def render_template(
    template: MessageTemplate, values: Mapping[str, str | None], *, platform: Platform | str | None = None
) -> str:
    """The template filled for one fan (`slots.MissingSlot` when a needed value is unknown)."""
    return slots.render(body_for(template, platform), values)
