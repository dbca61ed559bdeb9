"""What the numbers service answers: plain read models, money as Decimal, times as aware datetimes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from crm.enums import SpendTier

# How the ledger's transaction kinds are reported (a refund is negative, a kind of its own).
REVENUE_TYPES = ("tip", "ppv", "subscription", "custom", "message", "post", "stream", "other", "refund")


class WindowInfo(BaseModel):
    period: str
    label: str = Field(description="The window in words, e.g. 'last week (Nov 23 – Nov 29, 2026)'.")
    start: datetime
    end: datetime
    timezone: str


class RevenueBucket(BaseModel):
    start: date = Field(description="The bucket's first day, in the window's timezone.")
    by_type: dict[str, Decimal]
    net: Decimal


class Revenue(BaseModel):
    """Money in a window from the transaction ledger (refunds subtract)."""

    window: WindowInfo
    by_type: dict[str, Decimal] = Field(description="Sum per transaction type; every type, zero included.")
    counts: dict[str, int] = Field(description="Transactions per type.")
    gross: Decimal = Field(description="Every positive transaction.")
    refunds: Decimal = Field(description="Refunded, as a positive number.")
    net: Decimal = Field(description="gross − refunds.")
    paying_fans: int
    bucket_unit: str | None = None
    buckets: list[RevenueBucket] = Field(default_factory=list)


class TopSpender(BaseModel):
    fan_id: uuid.UUID
    creator_id: uuid.UUID
    name: str
    spent: Decimal = Field(description="Net spend in the window.")
    transactions: int
    by_type: dict[str, Decimal]
    last_purchase_at: datetime | None
    lifetime_spend: Decimal
    spend_tier: SpendTier


class SubscriptionBucket(BaseModel):
    start: date
    new: int
    renewed: int
    expired: int
    cancelled: int
    reactivated: int


class SubscriptionFlow(BaseModel):
    """Subscription events in a window, from the append-only subscription ledger."""

    window: WindowInfo
    new: int
    renewed: int
    expired: int
    cancelled: int = Field(description="Auto-renew turned off (the fan keeps access until it expires).")
    reactivated: int
    net_change: int = Field(description="new + reactivated − expired.")
    active_now: int = Field(
        description="Subscriptions with access right now (active, or cancelled but not ended)."
    )
    bucket_unit: str | None = None
    buckets: list[SubscriptionBucket] = Field(default_factory=list)


class AtRiskFan(BaseModel):
    fan_id: uuid.UUID
    creator_id: uuid.UUID
    name: str
    churn_risk: float = Field(description="The fan's churn-risk score, 0..1 (fan_scores).")
    scored_at: datetime | None
    subscription_status: str | None
    expires_at: datetime | None
    lifetime_spend: Decimal
    spend_tier: SpendTier
    last_active_at: datetime | None


class ResponseStats(BaseModel):
    """How fast fans got an answer: each run of fan messages with no reply in between counts once."""

    window: WindowInfo
    fan_turns: int = Field(description="Runs of fan messages that started in the window.")
    replied: int
    median_reply_minutes: float | None
    p90_reply_minutes: float | None
    within_sla: int = Field(description="Turns answered within the SLA.")
    sla_minutes: int
    breaches: int = Field(description="Turns answered later than the SLA, or still waiting past it.")
    unanswered_now: int = Field(description="Fans whose latest message is theirs, waiting for a reply.")
    unanswered_over_sla: int
    oldest_waiting_minutes: float | None


class PricePoint(BaseModel):
    price: Decimal
    purchases: int = Field(description="PPV purchases at this price (the ledger).")
    revenue: Decimal
    buyers: int
    offers_sent: int = Field(description="PPV offers sent at this price (outbound messages).")
    unlocked: int = Field(description="Offers at this price the platform reported unlocked.")
    unlock_rate: float | None = Field(description="unlocked / offers_sent, once unlocks are reported.")


class PricePoints(BaseModel):
    window: WindowInfo
    points: list[PricePoint] = Field(description="Best first: by revenue, then purchases.")
    best_by_revenue: Decimal | None
    best_by_unlock_rate: Decimal | None = Field(description="Among prices offered at least 3 times.")
