"""Learning after execution: memory extraction off the critical path (queued or inline)."""

from __future__ import annotations

import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.decisions import deliver
from agent.learn import EXTRACTION_JOB
from agent.runner import start_reply_run
from core.db import tenant_session
from crm.approvals import service as approvals
from memory.models import FanMemory
from tests.agent.support import ScriptedChatModel, draft_args, fan_says, platform_fan, run_kwargs
from tests.factories import make_tenant


async def _approved(engine: AsyncEngine, text: str):
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id)
    await fan_says(engine, tenant.creator_id, fan_id, text)
    result = await start_reply_run(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        fan_id=fan_id,
        **run_kwargs(engine, model=ScriptedChatModel(script=[draft_args("Aww, noted!")])),  # type: ignore[arg-type]
    )
    async with tenant_session(tenant.principal(), engine=engine) as s:
        await approvals.approve_item(s, tenant.principal(), item_id=result.item_id)
    return tenant, fan_id, result.item_id


async def test_inline_extraction_remembers_what_the_fan_said(engine: AsyncEngine) -> None:
    tenant, fan_id, item_id = await _approved(engine, "my name is Tommy and I have a dog called Rex")
    await deliver(principal=tenant.principal(), item_id=item_id, **run_kwargs(engine, extraction="inline"))
    async with tenant_session(tenant.principal(), engine=engine) as s:
        texts = list(await s.scalars(sa.select(FanMemory.text).where(FanMemory.fan_id == fan_id)))
    assert any("Rex" in t for t in texts), texts


async def test_queued_extraction_is_enqueued_once_for_the_worker(engine: AsyncEngine, redis_url: str) -> None:
    tenant, fan_id, item_id = await _approved(engine, "I love hiking")
    kw = run_kwargs(engine, extraction="queue")
    await deliver(principal=tenant.principal(), item_id=item_id, **kw)
    await deliver(principal=tenant.principal(), item_id=item_id, **kw)  # a second delivery adds nothing
    client = Redis.from_url(redis_url)
    try:
        assert await client.exists(f"arq:job:extract:{item_id}") == 1
        queued = await client.zrange("arq:queue", 0, -1)
    finally:
        await client.aclose()
    assert queued.count(f"extract:{item_id}".encode()) == 1
    async with tenant_session(tenant.principal(), engine=engine) as s:
        count = await s.scalar(
            sa.select(sa.func.count()).select_from(FanMemory).where(FanMemory.fan_id == fan_id)
        )
    assert count == 0  # nothing extracted on the reply's path
    assert EXTRACTION_JOB == "extract_memories_for_exchange"


async def test_an_extraction_job_for_an_erased_exchange_is_a_quiet_no_op(engine: AsyncEngine) -> None:
    import uuid

    from api.worker import extract_memories

    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id)
    gone = str(uuid.uuid4())
    assert await extract_memories({"engine": engine}, str(tenant.creator_id), str(fan_id), gone) == 0
