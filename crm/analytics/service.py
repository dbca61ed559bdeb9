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
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, ValidationFailed
from core.tenancy import Principal
from crm.analytics.periods import BucketUnit, Period, Window, auto_unit, bucket_starts
from crm.analytics.repository import AnalyticsRepository
from crm.analytics.schemas import (
    REVENUE_TYPES,
    AtRiskFan,
    Attribution,
    CreatorOption,
    CreatorRow,
    CreatorsSummary,
    DecisionBucket,
    FlagCount,
    PerformanceScope,
    PricePoint,
    PricePoints,
    ResponseStats,
    Revenue,
    RevenueBucket,
    SafetyFlags,
    StaffOption,
    SubscriptionBucket,
    SubscriptionFlow,
    TeamPerformance,
    TeamRow,
    TopSpender,
    WindowInfo,
)
from crm.approvals import safety
from crm.approvals.guardrails import INBOUND_CODES
from crm.approvals.schemas import FLAG_LABELS
from crm.enums import SpendTier, TransactionKind

__all__ = [
    "at_risk_fans",
    "creator_timezone",
    "creators_summary",
    "performance_scope",
    "ppv_price_points",
    "response_stats",
    "revenue",
    "safety_flags",
    "subscription_flow",
    "team_performance",
    "top_spenders",
    "window_timezone",
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


# ---------------------------------------------------------------- the performance page

# Credit for money that followed a reply (docs/performance.md): last touch, each transaction once.
PPV_CREDIT_HOURS = 72
TIP_CREDIT_HOURS = 24
ATTRIBUTION = Attribution(ppv_hours=PPV_CREDIT_HOURS, tip_hours=TIP_CREDIT_HOURS)
DEFAULT_SLA_MINUTES = 60
PAGE_PERIODS = (
    Period.today,
    Period.yesterday,
    Period.this_week,
    Period.last_week,
    Period.last_7_days,
    Period.this_month,
    Period.last_month,
    Period.last_30_days,
    Period.last_90_days,
    Period.this_year,
    Period.all_time,
    Period.custom,
)
_PSEUDO_DECIDERS = {
    "auto": ("Auto-approved", "Approved by the creator's auto-approval policy, no person involved."),
    "script": ("Script or CLI", "Decided from a script or the command line, with no staff login."),
    "platform": ("Sent on the platform", "Replies typed on the platform itself, not through Fanpilot."),
}


def _check_sla(sla_minutes: int) -> int:
    if not 1 <= sla_minutes <= 7 * 24 * 60:
        raise ValidationFailed("sla_minutes is between 1 and 10080")
    return sla_minutes * 60


async def window_timezone(
    session: AsyncSession, principal: Principal, *, creator_ids: Sequence[uuid.UUID]
) -> str:
    """The calendar a window over several creators is read in: theirs if they share one, else UTC."""
    ids = _visible(principal, creator_ids)
    zones = await AnalyticsRepository.from_session(session).timezones(ids)
    if len(zones) != len(ids):
        raise NotFound("creator not found")
    distinct = {tz or "UTC" for tz in zones.values()}
    return distinct.pop() if len(distinct) == 1 else "UTC"


async def performance_scope(session: AsyncSession, principal: Principal) -> PerformanceScope:
    """The creators the principal sees and the people who work on them: the page's filters."""
    repo = AnalyticsRepository.from_session(session)
    ids = sorted(principal.creator_ids)
    creators = await repo.creator_names(ids) if ids else []
    staff = await repo.staff_working_on(principal.agency_id, ids) if ids and principal.agency_id else []
    return PerformanceScope(
        creators=[CreatorOption(id=cid, name=name, timezone=tz) for cid, name, tz in creators],
        staff=[StaffOption(id=sid, name=name, role=role) for sid, name, role in staff],
        periods=[str(p) for p in PAGE_PERIODS],
        default_period=str(Period.last_30_days),
        sla_minutes=DEFAULT_SLA_MINUTES,
        attribution=ATTRIBUTION,
    )


def _maybe_float(value: float | Decimal | None) -> float | None:
    return round(float(value), 1) if value is not None else None


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _team_row(key: str, kind: str, name: str, role: str | None, parts: dict[str, dict[str, Any]]) -> TeamRow:
    d, r, p, t = (parts.get(x, {}) for x in ("decisions", "replies", "ppv", "tips"))
    decided = int(d.get("decided", 0))
    as_drafted = int(d.get("approved_as_drafted", 0))
    chars = int(d.get("chars_changed", 0))
    measured = int(d.get("edits_measured", 0))
    drafted = int(d.get("chars_drafted", 0))
    share = _ratio(chars, drafted)
    ppv = _money(Decimal(p.get("revenue", 0)))
    tips = _money(Decimal(t.get("revenue", 0)))
    return TeamRow(
        key=key,
        kind=kind,
        name=name,
        role=role,
        decided=decided,
        approved=int(d.get("approved", 0)),
        approved_as_drafted=as_drafted,
        edited=int(d.get("edited", 0)),
        rejected=int(d.get("rejected", 0)),
        approval_rate_without_edit=_ratio(as_drafted, decided),
        chars_changed=chars,
        avg_chars_changed=round(chars / measured, 1) if measured else None,
        median_chars_changed=_maybe_float(d.get("median_chars_changed")),
        edit_share=min(share, 1.0) if share is not None else None,
        median_decision_minutes=_minutes(d.get("median_decision_seconds")),
        replies=int(r.get("replies", 0)),
        median_reply_minutes=_minutes(r.get("median_seconds")),
        sla_breaches=int(r.get("breaches", 0)),
        ppv_offers=int(p.get("offers", 0)),
        ppv_sales=int(p.get("sales", 0)),
        ppv_revenue=ppv,
        tips_after=int(t.get("tips", 0)),
        tip_revenue=tips,
        attributed_revenue=ppv + tips,
    )


async def _credited(
    repo: AnalyticsRepository,
    ids: list[uuid.UUID],
    window: Window,
    *,
    sla_seconds: int,
    group: Literal["person", "creator"],
) -> tuple[dict[str, dict[str, dict[str, Any]]], dict[str, dict[str, Any]]]:
    """Decisions, replies and credited money per key, and the same for every AI draft together."""
    start, end = window.start, window.end
    results = {
        "decisions": await repo.decisions(ids, start, end, group=group),
        "replies": await repo.replies(ids, start, end, sla_seconds=sla_seconds, group=group),
        "ppv": await repo.ppv_credit(ids, start, end, hours=PPV_CREDIT_HOURS, group=group),
        "tips": await repo.tip_credit(ids, start, end, hours=TIP_CREDIT_HOURS, group=group),
    }
    by_key: dict[str, dict[str, dict[str, Any]]] = {}
    ai: dict[str, dict[str, Any]] = {}
    for part, rows in results.items():
        for row in rows:
            if row["ai_total"]:
                if row["is_ai"]:
                    ai[part] = row
            else:
                by_key.setdefault(str(row["key"]), {})[part] = row
    return by_key, ai


async def team_performance(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_ids: Sequence[uuid.UUID],
    window: Window,
    sla_minutes: int = DEFAULT_SLA_MINUTES,
    staff_id: uuid.UUID | None = None,
    bucket: Bucketing = None,
) -> TeamPerformance:
    """Per staff member and for every AI draft together, in the window: items decided, approval
    rate without edit, how much edits changed (edit distance), median reply time and SLA breaches,
    and the PPV purchases and tips credited to the replies (`ATTRIBUTION`). `staff_id` narrows the
    people and the trend to one person; the AI row stays the whole team's."""
    sla = _check_sla(sla_minutes)
    ids = _visible(principal, creator_ids)
    repo = AnalyticsRepository.from_session(session)
    if staff_id is not None:
        working = (
            {sid for sid, _, _ in await repo.staff_working_on(principal.agency_id, ids)}
            if (principal.agency_id)
            else set()
        )
        if staff_id not in working:
            raise NotFound("staff member not found")
    by_key, ai = await _credited(repo, ids, window, sla_seconds=sla, group="person")
    staff_keys = [uuid.UUID(k) for k in by_key if k not in _PSEUDO_DECIDERS]
    names = await repo.staff_names(principal.agency_id, staff_keys)
    people: list[TeamRow] = []
    for key, parts in by_key.items():
        if key in _PSEUDO_DECIDERS:
            if staff_id is not None:
                continue
            people.append(_team_row(key, key, _PSEUDO_DECIDERS[key][0], None, parts))
            continue
        if staff_id is not None and key != str(staff_id):
            continue
        name, role = names.get(uuid.UUID(key), ("Former staff member", None))  # type: ignore[arg-type]
        people.append(_team_row(key, "staff", name, role, parts))
    people.sort(key=lambda row: (row.kind != "staff", -row.decided, -row.replies, row.name))
    unit, days = await _unit_and_days(repo, ids, window, bucket)
    buckets: list[DecisionBucket] = []
    if unit is not None:
        cells = {d: (0, 0, 0) for d in days}
        for day, as_drafted, edited, rejected in await repo.decision_buckets(
            ids, window.start, window.end, unit=unit, tz=window.tz, staff_id=staff_id
        ):
            cells[day] = (as_drafted, edited, rejected)
        buckets = [
            DecisionBucket(start=day, approved_as_drafted=a, edited=e, rejected=r)
            for day, (a, e, r) in sorted(cells.items())
        ]
    expired = await repo.expired_undecided(ids, window.start, window.end)
    return TeamPerformance(
        window=_info(window),
        sla_minutes=sla_minutes,
        attribution=ATTRIBUTION,
        staff_id=staff_id,
        total=_team_row("all", "all", "All AI drafts", None, ai),
        people=people,
        expired_undecided=sum(expired.values()),
        bucket_unit=unit,
        buckets=buckets,
    )


async def creators_summary(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_ids: Sequence[uuid.UUID],
    window: Window,
    sla_minutes: int = DEFAULT_SLA_MINUTES,
    now: datetime | None = None,
) -> CreatorsSummary:
    """One row per creator for the window: revenue by type, subscriber flow, decisions, replies,
    flagged items and the money credited to replies — each figure grouped in one query."""
    sla = _check_sla(sla_minutes)
    ids = _visible(principal, creator_ids)
    repo = AnalyticsRepository.from_session(session)
    money: dict[uuid.UUID, dict[str, Decimal]] = {cid: {} for cid in ids}
    for cid, kind, total in await repo.revenue_by_creator(ids, window.start, window.end):
        money[cid][kind] = _money(total)
    events: dict[uuid.UUID, dict[str, int]] = {cid: {} for cid in ids}
    for cid, kind, n in await repo.subscription_events_by_creator(ids, window.start, window.end):
        events[cid][kind] = n
    active = await repo.active_by_creator(ids, now or datetime.now(UTC))
    flagged = await safety.count_flagged_items(
        session, principal, creator_ids=ids, since=window.start, until=window.end
    )
    by_key, _ = await _credited(repo, ids, window, sla_seconds=sla, group="creator")
    rows = []
    for cid, name, _tz in await repo.creator_names(ids):
        by_type = {k: money[cid].get(k, ZERO) for k in REVENUE_TYPES}
        gross = sum((v for k, v in by_type.items() if k != "refund"), ZERO)
        refunds = -by_type["refund"]
        team = _team_row(str(cid), "creator", name, None, by_key.get(str(cid), {}))
        rows.append(
            CreatorRow(
                creator_id=cid,
                name=name,
                revenue_by_type=by_type,
                gross=gross,
                refunds=refunds,
                net=gross - refunds,
                new=events[cid].get("new", 0),
                renewed=events[cid].get("renewed", 0),
                expired=events[cid].get("expired", 0),
                active_now=active.get(cid, 0),
                decided=team.decided,
                approval_rate_without_edit=team.approval_rate_without_edit,
                replies=team.replies,
                median_reply_minutes=team.median_reply_minutes,
                sla_breaches=team.sla_breaches,
                flagged_items=flagged.get(cid, 0),
                attributed_revenue=team.attributed_revenue,
            )
        )
    return CreatorsSummary(window=_info(window), sla_minutes=sla_minutes, creators=rows)


async def safety_flags(
    session: AsyncSession, principal: Principal, *, creator_ids: Sequence[uuid.UUID], window: Window
) -> SafetyFlags:
    """Queue items per flag code in the window: safety signals in fans' messages and guardrail hits
    on drafts (`crm.approvals.safety.count_flags`), most frequent first."""
    ids = _visible(principal, creator_ids)
    counts = await safety.count_flags(
        session, principal, creator_ids=ids, since=window.start, until=window.end
    )
    flagged = await safety.count_flagged_items(
        session, principal, creator_ids=ids, since=window.start, until=window.end
    )
    flags = [
        FlagCount(
            code=code,
            label=FLAG_LABELS.get(code, code.replace("_", " ").capitalize()),
            about="fan" if code in INBOUND_CODES else "draft",
            items=n,
        )
        for code, n in counts.items()
    ]
    flags.sort(key=lambda f: (-f.items, f.label))
    return SafetyFlags(window=_info(window), flagged_items=sum(flagged.values()), flags=flags)
