"""The assistant's numbers: read tools over the shared numbers service (`crm.analytics`).

Every figure is computed by Postgres from the ledgers and returned with the window it covers (in the
creator's timezone); the model only reports it. These tools read across the creator's fans, so they
are assistant tools (never a reply run's).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from crm.analytics import service as analytics
from crm.analytics.periods import Period, Window, resolve_window
from crm.fans import service as fan_service
from tools.base import ToolContext

PERIOD_HELP = (
    "The time window, in the creator's timezone: today, yesterday, this_week, last_week (Monday to "
    "Sunday), this_month, last_month, last_7_days, last_30_days, last_90_days, this_year, last_year, "
    "all_time, or custom (then give start and end)."
)
SpendKind = Literal["tip", "ppv", "subscription", "custom", "message", "post", "stream"]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WindowArgs(_Args):
    period: Period = Field(default=Period.this_month, description=PERIOD_HELP)
    start: date | None = Field(default=None, description="First day, for period=custom.")
    end: date | None = Field(default=None, description="Last day (inclusive), for period=custom.")


class RevenueArgs(WindowArgs):
    by: Literal["day", "week", "month"] | None = Field(
        default=None, description="Also split the window into buckets (for a trend)."
    )
    fan_id: uuid.UUID | None = Field(default=None, description="Only what this fan spent (from find_fan).")


class TopSpendersArgs(_Args):
    period: Period | None = Field(
        default=None, description=PERIOD_HELP + " Leave it out to rank by lifetime spend."
    )
    start: date | None = Field(default=None, description="First day, for period=custom.")
    end: date | None = Field(default=None, description="Last day (inclusive), for period=custom.")
    kind: SpendKind | None = Field(default=None, description="Only this kind of spend, e.g. tip.")
    limit: int = Field(default=5, ge=1, le=50, description="How many fans.")


class AtRiskArgs(_Args):
    limit: int = Field(default=10, ge=1, le=100, description="How many fans.")
    min_score: float = Field(default=0.6, ge=0, le=1, description="Lowest churn-risk score, 0..1.")
    order: Literal["spend", "risk"] = Field(
        default="spend", description="spend: biggest spenders first; risk: riskiest first."
    )
    still_subscribed: bool = Field(
        default=False, description="Only fans who still have access (not yet expired)."
    )
    min_spend: float = Field(default=0, ge=0, description="Only fans who spent at least this much (USD).")


class ResponseArgs(WindowArgs):
    period: Period = Field(default=Period.last_7_days, description=PERIOD_HELP)
    sla_minutes: int = Field(default=60, ge=1, le=10080, description="The reply-time target, in minutes.")


class PriceArgs(WindowArgs):
    period: Period = Field(default=Period.last_90_days, description=PERIOD_HELP)
    limit: int = Field(default=8, ge=1, le=50, description="How many price points.")


async def _window(session: AsyncSession, ctx: ToolContext, period: Period, start: Any, end: Any) -> Window:
    tz = await analytics.creator_timezone(session, ctx.principal, creator_id=ctx.creator_id)
    return resolve_window(period, tz=tz, start=start, end=end)


async def revenue_summary(session: AsyncSession, ctx: ToolContext, args: RevenueArgs) -> dict[str, Any]:
    """What the creator earned in a window, by type: tip, ppv, subscription, custom, message (paid
    messages), post, stream, other, and refunds (negative); with gross, refunds, net and paying fans;
    with `fan_id`, only that fan's spend. Use it for "how much did I make from tips last week?".
    Report the figures as given (USD) and the window's `label`; never add or estimate numbers
    yourself."""
    window = await _window(session, ctx, args.period, args.start, args.end)
    result = await analytics.revenue(
        session,
        ctx.principal,
        creator_ids=[ctx.creator_id],
        window=window,
        bucket=args.by,
        fan_ids=[args.fan_id] if args.fan_id else None,
    )
    return result.model_dump(mode="json")


async def list_top_spenders(session: AsyncSession, ctx: ToolContext, args: TopSpendersArgs) -> dict[str, Any]:
    """The creator's biggest spenders. With a `period` (e.g. this_month) they are ranked by what they
    spent in that window — net of refunds, optionally one `kind` such as tip — with `spent`,
    `by_type` and their lifetime spend; without one, by lifetime spend. "Top spenders this month"
    needs period=this_month."""
    if args.period is None:
        fans = await fan_service.list_fans(
            session, ctx.principal, creator_id=ctx.creator_id, limit=args.limit
        )
        return {
            "ranked_by": "lifetime spend",
            "fans": [
                {
                    "fan_id": str(f.id),
                    "name": f.display_name,
                    "lifetime_spend": str(f.lifetime_spend),
                    "spend_tier": str(f.spend_tier),
                }
                for f in fans
            ],
        }
    window = await _window(session, ctx, args.period, args.start, args.end)
    ranked = await analytics.top_spenders(
        session,
        ctx.principal,
        creator_ids=[ctx.creator_id],
        window=window,
        kinds=[args.kind] if args.kind else None,
        limit=args.limit,
    )
    return {
        "ranked_by": f"{args.kind or 'all'} spend in {window.label}",
        "window": window.as_dict(),
        "fans": [t.model_dump(mode="json") for t in ranked],
    }


async def subscription_flow(session: AsyncSession, ctx: ToolContext, args: WindowArgs) -> dict[str, Any]:
    """Subscriber flow in a window: new, renewed, expired, cancelled (auto-renew off) and reactivated
    subscriptions, the net change, and how many subscribers have access right now."""
    window = await _window(session, ctx, args.period, args.start, args.end)
    flow = await analytics.subscription_flow(
        session, ctx.principal, creator_ids=[ctx.creator_id], window=window
    )
    return flow.model_dump(mode="json")


async def list_at_risk_fans(session: AsyncSession, ctx: ToolContext, args: AtRiskArgs) -> dict[str, Any]:
    """Fans at risk of churning: churn-risk score (0..1) at or above `min_score` (default 0.6), with
    their subscription state and spend; biggest spenders first unless order=risk. For "top spenders
    at risk" keep order=spend; to win them back, a segment on score:churn_risk plus a broadcast."""
    fans = await analytics.at_risk_fans(
        session,
        ctx.principal,
        creator_ids=[ctx.creator_id],
        min_score=args.min_score,
        order=args.order,
        subscribed_only=args.still_subscribed,
        limit=100 if args.min_spend else args.limit,
    )
    picked = [f for f in fans if float(f.lifetime_spend) >= args.min_spend][: args.limit]
    return {
        "min_score": args.min_score,
        "fans": [{**f.model_dump(mode="json"), "fan_id": str(f.fan_id)} for f in picked],
    }


async def response_times(session: AsyncSession, ctx: ToolContext, args: ResponseArgs) -> dict[str, Any]:
    """How fast fans get an answer in a window: fan turns, replied, median and 90th-percentile reply
    minutes, turns within / past the SLA, and who is waiting for a reply right now."""
    window = await _window(session, ctx, args.period, args.start, args.end)
    stats = await analytics.response_stats(
        session, ctx.principal, creator_ids=[ctx.creator_id], window=window, sla_minutes=args.sla_minutes
    )
    return stats.model_dump(mode="json")


async def ppv_price_points(session: AsyncSession, ctx: ToolContext, args: PriceArgs) -> dict[str, Any]:
    """Which PPV prices worked, from history: per price, purchases, revenue and buyers (the ledger),
    and offers sent / unlocked with the unlock rate where the platform reports unlocks; best by
    revenue first, `best_by_revenue` and `best_by_unlock_rate`. Use it to suggest a price."""
    window = await _window(session, ctx, args.period, args.start, args.end)
    points = await analytics.ppv_price_points(
        session, ctx.principal, creator_ids=[ctx.creator_id], window=window, limit=args.limit
    )
    return points.model_dump(mode="json")
