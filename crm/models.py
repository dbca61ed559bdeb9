"""Imports every ORM module so `Base.metadata` knows the whole schema (Alembic, tests)."""

from crm.accounts.models import Agency, ApiToken, AuditLog, StaffCreatorAccess, StaffUser
from crm.approvals.models import HitlAction
from crm.automation.models import AutomationRule, AutomationRuleAction, AutomationRuleRun
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
from memory.models import FanMemory

__all__ = [
    "Agency",
    "AgentRun",
    "ApiToken",
    "AuditLog",
    "AutomationRule",
    "AutomationRuleAction",
    "AutomationRuleRun",
    "Base",
    "ChatThread",
    "CreatorProfile",
    "DraftFeedback",
    "FanCustomRequest",
    "FanIdentityLink",
    "FanMemory",
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
    "MessageBroadcast",
    "MessageBroadcastDelivery",
    "MessageTemplate",
    "PlatformConnection",
    "StaffCreatorAccess",
    "StaffUser",
    "WebhookEvent",
]

# Tables whose rows belong to one creator: RLS filters them on this column.
CREATOR_SCOPED_TABLES: dict[str, str] = {
    t.name: ("id" if t.name == "creator_profiles" else "creator_id")
    for t in Base.metadata.sorted_tables
    if t.name not in {"agencies", "staff_users", "staff_creator_access", "api_tokens", "audit_log"}
}
APPEND_ONLY_TABLES = (
    "fan_subscription_events",
    "automation_rule_runs",
    "automation_rule_actions",
    "audit_log",
)
