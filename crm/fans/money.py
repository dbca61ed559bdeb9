"""A fan's money: the transaction ledger, the platform's lifetime figures, and the spend rollups.

The reconciliation rule itself (ledger vs. platform figures, tiers) is pure and lives in `spend.py`;
this module stores, loads and applies it. Rollups are recomputed under a row lock on the fan.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, ValidationFailed
from core.tenancy import Principal
from crm.enums import Platform, TransactionKind
from crm.fans import spend
from crm.fans.common import later, now, parse_amount, parse_enum, require_fan
from crm.fans.models import FanProfile, FanTransaction
from crm.fans.repository import FanRepository

__all__ = ["list_transactions", "recompute_spend_rollups", "record_transaction", "sync_platform_spend"]


async def record_transaction(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    platform: Platform | str,
    kind: TransactionKind | str,
    amount: Decimal | float | int | str,
    occurred_at: datetime | None = None,
    external_id: str | None = None,
    description: str | None = None,
    currency: str = "USD",
) -> FanTransaction | None:
    """Add a transaction to the ledger and update the fan's spend rollups.

    Returns None when `external_id` was already recorded (a webhook retry): nothing changes.
    A refund is stored as a negative amount whatever sign it is given with.
    """
    platform = parse_enum(Platform, platform, "platform")
    kind = parse_enum(TransactionKind, kind, "transaction kind")
    value = parse_amount(amount)
    if kind is TransactionKind.refund:
        value = -abs(value)
    elif value < 0:
        raise ValidationFailed(f"a {kind} transaction cannot be negative; record a refund instead")
    repository = FanRepository.from_session(session)
    fan = await require_fan(repository, fan_id, lock=True, creator_id=creator_id)
    occurred_at = occurred_at or now()
    values: dict[str, Any] = {
        "creator_id": creator_id,
        "fan_id": fan_id,
        "platform": platform,
        "kind": kind,
        "amount": value,
        "currency": currency,
        "occurred_at": occurred_at,
        "external_id": external_id,
        "description": description,
    }
    if external_id is not None:
        new_id = await repository.insert_transaction_if_new(values)
        if new_id is None:
            return None
        txn = await repository.get_transaction(new_id)
    else:
        txn = await repository.create(FanTransaction(id=uuid.uuid4(), **values), flush=True)
    if value > 0:
        fan.last_active_at = later(fan.last_active_at, occurred_at)
    await _apply_rollups(session, [fan])
    return txn


async def sync_platform_spend(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    platform_account_id: uuid.UUID,
    spending: Mapping[str, Any],
) -> FanProfile:
    """Store the platform's lifetime spend figures (fanData.spending) and reconcile the rollups."""
    repository = FanRepository.from_session(session)
    fan = await require_fan(repository, fan_id, lock=True)
    account = await repository.get_fan_account(fan_id=fan_id, platform_account_id=platform_account_id)
    if account is None:
        raise NotFound("platform account not found for this fan")
    account.platform_spend = spend.normalize_spending(spending)
    await session.flush()
    await _apply_rollups(session, [fan])
    return fan


async def recompute_spend_rollups(
    session: AsyncSession, principal: Principal, *, fan_ids: Sequence[uuid.UUID]
) -> int:
    """Recompute lifetime_spend / spend_by_kind / spend_tier / last_purchase_at for many fans."""
    if not fan_ids:
        return 0
    repository = FanRepository.from_session(session)
    rollups = await _compute_rollups(repository, list(fan_ids))
    if rollups:
        await repository.update_fans([{"id": fid, **values} for fid, values in rollups.items()])
    return len(rollups)


async def list_transactions(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID, limit: int = 50
) -> list[FanTransaction]:
    """The fan's transactions, newest first."""
    return await FanRepository.from_session(session).list_transactions(fan_id, limit=limit)


async def _apply_rollups(session: AsyncSession, fans: Sequence[FanProfile]) -> None:
    rollups = await _compute_rollups(FanRepository.from_session(session), [f.id for f in fans])
    for fan in fans:
        for attr, value in rollups.get(fan.id, {}).items():
            setattr(fan, attr, value)
    await session.flush()


async def _compute_rollups(
    repository: FanRepository, fan_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    ledger: dict[uuid.UUID, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    last_purchase: dict[uuid.UUID, datetime] = {}
    for fan_id, platform, kind, total, latest in await repository.ledger_totals(fan_ids):
        ledger[fan_id][str(platform)][str(kind)] = Decimal(total)
        if latest is not None and (fan_id not in last_purchase or latest > last_purchase[fan_id]):
            last_purchase[fan_id] = latest
    reported: dict[uuid.UUID, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for fan_id, platform, spending in await repository.reported_spend(fan_ids):
        merged = reported[fan_id][str(platform)]
        for key, value in spend.normalize_spending(spending or {}).items():
            merged[key] = merged.get(key, 0.0) + value
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for fan_id in fan_ids:
        platforms = set(ledger.get(fan_id, {})) | set(reported.get(fan_id, {}))
        by_kind = spend.combine(
            spend.reconcile_account(ledger[fan_id].get(p, {}), reported[fan_id].get(p)) for p in platforms
        )
        lifetime = spend.money(sum(by_kind.values(), Decimal(0)))
        out[fan_id] = {
            "lifetime_spend": lifetime,
            "spend_by_kind": {k: float(v) for k, v in by_kind.items()},
            "spend_tier": spend.tier_for(lifetime),
            "last_purchase_at": last_purchase.get(fan_id),
        }
    return out
