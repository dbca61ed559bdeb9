"""learn: after a rejection with a reason, one redraft that uses it.

Draft feedback is not written here: the decision service records a rejection with the decision, and
the executor records approved and edited drafts with the send, whichever way the item is delivered
(in this run, by a retry, or by the sweep).
"""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from agent.context import AgentContext
from agent.state import ReplyState
from crm.enums import ApprovalStatus

MAX_REDRAFTS = 1


async def learn(state: ReplyState, runtime: Runtime[AgentContext]) -> Command[Literal["draft", "__end__"]]:
    if state.get("decision") == ApprovalStatus.rejected:
        attempt = int(state.get("attempt", 0))
        if attempt >= MAX_REDRAFTS:
            return Command(goto="__end__")
        return Command(goto="draft", update={"attempt": attempt + 1, "flags": []})
    return Command(goto="__end__")
