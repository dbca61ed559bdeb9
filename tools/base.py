"""The tool framework: typed arguments, a docstring that is the model-facing contract, a risk level.

The session and the tenant (principal, creator) are injected from a `ToolContext`; they are never
arguments the model sees or can set.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.db import tenant_session
from core.errors import AppError, Forbidden
from core.tenancy import Principal
from crm.enums import ActionType, ApprovalOrigin


class OtherFanRefused(Forbidden):
    """A fan-scoped run (a reply to one fan) asked a tool about another fan, or for a tool that reads
    across the creator's fans. Row-level security would allow it (same creator); the run's scope does
    not: a reply to one fan must never see another fan's data."""


class RiskLevel(StrEnum):
    read = "read"  # runs freely
    write = "write"  # CRM bookkeeping (notes, tags, memories): runs and is audited
    gated = "gated"  # only through the approval queue


@dataclass
class ToolContext:
    """Who the tools act for. Built by the graph or API; invisible to the model."""

    principal: Principal
    creator_id: uuid.UUID
    engine: AsyncEngine | None = None
    session: AsyncSession | None = None  # when set, the caller owns the transaction
    thread_id: str | None = None
    run_id: uuid.UUID | None = None
    # Set for a reply run: the one fan this context may touch. Tools refuse any other fan id, and
    # tools that read across fans, even though RLS (creator-wide) would let them through.
    fan_id: uuid.UUID | None = None
    allowed: frozenset[RiskLevel] = frozenset({RiskLevel.read, RiskLevel.write, RiskLevel.gated})
    origin: ApprovalOrigin = ApprovalOrigin.direct  # what a gated tool's queue item says queued it
    calls: list[dict[str, Any]] = field(default_factory=list)

    @asynccontextmanager
    async def open(self) -> AsyncIterator[AsyncSession]:
        if self.session is not None:
            yield self.session
            return
        async with tenant_session(self.principal, engine=self.engine) as session:
            yield session


A = TypeVar("A", bound=BaseModel)
ToolFn = Callable[[AsyncSession, ToolContext, A], Awaitable[Any]]


@dataclass(frozen=True)
class Tool(Generic[A]):
    name: str
    description: str
    args_schema: type[A]
    risk: RiskLevel
    fn: ToolFn[A]
    action_type: ActionType | None = None

    @property
    def fan_scoped(self) -> bool:
        """Acts on one fan named by its `fan_id` argument (the only tools a reply run may use)."""
        return "fan_id" in self.args_schema.model_fields

    def _check_scope(self, ctx: ToolContext, parsed: BaseModel) -> None:
        if ctx.fan_id is None:
            return
        if not self.fan_scoped:
            raise OtherFanRefused(
                f"{self.name} reads across the creator's fans; this conversation is with one fan only"
            )
        if getattr(parsed, "fan_id", None) != ctx.fan_id:
            raise OtherFanRefused(
                f"{self.name} may only be used for this conversation's fan ({ctx.fan_id}), "
                f"not {getattr(parsed, 'fan_id', None)}"
            )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Any:
        """Validate the model's arguments and run with the injected session and tenant."""
        if self.risk not in ctx.allowed:
            raise Forbidden(f"tool {self.name} ({self.risk}) is not allowed here")
        parsed = self.args_schema.model_validate(args)
        self._check_scope(ctx, parsed)
        async with ctx.open() as session:
            result = await self.fn(session, ctx, parsed)
        ctx.calls.append({"tool": self.name, "risk": str(self.risk), "args": parsed.model_dump(mode="json")})
        return result

    def as_langchain(self, ctx: ToolContext) -> StructuredTool:
        async def _call(**kwargs: Any) -> str:
            try:
                result = await self.run(ctx, kwargs)
            except (AppError, ValidationError) as exc:
                return json.dumps({"error": str(exc), "error_type": type(exc).__name__})
            return json.dumps(result, default=str)

        return StructuredTool.from_function(
            coroutine=_call, name=self.name, description=self.description, args_schema=self.args_schema
        )


REGISTRY: dict[str, Tool[Any]] = {}


def tool(
    *, risk: RiskLevel, args: type[A], action_type: ActionType | None = None
) -> Callable[[ToolFn[A]], Tool[A]]:
    """Register an async function as a tool; its docstring is what the model reads."""

    def wrap(fn: ToolFn[A]) -> Tool[A]:
        doc = " ".join((fn.__doc__ or "").split())
        t = Tool(
            name=fn.__name__, description=doc, args_schema=args, risk=risk, fn=fn, action_type=action_type
        )
        REGISTRY[t.name] = t
        return t

    return wrap


def tools_by_risk(*levels: RiskLevel) -> list[Tool[Any]]:
    return [t for t in REGISTRY.values() if t.risk in levels]


def fan_scoped_tools(*levels: RiskLevel) -> list[Tool[Any]]:
    """The registry's tools of these risk levels that act on one named fan: a reply run's tool set."""
    return [t for t in tools_by_risk(*levels) if t.fan_scoped]
