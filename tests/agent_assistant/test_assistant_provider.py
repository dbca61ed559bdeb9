"""The assistant with a real client (ChatOpenAI) against a local stub speaking the OpenAI streaming wire
format: the same tools (with their docstrings) are offered to the model, its answer streams, and the
graph still refuses to act on a fan the model picked from a name several fans share."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from agent import assistant
from core.db import tenant_session
from core.settings import Settings
from crm.approvals.models import HitlAction
from tests.agent_assistant.test_assistant import _fan
from tests.factories import make_tenant

pytestmark = pytest.mark.timeout(120)


def _chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    body = {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "stub-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


class MisbehavingModel:
    """Looks Sam up, then offers a PPV to the first Sam without asking; once refused, asks."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def frames(self, body: dict[str, Any]) -> list[str]:
        self.requests.append(body)
        tool_messages = [m for m in body["messages"] if m["role"] == "tool"]
        if not tool_messages:
            call = {"name": "find_fan", "arguments": json.dumps({"name": "Sam"})}
        elif len(tool_messages) == 1:
            found = json.loads(tool_messages[0]["content"])
            first = found["candidates"][0]["fan_id"]
            call = {
                "name": "send_ppv_offer",
                "arguments": json.dumps({"fan_id": first, "price": 25, "text": "beach set"}),
            }
        else:
            return [
                _chunk({"role": "assistant", "content": "Which Sam do you mean: "}),
                _chunk({"content": "the whale or the mid spender?"}),
                _chunk({}, "stop"),
                "data: [DONE]\n\n",
            ]
        delta = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"index": 0, "id": f"call_{len(self.requests)}", "type": "function", "function": call}
            ],
        }
        return [_chunk(delta), _chunk({}, "tool_calls"), "data: [DONE]\n\n"]


@contextmanager
def openai_stub(model: MisbehavingModel) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            assert self.path == "/v1/chat/completions" and body.get("stream") is True
            raw = "".join(model.frames(body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_real_client_gets_the_tools_streams_and_is_stopped_on_a_shared_name(
    engine: AsyncEngine,
) -> None:
    tenant = await make_tenant(engine)
    principal = tenant.principal()
    await _fan(engine, principal, tenant.creator_id, "Sam", "3378")
    await _fan(engine, principal, tenant.creator_id, "Sam", "199")
    thread = await assistant.create_thread(principal=principal, creator_id=tenant.creator_id, engine=engine)
    model = MisbehavingModel()
    with openai_stub(model) as url:
        settings = Settings(
            assistant_provider="openai",
            openai_api_key=SecretStr("sk-test"),
            openai_base_url=url,
            openai_model="stub-model",
        )
        events = [
            e
            async for e in assistant.stream_assistant_turn(
                principal=principal,
                creator_id=tenant.creator_id,
                thread_id=thread.thread_id,
                message="send Sam a PPV of my new beach set for 25 dollars",
                engine=engine,
                model=assistant.assistant_model(settings=settings),
            )
        ]
    offered = {t["function"]["name"]: t["function"]["description"] for t in model.requests[0]["tools"]}
    assert {"find_fan", "fan_memories", "revenue_summary", "list_top_spenders", "send_ppv_offer"} <= set(
        offered
    )
    assert "ask the user which one" in offered["find_fan"]
    assert "Sam" in model.requests[0]["messages"][0]["content"]  # the roster in the system prompt

    turn = events[-1]["turn"]
    refused = [c for c in turn.tool_calls if c["tool"] == "send_ppv_offer"]
    assert refused and refused[0]["error"] == "ambiguous_fan"
    assert not turn.waiting_for_approval and turn.queued_item_ids == []
    tokens = [e["text"] for e in events if e["type"] == "token"]
    assert len(tokens) == 2 and turn.text == "Which Sam do you mean: the whale or the mid spender?"
    async with tenant_session(principal, engine=engine) as s:
        queued = await s.scalar(
            sa.select(sa.func.count())
            .select_from(HitlAction)
            .where(HitlAction.creator_id == tenant.creator_id)
        )
    assert queued == 0
