"""Broadcasts that account for every fan: approval freezes the audience into one delivery per member;
deliveries are sent in batches, each once with its own idempotency key, re-checked per fan, and a
crash midway resumes without duplicates. The platform is a local stub that de-duplicates by key."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from agent import broadcasts as sender
from agent.decisions import decide
from agent.platform import OnlyFansApiAdapter
from agent.platform.base import OutboundMessage, SendResult
from core.db import tenant_session
from core.tenancy import SYSTEM, Principal
from crm.approvals import service as approvals
from crm.enums import (
    ActionType,
    ApprovalOrigin,
    ApprovalStatus,
    BroadcastStatus,
    DeliveryStatus,
    MessageDirection,
)
from crm.fans import service as fan_service
from crm.fans.models import FanMessage, FanProfile
from crm.messaging import broadcasts
from crm.messaging.models import MessageBroadcast, MessageBroadcastDelivery
from crm.segments import service as segments
from tests.agent.stubs import FakePlatform, serve
from tests.automation import support
from tests.factories import make_tenant

MEMBERS = 30


class SimulatedCrash(RuntimeError):
    """The worker dies mid-batch (nothing of the batch commits)."""


class CrashAfter:
    """The real adapter, until the process 'dies' before its n-th send."""

    def __init__(self, inner: OnlyFansApiAdapter, calls: int) -> None:
        self.inner, self.left, self.name = inner, calls, inner.name

    async def send_message(self, message: OutboundMessage) -> SendResult:
        if self.left == 0:
            raise SimulatedCrash("killed")
        self.left -= 1
        return await self.inner.send_message(message)

    async def schedule_post(self, post: object) -> SendResult:  # pragma: no cover - not used
        raise NotImplementedError


async def _vip_segment(engine: AsyncEngine, cid: uuid.UUID, count: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    principal = Principal.for_creators(cid)
    fans = [await support.fan(engine, cid, f"Fan {n}") for n in range(count)]
    async with tenant_session(principal, engine=engine) as s:
        for fan_id in fans:
            await fan_service.add_tag(s, principal, fan_id=fan_id, tag="vip")
        segment = await segments.create_segment(
            s, principal, creator_id=cid, name="VIPs", rules={"field": "tag", "op": "has", "value": "vip"}
        )
        await segments.refresh_segment(s, principal, segment_id=segment.id)
    return segment.id, fans


async def _propose(
    engine: AsyncEngine, cid: uuid.UUID, segment_id: uuid.UUID, *, price: str | None = None
) -> uuid.UUID:
    principal = Principal.for_creators(cid)
    async with tenant_session(principal, engine=engine) as s:
        args: dict[str, object] = {"segment_id": str(segment_id), "text": "New set is up 💕"}
        if price:
            args["price"] = price
        item, _ = await approvals.create_item(
            s, principal, idempotency_key=f"bc-{uuid.uuid4()}", creator_id=cid, fan_id=None,
            action_type=ActionType.create_broadcast, args=args, origin=ApprovalOrigin.direct,
            context={"segment": {"name": "VIPs", "members": MEMBERS}}, flags=[],
        )  # fmt: skip
    return item.id


async def _broadcast_of(engine: AsyncEngine, item_id: uuid.UUID) -> MessageBroadcast:
    async with tenant_session(SYSTEM, engine=engine) as s:
        found = (
            await s.execute(sa.select(MessageBroadcast).where(MessageBroadcast.hitl_item_id == item_id))
        ).scalar_one()
        return found


async def _deliveries(
    engine: AsyncEngine, broadcast_id: uuid.UUID
) -> dict[uuid.UUID, MessageBroadcastDelivery]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.scalars(
            sa.select(MessageBroadcastDelivery).where(MessageBroadcastDelivery.broadcast_id == broadcast_id)
        )
        return {d.fan_id: d for d in rows}


async def _outbound_counts(engine: AsyncEngine, fans: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.execute(
            sa.select(FanMessage.fan_id, sa.func.count())
            .where(FanMessage.fan_id.in_(fans), FanMessage.direction == MessageDirection.outbound)
            .group_by(FanMessage.fan_id)
        )
        return {r[0]: int(r[1]) for r in rows.all()}


async def test_approval_freezes_the_audience_and_a_crash_midway_resumes_without_duplicates(
    engine: AsyncEngine,
) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    segment_id, fans = await _vip_segment(engine, cid, MEMBERS)
    opted_out = fans[3]
    async with tenant_session(SYSTEM, engine=engine) as s:
        await s.execute(
            sa.update(FanProfile)
            .where(FanProfile.id == opted_out)
            .values(messaging_blocked_at=datetime.now(UTC))
        )
    item_id = await _propose(engine, cid, segment_id)
    platform = FakePlatform()
    with serve(platform) as stub:
        adapter = OnlyFansApiAdapter(base_url=stub.url, api_key="k", account_id="a")
        knobs = support.knobs(engine, adapter=adapter)
        decided = await decide(
            principal=tenant.principal(), item_id=item_id, decision="approve", deliver="now", knobs=knobs
        )
        # The item is executed once the audience is frozen; nothing has gone to a fan yet.
        assert decided.status == "executed"
        assert stub.requests == []
        broadcast = await _broadcast_of(engine, item_id)
        assert (broadcast.recipient_count, broadcast.audience_seen, broadcast.status) == (
            MEMBERS,
            MEMBERS,
            "sending",
        )
        assert set(await _deliveries(engine, broadcast.id)) == set(fans)

        # A fan who joins the segment after the approval is not part of this broadcast.
        latecomer = await support.fan(engine, cid, "Late")
        principal = tenant.principal()
        async with tenant_session(principal, engine=engine) as s:
            await fan_service.add_tag(s, principal, fan_id=latecomer, tag="vip")
            assert await segments.refresh_segment(s, principal, segment_id=segment_id) == MEMBERS + 1
        assert latecomer not in await _deliveries(engine, broadcast.id)

        # The worker dies before its 13th platform call, in the third batch of five.
        crashing = support.knobs(engine, adapter=CrashAfter(adapter, 12))
        with pytest.raises(SimulatedCrash):
            await sender.send_broadcast(broadcast_id=broadcast.id, creator_id=cid, knobs=crashing, batch=5)
        mid = await _deliveries(engine, broadcast.id)
        committed = [d for d in mid.values() if d.status != DeliveryStatus.pending]
        assert 8 <= len(committed) <= 10  # two batches of five (the opted-out fan may be one of them)
        assert sum(c for c in (await _outbound_counts(engine, fans)).values()) == sum(
            1 for d in committed if d.status == DeliveryStatus.sent
        )

        # The sweep resumes where it stopped.
        done = await sender.send_due_broadcasts(knobs=knobs)
        assert [p.broadcast_id for p in done if p.broadcast_id == broadcast.id] == [broadcast.id]
        final = await _deliveries(engine, broadcast.id)
        assert final[opted_out].status == DeliveryStatus.skipped
        assert "opted out" in (final[opted_out].reason or "")
        assert {d.status for f, d in final.items() if f != opted_out} == {DeliveryStatus.sent}
        counts = await _outbound_counts(engine, fans)
        assert counts == {f: 1 for f in fans if f != opted_out}
        # Exactly one platform message per fan, each under its own key; the rolled-back batch's
        # calls were repeated with the same keys, and the platform de-duplicated them.
        keys = {f"broadcast:{broadcast.id}:{f}" for f in fans if f != opted_out}
        assert set(platform.messages) == keys
        assert len(stub.requests) > len(keys)
    async with tenant_session(SYSTEM, engine=engine) as s:
        finished = await broadcasts.get_broadcast(s, SYSTEM, broadcast_id=broadcast.id)
        totals = await broadcasts.counters(s, SYSTEM, broadcast_id=broadcast.id)
    assert finished.status == BroadcastStatus.sent
    assert totals.as_dict() == {
        "recipients": 30,
        "pending": 0,
        "sent": 29,
        "failed": 0,
        "skipped": 1,
        "purchased": 0,
    }


async def test_a_ppv_broadcast_skips_fans_whose_subscription_ended(engine: AsyncEngine) -> None:
    from crm.enums import SubscriptionEventType

    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    segment_id, fans = await _vip_segment(engine, cid, 3)
    now = datetime.now(UTC)
    for fan_id in fans:
        await support.subscribe(engine, cid, fan_id, SubscriptionEventType.new, now - timedelta(days=10))
    await support.subscribe(engine, cid, fans[0], SubscriptionEventType.expired, now)
    item_id = await _propose(engine, cid, segment_id, price="20.00")
    knobs = support.knobs(engine)
    await decide(
        principal=tenant.principal(), item_id=item_id, decision="approve", deliver="now", knobs=knobs
    )
    broadcast = await _broadcast_of(engine, item_id)
    progress = await sender.send_broadcast(broadcast_id=broadcast.id, creator_id=cid, knobs=knobs)
    assert (progress.sent, progress.skipped, progress.status) == (2, 1, "sent")
    final = await _deliveries(engine, broadcast.id)
    assert final[fans[0]].status == DeliveryStatus.skipped
    assert "subscription has ended" in (final[fans[0]].reason or "")
    async with tenant_session(SYSTEM, engine=engine) as s:
        sent = (await s.scalars(sa.select(FanMessage).where(FanMessage.fan_id == fans[1]))).all()
    assert [(m.is_ppv, m.price, m.hitl_item_id) for m in sent if m.direction == "outbound"] == [
        (True, Decimal("20.00"), item_id)
    ]


async def test_transient_failures_retry_the_delivery_and_a_refusal_fails_it(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    segment_id, _fans = await _vip_segment(engine, cid, 2)
    item_id = await _propose(engine, cid, segment_id)
    with serve(FakePlatform(fail_first=1, fail_status=503)) as stub:
        adapter = OnlyFansApiAdapter(base_url=stub.url, api_key="k", account_id="a")
        knobs = support.knobs(engine, adapter=adapter)
        await decide(
            principal=tenant.principal(), item_id=item_id, decision="approve", deliver="now", knobs=knobs
        )
        broadcast = await _broadcast_of(engine, item_id)
        first = await sender.send_broadcast(broadcast_id=broadcast.id, creator_id=cid, knobs=knobs)
        assert (first.sent, first.retrying, first.status) == (1, 1, "sending")
        waiting = [
            d
            for d in (await _deliveries(engine, broadcast.id)).values()
            if d.status == DeliveryStatus.pending
        ]
        assert len(waiting) == 1 and waiting[0].attempts == 1 and waiting[0].next_attempt_at is not None
        later = await sender.send_broadcast(
            broadcast_id=broadcast.id, creator_id=cid, knobs=knobs, now=waiting[0].next_attempt_at
        )
        assert (later.sent, later.status) == (1, "sent")

    item_two = await _propose(engine, cid, segment_id)
    with serve(lambda p, b, h: (400, {"error": "fan has blocked the creator"})) as stub:
        adapter = OnlyFansApiAdapter(base_url=stub.url, api_key="k", account_id="a")
        knobs = support.knobs(engine, adapter=adapter)
        await decide(
            principal=tenant.principal(), item_id=item_two, decision="approve", deliver="now", knobs=knobs
        )
        second = await _broadcast_of(engine, item_two)
        progress = await sender.send_broadcast(broadcast_id=second.id, creator_id=cid, knobs=knobs)
    assert (progress.failed, progress.status) == (2, "failed")
    assert {d.error for d in (await _deliveries(engine, second.id)).values()} != {None}
    async with tenant_session(SYSTEM, engine=engine) as s:
        assert (await approvals.get_item(s, SYSTEM, item_id=item_two)).status == ApprovalStatus.executed


ROOT = Path(__file__).resolve().parents[2]


def _die_mid_broadcast(test_db: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FANPILOT_TEST_APP_URL": test_db.urls.app,
        "PYTHONPATH": str(ROOT),
        "FANPILOT_ENV": "test",
    }
    return subprocess.run(
        [sys.executable, "-m", "tests.automation.proc", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


async def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    engine: AsyncEngine, test_db: Any
) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    segment_id, fans = await _vip_segment(engine, cid, 12)
    item_id = await _propose(engine, cid, segment_id)
    platform = FakePlatform()
    with serve(platform) as stub:
        knobs = support.knobs(
            engine, adapter=OnlyFansApiAdapter(base_url=stub.url, api_key="k", account_id="a")
        )
        await decide(
            principal=tenant.principal(), item_id=item_id, decision="approve", deliver="now", knobs=knobs
        )
        broadcast = await _broadcast_of(engine, item_id)
        # The process dies right after its 8th platform call: batch 1 (5) committed, batch 2 did not.
        died = _die_mid_broadcast(test_db, str(broadcast.id), str(cid), stub.url, "8")
        assert died.returncode == 17, died.stderr
        mid = await _deliveries(engine, broadcast.id)
        assert sum(d.status == DeliveryStatus.sent for d in mid.values()) == 5
        assert len(platform.messages) == 8  # the platform took 3 the database never recorded
        await sender.send_due_broadcasts(knobs=knobs)
    final = await _deliveries(engine, broadcast.id)
    assert {d.status for d in final.values()} == {DeliveryStatus.sent}
    assert await _outbound_counts(engine, fans) == {f: 1 for f in fans}
    assert set(platform.messages) == {f"broadcast:{broadcast.id}:{f}" for f in fans}
