"""The reply graph with a scripted model: gate, decisions, execution, learning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.decisions import decide, deliver
from agent.runner import start_reply_run
from core.db import tenant_session
from core.tenancy import SYSTEM
from crm.approvals import service as approvals
from crm.approvals.errors import ApprovalAlreadyDecided, BlockedByGuardrails, EditChangesAction
from crm.creators.models import CreatorProfile
from crm.runtime.models import AgentRun
from tests.agent.support import (
    ScriptedChatModel,
    draft_args,
    fan_says,
    feedback,
    ledger,
    outbound,
    platform_fan,
    run_kwargs,
)
from tests.factories import make_tenant


async def _drafted(
    engine: AsyncEngine, reply: str = "Hey Tom! Thanks for the tip, you made my day.", **kw: object
):
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id)
    msg = await fan_says(engine, tenant.creator_id, fan_id, "just sent you a tip!")
    model = ScriptedChatModel(script=[draft_args(reply, **kw)])  # type: ignore[arg-type]
    result = await start_reply_run(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        fan_id=fan_id,
        inbound_message_id=msg,
        **run_kwargs(engine, model=model),
    )
    return tenant, fan_id, result, model


async def test_draft_waits_at_the_gate_and_sends_nothing(engine: AsyncEngine) -> None:
    tenant, fan_id, result, model = await _drafted(engine)
    assert result.status == "interrupted"
    assert result.item_status == "pending"
    assert await outbound(engine, fan_id) == []
    assert await ledger(engine, fan_id) == []
    async with tenant_session(tenant.principal(), engine=engine) as s:
        item = await approvals.get_item(s, tenant.principal(), item_id=result.item_id)
        run = await s.get(AgentRun, result.run_id)
    assert item.proposed_args["text"].startswith("Hey Tom!")
    assert item.context["unanswered"] == ["just sent you a tip!"]
    assert run is not None and run.status == "interrupted"
    # The fan's message reached the model inside the data block, not as an instruction.
    assert "just sent you a tip!" in str(model.calls[0][-1].content)


async def test_approve_sends_exactly_once_and_a_second_resume_is_a_noop(engine: AsyncEngine) -> None:
    tenant, fan_id, result, _ = await _drafted(engine)
    done = await decide(
        principal=tenant.principal(), item_id=result.item_id, decision="approve", **run_kwargs(engine)
    )
    assert done.run is not None and done.run.status == "completed" and done.status == "executed"
    again = await deliver(principal=tenant.principal(), item_id=result.item_id, **run_kwargs(engine))
    assert again.run is None and again.delivery is None and again.status == "executed"
    sent = await outbound(engine, fan_id)
    assert [m.text for m in sent] == ["Hey Tom! Thanks for the tip, you made my day."]
    assert sent[0].hitl_item_id == result.item_id
    actions = await ledger(engine, fan_id)
    assert [(a.status, a.idempotency_key) for a in actions] == [("executed", str(result.item_id))]
    assert [(f.outcome, f.edit_ratio) for f in await feedback(engine, fan_id)] == [("approved", 0.0)]
    with pytest.raises(ApprovalAlreadyDecided):
        await decide(
            principal=tenant.principal(), item_id=result.item_id, decision="approve", **run_kwargs(engine)
        )


async def test_edit_sends_the_edited_text(engine: AsyncEngine) -> None:
    tenant, fan_id, result, _ = await _drafted(engine)
    done = await decide(
        principal=tenant.principal(),
        item_id=result.item_id,
        decision="edit",
        args={"text": "Heyyy Tom, you're the best 💕"},
        **run_kwargs(engine),
    )
    assert done.item.edited and "-Hey Tom!" in done.item.context["edit_diff"]
    assert done.status == "executed"
    assert [m.text for m in await outbound(engine, fan_id)] == ["Heyyy Tom, you're the best 💕"]
    fb = await feedback(engine, fan_id)
    assert fb[0].outcome == "edited" and fb[0].final_text == "Heyyy Tom, you're the best 💕"
    assert fb[0].edit_ratio is not None and fb[0].edit_ratio > 0


async def test_edit_cannot_change_action_type_or_target(engine: AsyncEngine) -> None:
    tenant, fan_id, result, _ = await _drafted(engine)
    other_fan = await platform_fan(engine, tenant.creator_id, name="Other")
    async with tenant_session(tenant.principal(), engine=engine) as s:
        with pytest.raises(EditChangesAction):
            await approvals.edit_item(
                s, tenant.principal(), item_id=result.item_id, args={"action_type": "send_ppv", "price": "20"}
            )
        with pytest.raises(EditChangesAction):
            await approvals.edit_item(
                s, tenant.principal(), item_id=result.item_id, args={"fan_id": str(other_fan), "text": "hi"}
            )
        item = await approvals.get_item(s, tenant.principal(), item_id=result.item_id)
    assert item.status == "pending" and not item.edited
    assert await outbound(engine, fan_id) == []


async def test_edit_is_revalidated_by_guardrails(engine: AsyncEngine) -> None:
    tenant, _fan_id, result, _ = await _drafted(engine)
    async with tenant_session(tenant.principal(), engine=engine) as s:
        with pytest.raises(BlockedByGuardrails) as info:
            await approvals.edit_item(
                s, tenant.principal(), item_id=result.item_id, args={"text": "add me on whatsapp babe"}
            )
    assert "restricted_word" in info.value.codes and "off_platform_contact" in info.value.codes
    async with tenant_session(tenant.principal(), engine=engine) as s:
        assert (await approvals.get_item(s, tenant.principal(), item_id=result.item_id)).status == "pending"


async def test_reject_with_reason_redrafts_once(engine: AsyncEngine) -> None:
    tenant, fan_id, result, model = await _drafted(engine)
    model.script.append(draft_args("Thank you so much Tom."))
    decided = await decide(
        principal=tenant.principal(),
        item_id=result.item_id,
        decision="reject",
        reason="too cheesy, keep it simple",
        **run_kwargs(engine, model=model),
    )
    redraft = decided.run
    assert redraft is not None and redraft.item_id is not None
    assert redraft.status == "interrupted" and redraft.item_id != result.item_id
    assert redraft.item_status == "pending"
    assert (
        redraft.context is not None and redraft.context["rejection"]["reason"] == "too cheesy, keep it simple"
    )
    assert "too cheesy, keep it simple" in str(model.calls[-1][-1].content)
    assert [f.outcome for f in await feedback(engine, fan_id)] == ["rejected"]
    # Delivering the old item again is a no-op: its run moved on to the redraft.
    stale = await deliver(principal=tenant.principal(), item_id=result.item_id, **run_kwargs(engine))
    assert stale.run is None and stale.delivery is None and stale.status == "rejected"
    # Rejecting the redraft ends the run: one redraft only.
    end = await decide(
        principal=tenant.principal(),
        item_id=redraft.item_id,
        decision="reject",
        reason="still no",
        **run_kwargs(engine, model=model),
    )
    assert end.run is not None and end.run.status == "completed" and end.status == "rejected"
    assert len(model.calls) == 2
    assert await outbound(engine, fan_id) == []


async def test_expired_item_fails_closed(engine: AsyncEngine) -> None:
    tenant, fan_id, result, _ = await _drafted(engine)
    async with tenant_session(SYSTEM, engine=engine) as s:
        count = await approvals.expire_due_items(s, now=datetime.now(UTC) + timedelta(hours=13))
    assert count >= 1
    async with tenant_session(tenant.principal(), engine=engine) as s:
        with pytest.raises(ApprovalAlreadyDecided):
            await approvals.approve_item(s, tenant.principal(), item_id=result.item_id)
    done = await deliver(principal=tenant.principal(), item_id=result.item_id, **run_kwargs(engine))
    assert done.status == "expired" and done.run is None
    assert await outbound(engine, fan_id) == [] and await ledger(engine, fan_id) == []


async def test_blocking_flag_stops_approval_until_edited(engine: AsyncEngine) -> None:
    tenant, fan_id, result, _ = await _drafted(
        engine, reply="text me at +1 555 123 4567 and let's meet up tonight"
    )
    codes = {f["code"]: f["severity"] for f in result.flags}
    assert codes == {"off_platform_contact": "block", "meetup": "block"}
    async with tenant_session(tenant.principal(), engine=engine) as s:
        with pytest.raises(BlockedByGuardrails):
            await approvals.approve_item(s, tenant.principal(), item_id=result.item_id)
    done = await decide(
        principal=tenant.principal(),
        item_id=result.item_id,
        decision="edit",
        args={"text": "Let's keep chatting here 💕"},
        **run_kwargs(engine),
    )
    assert done.item.flags == []
    assert [m.text for m in await outbound(engine, fan_id)] == ["Let's keep chatting here 💕"]


async def test_auto_approve_is_opt_in_per_action_type(engine: AsyncEngine) -> None:
    tenant, fan_id, result, _ = await _drafted(engine)
    assert result.item_status == "pending"  # default: a human decides
    async with tenant_session(SYSTEM, engine=engine) as s:
        await s.execute(
            sa.update(CreatorProfile)
            .where(CreatorProfile.id == tenant.creator_id)
            .values(auto_approve={"send_message": True})
        )
    await fan_says(engine, tenant.creator_id, fan_id, "thanks!!")
    model = ScriptedChatModel(script=[draft_args("You're sweet, Tom.")])  # type: ignore[arg-type]
    auto = await start_reply_run(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        fan_id=fan_id,
        **run_kwargs(engine, model=model),
    )
    assert auto.status == "completed" and auto.item_status == "executed"
    assert [m.text for m in await outbound(engine, fan_id)] == ["You're sweet, Tom."]
    # A PPV is not opted in, and a flagged draft never auto-approves.
    for args in (draft_args("New set for you", action="send_ppv", price=20), draft_args("dm me on telegram")):
        await fan_says(engine, tenant.creator_id, fan_id, "hey")
        held = await start_reply_run(
            principal=tenant.principal(),
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            **run_kwargs(engine, model=ScriptedChatModel(script=[args])),  # type: ignore[arg-type]
        )
        assert held.item_status == "pending"
    assert len(await outbound(engine, fan_id)) == 1


async def test_priority_follows_fan_value_and_inbox_sorts_by_it(engine: AsyncEngine) -> None:
    from crm.enums import Platform, TransactionKind
    from crm.fans import service as fan_service

    tenant = await make_tenant(engine)
    small = await platform_fan(engine, tenant.creator_id, name="Small")
    whale = await platform_fan(engine, tenant.creator_id, name="Whale")
    async with tenant_session(tenant.principal(), engine=engine) as s:
        await fan_service.record_transaction(
            s,
            tenant.principal(),
            creator_id=tenant.creator_id,
            fan_id=whale,
            platform=Platform.onlyfans,
            kind=TransactionKind.tip,
            amount="1500",
            external_id="whale-tip",
        )
    ids = {}
    for fan_id in (small, whale):
        await fan_says(engine, tenant.creator_id, fan_id, "hi")
        r = await start_reply_run(
            principal=tenant.principal(),
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            **run_kwargs(engine, model=ScriptedChatModel(script=[draft_args("hi!")])),  # type: ignore[arg-type]
        )
        ids[fan_id] = r.item_id
    async with tenant_session(tenant.principal(), engine=engine) as s:
        page = await approvals.list_items(s, tenant.principal(), creator_id=tenant.creator_id)
        first = await approvals.list_items(
            s, tenant.principal(), creator_id=tenant.creator_id, sort="waiting", limit=1
        )
        second = await approvals.list_items(
            s,
            tenant.principal(),
            creator_id=tenant.creator_id,
            sort="waiting",
            limit=1,
            cursor=first.next_cursor,
        )
    assert [i.id for i in page.items] == [ids[whale], ids[small]]
    assert page.items[0].priority > page.items[1].priority
    assert [i.id for i in first.items + second.items] == [ids[small], ids[whale]]
    assert second.next_cursor is None


async def test_learned_edits_become_voice_examples(engine: AsyncEngine) -> None:
    from agent.llm import OfflineChatModel

    tenant = await make_tenant(engine)
    kw = run_kwargs(engine, model=OfflineChatModel())
    first_fan = await platform_fan(engine, tenant.creator_id, name="Sam")
    await fan_says(engine, tenant.creator_id, first_fan, "you look amazing in that new set")
    first = await start_reply_run(
        principal=tenant.principal(), creator_id=tenant.creator_id, fan_id=first_fan, **kw
    )
    assert first.draft is not None and first.draft["voice_example_ids_used"] == []
    edited = "stoppp {name} you're making me blush 🙈 thank you!!".replace("{name}", "Sam")
    await decide(
        principal=tenant.principal(), item_id=first.item_id, decision="edit", args={"text": edited}, **kw
    )

    # Another fan says something alike: the edited reply is retrieved and adapted to them.
    second_fan = await platform_fan(engine, tenant.creator_id, name="Jordan")
    await fan_says(engine, tenant.creator_id, second_fan, "you look so amazing in the new set")
    second = await start_reply_run(
        principal=tenant.principal(), creator_id=tenant.creator_id, fan_id=second_fan, **kw
    )
    assert second.draft is not None
    assert second.draft["voice_example_ids_used"], second.draft
    assert "making me blush" in second.draft["reply"] and "Jordan" in second.draft["reply"]
    assert "Sam" not in second.draft["reply"]
    assert second.context is not None and "voice example" in second.context["rationale"]
