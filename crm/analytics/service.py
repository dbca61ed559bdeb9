"""The numbers service: revenue, spenders, subscriber flow, churn risk, response times, PPV prices.

One service for every surface that shows numbers — the assistant's read tools and the owner's
performance page — so a figure reads the same wherever it is shown. Every function takes the session
and the acting principal first, then the creators (one or several: a page may total an agency) and a
`Window` from `crm.analytics.periods`. A creator the principal may not see is a NotFound, and row-level
security would return nothing for it anyway. Functions only read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, ValidationFailed
from core.tenancy import Principal
from crm.analytics.periods import BucketUnit, Window, auto_unit, bucket_starts
from crm.analytics.repository import AnalyticsRepository
from crm.analytics.schemas import (
    REVENUE_TYPES,
    AtRiskFan,
    PricePoint,
    PricePoints,
    ResponseStats,
    Revenue,
    RevenueBucket,
    SubscriptionBucket,
    SubscriptionFlow,
    TopSpender,
    WindowInfo,
)
from crm.enums import SpendTier, TransactionKind

__all__ = [
    "at_risk_fans",
    "creator_timezone",
    "ppv_price_points",
    "response_stats",
    "revenue",
    "subscription_flow",
    "top_spenders",
]

ZERO = Decimal("0.00")
Bucketing = BucketUnit | Literal["auto"] | None
SUBSCRIPTION_EVENTS = ("new", "renewed", "expired", "cancelled", "reactivated")


def _visible(principal: Principal, creator_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    ids = list(dict.fromkeys(creator_ids))
    if not ids:
        raise ValidationFailed("name at least one creator")
    for creator_id in ids:
        if not principal.can_see(creator_id):
            raise NotFound("creator not found")
    return ids


def _info(window: Window) -> WindowInfo:
    return WindowInfo(
        period=str(window.period), label=window.label, start=window.start, end=window.end, timezone=window.tz
    )


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


async def creator_timezone(session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID) -> str:
    """The creator's timezone: "this week" and daily buckets follow their calendar."""
    _visible(principal, [creator_id])
    zones = await AnalyticsRepository.from_session(session).timezones([creator_id])
    if creator_id not in zones:
        raise NotFound("creator not found")
    return zones[creator_id] or "UTC"


async def _unit_and_days(
    repo: AnalyticsRepository, ids: list[uuid.UUID], window: Window, bucket: Bucketing
) -> tuple[BucketUnit | None, list[date]]:
    if bucket is None:
        return None, []
    unit: BucketUnit = auto_unit(window) if bucket == "auto" else bucket
    chart = window
    if window.start.year <= 2000:  # all time: start the chart at the first sale, not at the epoch
        first = await repo.first_transaction_at(ids)
        chart = Window(first or window.end, window.end, window.tz, window.period, window.label)
        unit = auto_unit(chart) if bucket == "auto" else unit
    return unit, bucket_starts(chart, unit)


async def revenue(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_ids: Sequence[uuid.UUID],
    window: Window,
    bucket: Bucketing = None,
    fan_ids: Sequence[uuid.UUID] | None = None,
) -> Revenue:
    """Revenue by type (tips, PPV, subscriptions, customs, …) in the window, optionally per bucket;
    `fan_ids` narrows it to what those fans spent."""
    ids = _visible(principal, creator_ids)
    repo = AnalyticsRepository.from_session(session)
    by_type = dict.fromkeys(REVENUE_TYPES, ZERO)
    counts = dict.fromkeys(REVENUE_TYPES, 0)
    for kind, n, total in await repo.revenue_by_kind(ids, window.start, window.end, fan_ids=fan_ids):
        by_type[kind] = _money(total)
        counts[kind] = n
    refunds = -by_type["refund"]
    gross = sum((v for k, v in by_type.items() if k != "refund"), ZERO)
    unit, days = await _unit_and_days(repo, ids, window, bucket)
    buckets: list[RevenueBucket] = []
    if unit is not None:
        cells: dict[date, dict[str, Decimal]] = {d: {} for d in days}
        for day, kind, total in await repo.revenue_buckets(
            ids, window.start, window.end, unit=unit, tz=window.tz, fan_ids=fan_ids
        ):
            cells.setdefault(day, {})[kind] = _money(total)
        buckets = [
            RevenueBucket(
                start=day,
                by_type={k: cells[day].get(k, ZERO) for k in REVENUE_TYPES},
                net=sum(cells[day].values(), ZERO),
            )
            for day in sorted(cells)
        ]
    return Revenue(
        window=_info(window),
        by_type=by_type,
        counts=counts,
        gross=gross,
        refunds=refunds,
        net=gross - refunds,
        paying_fans=await repo.paying_fans(ids, window.start, window.end, fan_ids=fan_ids),
        bucket_unit=unit,
        buckets=buckets,
    )


