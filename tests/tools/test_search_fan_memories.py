"""search_fan_memories: the assistant's "which fans mentioned hiking?" on the hybrid memory search,
scoped to the creator, invisible to the reply graph, strict about its arguments."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import Principal, StaffRole
from crm.enums import MemoryKind
from memory import service
from tests.factories import Tenant, make_fan, make_tenant
from tools import READ_TOOLS, REGISTRY, ToolContext
from tools.read import CREATOR_WIDE_READ_TOOLS, SEARCH_FAN_MEMORIES


async def _fan_with(engine: AsyncEngine, tenant: Tenant, name: str, *facts: str) -> uuid.UUID:
    fan_id = await make_fan(engine, tenant.creator_id, name=name)
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        for fact in facts:
            await service.remember(
                s, p, creator_id=tenant.creator_id, fan_id=fan_id, text=fact, kind=MemoryKind.preference
            )
    return fan_id


async def test_finds_the_fans_who_mentioned_it_best_first(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    hiker = await _fan_with(engine, tenant, "Hiker", "Goes hiking in the Alps every summer", "Has a cat")
    trekker = await _fan_with(engine, tenant, "Trekker", "Loves long mountain treks and trail walks")
    gamer = await _fan_with(engine, tenant, "Gamer", "Plays video games all night")
    ctx = ToolContext(principal=tenant.principal(), creator_id=tenant.creator_id, engine=engine)
    found = await SEARCH_FAN_MEMORIES.run(ctx, {"query": "which fans mentioned hiking?"})
    order = [uuid.UUID(f["id"]) for f in found]
    assert order[0] == hiker
    assert found[0]["name"] == "Hiker"
    assert found[0]["memories"][0]["text"] == "Goes hiking in the Alps every summer"
    # Meaning counts too: a trekker outranks a gamer though neither wrote "hiking".
    assert order.index(trekker) < order.index(gamer)
    assert ctx.calls == [
        {
            "tool": "search_fan_memories",
            "risk": "read",
            "args": {"query": "which fans mentioned hiking?", "limit": 10},
        }
    ]
    lc = SEARCH_FAN_MEMORIES.as_langchain(ctx)
    assert "Hiker" in await lc.ainvoke({"query": "hiking", "limit": 1})


async def test_only_the_creators_own_fans(engine: AsyncEngine) -> None:
    mine, theirs = await make_tenant(engine), await make_tenant(engine)
    own = await _fan_with(engine, mine, "Mine", "Goes hiking on weekends")
    await _fan_with(engine, theirs, "Theirs", "Goes hiking on weekends", "Hiking is life")
    ctx = ToolContext(principal=mine.principal(), creator_id=mine.creator_id, engine=engine)
    found = await SEARCH_FAN_MEMORIES.run(ctx, {"query": "hiking"})
    assert [uuid.UUID(f["id"]) for f in found] == [own]
    # Pointed at another creator, the principal's session still sees nothing of theirs (RLS).
    stray = ToolContext(principal=mine.principal(), creator_id=theirs.creator_id, engine=engine)
    assert await SEARCH_FAN_MEMORIES.run(stray, {"query": "hiking"}) == []


async def test_a_chatter_sees_only_the_creators_assigned_to_them(engine: AsyncEngine) -> None:
    agency = await make_tenant(engine, creators=2)
    first, second = agency.creator_ids
    fan_first = await make_fan(engine, first, name="First")
    fan_second = await make_fan(engine, second, name="Second")
    for creator, fan in ((first, fan_first), (second, fan_second)):
        p = agency.principal(creator)
        async with tenant_session(p, engine=engine) as s:
            await service.remember(
                s, p, creator_id=creator, fan_id=fan, text="Goes hiking a lot", kind=MemoryKind.preference
            )
    chatter = Principal(creator_ids=frozenset({first}), agency_id=agency.agency_id, role=StaffRole.chatter)
    assigned = ToolContext(principal=chatter, creator_id=first, engine=engine)
    assert [f["name"] for f in await SEARCH_FAN_MEMORIES.run(assigned, {"query": "hiking"})] == ["First"]
    unassigned = ToolContext(principal=chatter, creator_id=second, engine=engine)
    assert await SEARCH_FAN_MEMORIES.run(unassigned, {"query": "hiking"}) == []


def test_the_reply_graph_cannot_reach_it() -> None:
    assert "search_fan_memories" not in REGISTRY
    assert SEARCH_FAN_MEMORIES not in READ_TOOLS
    assert SEARCH_FAN_MEMORIES in CREATOR_WIDE_READ_TOOLS
    schema = SEARCH_FAN_MEMORIES.args_schema.model_json_schema()
    assert set(schema["properties"]) == {"query", "limit"}


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"query": ""},
        {"query": "   "},
        {"query": "x" * 201},
        {"query": "hiking", "limit": 0},
        {"query": "hiking", "limit": 51},
        {"query": "hiking", "limit": "many"},
        {"query": "hiking", "creator_id": str(uuid.uuid4())},
        {"query": ["hiking"]},
    ],
)
async def test_bad_arguments_are_refused_before_any_query(
    engine: AsyncEngine, args: dict[str, object]
) -> None:
    tenant = await make_tenant(engine)
    ctx = ToolContext(principal=tenant.principal(), creator_id=tenant.creator_id, engine=engine)
    with pytest.raises(ValidationError):
        await SEARCH_FAN_MEMORIES.run(ctx, args)
    assert ctx.calls == []
    answer = json.loads(await SEARCH_FAN_MEMORIES.as_langchain(ctx).coroutine(**args))  # type: ignore[misc]
    assert "error" in answer
    async with tenant_session(tenant.principal(), engine=engine) as s:
        assert (await s.execute(text("SELECT count(*) FROM fan_memories"))).scalar() == 0


@pytest.mark.parametrize(
    "request_text",
    [
        "which fans mentioned hiking?",
        "Who talked about dogs lately",
        "any fans into yoga?",
        "which of my fans love sushi",
    ],
)
def test_the_offline_assistant_routes_who_mentioned_questions_to_the_search(request_text: str) -> None:
    from agent.llm import offline_assistant

    assert offline_assistant.plan(request_text) == ["search_fan_memories"], request_text
    # A named fan is a question about that fan, not a search across fans.
    assert offline_assistant.plan("what did Tyler mention about hiking?", fan_names=["Tyler"]) != [
        "search_fan_memories"
    ]


async def test_the_assistant_answers_which_fans_mentioned_it(engine: AsyncEngine) -> None:
    from agent import assistant

    tenant = await make_tenant(engine)
    await _fan_with(engine, tenant, "Hiker", "Goes hiking in the Alps every summer")
    await _fan_with(engine, tenant, "Gamer", "Plays video games all night")
    principal = tenant.principal()
    thread = await assistant.create_thread(principal=principal, creator_id=tenant.creator_id, engine=engine)
    turn = await assistant.run_assistant_turn(
        principal=principal,
        creator_id=tenant.creator_id,
        thread_id=thread.thread_id,
        message="which fans mentioned hiking?",
        engine=engine,
    )
    assert [c["tool"] for c in turn.tool_calls] == ["search_fan_memories"]
    assert "Hiker" in turn.text and "Alps" in turn.text
