"""The reply graph: load_context → draft → propose (guardrails, queue) → gate → execute, or, after a
rejection, gate → learn → draft (once)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.context import AgentContext
from agent.nodes.draft import draft
from agent.nodes.execute import execute
from agent.nodes.gate import gate
from agent.nodes.learn import learn
from agent.nodes.load_context import load_context
from agent.nodes.propose import propose
from agent.state import ReplyState


def build_reply_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
) -> CompiledStateGraph[ReplyState, AgentContext, ReplyState, ReplyState]:
    """Compile the reply graph (milliseconds of work: runs use `reply_graph`, compiled once)."""
    graph = StateGraph(ReplyState, context_schema=AgentContext)
    graph.add_node("load_context", load_context)
    graph.add_node("draft", draft)
    graph.add_node("propose", propose)
    graph.add_node("gate", gate)
    graph.add_node("execute", execute)
    graph.add_node("learn", learn)
    graph.add_edge(START, "load_context")
    graph.add_edge("load_context", "draft")
    graph.add_edge("draft", "propose")
    graph.add_edge("propose", "gate")
    graph.add_edge("execute", END)
    return graph.compile(checkpointer=checkpointer, name="reply")


ReplyGraph = CompiledStateGraph[ReplyState, AgentContext, ReplyState, ReplyState]


@lru_cache(maxsize=1)
def _compiled_reply_graph() -> ReplyGraph:
    return build_reply_graph(None)


def reply_graph(checkpointer: BaseCheckpointSaver[Any]) -> ReplyGraph:
    """The reply graph, compiled once per process, bound to one run's checkpointer (a cheap copy)."""
    return _compiled_reply_graph().copy(update={"checkpointer": checkpointer})
