"""Imports every CRM ORM module so `Base.metadata` knows the CRM tables before the first flush.

The whole schema (CRM + memory) for Alembic and the schema tests is `migrations.models`."""

from crm.accounts.models import Agency, ApiToken, AuditLog, LoginLockout, StaffCreatorAccess, StaffUser
from crm.approvals.models import DeliveryAttempt, HitlAction
from crm.automation.models import AutomationRule, AutomationRuleAction, AutomationRuleRun, AutomationTimer
from crm.base import Base
from crm.creators.models import CreatorProfile, PlatformConnection
from crm.fans.models import (
    FanCustomRequest,
    FanIdentityLink,
    FanMessage,
    FanNote,
    FanPlatformAccount,
    FanProfile,
    FanScore,
    FanSubscription,
    FanSubscriptionEvent,
    FanTagValue,
    FanTransaction,
)
from crm.messaging.models import MessageBroadcast, MessageBroadcastDelivery, MessageTemplate
from crm.runtime.models import AgentRun, ChatThread, DraftFeedback, WebhookEvent
from crm.segments.models import FanSegment, FanSegmentMember

__all__ = [
    "Agency",
    "AgentRun",
    "ApiToken",
    "AuditLog",
    "AutomationRule",
    "AutomationRuleAction",
    "AutomationRuleRun",
    "AutomationTimer",
    "Base",
    "ChatThread",
    "CreatorProfile",
    "DeliveryAttempt",
    "DraftFeedback",
    "FanCustomRequest",
    "FanIdentityLink",
    "FanMessage",
    "FanNote",
    "FanPlatformAccount",
    "FanProfile",
    "FanScore",
    "FanSegment",
    "FanSegmentMember",
    "FanSubscription",
    "FanSubscriptionEvent",
    "FanTagValue",
    "FanTransaction",
    "HitlAction",
    "LoginLockout",
    "MessageBroadcast",
    "MessageBroadcastDelivery",
    "MessageTemplate",
    "PlatformConnection",
    "StaffCreatorAccess",
    "StaffUser",
    "WebhookEvent",
]
