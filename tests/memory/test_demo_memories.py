"""Seeded histories teach the demo fans' memories through the product's own extraction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from crm.enums import MessageDirection, MessageSender
from crm.fans import service as fan_service
from memory import service as memory_service
from memory.demo import creators_without_memories, learn_from_histories
from tests.factories import make_tenant


async def test_histories_become_memories_and_a_second_pass_adds_nothing(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    principal = tenant.principal()
    async with tenant_session(principal, engine=engine) as s:
        fan, _, _ = await fan_service.upsert_fan_from_platform(
            s,
            principal,
            creator_id=tenant.creator_id,
            platform="onlyfans",
            platform_fan_id="demo-1",
            display_name="Mike",
        )
        for text in ("I just moved to Austin for work", "my dog Biscuit says hi"):
            await fan_service.log_message(
                s,
                principal,
                creator_id=tenant.creator_id,
                fan_id=fan.id,
                direction=MessageDirection.inbound,
                sender=MessageSender.fan,
                text=text,
            )
    first = await learn_from_histories(engine, tenant.creator_ids)
    second = await learn_from_histories(engine, tenant.creator_ids)
    assert first >= 2
    assert second == 0
    async with tenant_session(principal, engine=engine) as s:
        recalled = await memory_service.recall_for_fan(
            s, principal, fan_id=fan.id, query="where does he live?"
        )
    assert any("Austin" in m.text for m in recalled)


class _Counting:
    """The real embedder, counting the batches it is asked for."""

    def __init__(self) -> None:
        from memory.embeddings import get_embedder

        self._real = get_embedder()
        self.model_name = self._real.model_name
        self.dimensions = self._real.dimensions
        self.batches: list[int] = []

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.batches.append(len(texts))
        return await self._real.embed(texts)


async def test_every_history_of_a_creator_is_embedded_in_one_batch(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    principal = tenant.principal()
    async with tenant_session(principal, engine=engine) as s:
        for n, (name, text) in enumerate(
            (("Ana", "I just moved to Denver"), ("Ben", "my cat Pepper says hi"), ("Cy", "I work as a nurse"))
        ):
            fan, _, _ = await fan_service.upsert_fan_from_platform(
                s, principal, creator_id=tenant.creator_id, platform="onlyfans",
                platform_fan_id=f"batch-{n}", display_name=name,
            )  # fmt: skip
            await fan_service.log_message(
                s, principal, creator_id=tenant.creator_id, fan_id=fan.id,
                direction=MessageDirection.inbound, sender=MessageSender.fan, text=text,
            )  # fmt: skip
    assert await creators_without_memories(engine, tenant.creator_ids) == tenant.creator_ids
    counting = _Counting()
    learned = await learn_from_histories(engine, tenant.creator_ids, embedder=counting)
    assert learned >= 3
    assert len(counting.batches) == 1 and counting.batches[0] >= 3
    assert await creators_without_memories(engine, tenant.creator_ids) == ()
