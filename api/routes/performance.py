"""The performance API: what the owner's page (`/performance`) shows, from the shared numbers service.

Every route needs the `analytics:read` scope (owner, admin, manager, a creator's own login; never a
chatter) and answers for the creators the caller sees: one (`creator_id`) or all of them. Each figure
comes from `crm.analytics.service`, the same functions the assistant's numbers tools call.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import AnalyticsReader, SessionDep, errors
from core.errors import NotFound, ValidationFailed
from core.tenancy import Principal
from crm.analytics import service as analytics
from crm.analytics.periods import Period, Window, bucket_starts, resolve_window
from crm.analytics.schemas import (
    REVENUE_TYPES,
    CreatorsSummary,
    PerformanceScope,
    ResponseStats,
    Revenue,
    SafetyFlags,
    SubscriptionFlow,
    TeamPerformance,
    TeamRow,
)

router = APIRouter(prefix="/api/performance", tags=["performance"])

EARLIEST = date(2000, 1, 1)
MAX_BUCKETS = 400
Bucket = Literal["auto", "day", "week", "month"]
Report = Literal["team", "revenue", "subscribers", "creators", "flags"]
ERRORS = errors(401, 403, 404, 422)


@dataclass(frozen=True)
class Filters:
    """The creators and window a request asks about, checked against what the caller may see."""

    principal: Principal
    creator_ids: list[uuid.UUID]
    window: Window
    bucket: Bucket


async def _filters(
    principal: AnalyticsReader,
    session: SessionDep,
    creator_id: Annotated[
        uuid.UUID | None, Query(description="One creator; leave out for every creator you see.")
    ] = None,
    period: Annotated[
        Period, Query(description="The window, in the creators' timezone; custom takes start and end.")
    ] = Period.last_30_days,
    start: Annotated[date | None, Query(description="First day (period=custom).")] = None,
    end: Annotated[date | None, Query(description="Last day, inclusive (period=custom).")] = None,
    bucket: Annotated[Bucket, Query(description="The charts' step; auto picks one for the window.")] = "auto",
) -> Filters:
    if period is not Period.custom and (start is not None or end is not None):
        raise ValidationFailed("start and end go with period=custom")
    if start is not None and start < EARLIEST:
        raise ValidationFailed(f"start is on or after {EARLIEST.isoformat()}")
    if creator_id is not None:
        ids = [creator_id]
        if not principal.can_see(creator_id):
            raise NotFound("creator not found")
    else:
        ids = sorted(principal.creator_ids)
        if not ids:
            raise NotFound("no creator is visible to you")
    tz = await analytics.window_timezone(session, principal, creator_ids=ids)
    window = resolve_window(period, tz=tz, start=start, end=end)
    if bucket != "auto" and len(bucket_starts(window, bucket)) > MAX_BUCKETS:
        step = {"day": "week or month", "week": "month", "month": "a shorter period"}[bucket]
        raise ValidationFailed(f"more than {MAX_BUCKETS} {bucket}s in this period; choose {step}")
    return Filters(principal=principal, creator_ids=ids, window=window, bucket=bucket)


FiltersDep = Annotated[Filters, Depends(_filters)]
SlaMinutes = Annotated[int, Query(ge=1, le=10080, description="The reply-time target, in minutes.")]
StaffFilter = Annotated[
    uuid.UUID | None, Query(description="Narrow the team's rows and trend to one staff member.")
]


# ---------------------------------------------------------------- reports


@router.get("/scope", response_model=PerformanceScope, responses=errors(401, 403))
async def performance_scope(principal: AnalyticsReader, session: SessionDep) -> PerformanceScope:
    """What you can filter on: your creators, the people who work on them, the periods."""
    return await analytics.performance_scope(session, principal)


@router.get("/revenue", response_model=Revenue, responses=ERRORS)
async def revenue(filters: FiltersDep, session: SessionDep) -> Revenue:
    """Revenue by type (tips, PPV, subscriptions, customs, …) in the window, with a trend by bucket."""
    return await analytics.revenue(
        session, filters.principal, creator_ids=filters.creator_ids, window=filters.window,
        bucket=filters.bucket,
    )  # fmt: skip


@router.get("/subscribers", response_model=SubscriptionFlow, responses=ERRORS)
async def subscribers(filters: FiltersDep, session: SessionDep) -> SubscriptionFlow:
    """Subscriber flow in the window (new, renewed, expired, cancelled, reactivated) with a trend."""
    return await analytics.subscription_flow(
        session, filters.principal, creator_ids=filters.creator_ids, window=filters.window,
        bucket=filters.bucket,
    )  # fmt: skip


@router.get("/responses", response_model=ResponseStats, responses=ERRORS)
async def responses(
    filters: FiltersDep, session: SessionDep, sla_minutes: SlaMinutes = analytics.DEFAULT_SLA_MINUTES
) -> ResponseStats:
    """How fast fans got an answer: fan turns started in the window, median and 90th percentile reply
    time, SLA breaches, and who is waiting right now."""
    return await analytics.response_stats(
        session, filters.principal, creator_ids=filters.creator_ids, window=filters.window,
        sla_minutes=sla_minutes,
    )  # fmt: skip


@router.get("/team", response_model=TeamPerformance, responses=ERRORS)
async def team(
    filters: FiltersDep,
    session: SessionDep,
    staff_id: StaffFilter = None,
    sla_minutes: SlaMinutes = analytics.DEFAULT_SLA_MINUTES,
) -> TeamPerformance:
    """Per staff member and for the AI: drafts decided, approval rate without edit, edit distance,
    median reply time, SLA breaches, PPV purchases and tips credited to replies."""
    return await analytics.team_performance(
        session, filters.principal, creator_ids=filters.creator_ids, window=filters.window,
        sla_minutes=sla_minutes, staff_id=staff_id, bucket=filters.bucket,
    )  # fmt: skip


@router.get("/creators", response_model=CreatorsSummary, responses=ERRORS)
async def creators(
    filters: FiltersDep, session: SessionDep, sla_minutes: SlaMinutes = analytics.DEFAULT_SLA_MINUTES
) -> CreatorsSummary:
    """One row per creator: revenue by type, subscriber flow, decisions, replies, flags, credited money."""
    return await analytics.creators_summary(
        session, filters.principal, creator_ids=filters.creator_ids, window=filters.window,
        sla_minutes=sla_minutes,
    )  # fmt: skip


@router.get("/flags", response_model=SafetyFlags, responses=ERRORS)
async def flags(filters: FiltersDep, session: SessionDep) -> SafetyFlags:
    """Safety flags counted: queue items per flag code (fan's message or draft) created in the window."""
    return await analytics.safety_flags(
        session, filters.principal, creator_ids=filters.creator_ids, window=filters.window
    )


# ---------------------------------------------------------------- CSV


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: a leading = + - @ would be read as a formula."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    text = str(value)
    if isinstance(value, Decimal | int):
        return text
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


TEAM_COLUMNS = (
    "name", "kind", "role", "decided", "approved", "approved_as_drafted", "edited", "rejected",
    "approval_rate_without_edit", "chars_changed", "avg_chars_changed", "median_chars_changed",
    "edit_share",
    "median_decision_minutes", "replies", "median_reply_minutes", "sla_breaches", "ppv_offers",
    "ppv_sales", "ppv_revenue", "tips_after", "tip_revenue", "attributed_revenue",
)  # fmt: skip


def _team_csv(report: TeamPerformance) -> str:
    rows: list[TeamRow] = [report.total, *report.people]
    return _csv(TEAM_COLUMNS, ([getattr(r, c) for c in TEAM_COLUMNS] for r in rows))


@router.get(
    "/export.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The report as CSV (UTF-8, a header row)."},
        **ERRORS,
    },
)
async def export_csv(
    filters: FiltersDep,
    session: SessionDep,
    report: Annotated[Report, Query(description="Which table: team, revenue, subscribers, creators, flags.")],
    staff_id: StaffFilter = None,
    sla_minutes: SlaMinutes = analytics.DEFAULT_SLA_MINUTES,
) -> Response:
    """One report of the page as a CSV download, for the same filters."""
    p, ids, window = filters.principal, filters.creator_ids, filters.window
    if report == "team":
        body = _team_csv(
            await analytics.team_performance(
                session, p, creator_ids=ids, window=window, sla_minutes=sla_minutes, staff_id=staff_id
            )
        )
    elif report == "revenue":
        money = await analytics.revenue(session, p, creator_ids=ids, window=window, bucket=filters.bucket)
        body = _csv(
            ("bucket_start", *REVENUE_TYPES, "net"),
            [
                *([b.start, *(b.by_type[t] for t in REVENUE_TYPES), b.net] for b in money.buckets),
                ["total", *(money.by_type[t] for t in REVENUE_TYPES), money.net],
            ],
        )
    elif report == "subscribers":
        flow = await analytics.subscription_flow(
            session, p, creator_ids=ids, window=window, bucket=filters.bucket
        )
        kinds = ("new", "renewed", "expired", "cancelled", "reactivated")
        body = _csv(
            ("bucket_start", *kinds),
            [
                *([b.start, *(getattr(b, k) for k in kinds)] for b in flow.buckets),
                ["total", *(getattr(flow, k) for k in kinds)],
            ],
        )
    elif report == "creators":
        summary = await analytics.creators_summary(
            session, p, creator_ids=ids, window=window, sla_minutes=sla_minutes
        )
        columns = (
            "new", "renewed", "expired", "active_now", "decided", "approval_rate_without_edit",
            "replies", "median_reply_minutes", "sla_breaches", "flagged_items", "attributed_revenue",
        )  # fmt: skip
        body = _csv(
            ("creator", *REVENUE_TYPES, "gross", "refunds", "net", *columns),
            (
                [
                    c.name,
                    *(c.revenue_by_type[t] for t in REVENUE_TYPES),
                    c.gross,
                    c.refunds,
                    c.net,
                    *(getattr(c, k) for k in columns),
                ]
                for c in summary.creators
            ),
        )
    else:
        counted = await analytics.safety_flags(session, p, creator_ids=ids, window=window)
        body = _csv(
            ("code", "label", "about", "items"), ([f.code, f.label, f.about, f.items] for f in counted.flags)
        )
    first = window.start.astimezone(window.zone).date()
    last = window.end.astimezone(window.zone).date()
    filename = f"fanpilot-{report}-{window.period}-{first}-{last}.csv"
    return Response(
        content=body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
