"""Spend tiers and the reconciliation of our ledger with the platform's lifetime figures.

Tiers (lifetime spend, dollars): new = 0, low < 50, mid < 250, high < 1000, whale ≥ 1000.

Reconciliation, per platform account: the ledger (`fan_transactions`, refunds negative) is what we
saw; `fanData.spending` is what the platform says the fan spent in total, including purchases made
before we were connected or whose webhooks we missed. For each category the higher of the two wins,
and if the platform's `total` is higher than the sum of the categories the difference is counted as
`other`. A fan's lifetime spend is the sum over their accounts, so it never double counts a
transaction and never falls below what the platform reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from crm.enums import SpendTier, TransactionKind

TIER_THRESHOLDS: tuple[tuple[Decimal, SpendTier], ...] = (
    (Decimal("1000"), SpendTier.whale),
    (Decimal("250"), SpendTier.high),
    (Decimal("50"), SpendTier.mid),
)
TIER_ORDER: tuple[SpendTier, ...] = (
    SpendTier.new,
    SpendTier.low,
    SpendTier.mid,
    SpendTier.high,
    SpendTier.whale,
)

# fanData.spending category → the ledger kinds it covers; a surplus goes to the first kind.
PLATFORM_CATEGORIES: dict[str, tuple[TransactionKind, ...]] = {
    "messages": (TransactionKind.ppv, TransactionKind.message),
    "subscribes": (TransactionKind.subscription,),
    "posts": (TransactionKind.post,),
    "tips": (TransactionKind.tip,),
    "streams": (TransactionKind.stream,),
}
CENT = Decimal("0.01")


def tier_for(lifetime_spend: Decimal | float | int) -> SpendTier:
    amount = Decimal(str(lifetime_spend))
    if amount <= 0:
        return SpendTier.new
    for threshold, tier in TIER_THRESHOLDS:
        if amount >= threshold:
            return tier
    return SpendTier.low


def tier_rank(tier: SpendTier | str) -> int:
    return TIER_ORDER.index(SpendTier(tier))


def money(value: Decimal | float | int | str | None) -> Decimal:
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT)


def normalize_spending(spending: Mapping[str, object]) -> dict[str, float]:
    """Keep the known fanData.spending keys as non-negative floats."""
    out: dict[str, float] = {}
    for key in ("total", *PLATFORM_CATEGORIES):
        raw = spending.get(key)
        if raw is None:
            continue
        try:
            value = float(str(raw))
        except ValueError:
            continue
        out[key] = max(value, 0.0)
    return out


def reconcile_account(
    ledger_by_kind: Mapping[str, Decimal], platform_spending: Mapping[str, object] | None
) -> dict[str, Decimal]:
    """Spend by kind for one platform account: the ledger, raised to the platform's figures."""
    by_kind: dict[str, Decimal] = {k: money(v) for k, v in ledger_by_kind.items()}
    spending = normalize_spending(platform_spending or {})
    if not spending:
        return by_kind
    for category, kinds in PLATFORM_CATEGORIES.items():
        reported = spending.get(category)
        if reported is None:
            continue
        seen = sum((by_kind.get(k, Decimal(0)) for k in kinds), Decimal(0))
        surplus = money(reported) - seen
        if surplus > 0:
            by_kind[kinds[0]] = by_kind.get(kinds[0], Decimal(0)) + surplus
    total = spending.get("total")
    if total is not None:
        surplus = money(total) - sum(by_kind.values(), Decimal(0))
        if surplus > 0:
            by_kind[TransactionKind.other] = by_kind.get(TransactionKind.other, Decimal(0)) + surplus
    return by_kind


def combine(per_account: Iterable[Mapping[str, Decimal]]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for by_kind in per_account:
        for kind, amount in by_kind.items():
            out[kind] = out.get(kind, Decimal(0)) + amount
    return {k: money(v) for k, v in sorted(out.items()) if v != 0}
