"""The real ChatOpenAI / ChatAnthropic clients drive the reply graph through local stub servers that
speak the OpenAI chat-completions and Anthropic messages wire formats."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.prompts import PROMPT_VERSION
from agent.runner import start_reply_run
from core.settings import Settings
from tests.agent.stubs import serve
from tests.agent.support import fan_says, outbound, platform_fan, run_kwargs
from tests.factories import make_tenant

DRAFT = {
    "reply": "Hey Tom! Glad the gym is going well, proud of you.",
    "action": "send_message",
    "memory_ids_used": [],
    "confidence": 0.9,
    "intent": "question",
    "rationale": "stub",
}


def _fan_id(text: str) -> str:
    match = re.search(r'"fan": \{\s*"id": "([0-9a-f-]{36})"', text)
    assert match, "the context block names the fan"
    return match.group(1)


def _openai(path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    assert path == "/v1/chat/completions" and headers["authorization"] == "Bearer sk-test"
    names = {t["function"]["name"] for t in body.get("tools", [])}
    assert {"DraftReply", "get_fan_dossier", "recall_memories"} <= names
    messages = body["messages"]
    if any(m["role"] == "tool" for m in messages):
        name, args = "DraftReply", DRAFT
    else:
        name, args = "get_fan_dossier", {"fan_id": _fan_id(messages[-1]["content"])}
    call = {
        "id": f"call_{len(messages)}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(args)},
    }
    return 200, {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 0,
        "model": "stub-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _anthropic(path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    assert path.split("?")[0] == "/v1/messages", path
    assert "sk-ant-test" in (headers.get("x-api-key", "") + headers.get("authorization", "")), headers
    names = {t["name"] for t in body.get("tools", [])}
    assert {"DraftReply", "get_fan_dossier"} <= names
    messages = body["messages"]
    blocks = [b for m in messages if isinstance(m["content"], list) for b in m["content"]]
    if any(b.get("type") == "tool_result" for b in blocks):
        name, args = "DraftReply", DRAFT
    else:
        first = messages[-1]["content"]
        text = first if isinstance(first, str) else " ".join(b.get("text", "") for b in first)
        name, args = "get_fan_dossier", {"fan_id": _fan_id(text)}
    return 200, {
        "id": "msg_stub",
        "type": "message",
        "role": "assistant",
        "model": "stub-claude",
        "content": [{"type": "tool_use", "id": f"toolu_{len(messages)}", "name": name, "input": args}],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


async def _drive(engine: AsyncEngine, settings: Settings) -> tuple[Any, Any]:
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id)
    await fan_says(engine, tenant.creator_id, fan_id, "went to the gym 5 times this week!")
    result = await start_reply_run(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        fan_id=fan_id,
        settings=settings,
        **run_kwargs(engine),
    )
    return result, fan_id


def _tool_results_named_the_fan(stub_requests: list[dict[str, Any]], *, key: str) -> bool:
    return "Tom" in json.dumps(stub_requests[-1]["body"][key])


async def test_openai_client_through_stub(engine: AsyncEngine) -> None:
    with serve(_openai) as stub:
        settings = Settings(
            llm_provider="openai",
            openai_api_key=SecretStr("sk-test"),
            openai_base_url=f"{stub.url}/v1",
            openai_model="stub-model",
        )
        result, fan_id = await _drive(engine, settings)
    assert len(stub.requests) == 2  # a read tool call, then the structured draft
    assert _tool_results_named_the_fan(stub.requests, key="messages")
    assert result.item_status == "pending"
    assert result.draft["reply"] == DRAFT["reply"]
    assert result.context["model"] == {
        "provider": "openai",
        "model": "stub-model",
        "offline": False,
        "prompt_version": PROMPT_VERSION,
    }
    assert [c["tool"] for c in result.context["tool_calls"]] == ["get_fan_dossier"]
    assert await outbound(engine, fan_id) == []


async def test_anthropic_client_through_stub(engine: AsyncEngine) -> None:
    with serve(_anthropic) as stub:
        settings = Settings(
            llm_provider="anthropic",
            anthropic_api_key=SecretStr("sk-ant-test"),
            anthropic_base_url=stub.url,
            anthropic_model="stub-claude",
        )
        result, fan_id = await _drive(engine, settings)
    assert len(stub.requests) == 2
    assert _tool_results_named_the_fan(stub.requests, key="messages")
    assert result.item_status == "pending"
    assert result.draft["reply"] == DRAFT["reply"]
    assert result.context["model"]["provider"] == "anthropic"
    assert await outbound(engine, fan_id) == []


async def test_providers_get_voice_examples_as_turns_persona_rules_run_kind_and_dated_memories(
    engine: AsyncEngine,
) -> None:
    from core.db import tenant_session
    from crm.approvals import service as approvals
    from crm.enums import MemoryKind, MessageDirection, MessageSender
    from crm.fans import service as fan_service
    from memory import service as memory_service

    tenant = await make_tenant(
        engine, voice="flirty, lowercase, one emoji max", rules=["never more than two sentences"]
    )
    principal = tenant.principal()
    other = await platform_fan(engine, tenant.creator_id, name="Zed")
    await fan_says(engine, tenant.creator_id, other, "long shift at the hospital again, so tired")
    async with tenant_session(principal, engine=engine) as s:
        await fan_service.log_message(
            s, principal, creator_id=tenant.creator_id, fan_id=other, direction=MessageDirection.outbound,
            sender=MessageSender.creator, text="zed you work so hard 🥺 rest tonight ok?",
        )  # fmt: skip
    fan_id = await platform_fan(engine, tenant.creator_id, name="Tom")
    async with tenant_session(principal, engine=engine) as s:
        await memory_service.remember(
            s, principal, creator_id=tenant.creator_id, fan_id=fan_id, text="Tom works as a nurse",
            kind=MemoryKind.personal_detail,
        )  # fmt: skip
    await fan_says(engine, tenant.creator_id, fan_id, "another brutal night shift at the hospital")
    with serve(_openai) as stub:
        settings = Settings(
            llm_provider="openai",
            openai_api_key=SecretStr("sk-test"),
            openai_base_url=f"{stub.url}/v1",
            openai_model="stub-model",
        )
        result = await start_reply_run(
            principal=principal, creator_id=tenant.creator_id, fan_id=fan_id, kind="winback",
            settings=settings, **run_kwargs(engine),
        )  # fmt: skip
    messages = stub.requests[0]["body"]["messages"]
    system = messages[0]["content"]
    assert "never more than two sentences" in system and "lowercase, one emoji max" in system
    assert "win-back" in system
    assistant_turns = [m["content"] for m in messages[1:-1] if m["role"] == "assistant"]
    assert assistant_turns == ["{name} you work so hard 🥺 rest tonight ok?"]  # the other fan's name is gone
    assert "Zed" not in json.dumps(messages)
    context = messages[-1]["content"]
    assert '"run_kind": "winback"' in context and '"date":' in context and "Tom works as a nurse" in context
    async with tenant_session(principal, engine=engine) as s:
        item = await approvals.get_item(s, principal, item_id=result.item_id)
    assert item.prompt_version == PROMPT_VERSION
