"""Embedders: the OpenAI wire format (against a local stub server) and the compatibility check."""

from __future__ import annotations

import base64
import json
import struct
import threading
import uuid
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.settings import Settings
from crm.enums import MemoryKind
from memory import service
from memory.embeddings import (
    LOCAL_MODEL_NAME,
    EmbeddingMismatch,
    LocalMiniLMEmbedder,
    OpenAIEmbedder,
    make_embedder,
    verify_embedding_compat,
)
from tests.factories import Tenant


class StubOpenAI(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []  # noqa: RUF012

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
        dims = int(body.get("dimensions") or 1536)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = []
        for i, item in enumerate(inputs):
            seed = sum(map(ord, str(item))) % 97 + 1
            vector = [((seed * (j + 1)) % 13) / 13.0 for j in range(dims)]
            if body.get("encoding_format") == "base64":
                encoded: Any = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
            else:
                encoded = vector
            data.append({"object": "embedding", "index": i, "embedding": encoded})
        payload = json.dumps(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def stub_url() -> Iterator[str]:
    StubOpenAI.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


async def test_openai_embedder_asks_for_384_dimensions(stub_url: str) -> None:
    settings = Settings(embedding_provider="openai", openai_api_key="sk-test", openai_base_url=stub_url)  # type: ignore[arg-type]
    embedder = make_embedder(settings)
    assert isinstance(embedder, OpenAIEmbedder)
    vectors = await embedder.embed(["likes cats", "lives in Austin"])
    assert [len(v) for v in vectors] == [384, 384]
    assert vectors[0] != vectors[1]
    (request,) = StubOpenAI.requests
    assert request["path"] == "/v1/embeddings"
    assert request["model"] == "text-embedding-3-small"
    assert request["dimensions"] == 384
    assert request["input"] == ["likes cats", "lives in Austin"]
    assert request["auth"] == "Bearer sk-test"


class WrongSize:
    model_name = "text-embedding-3-small"
    dimensions = 1536

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[0.0] * 1536 for _ in texts]


async def test_dimension_mismatch_is_a_clear_error(engine: AsyncEngine) -> None:
    with pytest.raises(EmbeddingMismatch) as info:
        await verify_embedding_compat(engine, WrongSize())
    assert "vector(384)" in info.value.message and "1536" in info.value.message
    assert "text-embedding-3-small" in info.value.message


async def test_rows_from_another_model_are_a_clear_error(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, embedder: LocalMiniLMEmbedder, stub_url: str
) -> None:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        await verify_embedding_compat(s, embedder)  # nothing stored yet for this tenant
        await service.remember(
            s,
            p,
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            text="Likes cats",
            kind=MemoryKind.preference,
            embedder=embedder,
        )
        await verify_embedding_compat(s, embedder)
        openai = OpenAIEmbedder(api_key="sk-test", base_url=stub_url)
        with pytest.raises(EmbeddingMismatch) as info:
            await verify_embedding_compat(s, openai)
    assert LOCAL_MODEL_NAME in info.value.message and "text-embedding-3-small" in info.value.message


def test_local_embedder_is_normalised_and_semantic(embedder: LocalMiniLMEmbedder) -> None:
    cat, kitten, tax = embedder.embed_sync(["I have a cat", "my kitten", "quarterly tax filing"])
    dot = lambda a, b: sum(x * y for x, y in zip(a, b, strict=True))  # noqa: E731
    assert abs(dot(cat, cat) - 1) < 1e-4
    assert dot(cat, kitten) > dot(cat, tax) + 0.2


def test_local_embedder_refuses_other_dimensions() -> None:
    with pytest.raises(EmbeddingMismatch):
        make_embedder(Settings(embedding_dimensions=512))
