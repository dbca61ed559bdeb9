"""Read models of the fan CRM: what the agent, the inbox and the API see of a fan."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from crm.enums import CustomRequestStatus, Platform, SpendTier, SubscriptionStatus


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PlatformAccountInfo(_Read):
    id: uuid.UUID
    platform: Platform
    platform_fan_id: str
    username: str | None = None
    display_name: str | None = None


class SubscriptionInfo(_Read):
    id: uuid.UUID
    platform_account_id: uuid.UUID
    status: SubscriptionStatus
    price: Decimal
    started_at: datetime
    renews_at: datetime | None = None
    expires_at: datetime | None = None
    auto_renew: bool
    renewal_count: int


class TagInfo(_Read):
    tag: str
    value: str | None = None
    source: str


class NoteInfo(_Read):
    id: uuid.UUID
    body: str
    pinned: bool
    author_kind: str
    created_at: datetime


class CustomRequestInfo(_Read):
    id: uuid.UUID
    description: str
    status: CustomRequestStatus
    price: Decimal | None = None
    due_at: datetime | None = None


class FanSummary(_Read):
    """One line of a fan list."""

    id: uuid.UUID
    creator_id: uuid.UUID
    display_name: str
    lifetime_spend: Decimal
    spend_tier: SpendTier
    last_active_at: datetime | None = None


class FanDossier(BaseModel):
    """Everything a reviewer or the agent needs to know about one fan, in one object."""

    id: uuid.UUID
    creator_id: uuid.UUID
    display_name: str
    lifetime_spend: Decimal
    spend_tier: SpendTier
    spend_by_kind: dict[str, Decimal] = Field(default_factory=dict)
    subscription: SubscriptionInfo | None = Field(
        default=None,
        description="The fan's most relevant subscription: an active one first, else the latest.",
    )
    subscriptions: list[SubscriptionInfo] = Field(default_factory=list)
    platform_accounts: list[PlatformAccountInfo] = Field(default_factory=list)
    tags: list[TagInfo] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict)
    pinned_notes: list[NoteInfo] = Field(default_factory=list)
    recent_notes: list[NoteInfo] = Field(default_factory=list)
    open_custom_requests: list[CustomRequestInfo] = Field(default_factory=list)
    first_seen_at: datetime
    last_active_at: datetime | None = None
    last_inbound_at: datetime | None = None
    last_outbound_at: datetime | None = None
    last_purchase_at: datetime | None = None
    timezone: str | None = None
    language: str | None = None
