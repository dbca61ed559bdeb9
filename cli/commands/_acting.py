"""Who a command acts as: a named staff member, with the rights and creators their login has."""

from __future__ import annotations

import uuid

import typer

from core.tenancy import Principal


def parse_fan_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise typer.BadParameter("a fan id (UUID), as the inbox and the API show it") from exc


async def staff_principal(email: str) -> Principal:
    """The principal of the active staff member with this email (who the audit log names)."""
    import sqlalchemy as sa

    from core.db import tenant_session
    from core.errors import NotFound
    from core.tenancy import SYSTEM
    from crm.accounts import service as accounts
    from crm.accounts.models import StaffUser

    async with tenant_session(SYSTEM) as s:
        query = sa.select(StaffUser.id).where(sa.func.lower(StaffUser.email) == email.strip().lower())
        staff_id = (await s.scalars(query)).one_or_none()
        principal = await accounts.principal_for_staff(s, staff_user_id=staff_id) if staff_id else None
    if principal is None:
        raise NotFound(f"no active staff member {email!r}")
    return principal
