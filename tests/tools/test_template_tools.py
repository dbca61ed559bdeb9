"""The template tools: list a creator's templates (read), propose one filled for a fan (gated: queued,
nothing sent); refused for another tenant's fan or template, and for bad input; the assistant lists them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from agent import assistant
from core.errors import NotFound, ValidationFailed
from crm.enums import ActionType, ApprovalOrigin, ApprovalStatus, MessageDirection
from tests.agent.support import outbound
from tests.automation import support
from tests.factories import make_tenant
from tools import REGISTRY, RiskLevel, ToolContext
from tools.assistant import assistant_tools


async def _shop(engine: AsyncEngine) -> tuple[object, ToolContext]:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    await support.template(engine, cid, "Welcome", "Hey {fan_name}! 🥰", category="welcome")
    await support.template(
        engine, cid, "Teaser", "A peek for you {fan_name}, {price}", category="ppv", price="20"
    )
    ctx = ToolContext(
        principal=tenant.principal(), creator_id=cid, engine=engine, origin=ApprovalOrigin.assistant_thread
    )
    return tenant, ctx


def test_the_tools_are_registered_with_their_risk() -> None:
    assert REGISTRY["list_templates"].risk is RiskLevel.read
    assert REGISTRY["send_template"].risk is RiskLevel.gated
    assert {"list_templates", "send_template"} <= set(assistant_tools())


async def test_list_and_propose_a_template(engine: AsyncEngine) -> None:
    tenant, ctx = await _shop(engine)
    listed = await REGISTRY["list_templates"].run(ctx, {})
    assert [(t["name"], t["slots"], t["price"]) for t in listed["templates"]] == [
        ("Teaser", ["fan_name", "price"], "20.00"), ("Welcome", ["fan_name"], None),
    ]  # fmt: skip
    assert [
        t["name"] for t in (await REGISTRY["list_templates"].run(ctx, {"category": "welcome"}))["templates"]
    ] == ["Welcome"]
    fan = await support.fan(engine, tenant.creator_id, "Sam")  # type: ignore[attr-defined]
    queued = await REGISTRY["send_template"].run(ctx, {"fan_id": str(fan), "template": "teaser"})
    (item,) = await support.items(engine, fan)
    assert queued["queued_item_id"] == str(item.id) and "Nothing was sent" in queued["note"]
    assert (item.action_type, item.status, item.origin) == (
        ActionType.send_ppv,
        ApprovalStatus.pending,
        ApprovalOrigin.assistant_thread,
    )
    assert (
        item.proposed_args["text"] == "A peek for you Sam, $20.00" and item.proposed_args["price"] == "20.00"
    )
    assert item.context["template"]["name"] == "Teaser"
    assert [m for m in await outbound(engine, fan) if m.direction == MessageDirection.outbound] == []


async def test_refused_for_another_tenant_and_for_bad_input(engine: AsyncEngine) -> None:
    tenant, ctx = await _shop(engine)
    other = await make_tenant(engine)
    await support.template(engine, other.creator_id, "Secret", "theirs")
    their_fan = await support.fan(engine, other.creator_id, "Theirs")
    own_fan = await support.fan(engine, tenant.creator_id, "Own")  # type: ignore[attr-defined]
    assert [t["name"] for t in (await REGISTRY["list_templates"].run(ctx, {}))["templates"]] == [
        "Teaser",
        "Welcome",
    ]
    with pytest.raises(NotFound):
        await REGISTRY["send_template"].run(ctx, {"fan_id": str(their_fan), "template": "Welcome"})
    with pytest.raises(NotFound):
        await REGISTRY["send_template"].run(ctx, {"fan_id": str(own_fan), "template": "Secret"})
    await support.template(engine, tenant.creator_id, "Needs city", "How is {fan_city}?")  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailed, match=r"no value for \{fan_city\}"):
        await REGISTRY["send_template"].run(ctx, {"fan_id": str(own_fan), "template": "Needs city"})
    for bad in ({"fan_id": "nope", "template": "Welcome"}, {"fan_id": str(own_fan), "template": ""},
                {"fan_id": str(own_fan), "template": "Welcome", "price": "-5"},
                {"fan_id": str(own_fan), "template": "Welcome", "extra": 1}):  # fmt: skip
        with pytest.raises(ValidationError):
            await REGISTRY["send_template"].run(ctx, bad)
    assert await support.items(engine, own_fan) == [] and await support.items(engine, their_fan) == []


async def test_the_assistant_lists_the_templates(engine: AsyncEngine) -> None:
    tenant, _ = await _shop(engine)
    principal = tenant.principal()  # type: ignore[attr-defined]
    cid = tenant.creator_id  # type: ignore[attr-defined]
    thread = await assistant.create_thread(principal=principal, creator_id=cid, engine=engine)
    turn = await assistant.run_assistant_turn(
        principal=principal,
        creator_id=cid,
        thread_id=thread.thread_id,
        message="which templates do I have?",
        engine=engine,
    )
    # The offline model routes the question to the tool (a provider model reads its JSON result; the
    # offline model's summary of it is generic, "list_templates: done").
    assert [c["tool"] for c in turn.tool_calls] == ["list_templates"]
