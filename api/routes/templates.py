"""Message templates: slots (`{fan_name}`, `{price}`, `{fan_pet|fallback}` …) and platform variants,
checked when saved; a preview fills them for one fan. RBAC: owner, admin and manager write; chatters
read."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AutomationReader, AutomationWriter, SessionDep, errors
from api.schemas import Text
from core.errors import NotFound, ValidationFailed
from crm.creators import service as creators
from crm.enums import Platform
from crm.fans import service as fan_service
from crm.messaging import service as templates
from crm.messaging import slots
from crm.messaging.models import MessageTemplate
from tools.automation import template_values

router = APIRouter(prefix="/api/templates", tags=["automation"])

Price = Annotated[Decimal, Field(ge=0, le=10000, decimal_places=2)]
Body = Annotated[Text, Field(min_length=1, max_length=templates.MAX_BODY)]


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    creator_id: uuid.UUID
    name: Text = Field(min_length=1, max_length=120)
    body: Body
    category: Text = Field(default="general", min_length=1, max_length=40)
    price: Price | None = None
    variants: dict[Platform, Body] = Field(default_factory=dict, description="Per-platform bodies.")


class TemplatePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(default=None, min_length=1, max_length=120)
    body: Body | None = None
    category: Text | None = Field(default=None, min_length=1, max_length=40)
    price: Price | None = None
    clear_price: bool = False
    variants: dict[Platform, Body] | None = None


class TemplateOut(BaseModel):
    id: uuid.UUID
    creator_id: uuid.UUID
    name: str
    category: str
    body: str
    price: Decimal | None
    variants: dict[str, str]
    slots: list[str] = Field(description="The slots the body and its variants use.")
    created_at: datetime
    updated_at: datetime


class SlotOut(BaseModel):
    name: str
    description: str


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fan_id: uuid.UUID
    price: Price | None = None


class PreviewOut(BaseModel):
    text: str
    platform: str | None
    missing: list[str] = Field(description="Slots with no value for this fan and no fallback.")


def _out(template: MessageTemplate) -> TemplateOut:
    used: list[str] = []
    for body in (template.body, *(template.variants or {}).values()):
        used += [s for s in slots.slots_in(body) if s not in used]
    return TemplateOut(
        id=template.id, creator_id=template.creator_id, name=template.name, category=template.category,
        body=template.body, price=template.price, variants=dict(template.variants or {}), slots=used,
        created_at=template.created_at, updated_at=template.updated_at,
    )  # fmt: skip


@router.get("/slots", response_model=list[SlotOut], responses=errors(401, 403))
async def list_slots(principal: AutomationReader) -> list[SlotOut]:
    """The slots a template may use, with what each is filled with."""
    return [SlotOut(name=k, description=v) for k, v in slots.SLOTS.items()]


@router.get("", response_model=list[TemplateOut], responses=errors(401, 403, 404, 422))
async def list_templates(
    principal: AutomationReader,
    session: SessionDep,
    creator_id: uuid.UUID,
    category: Annotated[Text | None, Field(max_length=40)] = None,
) -> list[TemplateOut]:
    """A creator's templates, by category and name."""
    if not principal.can_see(creator_id):
        raise NotFound("creator not found")
    found = await templates.list_templates(session, principal, creator_id=creator_id, category=category)
    return [_out(t) for t in found]


@router.post("", response_model=TemplateOut, status_code=201, responses=errors(401, 403, 404, 409, 422))
async def create_template(body: TemplateIn, principal: AutomationWriter, session: SessionDep) -> TemplateOut:
    """Save a template; unknown slots, unbalanced braces or bad variants are refused (422)."""
    template = await templates.create_template(
        session, principal, creator_id=body.creator_id, name=body.name, body=body.body, category=body.category,
        price=body.price, variants={str(k): v for k, v in body.variants.items()},
    )  # fmt: skip
    return _out(template)


@router.get("/{template_id}", response_model=TemplateOut, responses=errors(401, 403, 404))
async def get_template(
    template_id: uuid.UUID, principal: AutomationReader, session: SessionDep
) -> TemplateOut:
    """One template with the slots it uses."""
    return _out(await templates.get_template(session, principal, template_id=template_id))


@router.patch("/{template_id}", response_model=TemplateOut, responses=errors(401, 403, 404, 409, 422))
async def update_template(
    template_id: uuid.UUID, body: TemplatePatch, principal: AutomationWriter, session: SessionDep
) -> TemplateOut:
    """Change a template (validated like a new one)."""
    template = await templates.update_template(
        session, principal, template_id=template_id, name=body.name, body=body.body, category=body.category,
        price=body.price, clear_price=body.clear_price,
        variants=None if body.variants is None else {str(k): v for k, v in body.variants.items()},
    )  # fmt: skip
    return _out(template)


@router.delete("/{template_id}", status_code=204, responses=errors(401, 403, 404))
async def delete_template(
    template_id: uuid.UUID, principal: AutomationWriter, session: SessionDep
) -> Response:
    """Delete a template (a rule step that names it then records that it is gone)."""
    await templates.delete_template(session, principal, template_id=template_id)
    return Response(status_code=204)


@router.post("/{template_id}/preview", response_model=PreviewOut, responses=errors(401, 403, 404, 422))
async def preview_template(
    template_id: uuid.UUID, body: PreviewIn, principal: AutomationReader, session: SessionDep
) -> PreviewOut:
    """The template filled for one fan (nothing is sent); missing slots are listed, not guessed."""
    template = await templates.get_template(session, principal, template_id=template_id)
    fan = await fan_service.get_fan(session, principal, fan_id=body.fan_id)
    if fan.creator_id != template.creator_id:
        raise ValidationFailed("the fan and the template belong to different creators")
    creator = await creators.get_creator(session, principal, creator_id=template.creator_id)
    account = await fan_service.get_platform_account(session, principal, fan_id=fan.id)
    values = await template_values(
        session, principal, fan=fan, creator=creator, facts={}, price=body.price or template.price
    )
    platform = str(account.platform) if account else None
    source = templates.body_for(template, platform)
    missing = [
        p.name
        for p in slots.parse(source)
        if isinstance(p, slots.Slot) and p.fallback is None and not values.get(p.name)
    ]
    filled = {**values, **{m: f"{{{m}}}" for m in missing}}
    return PreviewOut(text=slots.render(source, filled), platform=platform, missing=missing)
