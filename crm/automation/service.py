"""The automation ledgers: rule runs and executed actions (append-only, keyed for exactly-once)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.tenancy import Principal
from crm.automation.models import AutomationRuleAction, AutomationRuleRun
from crm.enums import ActionType

__all__ = ["get_action", "record_action", "record_rule_run"]


async def get_action(
    session: AsyncSession, principal: Principal, *, idempotency_key: str
) -> AutomationRuleAction | None:
    stmt = sa.select(AutomationRuleAction).where(AutomationRuleAction.idempotency_key == idempotency_key)
    return (await session.execute(stmt)).scalar_one_or_none()


async def record_action(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    idempotency_key: str,
    action_type: ActionType,
    args: dict[str, Any],
    status: str,
    hitl_item_id: uuid.UUID | None = None,
    fan_id: uuid.UUID | None = None,
    run_id: uuid.UUID | None = None,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """Append the effect of one action; the same idempotency key never records twice (False then)."""
    stmt = (
        insert(AutomationRuleAction)
        .values(
            id=uuid.uuid4(),
            creator_id=creator_id,
            run_id=run_id,
            hitl_item_id=hitl_item_id,
            fan_id=fan_id,
            action_type=action_type,
            args=args,
            status=status,
            result=result or {},
            error=error,
            idempotency_key=idempotency_key,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(AutomationRuleAction.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def record_rule_run(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    matched: bool,
    outcome: str,
    rule_id: uuid.UUID | None = None,
    fan_id: uuid.UUID | None = None,
    trigger_event_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AutomationRuleRun:
    run = AutomationRuleRun(
        id=uuid.uuid4(),
        creator_id=creator_id,
        rule_id=rule_id,
        fan_id=fan_id,
        trigger_event_id=trigger_event_id,
        matched=matched,
        outcome=outcome,
        details=details or {},
    )
    session.add(run)
    await session.flush()
    return run
