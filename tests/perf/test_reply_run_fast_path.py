"""The reply run's fast path keeps its behaviour: the one-statement fan profile says what the dossier
says, the tool schemas converted once equal a per-run conversion, a run to the gate saves one
checkpoint and still resumes, and the run stays within its statement budget."""

from __future__ import annotations

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.decisions import decide, deliver
from agent.nodes.draft import tool_schemas
from agent.runner import start_reply_run
from agent.state import DraftReply
from bench.statements import counting
from core.db import tenant_session
from core.errors import NotFound
from core.tenancy import SYSTEM
from crm.fans import service as fans
from tests.agent.support import ScriptedChatModel, draft_args, fan_says, outbound, platform_fan, run_kwargs
from tests.factories import make_tenant, populate_every_table
from tools import FAN_READ_TOOLS, ToolContext


async def test_the_reply_profile_says_what_the_dossier_says(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    fan_id = await populate_every_table(engine, tenant.creator_id)
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        await fans.add_note(s, p, fan_id=fan_id, body="older pinned", pinned=True)
        await fans.add_note(s, p, fan_id=fan_id, body="newest pinned", pinned=True)
        await fans.add_tag(s, p, fan_id=fan_id, tag="alpha")
    async with tenant_session(p, engine=engine) as s:
        dossier = await fans.get_dossier(s, p, fan_id=fan_id)
        with counting() as count:
            profile = await fans.get_reply_profile(s, p, fan_id=fan_id)
    assert count.statements == 1
    assert (profile.id, profile.display_name, profile.language) == (
        dossier.id,
        dossier.display_name,
        dossier.language,
    )
    assert (profile.spend_tier, profile.lifetime_spend) == (dossier.spend_tier, dossier.lifetime_spend)
    assert list(profile.tags) == [t.tag for t in dossier.tags]
    assert list(profile.pinned_notes) == [n.body for n in dossier.pinned_notes]
    assert "newest pinned" in profile.pinned_notes
    assert dossier.subscription is not None and profile.subscription is not None
    assert (profile.subscription.status, profile.subscription.expires_at) == (
        dossier.subscription.status,
        dossier.subscription.expires_at,
    )


async def test_the_reply_profile_of_another_creators_fan_is_not_found(engine: AsyncEngine) -> None:
    owner = await make_tenant(engine)
    other = await make_tenant(engine)
    fan_id = await populate_every_table(engine, owner.creator_id)
    async with tenant_session(other.principal(), engine=engine) as s:
        with pytest.raises(NotFound):
            await fans.get_reply_profile(s, other.principal(), fan_id=fan_id)


def test_the_tool_schemas_converted_once_equal_a_per_run_conversion(engine: AsyncEngine) -> None:
    ctx = ToolContext(principal=SYSTEM, creator_id=None, engine=engine)  # type: ignore[arg-type]
    per_run = [convert_to_openai_tool(t.as_langchain(ctx)) for t in FAN_READ_TOOLS]
    assert tool_schemas() == [*per_run, convert_to_openai_tool(DraftReply)]
    assert tool_schemas() is tool_schemas()


async def _checkpoints(engine: AsyncEngine, thread_id: str) -> int:
    async with tenant_session(SYSTEM, engine=engine) as s:
        return int(
            (
                await s.execute(
                    text("SELECT count(*) FROM checkpoints WHERE thread_id = :t"), {"t": thread_id}
                )
            ).scalar_one()
        )


async def test_a_run_to_the_gate_saves_one_checkpoint_and_still_resumes(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id)
    msg = await fan_says(engine, tenant.creator_id, fan_id, "just sent you a tip!")
    model = ScriptedChatModel(script=[draft_args("Thank you so much, babe!")])  # type: ignore[arg-type]
    with counting() as count:
        result = await start_reply_run(
            principal=tenant.principal(),
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            inbound_message_id=msg,
            **run_kwargs(engine, model=model),
        )
    assert result.status == "interrupted" and result.thread_id is not None
    assert await _checkpoints(engine, result.thread_id) == 1
    # A budget, not a timing: the run's statements (memory recall included) stay few.
    assert count.statements <= 60, count.as_dict()
    done = await decide(
        principal=tenant.principal(), item_id=result.item_id, decision="approve", **run_kwargs(engine)
    )
    assert done.run is not None and done.run.status == "completed" and done.status == "executed"
    assert [m.text for m in await outbound(engine, fan_id)] == ["Thank you so much, babe!"]


async def test_an_item_whose_gate_checkpoint_was_never_written_is_still_executed_once(
    engine: AsyncEngine,
) -> None:
    """A crash after propose committed but before the gate's checkpoint was saved: the decision finds
    no run waiting and executes the item directly, exactly once."""
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id)
    msg = await fan_says(engine, tenant.creator_id, fan_id, "hey you")
    model = ScriptedChatModel(script=[draft_args("Hey yourself!")])  # type: ignore[arg-type]
    result = await start_reply_run(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        fan_id=fan_id,
        inbound_message_id=msg,
        **run_kwargs(engine, model=model),
    )
    assert result.thread_id is not None
    async with tenant_session(SYSTEM, engine=engine) as s:
        for table in ("checkpoint_writes", "checkpoint_blobs", "checkpoints"):
            await s.execute(text(f"DELETE FROM {table} WHERE thread_id = :t"), {"t": result.thread_id})
    done = await decide(
        principal=tenant.principal(), item_id=result.item_id, decision="approve", **run_kwargs(engine)
    )
    assert done.run is None and done.status == "executed"
    again = await deliver(principal=tenant.principal(), item_id=result.item_id, **run_kwargs(engine))
    assert again.status == "executed"
    assert [m.text for m in await outbound(engine, fan_id)] == ["Hey yourself!"]
