"""learn: one redraft after a rejection with a reason; memory extraction after a send.

Draft feedback is not written here: the executor records approved/edited drafts with the send, and
the decision service records a rejection with the decision, so both hold whichever way the item
was delivered (in this run, by a retry, or by the sweeper).
"""

from __future__ import annotations

import uuid
from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from agent.context import AgentContext
from agent.learn import after_execution
from agent.state import ReplyState
from crm.enums import ApprovalStatus

MAX_REDRAFTS = 1


async def learn(state: ReplyState, runtime: Runtime[AgentContext]) -> Command[Literal["draft", "__end__"]]:
    ctx = runtime.context
    if state.get("decision") == ApprovalStatus.rejected:
        attempt = int(state.get("attempt", 0))
        if attempt >= MAX_REDRAFTS:
            return Command(goto="__end__")
        return Command(goto="draft", update={"attempt": attempt + 1, "flags": []})
    if state.get("decision") == ApprovalStatus.executed and state.get("item_id"):
        await after_execution(
            principal=ctx.principal,
            engine=ctx.engine,
            creator_id=ctx.ids.creator_id,
            fan_id=ctx.ids.fan_id,
            item_id=uuid.UUID(str(state["item_id"])),
            mode=ctx.extraction,
            model=ctx.extraction_model,
        )
    return Command(goto="__end__")
