"""Restart, races and crashes: a pending approval survives processes and executes exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.decisions import deliver, deliver_due
from agent.platform import OnlyFansApiAdapter
from agent.runner import start_reply_run
from core.db import tenant_session
from crm.approvals import service as approvals
from crm.approvals.errors import ApprovalAlreadyDecided
from tests.agent.stubs import FakePlatform, serve
from tests.agent.support import (
    ScriptedChatModel,
    draft_args,
    fan_says,
    ledger,
    outbound,
    platform_fan,
    run_kwargs,
)
from tests.factories import Tenant, make_tenant

ROOT = Path(__file__).resolve().parents[2]


def _proc(test_db: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FANPILOT_TEST_APP_URL": test_db.urls.app,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "FANPILOT_ENV": "test",
    }
    return subprocess.run(
        [sys.executable, "-m", "tests.agent.proc", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _pending(engine: AsyncEngine) -> tuple[Tenant, uuid.UUID, uuid.UUID]:
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id, platform_fan_id=f"of{uuid.uuid4().hex[:8]}")
    await fan_says(engine, tenant.creator_id, fan_id, "miss you")
    result = await start_reply_run(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        fan_id=fan_id,
        **run_kwargs(engine, model=ScriptedChatModel(script=[draft_args("Missed you too, Tom!")])),  # type: ignore[arg-type]
    )
    assert result.item_id is not None and result.item_status == "pending"
    return tenant, fan_id, result.item_id


async def test_interrupt_here_approve_and_resume_in_a_new_process(engine: AsyncEngine, test_db: Any) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    done = await asyncio.to_thread(_proc, test_db, "approve-resume", str(item_id), str(tenant.creator_id))
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "status": "completed",
        "item_status": "executed",
    }
    assert [m.text for m in await outbound(engine, fan_id)] == ["Missed you too, Tom!"]
    # Resuming again here, with yet another graph instance, changes nothing.
    again = await deliver(principal=tenant.principal(), item_id=item_id, **run_kwargs(engine))
    assert again.run is None and again.delivery is None and again.status == "executed"
    assert len(await outbound(engine, fan_id)) == 1 and len(await ledger(engine, fan_id)) == 1


async def test_two_concurrent_approvals_one_wins_one_409(engine: AsyncEngine) -> None:
    tenant, fan_id, item_id = await _pending(engine)

    async def approve() -> str:
        try:
            async with tenant_session(tenant.principal(), engine=engine) as s:
                await approvals.approve_item(s, tenant.principal(), item_id=item_id)
        except ApprovalAlreadyDecided as exc:
            assert exc.status_code == 409
            return "409"
        return "ok"

    assert sorted(await asyncio.gather(approve(), approve(), approve())) == ["409", "409", "ok"]
    results = await asyncio.gather(
        *(deliver(principal=tenant.principal(), item_id=item_id, **run_kwargs(engine)) for _ in range(3))
    )
    assert {r.status for r in results} == {"executed"}
    assert len(await outbound(engine, fan_id)) == 1
    assert len(await ledger(engine, fan_id)) == 1


async def test_crash_between_approval_and_execution_then_resume_executes_once(
    engine: AsyncEngine, test_db: Any
) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    async with tenant_session(tenant.principal(), engine=engine) as s:
        await approvals.approve_item(s, tenant.principal(), item_id=item_id)
    platform = FakePlatform()
    with serve(platform) as stub:
        crashed = await asyncio.to_thread(
            _proc, test_db, "resume-crash", str(item_id), str(tenant.creator_id), stub.url
        )
        assert crashed.returncode == 17, crashed.stderr[-2000:]
        # The platform accepted the message, but our transaction never committed.
        assert len(stub.requests) == 1
        assert await outbound(engine, fan_id) == []
        async with tenant_session(tenant.principal(), engine=engine) as s:
            assert (await approvals.get_item(s, tenant.principal(), item_id=item_id)).status == "approved"
        adapter = OnlyFansApiAdapter(base_url=stub.url, api_key="k", account_id="acct_1")
        done = await deliver(
            principal=tenant.principal(), item_id=item_id, **run_kwargs(engine, adapter=adapter)
        )
        assert done.status == "executed"
        again = await deliver(
            principal=tenant.principal(), item_id=item_id, **run_kwargs(engine, adapter=adapter)
        )
        assert again.delivery is None and again.run is None
    # One message on the platform (the retry carried the same idempotency key), one in our CRM.
    keys = [r["headers"]["idempotency-key"] for r in stub.requests]
    assert keys == [str(item_id), str(item_id)]
    assert len(platform.messages) == 1
    sent = await outbound(engine, fan_id)
    assert len(sent) == 1 and sent[0].platform_message_id == "1000"
    assert len(await ledger(engine, fan_id)) == 1


async def _deliver_until_done(engine: AsyncEngine, tenant: Tenant, item_id: uuid.UUID, adapter: Any) -> str:
    """Deliver, then let the sweep run each scheduled retry (as the worker's cron does, clock moved on)."""
    done = await deliver(principal=tenant.principal(), item_id=item_id, **run_kwargs(engine, adapter=adapter))
    status = done.status
    later = datetime.now(UTC)
    for _ in range(10):
        if status != "approved":
            break
        later += timedelta(hours=1)
        from agent.context import Knobs

        swept = await deliver_due(
            knobs=Knobs.make(**run_kwargs(engine, adapter=adapter)),
            now=later,
            creator_ids=[tenant.creator_id],
        )
        status = next(d.status for d in swept if d.item.id == item_id)
    return status


@pytest.mark.parametrize("failures", [1, 3])
async def test_platform_5xx_is_retried_with_the_same_key(engine: AsyncEngine, failures: int) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    async with tenant_session(tenant.principal(), engine=engine) as s:
        await approvals.approve_item(s, tenant.principal(), item_id=item_id)
    platform = FakePlatform(fail_first=failures, fail_status=503)
    with serve(platform) as stub:
        adapter = OnlyFansApiAdapter(base_url=stub.url, api_key="k", account_id="acct_1")
        assert await _deliver_until_done(engine, tenant, item_id, adapter) == "executed"
    assert len(stub.requests) == failures + 1
    assert {r["headers"]["idempotency-key"] for r in stub.requests} == {str(item_id)}
    assert stub.requests[-1]["headers"]["authorization"] == "Bearer k"
    assert stub.requests[-1]["path"].startswith("/api/acct_1/chats/of")
    assert len(await outbound(engine, fan_id)) == 1
    async with tenant_session(tenant.principal(), engine=engine) as s:
        attempts = await approvals.attempts_of(s, tenant.principal(), item_id=item_id)
    assert [(a.attempt, a.outcome, a.http_status) for a in attempts] == [
        *((n + 1, "retry", 503) for n in range(failures)),
        (failures + 1, "sent", None),
    ]


async def test_platform_4xx_fails_the_item_with_the_error(engine: AsyncEngine) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    async with tenant_session(tenant.principal(), engine=engine) as s:
        await approvals.approve_item(s, tenant.principal(), item_id=item_id)
    with serve(FakePlatform(fail_first=99, fail_status=422)) as stub:
        adapter = OnlyFansApiAdapter(base_url=stub.url, api_key="k", account_id="acct_1")
        done = await deliver(
            principal=tenant.principal(), item_id=item_id, **run_kwargs(engine, adapter=adapter)
        )
        assert len(stub.requests) == 1  # a 4xx is final: no retry
    assert done.status == "failed"
    assert done.delivery is not None and "HTTP 422" in (done.delivery.error or "")
    assert await outbound(engine, fan_id) == []
    assert [(a.status, "HTTP 422" in (a.error or "")) for a in await ledger(engine, fan_id)] == [
        ("failed", True)
    ]


async def test_platform_down_stays_approved_with_the_next_attempt_scheduled(engine: AsyncEngine) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    async with tenant_session(tenant.principal(), engine=engine) as s:
        await approvals.approve_item(s, tenant.principal(), item_id=item_id)
    with serve(FakePlatform(fail_first=1, fail_status=502)) as stub:
        adapter = OnlyFansApiAdapter(base_url=stub.url, api_key="k", account_id="acct_1")
        down = await deliver(
            principal=tenant.principal(), item_id=item_id, **run_kwargs(engine, adapter=adapter)
        )
        assert down.status == "approved" and down.delivery is not None
        assert down.delivery.next_attempt_at is not None and down.delivery.attempts == 1
        assert await outbound(engine, fan_id) == []
        # Not due yet: the sweep leaves it alone.
        from agent.context import Knobs

        knobs = Knobs.make(**run_kwargs(engine, adapter=adapter))
        assert all(
            d.item.id != item_id for d in await deliver_due(knobs=knobs, creator_ids=[tenant.creator_id])
        )
        assert len(stub.requests) == 1
        later = await deliver_due(
            knobs=knobs,
            now=down.delivery.next_attempt_at + timedelta(seconds=1),
            creator_ids=[tenant.creator_id],
        )
    assert [d.status for d in later if d.item.id == item_id] == ["executed"]
    assert len(await outbound(engine, fan_id)) == 1


async def test_a_run_started_again_for_a_message_already_answered_drafts_nothing(engine: AsyncEngine) -> None:
    """A reply job whose worker died after propose runs again (a new run): when the first draft was
    decided meanwhile, the new run is that draft's duplicate — never a second reply to one message."""
    import sqlalchemy as sa

    from crm.approvals.models import HitlAction

    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id, platform_fan_id=f"of{uuid.uuid4().hex[:8]}")
    message_id = await fan_says(engine, tenant.creator_id, fan_id, "miss you")

    async def run() -> Any:
        return await start_reply_run(
            principal=tenant.principal(),
            creator_id=tenant.creator_id,
            fan_id=fan_id,
            inbound_message_id=message_id,
            **run_kwargs(engine, model=ScriptedChatModel(script=[draft_args("Missed you too, Tom!")])),  # type: ignore[arg-type]
        )

    first = await run()
    assert first.item_id is not None and first.item_status == "pending"
    again_while_pending = await run()
    assert again_while_pending.item_id is None and again_while_pending.status == "superseded"
    async with tenant_session(tenant.principal(), engine=engine) as s:
        await approvals.approve_item(s, tenant.principal(), item_id=first.item_id)
    again_after_decision = await run()
    assert again_after_decision.item_id is None and again_after_decision.status == "superseded"
    async with tenant_session(tenant.principal(), engine=engine) as s:
        replies = (await s.scalars(sa.select(HitlAction).where(HitlAction.fan_id == fan_id))).all()
    assert [r.id for r in replies] == [first.item_id]

    # A new message from the fan is news: it gets its own draft.
    newer = await fan_says(engine, tenant.creator_id, fan_id, "are you there?")
    fresh = await start_reply_run(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        fan_id=fan_id,
        inbound_message_id=newer,
        **run_kwargs(engine, model=ScriptedChatModel(script=[draft_args("Always, babe")])),  # type: ignore[arg-type]
    )
    assert fresh.item_id is not None and fresh.item_id != first.item_id
