"""Wiring of the assistant graph: model ⇄ tools loop, then the approval gate."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.context import AssistantContext
from agent.nodes.assistant_act import assistant_act
from agent.nodes.assistant_agent import assistant_agent
from agent.nodes.assistant_gate import assistant_gate
from agent.state import MAX_TOOL_ROUNDS, AssistantState


def _after_agent(state: AssistantState) -> Literal["act", "gate"]:
    last = state["messages"][-1]
    wants_tools = isinstance(last, AIMessage) and bool(last.tool_calls)
    return "act" if wants_tools and int(state.get("rounds") or 0) < MAX_TOOL_ROUNDS else "gate"


def build_assistant_graph(checkpointer: Any = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    graph = StateGraph(AssistantState, context_schema=AssistantContext)
    graph.add_node("agent", assistant_agent)
    graph.add_node("act", assistant_act)
    graph.add_node("gate", assistant_gate)
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", _after_agent, {"act": "act", "gate": "gate"})
    graph.add_edge("act", "agent")
    graph.add_edge("gate", END)
    return graph.compile(checkpointer=checkpointer)
