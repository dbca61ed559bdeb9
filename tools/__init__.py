"""Typed agent tools over the CRM and memory services, each with a risk level (read|write|gated)."""

from tools import automation, gated, read, write
from tools.base import (
    REGISTRY,
    OtherFanRefused,
    RiskLevel,
    Tool,
    ToolContext,
    fan_scoped_tools,
    tools_by_risk,
)

READ_TOOLS = tools_by_risk(RiskLevel.read)
# What a reply run may call: reads about the conversation's own fan, nothing across fans.
FAN_READ_TOOLS = fan_scoped_tools(RiskLevel.read)
WRITE_TOOLS = tools_by_risk(RiskLevel.write)
GATED_TOOLS = tools_by_risk(RiskLevel.gated)

__all__ = [
    "FAN_READ_TOOLS",
    "GATED_TOOLS",
    "READ_TOOLS",
    "REGISTRY",
    "WRITE_TOOLS",
    "OtherFanRefused",
    "RiskLevel",
    "Tool",
    "ToolContext",
    "automation",
    "fan_scoped_tools",
    "gated",
    "read",
    "tools_by_risk",
    "write",
]
