"""Voice examples are embedded once per process, even when several runs ask at the same time."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from agent import voice_examples
from memory.embeddings import get_embedder


class _Counting:
    def __init__(self) -> None:
        self._real = get_embedder()
        self.model_name = f"{self._real.model_name}#counting"  # its own cache entries
        self.asked: list[str] = []

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.asked += list(texts)
        await asyncio.sleep(0.05)  # the others arrive while this batch is under way
        return await self._real.embed(texts)


async def test_concurrent_runs_share_one_batch_of_candidates() -> None:
    embedder = _Counting()
    candidates = [f"fan message number {n} about my day" for n in range(12)]
    results = await asyncio.gather(
        *(voice_examples.embed_cached(embedder, candidates) for _ in range(5)),
        voice_examples.embed_cached(embedder, [*candidates[:3], "one more message"]),
    )
    assert sorted(embedder.asked) == sorted([*candidates, "one more message"])
    assert all(r == results[0] for r in results[:5])
    assert results[5][:3] == results[0][:3] and len(results[5][3]) == 384
