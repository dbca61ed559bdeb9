"""States and kinds stored as text (with CHECK constraints) across the CRM."""

from __future__ import annotations

from enum import StrEnum

from core.tenancy import StaffRole

__all__ = [
    "ActionType",
    "ApprovalOrigin",
    "ApprovalStatus",
    "AuditActorKind",
    "BroadcastStatus",
    "CustomRequestStatus",
    "DeliveryOutcome",
    "DeliveryStatus",
    "MemoryKind",
    "MessageDirection",
    "MessageSender",
    "Platform",
    "RunStatus",
    "SpendTier",
    "StaffRole",
    "SubscriptionEventType",
    "SubscriptionStatus",
    "TransactionKind",
    "WebhookStatus",
]


class Platform(StrEnum):
    onlyfans = "onlyfans"
    fansly = "fansly"
    fanvue = "fanvue"
    other = "other"


class SpendTier(StrEnum):
    new = "new"  # no spend yet
    low = "low"  # < $50 lifetime
    mid = "mid"  # < $250
    high = "high"  # < $1000
    whale = "whale"  # ≥ $1000


class SubscriptionStatus(StrEnum):
    active = "active"
    expired = "expired"
    cancelled = "cancelled"  # auto-renew off, still active until expires_at
    trial = "trial"


class SubscriptionEventType(StrEnum):
    new = "new"
    renewed = "renewed"
    expired = "expired"
    cancelled = "cancelled"
    reactivated = "reactivated"
    price_changed = "price_changed"


class TransactionKind(StrEnum):
    subscription = "subscription"
    tip = "tip"
    ppv = "ppv"
    message = "message"
    post = "post"
    stream = "stream"
    custom = "custom"
    refund = "refund"
    other = "other"


class CustomRequestStatus(StrEnum):
    requested = "requested"
    quoted = "quoted"
    accepted = "accepted"
    in_progress = "in_progress"
    delivered = "delivered"
    declined = "declined"
    cancelled = "cancelled"


class MessageDirection(StrEnum):
    inbound = "inbound"  # fan → creator
    outbound = "outbound"  # creator → fan


class MessageSender(StrEnum):
    fan = "fan"
    creator = "creator"  # typed by the creator on the platform itself
    agent = "agent"  # an approved AI draft
    staff = "staff"  # a chatter wrote it


class MemoryKind(StrEnum):
    preference = "preference"
    personal_detail = "personal_detail"
    key_date = "key_date"
    boundary = "boundary"
    purchase_pattern = "purchase_pattern"
    relationship = "relationship"
    conversation_fact = "conversation_fact"


class ActionType(StrEnum):
    """Gated actions: they reach a fan or move money, so they run only after approval."""

    send_message = "send_message"
    send_ppv = "send_ppv"
    create_broadcast = "create_broadcast"
    schedule_post = "schedule_post"
    update_custom_request_price = "update_custom_request_price"


class ApprovalStatus(StrEnum):
    pending = "pending"
    approved = "approved"  # decided, not yet executed
    rejected = "rejected"
    expired = "expired"
    superseded = "superseded"
    executed = "executed"
    failed = "failed"  # the platform refused it, or kept failing: nothing was sent; `error` says why
    stale = "stale"  # the execution-time re-check no longer held: nothing was sent; `error` says why


class ApprovalOrigin(StrEnum):
    """Who queued the item, and so what waits on its decision."""

    reply_run = "reply_run"  # a reply graph run, interrupted at its gate
    assistant_thread = "assistant_thread"  # a creator's chat turn with the assistant
    automation_run = "automation_run"  # an automation rule's action step
    direct = "direct"  # a person or script, nothing waits on it


class DeliveryOutcome(StrEnum):
    """One platform attempt of an approved item."""

    sent = "sent"
    retry = "retry"  # transient (timeout, 5xx, 429): the next attempt is scheduled
    failed = "failed"  # permanent (4xx, no connection) or out of attempts
    stale = "stale"  # the re-check refused it before any platform call


class BroadcastStatus(StrEnum):
    draft = "draft"
    pending_approval = "pending_approval"
    scheduled = "scheduled"
    sending = "sending"
    sent = "sent"
    cancelled = "cancelled"
    failed = "failed"


class DeliveryStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"


class RunStatus(StrEnum):
    running = "running"
    interrupted = "interrupted"  # waiting on a human decision
    completed = "completed"
    failed = "failed"
    superseded = "superseded"


class WebhookStatus(StrEnum):
    received = "received"
    queued = "queued"
    processing = "processing"
    processed = "processed"
    failed = "failed"
    ignored = "ignored"


class AuditActorKind(StrEnum):
    staff = "staff"
    api_token = "api_token"
    system = "system"
    webhook = "webhook"
