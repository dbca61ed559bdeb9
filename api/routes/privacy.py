"""GDPR: export a fan's data, and erase it in two calls (owners and admins; every step audited)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AdminReader, AdminWriter, SessionDep, errors
from crm import privacy

router = APIRouter(prefix="/api/admin/fans", tags=["privacy"])


class EraseIn(BaseModel):
    confirmation: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^[0-9]+\.[0-9a-f]+$",
        description="Leave out to get a confirmation; send it back (within 10 minutes) to erase.",
    )


class EraseOut(BaseModel):
    status: Literal["confirm", "erased"] = Field(
        description="confirm: nothing removed yet, send `confirmation` back; erased: done."
    )
    rows: dict[str, int] = Field(description="Rows per table: what would go (confirm) or what went (erased).")
    confirmation: str | None = None
    expires_at: datetime | None = None


@router.get("/{fan_id}/export", response_model=dict[str, Any], responses=errors(401, 403, 404))
async def export_fan(fan_id: uuid.UUID, principal: AdminReader, session: SessionDep) -> dict[str, Any]:
    """Everything stored about a fan, as JSON (owner/admin; audited)."""
    return await privacy.export_fan_audited(session, principal, fan_id=fan_id)


@router.post("/{fan_id}/erase", response_model=EraseOut, responses=errors(401, 403, 404, 422))
async def erase_fan(
    fan_id: uuid.UUID, body: EraseIn, principal: AdminWriter, session: SessionDep
) -> EraseOut:
    """Erase a fan everywhere (GDPR), in two calls: the first says what would go and returns a
    confirmation, the second (with it) erases. Owner/admin; both calls audited."""
    if body.confirmation is None:
        request = await privacy.request_erase(session, principal, fan_id=fan_id)
        return EraseOut(
            status="confirm",
            rows=request.rows,
            confirmation=request.confirmation,
            expires_at=request.expires_at,
        )
    rows = await privacy.confirm_erase(session, principal, fan_id=fan_id, confirmation=body.confirmation)
    return EraseOut(status="erased", rows=rows)
