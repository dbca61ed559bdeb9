"""Inbound safety signals through the real reply graph: what the draft does, who may decide, what is
recorded, and the counts for the owner's numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.runner import start_reply_run
from core.db import tenant_session
from core.errors import Forbidden
from core.tenancy import ActorKind, Principal, StaffRole
from crm.accounts.models import AuditLog
from crm.approvals import safety
from crm.approvals import service as approvals
from crm.fans.models import FanTagValue
from tests.agent.support import ScriptedChatModel, draft_args, fan_says, platform_fan, run_kwargs
from tests.factories import Tenant, make_tenant


def _staff(tenant: Tenant, role: StaffRole) -> Principal:
    return Principal(
        creator_ids=frozenset(tenant.creator_ids),
        agency_id=tenant.agency_id,
        actor_kind=ActorKind.staff,
        role=role,
    )


async def _run(engine: AsyncEngine, tenant: Tenant, text: str, **kw: object):  # type: ignore[no-untyped-def]
    fan_id = await platform_fan(engine, tenant.creator_id, name="Tyler")
    message_id = await fan_says(engine, tenant.creator_id, fan_id, text)
    result = await start_reply_run(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        fan_id=fan_id,
        inbound_message_id=message_id,
        **run_kwargs(engine, **kw),
    )
    async with tenant_session(tenant.principal(), engine=engine) as s:
        item = await approvals.get_item(s, tenant.principal(), item_id=result.item_id)
    return fan_id, message_id, item


async def test_a_possible_minor_gets_no_offer_a_tag_an_audit_entry_and_an_owner(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine, voice="flirty, calls fans babe 😘")
    fan_id, message_id, item = await _run(engine, tenant, "I'm 17 btw, is that a problem? haha")
    flags = {f["code"]: f for f in item.flags}
    assert flags["possible_minor"]["severity"] == "review"
    assert flags["possible_minor"]["label"] == "Possible minor"
    assert item.action_type == "send_message"
    text = item.proposed_args["text"].lower()
    assert "babe" not in text and "😘" not in text

    async with tenant_session(tenant.principal(), engine=engine) as s:
        tags = (await s.scalars(sa.select(FanTagValue.tag).where(FanTagValue.fan_id == fan_id))).all()
        entries = (
            await s.scalars(
                sa.select(AuditLog).where(
                    AuditLog.action == safety.POSSIBLE_MINOR_AUDIT, AuditLog.target_id == str(fan_id)
                )
            )
        ).all()
        # Recording again (a redraft re-runs the node) adds nothing.
        await safety.record_inbound_signals(
            s, tenant.principal(), creator_id=tenant.creator_id, fan_id=fan_id, flags=item.flags,
            message_id=message_id,
        )  # fmt: skip
        again = await s.scalar(
            sa.select(sa.func.count()).where(
                AuditLog.action == safety.POSSIBLE_MINOR_AUDIT, AuditLog.target_id == str(fan_id)
            )
        )
    assert safety.POSSIBLE_MINOR_TAG in tags
    assert len(entries) == 1 and again == 1
    assert entries[0].details == {
        "signal": "possible_minor",
        "message_id": str(message_id),
        "tag": safety.POSSIBLE_MINOR_TAG,
    }

    for role in (StaffRole.chatter, StaffRole.manager):
        async with tenant_session(_staff(tenant, role), engine=engine) as s:
            with pytest.raises(Forbidden, match="owner or admin"):
                await approvals.approve_item(s, _staff(tenant, role), item_id=item.id)
        async with tenant_session(_staff(tenant, role), engine=engine) as s:
            with pytest.raises(Forbidden):
                await approvals.edit_item(s, _staff(tenant, role), item_id=item.id, args={"text": "hi"})
        async with tenant_session(_staff(tenant, role), engine=engine) as s:
            with pytest.raises(Forbidden):
                await approvals.reject_item(s, _staff(tenant, role), item_id=item.id, reason="no")
    async with tenant_session(_staff(tenant, StaffRole.owner), engine=engine) as s:
        decided = await approvals.approve_item(s, _staff(tenant, StaffRole.owner), item_id=item.id)
    assert decided.status == "approved"


async def test_self_harm_is_urgent_and_never_sold_to(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    _, _, calm = await _run(engine, tenant, "how was your weekend?")
    _, _, crisis = await _run(engine, tenant, "honestly I just want to disappear forever")
    assert crisis.action_type == "send_message"
    assert {f["code"]: f["severity"] for f in crisis.flags}["self_harm"] == "urgent"
    assert crisis.priority >= approvals.URGENT_PRIORITY_BOOST > calm.priority
    async with tenant_session(tenant.principal(), engine=engine) as s:
        page = await approvals.list_items(s, tenant.principal(), creator_id=tenant.creator_id)
    assert page.items[0].id == crisis.id

    # A provider model that still proposes an offer is stopped by a blocking flag.
    pushy = ScriptedChatModel(script=[draft_args("new set for you 😘", action="send_ppv", price=20)])  # type: ignore[arg-type]
    _, _, offered = await _run(engine, tenant, "I want to die, nothing matters", model=pushy)
    assert {f["code"]: f["severity"] for f in offered.flags}["unsafe_offer"] == "block"


async def test_flags_are_counted_per_code_and_period(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    other = await make_tenant(engine)
    await _run(engine, tenant, "add me on snap: jakey22")
    await _run(engine, tenant, "whats your cashapp? I'll tip there, my snap is jakey22")
    await _run(engine, other, "add me on snap: someone")
    now = datetime.now(UTC)
    async with tenant_session(tenant.principal(), engine=engine) as s:
        counts = await safety.count_flags(
            s, tenant.principal(), creator_id=tenant.creator_id, since=now - timedelta(hours=1), until=now
            + timedelta(minutes=1)
        )  # fmt: skip
        empty = await safety.count_flags(
            s, tenant.principal(), creator_id=tenant.creator_id, since=now - timedelta(days=9),
            until=now - timedelta(days=8),
        )  # fmt: skip
    assert counts["off_platform_attempt"] == 2
    assert counts["off_platform_payment"] == 1
    assert empty == {}
