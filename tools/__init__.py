"""Typed agent tools over the CRM and memory services, each with a risk level (read|write|gated)."""

from tools import gated, read, write
from tools.base import REGISTRY, RiskLevel, Tool, ToolContext, tools_by_risk

READ_TOOLS = tools_by_risk(RiskLevel.read)
WRITE_TOOLS = tools_by_risk(RiskLevel.write)
GATED_TOOLS = tools_by_risk(RiskLevel.gated)

__all__ = [
    "GATED_TOOLS",
    "READ_TOOLS",
    "REGISTRY",
    "WRITE_TOOLS",
    "RiskLevel",
    "Tool",
    "ToolContext",
    "gated",
    "read",
    "tools_by_risk",
    "write",
]
