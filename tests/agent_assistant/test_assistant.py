"""The assistant graph against the real database with the offline model."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from langchain_core.messages import HumanMessage, ToolMessage
from sqlalchemy.ext.asyncio import AsyncEngine

from agent import assistant, decisions
from agent.llm.offline_assistant import next_message, plan
from core.db import tenant_session
from crm.approvals.models import HitlAction
from crm.enums import ApprovalStatus, MessageDirection
from crm.fans import service as fan_service
from crm.fans.models import FanMessage, FanTagValue
from tests.factories import make_tenant

pytestmark = pytest.mark.timeout(300)


async def _fan(
    engine: AsyncEngine, principal: object, creator_id: uuid.UUID, name: str, spend: str
) -> uuid.UUID:
    async with tenant_session(principal, engine=engine) as s:  # type: ignore[arg-type]
        fan, _, _ = await fan_service.upsert_fan_from_platform(
            s,
            principal,
            creator_id=creator_id,
            platform="onlyfans",
            platform_fan_id=f"{name}-{uuid.uuid4().hex[:6]}",
            display_name=name,  # type: ignore[arg-type]
        )
        if Decimal(spend) > 0:
            await fan_service.record_transaction(
                s,
                principal,
                creator_id=creator_id,
                fan_id=fan.id,
                platform="onlyfans",
                kind="tip",
                amount=spend,  # type: ignore[arg-type]
            )
        return fan.id


def test_offline_routing_is_deterministic_and_resolves_names_first() -> None:
    assert plan("tag Tom as gamer", fan_names=["Tom", "Sam"]) == ["find_fan"]
    tools = ["find_fan", "tag_fan"]
    messages = [HumanMessage("tag Tom as gamer")]
    first = next_message(messages, tools)
    assert first.tool_calls[0]["name"] == "find_fan" and first.tool_calls[0]["args"] == {"name": "Tom"}
    assert next_message(messages, tools).tool_calls == first.tool_calls
    found = ToolMessage(
        '{"status": "unique", "fan": {"fan_id": "abc", "name": "Tom"}}',
        tool_call_id=first.tool_calls[0]["id"],
        name="find_fan",
    )
    second = next_message([*messages, first, found], tools)
    assert second.tool_calls[0]["args"] == {"fan_id": "abc", "tag": "gamer"}


async def test_a_write_tool_runs_and_the_answer_says_so(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    principal = tenant.principal()
    tom = await _fan(engine, principal, tenant.creator_id, "Tom", "120")
    thread = await assistant.create_thread(principal=principal, creator_id=tenant.creator_id, engine=engine)
    turn = await assistant.run_assistant_turn(
        principal=principal,
        creator_id=tenant.creator_id,
        thread_id=thread.thread_id,
        message="tag Tom as gamer",
        engine=engine,
    )
    assert "Tagged Tom as gamer" in turn.text
    assert not turn.waiting_for_approval
    async with tenant_session(principal, engine=engine) as s:
        tags = (await s.scalars(sa.select(FanTagValue.tag).where(FanTagValue.fan_id == tom))).all()
    assert tags == ["gamer"]


async def test_a_gated_request_waits_for_approval_and_sends_once_when_approved_inline(
    engine: AsyncEngine,
) -> None:
    tenant = await make_tenant(engine)
    principal = tenant.principal()
    kyle = await _fan(engine, principal, tenant.creator_id, "Kyle", "60")
    thread = await assistant.create_thread(principal=principal, creator_id=tenant.creator_id, engine=engine)
    events = [
        e
        async for e in assistant.stream_assistant_turn(
            principal=principal,
            creator_id=tenant.creator_id,
            thread_id=thread.thread_id,
            message="send Kyle a message saying thanks for being here",
            engine=engine,
        )
    ]
    kinds = [e["type"] for e in events]
    assert "tool_call" in kinds and "approval_required" in kinds and kinds[-1] == "done"
    turn = events[-1]["turn"]
    assert turn.waiting_for_approval and len(turn.queued_item_ids) == 1
    item_id = uuid.UUID(turn.queued_item_ids[0])

    async def outbound() -> int:
        async with tenant_session(principal, engine=engine) as s:
            return int(
                await s.scalar(
                    sa.select(sa.func.count())
                    .select_from(FanMessage)
                    .where(FanMessage.fan_id == kyle, FanMessage.direction == MessageDirection.outbound)
                )
                or 0
            )

    assert await outbound() == 0  # queued, not sent
    outcome = await decisions.decide(principal=principal, item_id=item_id, decision="approve", engine=engine)
    assert outcome.status == "executed"
    assert await outbound() == 1
    # Every item of the turn is decided: the thread resumed and says what happened.
    history = await assistant.run_assistant_turn(
        principal=principal,
        creator_id=tenant.creator_id,
        thread_id=thread.thread_id,
        message="thanks",
        engine=engine,
    )
    assert not history.waiting_for_approval
    async with tenant_session(principal, engine=engine) as s:
        item = await s.get(HitlAction, item_id)
        assert item is not None and item.status == ApprovalStatus.executed


async def test_a_new_message_while_waiting_leaves_the_item_pending_in_the_inbox(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    principal = tenant.principal()
    await _fan(engine, principal, tenant.creator_id, "Sam", "700")
    thread = await assistant.create_thread(principal=principal, creator_id=tenant.creator_id, engine=engine)
    first = await assistant.run_assistant_turn(
        principal=principal,
        creator_id=tenant.creator_id,
        thread_id=thread.thread_id,
        message="offer Sam the beach set for $20",
        engine=engine,
    )
    assert first.waiting_for_approval
    second = await assistant.run_assistant_turn(
        principal=principal,
        creator_id=tenant.creator_id,
        thread_id=thread.thread_id,
        message="who are my top 3 spenders?",
        engine=engine,
    )
    assert "Sam" in second.text and not second.waiting_for_approval
    async with tenant_session(principal, engine=engine) as s:
        item = await s.get(HitlAction, uuid.UUID(first.queued_item_ids[0]))
        assert item is not None and item.status == ApprovalStatus.pending


async def test_a_chat_item_approved_in_the_inbox_executes_once_through_resume(engine: AsyncEngine) -> None:
    from crm.approvals import service as approvals

    tenant = await make_tenant(engine)
    principal = tenant.principal()
    kyle = await _fan(engine, principal, tenant.creator_id, "Kyle", "60")
    thread = await assistant.create_thread(principal=principal, creator_id=tenant.creator_id, engine=engine)
    turn = await assistant.run_assistant_turn(
        principal=principal,
        creator_id=tenant.creator_id,
        thread_id=thread.thread_id,
        message="send Kyle a message saying thanks for being here",
        engine=engine,
    )
    item_id = uuid.UUID(turn.queued_item_ids[0])
    async with tenant_session(principal, engine=engine) as s:
        await approvals.approve_item(s, principal, item_id=item_id)
    first = await decisions.deliver(principal=principal, item_id=item_id, engine=engine)
    again = await decisions.deliver(principal=principal, item_id=item_id, engine=engine)
    assert first.status == "executed" and again.status == "executed" and again.delivery is None
    async with tenant_session(principal, engine=engine) as s:
        sent = await s.scalar(
            sa.select(sa.func.count())
            .select_from(FanMessage)
            .where(FanMessage.fan_id == kyle, FanMessage.direction == MessageDirection.outbound)
        )
    assert sent == 1
