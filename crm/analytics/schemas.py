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


# ---------------------------------------------------------------- the performance page


class Attribution(BaseModel):
    """How money is credited to a reply (last touch, each transaction at most once)."""

    ppv_hours: int = Field(
        description="A PPV purchase by the fan at the offer's price within this many hours after an "
        "approved PPV offer was sent counts for that offer (the latest such offer, if several)."
    )
    tip_hours: int = Field(
        description="A tip counts for the latest message sent to the fan within this many hours before it."
    )


class TeamRow(BaseModel):
    """One decider (a staff member, auto-approval, a script) or everyone together (`kind` = all)."""

    key: str = Field(description="Staff id; or all | auto | script | platform.")
    kind: str = Field(description="staff | all | auto | script | platform")
    name: str
    role: str | None = None
    decided: int = Field(description="Queue items approved, edited or rejected in the window.")
    approved: int = Field(description="Approved as drafted or after an edit.")
    approved_as_drafted: int
    edited: int
    rejected: int
    approval_rate_without_edit: float | None = Field(description="approved_as_drafted / decided, 0..1.")
    chars_changed: int = Field(description="Edit distance summed over edited items (characters).")
    avg_chars_changed: float | None = Field(description="Per edited item.")
    median_chars_changed: float | None = Field(description="Median edit distance over edited items.")
    edit_share: float | None = Field(
        description="chars_changed / characters drafted, over edited items: how much of a draft an edit "
        "rewrote, 0..1."
    )
    median_decision_minutes: float | None = Field(description="Item queued → decided.")
    replies: int = Field(description="Replies sent in the window (a message answering a fan's turn).")
    median_reply_minutes: float | None = Field(
        description="Fan's first unanswered message → the reply sent, median."
    )
    sla_breaches: int = Field(description="Replies sent later than the SLA.")
    ppv_offers: int = Field(description="Approved PPV offers sent in the window.")
    ppv_sales: int
    ppv_revenue: Decimal = Field(description="PPV purchases credited to those offers (see attribution).")
    tips_after: int
    tip_revenue: Decimal = Field(description="Tips credited to this decider's replies (see attribution).")
    attributed_revenue: Decimal = Field(description="ppv_revenue + tip_revenue.")


class DecisionBucket(BaseModel):
    start: date
    approved_as_drafted: int
    edited: int
    rejected: int


class TeamPerformance(BaseModel):
    """Per decider and for every AI draft together: decisions, edits, reply times, credited money."""

    window: WindowInfo
    sla_minutes: int
    attribution: Attribution
    staff_id: uuid.UUID | None = Field(description="The decider the rows and buckets are narrowed to.")
    total: TeamRow = Field(description="Every AI-drafted item in the window, whoever decided it.")
    people: list[TeamRow] = Field(description="Most decisions first.")
    expired_undecided: int = Field(description="Drafts that expired in the window with nobody deciding.")
    bucket_unit: str | None = None
    buckets: list[DecisionBucket] = Field(default_factory=list)


class CreatorRow(BaseModel):
    creator_id: uuid.UUID
    name: str
    revenue_by_type: dict[str, Decimal]
    gross: Decimal
    refunds: Decimal
    net: Decimal
    new: int
    renewed: int
    expired: int
    active_now: int
    decided: int
    approval_rate_without_edit: float | None
    replies: int
    median_reply_minutes: float | None
    sla_breaches: int
    flagged_items: int
    attributed_revenue: Decimal


class CreatorsSummary(BaseModel):
    window: WindowInfo
    sla_minutes: int
    creators: list[CreatorRow]


class FlagCount(BaseModel):
    code: str
    label: str
    about: str = Field(description="fan: a signal in the fan's message; draft: a guardrail on the draft.")
    items: int = Field(description="Queue items carrying the flag (superseded drafts left out).")


class SafetyFlags(BaseModel):
    window: WindowInfo
    flagged_items: int = Field(description="Items with at least one flag.")
    flags: list[FlagCount] = Field(description="Most frequent first.")


class StaffOption(BaseModel):
    id: uuid.UUID
    name: str
    role: str


class CreatorOption(BaseModel):
    id: uuid.UUID
    name: str
    timezone: str


class PerformanceScope(BaseModel):
    """What the caller may filter on: their creators, the people who work on them, the periods."""

    creators: list[CreatorOption]
    staff: list[StaffOption]
    periods: list[str]
    default_period: str
    sla_minutes: int
    attribution: Attribution