async def top_spenders(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_ids: Sequence[uuid.UUID],
    window: Window,
    kinds: Sequence[TransactionKind | str] | None = None,
    limit: int = 10,
) -> list[TopSpender]:
    """Fans by what they spent in the window (net of refunds), biggest first; `kinds` narrows it
    (e.g. only tips)."""
    ids = _visible(principal, creator_ids)
    wanted = [TransactionKind(k) for k in kinds] if kinds else None
    rows = await AnalyticsRepository.from_session(session).top_spenders(
        ids, window.start, window.end, kinds=wanted, limit=max(1, min(limit, 100))
    )
    return [
        TopSpender(
            fan_id=row["id"],
            creator_id=row["creator_id"],
            name=row["display_name"],
            spent=_money(Decimal(row["spent"])),
            transactions=int(row["transactions"]),
            by_type={str(k): _money(Decimal(str(v))) for k, v in (row["by_kind"] or {}).items()},
            last_purchase_at=row["last_at"],
            lifetime_spend=_money(row["lifetime_spend"]),
            spend_tier=SpendTier(row["spend_tier"]),
        )
        for row in rows
    ]


async def subscription_flow(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_ids: Sequence[uuid.UUID],
    window: Window,
    bucket: Bucketing = None,
    now: datetime | None = None,
) -> SubscriptionFlow:
    """New, renewed, expired, cancelled and reactivated subscriptions in the window."""
    ids = _visible(principal, creator_ids)
    repo = AnalyticsRepository.from_session(session)
    counts = await repo.subscription_events(ids, window.start, window.end)
    unit, days = await _unit_and_days(repo, ids, window, bucket)
    buckets: list[SubscriptionBucket] = []
    if unit is not None:
        cells: dict[date, dict[str, int]] = {d: {} for d in days}
        for day, kind, n in await repo.subscription_buckets(
            ids, window.start, window.end, unit=unit, tz=window.tz
        ):
            cells.setdefault(day, {})[kind] = n
        buckets = [
            SubscriptionBucket(start=day, **{k: cells[day].get(k, 0) for k in SUBSCRIPTION_EVENTS})
            for day in sorted(cells)
        ]
    totals = {k: counts.get(k, 0) for k in SUBSCRIPTION_EVENTS}
    return SubscriptionFlow(
        window=_info(window),
        **totals,
        net_change=totals["new"] + totals["reactivated"] - totals["expired"],
        active_now=await repo.active_subscriptions(ids, now or datetime.now(UTC)),
        bucket_unit=unit,
        buckets=buckets,
    )


async def at_risk_fans(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_ids: Sequence[uuid.UUID],
    min_score: float = 0.6,
    order: Literal["risk", "spend"] = "spend",
    subscribed_only: bool = False,
    limit: int = 10,
    now: datetime | None = None,
) -> list[AtRiskFan]:
    """Fans whose churn-risk score (fan_scores) is at least `min_score`; biggest spenders first, or
    riskiest first. `subscribed_only` keeps those who still have access (worth saving before they go)."""
    if not 0 <= min_score <= 1:
        raise ValidationFailed("min_score is between 0 and 1")
    ids = _visible(principal, creator_ids)
    rows = await AnalyticsRepository.from_session(session).at_risk(
        ids,
        min_score=min_score,
        limit=max(1, min(limit, 100)),
        order=order,
        subscribed_only=subscribed_only,
        now=now or datetime.now(UTC),
    )
    return [
        AtRiskFan(
            fan_id=row["id"],
            creator_id=row["creator_id"],
            name=row["display_name"],
            churn_risk=round(float(row["churn_risk"]), 2),
            scored_at=row["computed_at"],
            subscription_status=str(row["status"]) if row["status"] else None,
            expires_at=row["expires_at"],
            lifetime_spend=_money(row["lifetime_spend"]),
            spend_tier=SpendTier(row["spend_tier"]),
            last_active_at=row["last_active_at"],
        )
        for row in rows
    ]


