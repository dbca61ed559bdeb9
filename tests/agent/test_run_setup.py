"""How a reply run starts: the recall query's embedding starts in the runner's first transaction, a
fresh thread's checkpoint is not read, and a run paused by the earlier graph (guardrails as a node of
its own) still resumes after the upgrade."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from langgraph.graph import START, StateGraph
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import agent.nodes.load_context as load_context_node
import agent.runner as runner
from agent.checkpointer import NewThreadSaver, open_checkpointer
from agent.context import AgentContext, Knobs, RunIds
from agent.decisions import decide
from agent.nodes.draft import draft
from agent.nodes.execute import execute
from agent.nodes.gate import gate
from agent.nodes.learn import learn
from agent.nodes.load_context import load_context
from agent.nodes.propose import propose
from agent.runner import start_reply_run
from agent.state import ReplyState
from bench.statements import counting
from core.db import tenant_session
from core.errors import NotFound, ValidationFailed
from core.tenancy import SYSTEM
from crm.enums import MemoryKind
from crm.runtime import service as runtime_service
from tests.agent.support import ScriptedChatModel, draft_args, fan_says, outbound, platform_fan, run_kwargs
from tests.factories import make_tenant


async def test_the_query_embedding_starts_before_the_run_is_recorded(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id)
    await fan_says(engine, tenant.creator_id, fan_id, "first")
    message_id = await fan_says(engine, tenant.creator_id, fan_id, "do you like hiking?")
    events: list[str] = []
    embedded: list[str] = []
    real_embed, real_create = load_context_node._embed, runtime_service.new_run_statement

    async def embed(text: str) -> list[float]:
        events.append("embedding started")
        embedded.append(text)
        return await real_embed(text)

    def create_run(*args: Any, **kwargs: Any) -> Any:
        events.append("run recorded")
        return real_create(*args, **kwargs)

    monkeypatch.setattr(load_context_node, "_embed", embed)
    monkeypatch.setattr(runtime_service, "new_run_statement", create_run)
    model = ScriptedChatModel(script=[draft_args("Love it!")])  # type: ignore[arg-type]
    result = await start_reply_run(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        fan_id=fan_id,
        inbound_message_id=message_id,
        **run_kwargs(engine, model=model),
    )
    assert result.item_status == "pending"
    assert events[:2] == ["embedding started", "run recorded"]
    # Embedded once per run: the query is every message since our last reply.
    assert embedded == ["first do you like hiking?"]
    assert result.context is not None and result.context["unanswered"] == ["first", "do you like hiking?"]


async def test_a_run_refused_at_its_start_stops_its_embedding(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await make_tenant(engine, creators=2)
    fan_id = await platform_fan(engine, tenant.creator_ids[0])
    await fan_says(engine, tenant.creator_ids[0], fan_id, "hello?")
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def slow_embed(text: str) -> list[float]:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return []

    monkeypatch.setattr(load_context_node, "_embed", slow_embed)
    # The fan is the other creator's: refused after the messages were read and the embedding began.
    with pytest.raises(ValidationFailed):
        await start_reply_run(
            principal=tenant.principal(),
            creator_id=tenant.creator_ids[1],
            fan_id=fan_id,
            **run_kwargs(engine),
        )
    await asyncio.wait_for(cancelled.wait(), timeout=5)
    assert started.is_set()


async def test_a_fresh_thread_is_not_read_but_any_other_is(engine: AsyncEngine) -> None:
    async with open_checkpointer(engine, new_thread="reply:fresh") as saver:
        assert isinstance(saver, NewThreadSaver)
        # Another thread is read from the database (and has nothing).
        assert (
            await saver.aget_tuple({"configurable": {"thread_id": "reply:other", "checkpoint_ns": ""}})
            is None
        )
        checkpoint: Any = {
            "v": 1,
            "id": str(uuid.uuid4()),
            "ts": "2026-01-01T00:00:00+00:00",
            "channel_values": {},
            "channel_versions": {},
            "versions_seen": {},
        }
        config: Any = {"configurable": {"thread_id": "reply:fresh", "checkpoint_ns": ""}}
        assert await saver.aget_tuple(config) is None
        await saver.aput(config, checkpoint, {"source": "input", "step": -1}, {})
        # Once written, the thread is read like any other.
        found = await saver.aget_tuple(config)
        assert found is not None and found.checkpoint["id"] == checkpoint["id"]


def _previous_reply_graph(checkpointer: Any) -> Any:
    """The reply graph as it was before the guardrails moved into `propose`: a node of their own."""

    async def guardrails(state: ReplyState) -> dict[str, Any]:
        return {}

    graph = StateGraph(ReplyState, context_schema=AgentContext)
    for name, node in (
        ("load_context", load_context),
        ("draft", draft),
        ("guardrails", guardrails),
        ("propose", propose),
        ("gate", gate),
        ("execute", execute),
        ("learn", learn),
    ):
        graph.add_node(name, node)
    graph.add_edge(START, "load_context")
    graph.add_edge("load_context", "draft")
    graph.add_edge("draft", "guardrails")
    graph.add_edge("guardrails", "propose")
    graph.add_edge("propose", "gate")
    return graph.compile(checkpointer=checkpointer, name="reply")


async def test_a_run_paused_by_the_previous_graph_resumes_and_sends_once(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id)
    message_id = await fan_says(engine, tenant.creator_id, fan_id, "are you online?")
    model = ScriptedChatModel(script=[draft_args("I am now 😘")])  # type: ignore[arg-type]
    with monkeypatch.context() as patch:
        patch.setattr(runner, "reply_graph", _previous_reply_graph)
        result = await start_reply_run(
            principal=tenant.principal(),
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            inbound_message_id=message_id,
            **run_kwargs(engine, model=model),
        )
    assert result.status == "interrupted" and result.item_id is not None
    done = await decide(
        principal=tenant.principal(), item_id=result.item_id, decision="approve", **run_kwargs(engine)
    )
    assert done.status == "executed" and done.run is not None and done.run.status == "completed"
    assert [m.text for m in await outbound(engine, fan_id)] == ["I am now 😘"]


async def test_the_runners_preloaded_reads_give_the_context_load_context_reads_itself(
    engine: AsyncEngine,
) -> None:
    """A fresh run's runner reads the profile and voice examples in its own transaction; load_context
    is then left with the recall alone (one round trip) and builds the same context."""
    from langgraph.runtime import Runtime

    from memory import service as memory_service

    tenant = await make_tenant(engine)
    p = tenant.principal()
    fan_id = await platform_fan(engine, tenant.creator_id, name="Sam")
    other = await platform_fan(engine, tenant.creator_id, name="Ola")
    await fan_says(engine, tenant.creator_id, other, "do you ever go to the beach?")
    await start_reply_run(principal=p, creator_id=tenant.creator_id, fan_id=other, **run_kwargs(engine))
    async with tenant_session(p, engine=engine) as s:
        await memory_service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Loves cosplay, especially anime characters",
            kind=MemoryKind.preference,
            importance=0.9,
        )
    await fan_says(engine, tenant.creator_id, fan_id, "what cosplay are you doing next?")
    knobs = Knobs.make(**run_kwargs(engine))
    ids = RunIds(uuid.uuid4(), tenant.creator_id, fan_id, "reply:preload-test")
    state: Any = {"run_kind": "reply", "kind": "reply", "facts": {}}

    async with tenant_session(p, engine=engine) as s:
        head = await load_context_node.head_start(s, p, fan_id=fan_id)
        await load_context_node.preload(s, p, head, creator_id=tenant.creator_id, fan_id=fan_id)
    preloaded = runner._context(p, ids, knobs, runner._NO_POLICY, head_start=head)
    with counting(trace=True) as count:
        fast = (await load_context(state, Runtime(context=preloaded)))["context"]
    assert count.round_trips == 1, count.trace  # the recall, pipelined with its transaction

    by_itself = runner._context(p, ids, knobs, runner._NO_POLICY)
    slow = (await load_context(state, Runtime(context=by_itself)))["context"]
    fast.pop("loaded_at"), slow.pop("loaded_at")
    assert fast == slow
    assert [m["text"] for m in fast["memories"]] == ["Loves cosplay, especially anime characters"]
    assert fast["fan"]["display_name"] == "Sam"


async def test_a_run_for_an_unknown_creator_or_another_tenants_fan_is_refused(engine: AsyncEngine) -> None:
    mine = await make_tenant(engine)
    theirs = await make_tenant(engine)
    their_fan = await platform_fan(engine, theirs.creator_id)
    my_fan = await platform_fan(engine, mine.creator_id)
    with pytest.raises(NotFound, match="fan not found"):
        # Row-level security hides the other tenant's fan: not found, not "another creator's".
        await start_reply_run(
            principal=mine.principal(), creator_id=mine.creator_id, fan_id=their_fan, **run_kwargs(engine)
        )
    with pytest.raises(NotFound, match="creator"):
        await start_reply_run(
            principal=mine.principal(), creator_id=theirs.creator_id, fan_id=my_fan, **run_kwargs(engine)
        )
    with pytest.raises(NotFound, match="creator"):
        await start_reply_run(
            principal=mine.principal(), creator_id=uuid.uuid4(), fan_id=my_fan, **run_kwargs(engine)
        )
    async with tenant_session(SYSTEM, engine=engine) as s:
        runs = (
            await s.execute(
                text("SELECT count(*) FROM agent_runs WHERE creator_id IN (:a, :b)"),
                {"a": mine.creator_id, "b": theirs.creator_id},
            )
        ).scalar_one()
    assert runs == 0  # nothing recorded


async def _counts(engine: AsyncEngine, fan_id: uuid.UUID) -> tuple[int, list[str]]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        runs = (
            await s.execute(text("SELECT count(*) FROM agent_runs WHERE fan_id = :f"), {"f": fan_id})
        ).scalar()
        items = (
            await s.execute(
                text("SELECT status FROM hitl_action_queue WHERE fan_id = :f ORDER BY created_at"),
                {"f": fan_id},
            )
        ).scalars()
        return int(runs or 0), list(items)


async def test_a_run_start_refused_stores_nothing_and_supersedes_nothing(engine: AsyncEngine) -> None:
    # The run's set-up is sent as one pipeline, writes included: a refused start must roll all of
    # it back (the fan's pending draft stays pending, no run row is left).
    tenant = await make_tenant(engine, creators=2)
    fan_id = await platform_fan(engine, tenant.creator_ids[0])
    message_id = await fan_says(engine, tenant.creator_ids[0], fan_id, "hey you")
    model = ScriptedChatModel(script=[draft_args("hey yourself 😘")])  # type: ignore[arg-type]
    first = await start_reply_run(
        principal=tenant.principal(),
        creator_id=tenant.creator_ids[0],
        fan_id=fan_id,
        inbound_message_id=message_id,
        **run_kwargs(engine, model=model),
    )
    assert first.item_status == "pending"
    before = await _counts(engine, fan_id)
    assert before == (1, ["pending"])
    other = await make_tenant(engine)
    refusals: list[tuple[Any, dict[str, Any]]] = [
        # The fan is the other creator's (both visible to this principal).
        (ValidationFailed, {"principal": tenant.principal(), "creator_id": tenant.creator_ids[1]}),
        # Only the second creator visible: the fan is invisible.
        (
            NotFound,
            {"principal": tenant.principal(tenant.creator_ids[1]), "creator_id": tenant.creator_ids[1]},
        ),
        # Another agency, naming this creator and fan: neither is visible.
        (NotFound, {"principal": other.principal(), "creator_id": tenant.creator_ids[0]}),
        # Its own creator, this fan: the fan is invisible.
        (NotFound, {"principal": other.principal(), "creator_id": other.creator_id}),
    ]
    for error, kwargs in refusals:
        with pytest.raises(error):
            await start_reply_run(fan_id=fan_id, inbound_message_id=None, **kwargs, **run_kwargs(engine))
        assert await _counts(engine, fan_id) == before, kwargs
    with pytest.raises(NotFound):  # no such fan at all
        await start_reply_run(
            principal=tenant.principal(),
            creator_id=tenant.creator_ids[0],
            fan_id=uuid.uuid4(),
            **run_kwargs(engine),
        )
    assert await _counts(engine, fan_id) == before


async def test_a_new_run_supersedes_the_pending_draft_its_run_and_audits_it(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id)
    results = []
    for text_ in ("first message", "second message"):
        message_id = await fan_says(engine, tenant.creator_id, fan_id, text_)
        model = ScriptedChatModel(script=[draft_args(f"re: {text_}")])  # type: ignore[arg-type]
        results.append(
            await start_reply_run(
                principal=tenant.principal(),
                creator_id=tenant.creator_id,
                fan_id=fan_id,
                inbound_message_id=message_id,
                **run_kwargs(engine, model=model),
            )
        )
    first, second = results
    assert await _counts(engine, fan_id) == (2, ["superseded", "pending"])
    async with tenant_session(SYSTEM, engine=engine) as s:
        run_status = (
            await s.execute(
                text("SELECT status, finished_at IS NOT NULL FROM agent_runs WHERE id = :r"),
                {"r": first.run_id},
            )
        ).one()
        audited = (
            await s.execute(
                text(
                    "SELECT count(*) FROM audit_log WHERE target_id = :i AND action = 'approval.superseded'"
                ),
                {"i": str(first.item_id)},
            )
        ).scalar()
        linked = (
            await s.execute(
                text("SELECT superseded_by FROM hitl_action_queue WHERE id = :i"), {"i": first.item_id}
            )
        ).scalar()
    assert tuple(run_status) == ("superseded", True)
    assert audited == 1
    assert linked == second.item_id
