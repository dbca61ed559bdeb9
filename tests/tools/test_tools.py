"""Typed tools: risk levels, injected tenant, gated tools only queue."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import Forbidden, NotFound
from crm.enums import ActionType
from tests.agent.support import outbound, platform_fan
from tests.factories import make_tenant
from tools import GATED_TOOLS, READ_TOOLS, REGISTRY, WRITE_TOOLS, RiskLevel, ToolContext


def test_every_tool_has_a_risk_level_typed_args_and_a_contract() -> None:
    assert {t.name for t in READ_TOOLS} >= {
        "get_fan_dossier",
        "get_recent_messages",
        "get_transactions",
        "recall_memories",
        "list_segments",
        "search_fans",
    }
    assert {t.name for t in WRITE_TOOLS} == {"add_note", "tag_fan", "remember_fact"}
    assert {t.action_type for t in GATED_TOOLS} == set(ActionType)
    for t in REGISTRY.values():
        assert len(t.description) > 20, t.name
        schema = t.args_schema.model_json_schema()
        # The tenant and the session are injected, never model-visible.
        assert not {"creator_id", "principal", "session", "agency_id"} & set(schema.get("properties", {})), (
            t.name
        )
        assert t.risk in RiskLevel


async def test_read_and_write_tools_run_with_the_injected_tenant(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id, name="Dana")
    ctx = ToolContext(principal=tenant.principal(), creator_id=tenant.creator_id, engine=engine)
    note = await REGISTRY["add_note"].run(ctx, {"fan_id": str(fan_id), "body": "prefers evening chats"})
    await REGISTRY["tag_fan"].run(ctx, {"fan_id": str(fan_id), "tag": "night-owl"})
    dossier = await REGISTRY["get_fan_dossier"].run(ctx, {"fan_id": str(fan_id)})
    assert dossier["display_name"] == "Dana" and [t["tag"] for t in dossier["tags"]] == ["night-owl"]
    assert note["id"] in json.dumps(dossier)
    found = await REGISTRY["search_fans"].run(ctx, {"query": "dan"})
    assert [f["name"] for f in found] == ["Dana"]
    lc = REGISTRY["get_fan_dossier"].as_langchain(ctx)
    assert "Dana" in await lc.ainvoke({"fan_id": str(fan_id)})


async def test_another_tenants_fan_is_invisible(engine: AsyncEngine) -> None:
    mine, theirs = await make_tenant(engine), await make_tenant(engine)
    their_fan = await platform_fan(engine, theirs.creator_id)
    ctx = ToolContext(principal=mine.principal(), creator_id=mine.creator_id, engine=engine)
    with pytest.raises(NotFound):
        await REGISTRY["get_fan_dossier"].run(ctx, {"fan_id": str(their_fan)})
    answer = (
        await REGISTRY["send_message"].as_langchain(ctx).ainvoke({"fan_id": str(their_fan), "text": "hi"})
    )
    assert "error" in json.loads(answer)


async def test_gated_tools_only_queue_and_are_screened(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id)
    ctx = ToolContext(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        engine=engine,
        thread_id=f"t-{uuid.uuid4()}",
    )
    queued = await REGISTRY["send_message"].run(ctx, {"fan_id": str(fan_id), "text": "hey you"})
    assert queued["status"] == "pending" and "Nothing was sent" in queued["note"]
    again = await REGISTRY["send_message"].run(ctx, {"fan_id": str(fan_id), "text": "hey you"})
    assert again["queued_item_id"] == queued["queued_item_id"]  # idempotent per run + args
    cheap = await REGISTRY["send_ppv_offer"].run(
        ctx, {"fan_id": str(fan_id), "text": "new set", "price": "1"}
    )
    assert [f["code"] for f in cheap["flags"]] == ["price_out_of_bounds"]
    assert await outbound(engine, fan_id) == []
    read_only = ToolContext(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        engine=engine,
        allowed=frozenset({RiskLevel.read}),
    )
    with pytest.raises(Forbidden):
        await REGISTRY["send_message"].run(read_only, {"fan_id": str(fan_id), "text": "hi"})
