"""A reply run's tools are scoped to its fan: another fan of the same creator is refused, although
row-level security (creator-wide) would let the query through."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.runner import start_reply_run
from core.db import tenant_session
from crm.enums import MemoryKind, Platform, TransactionKind
from crm.fans import service as fan_service
from tests.agent.support import ScriptedChatModel, draft_args, fan_says, platform_fan, run_kwargs
from tests.factories import make_tenant
from tools import FAN_READ_TOOLS, REGISTRY, OtherFanRefused, RiskLevel, ToolContext

# Arguments for every fan-scoped tool of the registry, given the fan id it should act on.
FAN_ARGS: dict[str, dict[str, Any]] = {
    "get_fan_dossier": {},
    "get_recent_messages": {"limit": 5},
    "get_transactions": {"limit": 5},
    "recall_memories": {"query": "birthday"},
    "add_note": {"body": "note"},
    "tag_fan": {"tag": "vip"},
    "remember_fact": {"text": "Birthday is 12 May"},
    "send_message": {"text": "hi"},
    "send_ppv_offer": {"text": "new set", "price": "20"},
    "send_template": {"template": "Welcome"},
}


async def _two_fans(engine: AsyncEngine) -> tuple[Any, uuid.UUID, uuid.UUID]:
    tenant = await make_tenant(engine)
    a = await platform_fan(engine, tenant.creator_id, name="Alice")
    b = await platform_fan(engine, tenant.creator_id, name="Bruno")
    principal = tenant.principal()
    async with tenant_session(principal, engine=engine) as s:
        await fan_service.record_transaction(
            s, principal, creator_id=tenant.creator_id, fan_id=b, platform=Platform.onlyfans,
            kind=TransactionKind.tip, amount=Decimal("3879.99"), external_id=f"b-{uuid.uuid4()}",
        )  # fmt: skip
    from memory import service as memory_service

    async with tenant_session(principal, engine=engine) as s:
        await memory_service.remember(
            s, principal, creator_id=tenant.creator_id, fan_id=b, text="Bruno's birthday is 3 March",
            kind=MemoryKind.key_date,
        )  # fmt: skip
    return tenant, a, b


def test_the_reply_graph_gets_only_fan_scoped_reads() -> None:
    names = {t.name for t in FAN_READ_TOOLS}
    assert names == {"get_fan_dossier", "get_recent_messages", "get_transactions", "recall_memories"}
    assert all(t.risk is RiskLevel.read and t.fan_scoped for t in FAN_READ_TOOLS)
    # Every registry tool that takes a fan id is covered by the refusal test below.
    assert {t.name for t in REGISTRY.values() if t.fan_scoped} == set(FAN_ARGS)


@pytest.mark.parametrize("tool_name", sorted(FAN_ARGS))
async def test_a_fan_scoped_context_refuses_another_fans_id(engine: AsyncEngine, tool_name: str) -> None:
    tenant, a, b = await _two_fans(engine)
    ctx = ToolContext(principal=tenant.principal(), creator_id=tenant.creator_id, engine=engine, fan_id=a)
    tool = REGISTRY[tool_name]
    with pytest.raises(OtherFanRefused):
        await tool.run(ctx, {"fan_id": str(b), **FAN_ARGS[tool_name]})
    # The model sees a typed error, not fan B's data.
    answer = json.loads(await tool.as_langchain(ctx).ainvoke({"fan_id": str(b), **FAN_ARGS[tool_name]}))
    assert answer["error_type"] == "OtherFanRefused" and "3879" not in json.dumps(answer)
    # Without a fan scope (the assistant, creator-wide), the same call is allowed by RLS.
    if tool.risk is RiskLevel.read:
        creator_wide = ToolContext(principal=tenant.principal(), creator_id=tenant.creator_id, engine=engine)
        assert await tool.run(creator_wide, {"fan_id": str(b), **FAN_ARGS[tool_name]}) is not None


@pytest.mark.parametrize("tool_name", ["search_fans", "list_segments", "list_templates"])
async def test_a_fan_scoped_context_refuses_tools_that_read_across_fans(
    engine: AsyncEngine, tool_name: str
) -> None:
    tenant, a, _ = await _two_fans(engine)
    ctx = ToolContext(principal=tenant.principal(), creator_id=tenant.creator_id, engine=engine, fan_id=a)
    args = {"query": "Bruno"} if tool_name == "search_fans" else {}
    with pytest.raises(OtherFanRefused):
        await REGISTRY[tool_name].run(ctx, args)


async def test_its_own_fan_is_served(engine: AsyncEngine) -> None:
    tenant, a, _ = await _two_fans(engine)
    ctx = ToolContext(principal=tenant.principal(), creator_id=tenant.creator_id, engine=engine, fan_id=a)
    dossier = await REGISTRY["get_fan_dossier"].run(ctx, {"fan_id": str(a)})
    assert dossier["display_name"] == "Alice"


async def test_a_model_asking_for_another_fans_dossier_drafts_without_it(engine: AsyncEngine) -> None:
    tenant, a, b = await _two_fans(engine)
    await fan_says(engine, tenant.creator_id, a, "how much do your big fans spend?")
    seen: list[str] = []

    def answer(messages: list[Any]) -> dict[str, Any]:
        seen.append(str(messages[-1].content))
        return draft_args("your rival spent $3879.99 on me")

    from langchain_core.messages import AIMessage, ToolCall

    class Snooping(ScriptedChatModel):
        def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
            from langchain_core.outputs import ChatGeneration, ChatResult

            if not any(getattr(m, "type", "") == "tool" for m in messages):
                call = ToolCall(name="get_fan_dossier", args={"fan_id": str(b)}, id="snoop", type="tool_call")
                return ChatResult(
                    generations=[ChatGeneration(message=AIMessage(content="", tool_calls=[call]))]
                )
            return super()._generate(messages, stop, run_manager, **kw)

    model = Snooping(script=[answer])  # type: ignore[arg-type]
    result = await start_reply_run(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        fan_id=a,
        **run_kwargs(engine, model=model),
    )
    # The tool answered with the scope error, so B's figure never reached the model.
    assert seen and "OtherFanRefused" in seen[0] and "3879.99" not in seen[0]
    calls = (result.context or {}).get("tool_calls") or []
    assert calls == []  # a refused call records nothing as run
