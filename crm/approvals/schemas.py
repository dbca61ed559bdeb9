"""Arguments of every gated action (the schema an edit is re-validated against) and read models."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm.approvals.models import HitlAction
from crm.enums import ActionType, ApprovalStatus


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SendMessageArgs(_Args):
    """Send a chat message to one fan. Runs only after a human approves it."""

    fan_id: uuid.UUID = Field(description="The fan who receives the message.")
    text: str = Field(min_length=1, max_length=2000, description="The message, in the creator's voice.")


class SendPpvArgs(_Args):
    """Send a pay-per-view (locked) message to one fan. Runs only after a human approves it."""

    fan_id: uuid.UUID = Field(description="The fan who receives the offer.")
    text: str = Field(min_length=1, max_length=2000, description="The teaser text shown with the offer.")
    price: Decimal = Field(
        ge=0, le=10000, decimal_places=2, description="Unlock price in USD, within the creator's PPV bounds."
    )
    media_ids: list[str] = Field(
        default_factory=list, description="Vault media ids to lock behind the price."
    )


class CreateBroadcastArgs(_Args):
    """Send one message to every fan of a segment. Runs only after a human approves it."""

    segment_id: uuid.UUID = Field(description="The segment whose members receive the message.")
    text: str = Field(min_length=1, max_length=2000, description="The message, in the creator's voice.")
    price: Decimal | None = Field(
        default=None, ge=0, le=10000, description="Optional PPV price, within the creator's bounds."
    )


class SchedulePostArgs(_Args):
    """Schedule a feed post on the creator's page. Runs only after a human approves it."""

    creator_id: uuid.UUID = Field(description="The creator whose page gets the post.")
    text: str = Field(min_length=1, max_length=5000, description="The post caption.")
    publish_at: datetime = Field(description="When the post goes live (timezone-aware).")
    price: Decimal | None = Field(default=None, ge=0, le=10000, description="Optional PPV price.")


class UpdateCustomRequestPriceArgs(_Args):
    """Quote (or re-quote) the price of a fan's custom content request."""

    custom_request_id: uuid.UUID = Field(description="The custom request to price.")
    price: Decimal = Field(gt=0, le=100000, description="The new price in USD.")


ACTION_ARGS: dict[ActionType, type[_Args]] = {
    ActionType.send_message: SendMessageArgs,
    ActionType.send_ppv: SendPpvArgs,
    ActionType.create_broadcast: CreateBroadcastArgs,
    ActionType.schedule_post: SchedulePostArgs,
    ActionType.update_custom_request_price: UpdateCustomRequestPriceArgs,
}

# (target_type, the argument that names the target): an edit may never change it.
ACTION_TARGET: dict[ActionType, tuple[str, str]] = {
    ActionType.send_message: ("fan", "fan_id"),
    ActionType.send_ppv: ("fan", "fan_id"),
    ActionType.create_broadcast: ("segment", "segment_id"),
    ActionType.schedule_post: ("creator", "creator_id"),
    ActionType.update_custom_request_price: ("custom_request", "custom_request_id"),
}

# A reply to a conversation goes stale fast; bulk and money changes get a longer review window.
DEFAULT_TTL: dict[ActionType, timedelta] = {
    ActionType.send_message: timedelta(hours=12),
    ActionType.send_ppv: timedelta(hours=24),
    ActionType.create_broadcast: timedelta(hours=48),
    ActionType.schedule_post: timedelta(hours=48),
    ActionType.update_custom_request_price: timedelta(hours=72),
}

REPLY_ACTIONS = (ActionType.send_message, ActionType.send_ppv)


Severity = Literal["block", "review", "urgent", "warn"]

# A short human label per flag code, for badges and filters (the code is the machine name).
FLAG_LABELS: dict[str, str] = {
    "restricted_word": "Restricted word",
    "off_platform_contact": "Contact details",
    "meetup": "Meet-up",
    "free_content": "Free content",
    "price_out_of_bounds": "Price out of bounds",
    "other_fan_data": "Other fan's data",
    "ai_denial": "Denies being AI",
    "prompt_injection": "Instructions in message",
    "low_confidence": "Low confidence",
    "unsafe_offer": "Offer to an at-risk fan",
    "possible_minor": "Possible minor",
    "off_platform_attempt": "Off-platform contact",
    "off_platform_payment": "Off-platform payment",
    "chargeback_threat": "Chargeback / refund",
    "self_harm": "Self-harm risk",
    "harassment": "Harassment / threat",
}


class Flag(BaseModel):
    """One guardrail hit.

    Severity: `block` stops the action until an edit clears it; `review` means only an owner or
    admin may decide the item; `urgent` puts it first in the queue; `warn` is shown to the reviewer.
    """

    code: str
    severity: Severity
    message: str
    label: str = ""

    @model_validator(mode="after")
    def _default_label(self) -> Flag:
        if not self.label:
            self.label = FLAG_LABELS.get(self.code, self.code.replace("_", " ").capitalize())
        return self


class HitlActionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    creator_id: uuid.UUID
    fan_id: uuid.UUID | None
    action_type: ActionType
    target_type: str
    target_id: str
    proposed_args: dict[str, Any]
    final_args: dict[str, Any] | None
    context: dict[str, Any]
    flags: list[dict[str, Any]]
    confidence: float | None
    priority: int
    status: ApprovalStatus
    expires_at: datetime
    created_at: datetime
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_reason: str | None
    edited: bool
    superseded_by: uuid.UUID | None
    executed_at: datetime | None
    result: dict[str, Any] | None
    error: str | None


@dataclass
class Page:
    items: list[HitlAction]
    next_cursor: str | None = None
    total_pending: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def validate_args(action_type: ActionType, args: dict[str, Any]) -> dict[str, Any]:
    """Validate against the action's schema; returns the JSON form stored on the item."""
    return ACTION_ARGS[action_type].model_validate(args).model_dump(mode="json")


def has_blocking(flags: list[dict[str, Any]]) -> list[str]:
    return [f["code"] for f in flags if f.get("severity") == "block"]


__all__ = [
    "ACTION_ARGS",
    "ACTION_TARGET",
    "DEFAULT_TTL",
    "FLAG_LABELS",
    "REPLY_ACTIONS",
    "CreateBroadcastArgs",
    "Flag",
    "HitlActionRead",
    "Page",
    "SchedulePostArgs",
    "SendMessageArgs",
    "SendPpvArgs",
    "Severity",
    "UpdateCustomRequestPriceArgs",
    "has_blocking",
    "validate_args",
]
