"""The score formulas, pure: every score is 0..1, computed from a fan's `Signals`.

Documented in docs/automation.md ("Scores"); change the version when a formula changes, so a stored
score says which formula made it.

    recency          = exp(-days_since_active / 14)
    engagement       = 0.5 · (1 − exp(−inbound_30d / 10)) + 0.3 · recency + 0.2 · (1 − exp(−purchases_30d / 3))

    churn_risk       = 1                                    when every subscription has ended
                     = 0.5 · (1 − recency) + 0.3 · renewal_off + 0.2 · spend_decline   otherwise
        renewal_off   = 1 when the live subscription will not renew (auto-renew off), else 0
        spend_decline = 1 − spend_30d / (spend_prev_60d / 2), clamped to 0..1 (0 with no earlier spend)

    upsell_readiness = 0                                    when no subscription is live (cannot unlock)
                     = 0.35 · exp(−days_since_purchase / 21) + 0.25 · (1 − exp(−purchases_90d / 4))
                       + 0.25 · (1 − exp(−inbound_14d / 6)) + 0.15 · unlock_ratio
        unlock_ratio  = PPVs unlocked / PPVs sent in 90 days (0.5 when none was sent)

A fan with no subscription on record counts as live: the CRM does not know better.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

VERSION = "scores-v1"
KINDS = ("churn_risk", "upsell_readiness", "engagement")


@dataclass(frozen=True)
class Signals:
    days_since_active: float
    days_since_purchase: float | None  # None: never bought
    inbound_14d: int
    inbound_30d: int
    purchases_30d: int
    purchases_90d: int
    spend_30d: float
    spend_prev_60d: float  # days 31..90 before now
    ppv_sent_90d: int
    ppv_unlocked_90d: int
    has_subscription: bool
    live: bool
    auto_renew: bool

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _clamp(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 3)


def _saturate(count: float, scale: float) -> float:
    return 1 - math.exp(-count / scale)


def engagement(s: Signals) -> float:
    recency = math.exp(-s.days_since_active / 14)
    return _clamp(0.5 * _saturate(s.inbound_30d, 10) + 0.3 * recency + 0.2 * _saturate(s.purchases_30d, 3))


def churn_risk(s: Signals) -> float:
    if s.has_subscription and not s.live:
        return 1.0
    inactivity = 1 - math.exp(-s.days_since_active / 14)
    renewal_off = 1.0 if s.has_subscription and s.live and not s.auto_renew else 0.0
    decline = 0.0
    if s.spend_prev_60d > 0:
        decline = min(1.0, max(0.0, 1 - s.spend_30d / (s.spend_prev_60d / 2)))
    return _clamp(0.5 * inactivity + 0.3 * renewal_off + 0.2 * decline)


def upsell_readiness(s: Signals) -> float:
    if s.has_subscription and not s.live:
        return 0.0
    bought = 0.0 if s.days_since_purchase is None else math.exp(-s.days_since_purchase / 21)
    ratio = s.ppv_unlocked_90d / s.ppv_sent_90d if s.ppv_sent_90d else 0.5
    return _clamp(
        0.35 * bought
        + 0.25 * _saturate(s.purchases_90d, 4)
        + 0.25 * _saturate(s.inbound_14d, 6)
        + 0.15 * ratio
    )


def scores(s: Signals) -> dict[str, float]:
    return {"churn_risk": churn_risk(s), "upsell_readiness": upsell_readiness(s), "engagement": engagement(s)}
