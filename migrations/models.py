"""The whole schema Alembic and the schema tests compare against: every CRM table plus memory's.

It sits above `crm/` and `memory/` (memory's tables reference the CRM's, never the other way), so
neither package has to import the other to know the full metadata.
"""

from crm.base import Base
from crm.models import *  # noqa: F403 - every CRM model registered on Base.metadata
from memory.models import FanMemory, FanMemoryAccess

__all__ = ["APPEND_ONLY_TABLES", "CREATOR_SCOPED_TABLES", "Base", "FanMemory", "FanMemoryAccess"]

# Tables whose rows belong to one creator: RLS filters them on this column.
CREATOR_SCOPED_TABLES: dict[str, str] = {
    t.name: ("id" if t.name == "creator_profiles" else "creator_id")
    for t in Base.metadata.sorted_tables
    if t.name
    not in {"agencies", "staff_users", "staff_creator_access", "api_tokens", "audit_log", "login_lockouts"}
}
APPEND_ONLY_TABLES = (
    "fan_subscription_events",
    "automation_rule_runs",
    "automation_rule_actions",
    "audit_log",
)
