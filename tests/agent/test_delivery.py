"""After a decision: re-check before sending, bounded retries with the same key, the delivery sweep,
human retries of failed items, typed origins, one pending reply per fan."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.context import Knobs
from agent.decisions import decide, deliver, deliver_due
from agent.executor import MAX_ATTEMPTS
from agent.platform import OnlyFansApiAdapter
from agent.runner import start_reply_run
from core.db import tenant_session
from core.settings import get_settings
from core.tenancy import SYSTEM
from crm.accounts.models import AuditLog
from crm.approvals import service as approvals
from crm.approvals.errors import ApprovalAlreadyDecided
from crm.approvals.models import HitlAction
from crm.creators import service as creator_service
from crm.creators.models import CreatorProfile
from crm.enums import (
    ActionType,
    ApprovalOrigin,
    ApprovalStatus,
    MessageDirection,
    MessageSender,
    Platform,
    SubscriptionEventType,
)
from crm.fans import service as fan_service
from crm.fans import subscriptions
from crm.fans.models import FanProfile
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


async def _pending(
    engine: AsyncEngine, reply: str = "Missed you too!", *, tenant: Tenant | None = None, **draft: Any
) -> tuple[Tenant, uuid.UUID, uuid.UUID]:
    tenant = tenant or await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id, platform_fan_id=f"of{uuid.uuid4().hex[:8]}")
    await fan_says(engine, tenant.creator_id, fan_id, "miss you")
    result = await start_reply_run(
        principal=tenant.principal(),
        creator_id=tenant.creator_id,
        fan_id=fan_id,
        **run_kwargs(engine, model=ScriptedChatModel(script=[draft_args(reply, **draft)])),  # type: ignore[arg-type]
    )
    assert result.item_id is not None and result.item_status == "pending"
    return tenant, fan_id, result.item_id


async def _approve(engine: AsyncEngine, tenant: Tenant, item_id: uuid.UUID) -> None:
    async with tenant_session(tenant.principal(), engine=engine) as s:
        await approvals.approve_item(s, tenant.principal(), item_id=item_id)


async def _item(engine: AsyncEngine, item_id: uuid.UUID) -> HitlAction:
    async with tenant_session(SYSTEM, engine=engine) as s:
        item = await s.get(HitlAction, item_id)
        assert item is not None
        return item


async def _subscribe(engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, *, expired: bool) -> None:
    principal = tenant.principal()
    now = datetime.now(UTC)
    async with tenant_session(principal, engine=engine) as s:
        account = await fan_service.get_platform_account(s, principal, fan_id=fan_id)
        assert account is not None
        await subscriptions.apply_subscription_event(
            s, principal, creator_id=tenant.creator_id, fan_id=fan_id, platform_account_id=account.id,
            event_type=SubscriptionEventType.new, occurred_at=now - timedelta(days=40),
            expires_at=now - timedelta(days=10),
        )  # fmt: skip
        if expired:
            await subscriptions.apply_subscription_event(
                s, principal, creator_id=tenant.creator_id, fan_id=fan_id, platform_account_id=account.id,
                event_type=SubscriptionEventType.expired, occurred_at=now - timedelta(days=10),
            )  # fmt: skip


# ------------------------------------------------------------------ re-check before sending


async def test_a_reply_approved_before_the_fan_wrote_again_ends_stale(engine: AsyncEngine) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    await _approve(engine, tenant, item_id)
    await fan_says(engine, tenant.creator_id, fan_id, "actually, never mind that")
    done = await deliver(principal=tenant.principal(), item_id=item_id, **run_kwargs(engine))
    assert done.status == "stale"
    item = await _item(engine, item_id)
    assert item.error is not None and "wrote again" in item.error
    assert await outbound(engine, fan_id) == []
    async with tenant_session(tenant.principal(), engine=engine) as s:
        attempts = await approvals.attempts_of(s, tenant.principal(), item_id=item_id)
    assert [(a.outcome, a.adapter) for a in attempts] == [("stale", None)]
    assert [a.status for a in await ledger(engine, fan_id)] == ["stale"]


async def test_a_ppv_outside_the_creators_current_bounds_ends_stale(engine: AsyncEngine) -> None:
    tenant, fan_id, item_id = await _pending(engine, "New set for you", action="send_ppv", price=40)
    await _approve(engine, tenant, item_id)
    async with tenant_session(SYSTEM, engine=engine) as s:
        await s.execute(
            sa.update(CreatorProfile).where(CreatorProfile.id == tenant.creator_id).values(ppv_price_max=30)
        )
    done = await deliver(principal=tenant.principal(), item_id=item_id, **run_kwargs(engine))
    assert done.status == "stale"
    assert "outside the creator's current bounds ($10.00–$30.00)" in (
        (await _item(engine, item_id)).error or ""
    )
    assert await outbound(engine, fan_id) == []


@pytest.mark.parametrize("expired", [True, False])
async def test_a_ppv_to_a_fan_whose_subscription_ended_ends_stale(engine: AsyncEngine, expired: bool) -> None:
    tenant, fan_id, item_id = await _pending(engine, "New set for you", action="send_ppv", price=20)
    await _subscribe(engine, tenant, fan_id, expired=expired)
    await _approve(engine, tenant, item_id)
    done = await deliver(principal=tenant.principal(), item_id=item_id, **run_kwargs(engine))
    # Expired (by event or by date): paid content cannot be unlocked. Either way the subscription ended.
    assert done.status == "stale"
    assert "subscription has ended" in ((await _item(engine, item_id)).error or "")


async def test_media_already_sold_to_this_fan_ends_stale(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    principal = tenant.principal()
    fan_id = await platform_fan(engine, tenant.creator_id)
    async with tenant_session(principal, engine=engine) as s:
        sold = await fan_service.log_message(
            s, principal, creator_id=tenant.creator_id, fan_id=fan_id, direction=MessageDirection.outbound,
            sender=MessageSender.agent, text="beach set", price=Decimal("20"), is_ppv=True,
            media_ids=["vault_7", "vault_8"],
        )  # fmt: skip
        sold.unlocked_at = datetime.now(UTC)
        item, _ = await approvals.create_item(
            s, principal, idempotency_key=f"t-{uuid.uuid4()}", creator_id=tenant.creator_id, fan_id=fan_id,
            action_type=ActionType.send_ppv, origin=ApprovalOrigin.direct, context={}, flags=[],
            args={"fan_id": str(fan_id), "text": "the beach set again", "price": "20", "media_ids": ["vault_8"]},
        )  # fmt: skip
    done = await decide(principal=principal, item_id=item.id, decision="approve", **run_kwargs(engine))
    assert done.status == "stale" and done.delivery is not None
    assert done.delivery.error == "this fan already bought some of this media"


async def test_a_blocked_fan_gets_nothing(engine: AsyncEngine) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    await _approve(engine, tenant, item_id)
    async with tenant_session(SYSTEM, engine=engine) as s:
        await s.execute(
            sa.update(FanProfile)
            .where(FanProfile.id == fan_id)
            .values(messaging_blocked_at=datetime.now(UTC))
        )
    done = await deliver(principal=tenant.principal(), item_id=item_id, **run_kwargs(engine))
    assert done.status == "stale" and await outbound(engine, fan_id) == []


# ------------------------------------------------------------------ retries


async def test_429_honours_retry_after_and_keeps_the_item_approved(engine: AsyncEngine) -> None:
    tenant, _fan_id, item_id = await _pending(engine)
    await _approve(engine, tenant, item_id)

    def limited(path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        return 429, {"error": "slow down"}

    with serve(limited) as stub:
        adapter = OnlyFansApiAdapter(base_url=stub.url, api_key="k", account_id="a")
        before = datetime.now(UTC)
        done = await deliver(
            principal=tenant.principal(), item_id=item_id, **run_kwargs(engine, adapter=adapter)
        )
    assert done.status == "approved" and done.delivery is not None
    # FakePlatform-less stub sends no Retry-After: the backoff starts at about 2 s.
    assert done.delivery.next_attempt_at is not None
    assert timedelta(seconds=1) < done.delivery.next_attempt_at - before < timedelta(seconds=10)


async def test_retry_after_header_sets_the_next_attempt(engine: AsyncEngine) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(429)
            self.send_header("Retry-After", "120")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tenant, _fan_id, item_id = await _pending(engine)
        await _approve(engine, tenant, item_id)
        adapter = OnlyFansApiAdapter(
            base_url=f"http://127.0.0.1:{server.server_address[1]}", api_key="k", account_id="a"
        )
        before = datetime.now(UTC)
        done = await deliver(
            principal=tenant.principal(), item_id=item_id, **run_kwargs(engine, adapter=adapter)
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.delivery is not None and done.delivery.next_attempt_at is not None
    assert done.delivery.next_attempt_at - before >= timedelta(seconds=119)
    async with tenant_session(tenant.principal(), engine=engine) as s:
        (attempt,) = await approvals.attempts_of(s, tenant.principal(), item_id=item_id)
    assert (attempt.outcome, attempt.http_status, attempt.retry_after_seconds) == ("retry", 429, 120.0)


async def test_a_platform_that_keeps_failing_fails_the_item_after_the_last_attempt(
    engine: AsyncEngine,
) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    await _approve(engine, tenant, item_id)
    with serve(FakePlatform(fail_first=99, fail_status=503)) as stub:
        adapter = OnlyFansApiAdapter(base_url=stub.url, api_key="k", account_id="a")
        knobs = Knobs.make(**run_kwargs(engine, adapter=adapter))
        await deliver(principal=tenant.principal(), item_id=item_id, knobs=knobs)
        now = datetime.now(UTC)
        for _ in range(MAX_ATTEMPTS):
            now += timedelta(hours=1)
            await deliver_due(knobs=knobs, now=now, creator_ids=[tenant.creator_id])
        assert len(stub.requests) == MAX_ATTEMPTS  # bounded: no attempt after the last
    item = await _item(engine, item_id)
    assert item.status == "failed" and item.attempts == MAX_ATTEMPTS
    assert item.error == f"gave up after {MAX_ATTEMPTS} attempts: platform answered HTTP 503"
    assert await outbound(engine, fan_id) == []


async def test_a_failed_item_is_retried_by_a_person_once_with_the_same_key(engine: AsyncEngine) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    await _approve(engine, tenant, item_id)
    platform = FakePlatform(fail_first=1, fail_status=400)
    with serve(platform) as stub:
        adapter = OnlyFansApiAdapter(base_url=stub.url, api_key="k", account_id="a")
        failed = await deliver(
            principal=tenant.principal(), item_id=item_id, **run_kwargs(engine, adapter=adapter)
        )
        assert failed.status == "failed"
        with pytest.raises(ApprovalAlreadyDecided):  # only a failed item can be retried
            await decide(principal=tenant.principal(), item_id=(await _pending(engine, tenant=tenant))[2],
                         decision="retry", **run_kwargs(engine, adapter=adapter))  # fmt: skip

        async def retry() -> str:
            try:
                done = await decide(
                    principal=tenant.principal(), item_id=item_id, decision="retry",
                    **run_kwargs(engine, adapter=adapter),
                )  # fmt: skip
            except ApprovalAlreadyDecided:
                return "409"
            return done.status

        outcomes = await asyncio.gather(retry(), retry())
    assert sorted(outcomes) == ["409", "executed"]
    assert {r["headers"]["idempotency-key"] for r in stub.requests} == {str(item_id)}
    assert len(platform.messages) == 1 and len(await outbound(engine, fan_id)) == 1
    async with tenant_session(SYSTEM, engine=engine) as s:
        actions = (
            await s.scalars(sa.select(AuditLog.action).where(AuditLog.target_id == str(item_id)))
        ).all()
    assert sorted(actions) == ["approval.approved", "approval.retried"]


async def test_no_platform_connection_fails_with_the_reason_instead_of_waiting_forever(
    engine: AsyncEngine,
) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    await _approve(engine, tenant, item_id)
    settings = get_settings().model_copy(update={"platform_adapter": "onlyfansapi"})
    done = await deliver(principal=tenant.principal(), item_id=item_id, engine=engine, settings=settings)
    assert done.status == "failed"
    assert "has no OnlyFansAPI connection" in ((await _item(engine, item_id)).error or "")
    assert await outbound(engine, fan_id) == []


async def test_the_adapter_comes_from_settings_for_every_origin(engine: AsyncEngine) -> None:
    """With the platform mode on, a reply-run item and a direct item both reach the platform."""
    tenant = await make_tenant(engine)
    platform = FakePlatform()
    with serve(platform) as stub:
        async with tenant_session(SYSTEM, engine=engine) as s:
            await creator_service.create_connection(
                s, SYSTEM, creator_id=tenant.creator_id, platform=Platform.onlyfans, account_id="acct_9",
                api_base_url=stub.url, api_key="key-9",
            )  # fmt: skip
        settings = get_settings().model_copy(update={"platform_adapter": "onlyfansapi"})
        _, fan_id, reply_item = await _pending(engine, tenant=tenant)
        principal = tenant.principal()
        async with tenant_session(principal, engine=engine) as s:
            direct, _ = await approvals.create_item(
                s, principal, idempotency_key=f"t-{uuid.uuid4()}", creator_id=tenant.creator_id,
                fan_id=fan_id, action_type=ActionType.send_message, origin=ApprovalOrigin.direct,
                args={"fan_id": str(fan_id), "text": "a direct hello"}, context={}, flags=[],
            )  # fmt: skip
        for item_id in (reply_item, direct.id):
            done = await decide(
                principal=principal, item_id=item_id, decision="approve", engine=engine, settings=settings,
                extraction="off",
            )  # fmt: skip
            assert done.status == "executed"
    assert sorted(r["headers"]["idempotency-key"] for r in stub.requests) == sorted(
        [str(reply_item), str(direct.id)]
    )
    assert {r["headers"]["authorization"] for r in stub.requests} == {"Bearer key-9"}


# ------------------------------------------------------------------ the sweep


async def test_the_sweep_sends_a_decision_whose_delivery_was_lost(engine: AsyncEngine) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    await _approve(engine, tenant, item_id)  # decided, and no delivery step followed (a lost job)
    knobs = Knobs.make(**run_kwargs(engine))
    assert all(
        d.item.id != item_id for d in await deliver_due(knobs=knobs, creator_ids=[tenant.creator_id])
    )  # within the grace period
    assert await outbound(engine, fan_id) == []
    swept = await deliver_due(
        knobs=knobs, now=datetime.now(UTC) + timedelta(seconds=30), creator_ids=[tenant.creator_id]
    )
    assert [d.status for d in swept if d.item.id == item_id] == ["executed"]
    assert len(await outbound(engine, fan_id)) == 1
    assert all(
        d.item.id != item_id
        for d in await deliver_due(
            knobs=knobs, now=datetime.now(UTC) + timedelta(hours=1), creator_ids=[tenant.creator_id]
        )
    )


# ------------------------------------------------------------------ origin and one pending reply


async def test_origin_is_typed_and_routing_reads_it(engine: AsyncEngine) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    assert (await _item(engine, item_id)).origin == ApprovalOrigin.reply_run
    principal = tenant.principal()
    async with tenant_session(principal, engine=engine) as s:
        # A thread id that merely looks like a chat's does not make an item a chat item.
        odd, _ = await approvals.create_item(
            s, principal, idempotency_key=f"t-{uuid.uuid4()}", creator_id=tenant.creator_id, fan_id=fan_id,
            action_type=ActionType.send_message, origin=ApprovalOrigin.direct, thread_id="chat:not-a-thread",
            args={"fan_id": str(fan_id), "text": "hello"}, context={}, flags=[],
        )  # fmt: skip
    done = await decide(principal=principal, item_id=odd.id, decision="approve", **run_kwargs(engine))
    assert done.status == "executed" and done.run is None


async def test_the_database_refuses_a_second_pending_reply_for_a_fan(engine: AsyncEngine) -> None:
    tenant, fan_id, item_id = await _pending(engine)
    original = await _item(engine, item_id)
    with pytest.raises(IntegrityError):
        async with tenant_session(tenant.principal(), engine=engine) as s:
            s.add(
                HitlAction(
                    id=uuid.uuid4(), creator_id=tenant.creator_id, fan_id=fan_id, idempotency_key=f"x-{uuid.uuid4()}",
                    origin=ApprovalOrigin.reply_run, action_type=ActionType.send_message, target_type="fan",
                    target_id=str(fan_id), proposed_args=original.proposed_args, status=ApprovalStatus.pending,
                    expires_at=original.expires_at,
                )
            )  # fmt: skip
            await s.flush()


async def test_two_messages_back_to_back_leave_one_pending_draft_that_answers_both(
    engine: AsyncEngine,
) -> None:
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id)
    first = await fan_says(engine, tenant.creator_id, fan_id, "hey you")
    second = await fan_says(engine, tenant.creator_id, fan_id, "are you around tonight?")
    from agent.llm import OfflineChatModel

    runs = await asyncio.gather(
        *(
            start_reply_run(
                principal=tenant.principal(),
                creator_id=tenant.creator_id,
                fan_id=fan_id,
                inbound_message_id=message,
                **run_kwargs(engine, model=OfflineChatModel()),
            )
            for message in (first, second)
        )
    )
    async with tenant_session(tenant.principal(), engine=engine) as s:
        pending = (
            await s.scalars(
                sa.select(HitlAction).where(
                    HitlAction.fan_id == fan_id, HitlAction.status == ApprovalStatus.pending
                )
            )
        ).all()
    assert len(pending) == 1
    assert pending[0].context["unanswered"] == ["hey you", "are you around tonight?"]
    assert sorted(r.status for r in runs) in (["interrupted", "superseded"], ["interrupted", "interrupted"])


async def test_the_same_message_run_three_times_leaves_one_pending_draft(engine: AsyncEngine) -> None:
    tenant = await make_tenant(engine)
    fan_id = await platform_fan(engine, tenant.creator_id)
    message = await fan_says(engine, tenant.creator_id, fan_id, "good morning!")
    results = []
    for _ in range(3):
        results.append(
            await start_reply_run(
                principal=tenant.principal(),
                creator_id=tenant.creator_id,
                fan_id=fan_id,
                inbound_message_id=message,
                **run_kwargs(engine, model=ScriptedChatModel(script=[draft_args("morning!")])),  # type: ignore[arg-type]
            )
        )
    assert [r.status for r in results] == ["interrupted", "superseded", "superseded"]
    assert results[1].item_status == "duplicate"
    async with tenant_session(tenant.principal(), engine=engine) as s:
        items = (await s.scalars(sa.select(HitlAction).where(HitlAction.fan_id == fan_id))).all()
    assert [(i.id, i.status) for i in items] == [(results[0].item_id, ApprovalStatus.pending)]
