"""Seeded histories teach the demo fans' memories through the product's own extraction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from crm.enums import MessageDirection, MessageSender
from crm.fans import service as fan_service
from memory import service as memory_service
from memory.demo import learn_from_histories
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