def _minutes(seconds: float | Decimal | None) -> float | None:
    return None if seconds is None else round(float(seconds) / 60, 1)


async def response_stats(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_ids: Sequence[uuid.UUID],
    window: Window,
    sla_minutes: int = 60,
    now: datetime | None = None,
) -> ResponseStats:
    """Reply times to fans in the window (median, 90th percentile, SLA breaches) and who is waiting now."""
    if not 1 <= sla_minutes <= 7 * 24 * 60:
        raise ValidationFailed("sla_minutes is between 1 and 10080")
    ids = _visible(principal, creator_ids)
    now = now or datetime.now(UTC)
    repo = AnalyticsRepository.from_session(session)
    sla = sla_minutes * 60
    turns = await repo.reply_times(ids, window.start, window.end, sla_seconds=sla, now=now)
    waiting = await repo.unanswered(ids, now=now, sla_seconds=sla)
    return ResponseStats(
        window=_info(window),
        fan_turns=int(turns["fan_turns"]),
        replied=int(turns["replied"]),
        median_reply_minutes=_minutes(turns["median_seconds"]),
        p90_reply_minutes=_minutes(turns["p90_seconds"]),
        within_sla=int(turns["within_sla"]),
        sla_minutes=sla_minutes,
        breaches=int(turns["breaches"]),
        unanswered_now=int(waiting["unanswered"]),
        unanswered_over_sla=int(waiting["over_sla"]),
        oldest_waiting_minutes=_minutes(waiting["oldest_seconds"]),
    )


async def ppv_price_points(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_ids: Sequence[uuid.UUID],
    window: Window,
    limit: int = 10,
) -> PricePoints:
    """PPV prices from history: purchases and revenue per price (the ledger), offers sent and unlocked
    per price (the conversations); best by revenue first."""
    ids = _visible(principal, creator_ids)
    repo = AnalyticsRepository.from_session(session)
    merged: dict[Decimal, dict[str, Decimal | int]] = {}
    for price, n, total, buyers in await repo.ppv_purchases_by_price(ids, window.start, window.end):
        merged.setdefault(_money(price), {}).update(purchases=n, revenue=_money(total), buyers=buyers)
    for price, sent, unlocked in await repo.ppv_offers_by_price(ids, window.start, window.end):
        merged.setdefault(_money(price), {}).update(offers_sent=sent, unlocked=unlocked)
    unlocks_reported = any(int(v.get("unlocked", 0)) for v in merged.values())
    points = []
    for price, v in merged.items():
        sent = int(v.get("offers_sent", 0))
        unlocked = int(v.get("unlocked", 0))
        points.append(
            PricePoint(
                price=price,
                purchases=int(v.get("purchases", 0)),
                revenue=Decimal(v.get("revenue", ZERO)),
                buyers=int(v.get("buyers", 0)),
                offers_sent=sent,
                unlocked=unlocked,
                unlock_rate=round(unlocked / sent, 3) if sent and unlocks_reported else None,
            )
        )
    points.sort(key=lambda p: (-p.revenue, -p.purchases, p.price))
    rated = [p for p in points if p.unlock_rate is not None and p.offers_sent >= 3]
    best_rate = max(rated, key=lambda p: (p.unlock_rate or 0, p.revenue)).price if rated else None
    return PricePoints(
        window=_info(window),
        points=points[: max(1, min(limit, 50))],
        best_by_revenue=points[0].price if points and points[0].revenue > 0 else None,
        best_by_unlock_rate=best_rate,
    )
