"""Make tenants and fans for tests through the same sessions the product uses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import SYSTEM, Principal, StaffRole
from crm.accounts.models import Agency, StaffCreatorAccess, StaffUser
from crm.creators.models import CreatorProfile
from crm.fans.models import FanProfile


@dataclass(frozen=True)
class Tenant:
    agency_id: uuid.UUID
    creator_ids: tuple[uuid.UUID, ...]

    @property
    def creator_id(self) -> uuid.UUID:
        return self.creator_ids[0]

    def principal(self, *creator_ids: uuid.UUID) -> Principal:
        return Principal(creator_ids=frozenset(creator_ids or self.creator_ids), agency_id=self.agency_id)


async def make_tenant(engine: AsyncEngine, *, creators: int = 1, **persona: object) -> Tenant:
    async with tenant_session(SYSTEM, engine=engine) as s:
        agency = Agency(id=uuid.uuid4(), name="Test Agency", slug=f"test-{uuid.uuid4().hex[:10]}")
        s.add(agency)
        await s.flush()
        ids = []
        for i in range(creators):
            creator = CreatorProfile(
                id=uuid.uuid4(),
                agency_id=agency.id,
                display_name=f"Creator {i}",
                handle=f"creator{i}_{uuid.uuid4().hex[:6]}",
                voice=str(persona.get("voice", "warm, playful, short sentences")),
                rules=list(persona.get("rules", ["never meet fans in person"])),  # type: ignore[call-overload]
                restricted_words=list(persona.get("restricted_words", ["whatsapp", "paypal"])),  # type: ignore[call-overload]
                ppv_price_min=Decimal(str(persona.get("ppv_price_min", "10"))),
                ppv_price_max=Decimal(str(persona.get("ppv_price_max", "50"))),
            )
            s.add(creator)
            ids.append(creator.id)
        await s.flush()
    return Tenant(agency_id=agency.id, creator_ids=tuple(ids))


async def make_staff(
    engine: AsyncEngine,
    tenant: Tenant,
    *,
    role: StaffRole,
    creator_ids: tuple[uuid.UUID, ...] = (),
    creator_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A staff member; a `creator` login is bound to `creator_id` (default: the tenant's first)."""
    if role == StaffRole.creator and creator_id is None:
        creator_id = tenant.creator_id
    async with tenant_session(SYSTEM, engine=engine) as s:
        user = StaffUser(
            id=uuid.uuid4(),
            agency_id=tenant.agency_id,
            email=f"{role}-{uuid.uuid4().hex[:8]}@example.test",
            display_name=f"Test {role}",
            role=role,
            creator_id=creator_id,
        )
        s.add(user)
        await s.flush()
        for cid in creator_ids:
            s.add(StaffCreatorAccess(staff_user_id=user.id, creator_id=cid))
    return user.id


async def make_fan(
    engine: AsyncEngine, creator_id: uuid.UUID, *, name: str = "Tom", spend: str = "0"
) -> uuid.UUID:
    async with tenant_session(Principal.for_creators(creator_id), engine=engine) as s:
        fan = FanProfile(
            id=uuid.uuid4(), creator_id=creator_id, display_name=name, lifetime_spend=Decimal(spend)
        )
        s.add(fan)
    return fan.id


async def populate_every_table(engine: AsyncEngine, creator_id: uuid.UUID) -> uuid.UUID:
    """One row in every creator-owned table for one fan of `creator_id`; returns the fan id."""
    from datetime import UTC, datetime, timedelta

    from crm.enums import (
        ActionType,
        MemoryKind,
        MessageDirection,
        MessageSender,
        Platform,
        SubscriptionEventType,
        SubscriptionStatus,
        TransactionKind,
    )
    from migrations import models as m

    now = datetime.now(UTC)
    cid = creator_id
    async with tenant_session(Principal.for_creators(cid), engine=engine) as s:
        fan = m.FanProfile(id=uuid.uuid4(), creator_id=cid, display_name="Every Table")
        s.add(fan)
        await s.flush()
        conn = m.PlatformConnection(
            id=uuid.uuid4(), creator_id=cid, platform=Platform.onlyfans, account_id=f"acct_{uuid.uuid4().hex}"
        )
        acct = m.FanPlatformAccount(
            id=uuid.uuid4(),
            creator_id=cid,
            fan_id=fan.id,
            platform=Platform.onlyfans,
            platform_fan_id=uuid.uuid4().hex[:12],
        )
        s.add_all([conn, acct])
        await s.flush()
        sub = m.FanSubscription(
            id=uuid.uuid4(),
            creator_id=cid,
            fan_id=fan.id,
            platform_account_id=acct.id,
            status=SubscriptionStatus.active,
            started_at=now,
        )
        segment = m.FanSegment(id=uuid.uuid4(), creator_id=cid, name=f"seg-{uuid.uuid4().hex[:6]}", rules={})
        rule = m.AutomationRule(
            id=uuid.uuid4(), creator_id=cid, name=f"r-{uuid.uuid4().hex[:6]}", trigger="subscriptions.new"
        )
        template = m.MessageTemplate(
            id=uuid.uuid4(), creator_id=cid, name=f"t-{uuid.uuid4().hex[:6]}", body="hi"
        )
        run = m.AgentRun(
            id=uuid.uuid4(),
            creator_id=cid,
            fan_id=fan.id,
            kind="reply",
            thread_id=f"t-{uuid.uuid4()}",
            trigger="manual",
        )
        s.add_all([sub, segment, rule, template, run])
        await s.flush()
        item = m.HitlAction(
            id=uuid.uuid4(),
            creator_id=cid,
            fan_id=fan.id,
            idempotency_key=f"k-{uuid.uuid4()}",
            thread_id=run.thread_id,
            run_id=run.id,
            action_type=ActionType.send_message,
            target_type="fan",
            target_id=str(fan.id),
            proposed_args={"text": "hi"},
            expires_at=now + timedelta(hours=1),
        )
        rule_run = m.AutomationRuleRun(
            id=uuid.uuid4(), creator_id=cid, rule_id=rule.id, fan_id=fan.id, matched=True, outcome="queued"
        )
        broadcast = m.MessageBroadcast(
            id=uuid.uuid4(), creator_id=cid, segment_id=segment.id, text="hello all"
        )
        s.add_all([item, rule_run, broadcast])
        await s.flush()
        s.add(
            m.AutomationTimer(
                creator_id=cid,
                rule_id=rule.id,
                fan_id=fan.id,
                run_id=rule_run.id,
                kind="wait",
                event_key=f"e-{uuid.uuid4()}",
                step=1,
                due_at=now + timedelta(hours=1),
            )
        )
        s.add_all(
            [
                m.FanSubscriptionEvent(
                    creator_id=cid,
                    fan_id=fan.id,
                    subscription_id=sub.id,
                    event_type=SubscriptionEventType.new,
                    occurred_at=now,
                ),
                m.FanIdentityLink(
                    creator_id=cid, fan_id=fan.id, platform_account_id=acct.id, method="first_seen"
                ),
                memory := m.FanMemory(
                    id=uuid.uuid4(),
                    creator_id=cid,
                    fan_id=fan.id,
                    kind=MemoryKind.preference,
                    text="likes cosplay",
                    embedding=[0.1] * 384,
                    embedding_model="test",
                ),
                m.FanMemoryAccess(memory_id=memory.id, creator_id=cid, access_count=1, last_accessed_at=now),
                m.FanNote(creator_id=cid, fan_id=fan.id, author_kind="staff", body="note"),
                m.DeliveryAttempt(
                    creator_id=cid,
                    item_id=item.id,
                    attempt=1,
                    outcome="retry",
                    error="HTTP 503",
                    started_at=now,
                    finished_at=now,
                ),
                m.FanScore(creator_id=cid, fan_id=fan.id, kind="churn_risk", value=0.4),
                m.FanSegmentMember(creator_id=cid, segment_id=segment.id, fan_id=fan.id),
                m.FanTransaction(
                    creator_id=cid,
                    fan_id=fan.id,
                    platform=Platform.onlyfans,
                    kind=TransactionKind.tip,
                    amount=Decimal("5"),
                    occurred_at=now,
                    external_id=uuid.uuid4().hex,
                ),
                m.FanCustomRequest(creator_id=cid, fan_id=fan.id, description="custom video"),
                m.FanTagValue(creator_id=cid, fan_id=fan.id, tag="gamer"),
                m.FanMessage(
                    creator_id=cid,
                    fan_id=fan.id,
                    direction=MessageDirection.inbound,
                    sender=MessageSender.fan,
                    text="hey",
                    sent_at=now,
                    hitl_item_id=item.id,
                ),
                m.AutomationRuleAction(
                    creator_id=cid,
                    run_id=rule_run.id,
                    hitl_item_id=item.id,
                    fan_id=fan.id,
                    action_type=ActionType.send_message,
                    args={},
                    status="executed",
                    idempotency_key=f"a-{uuid.uuid4()}",
                ),
                m.MessageBroadcastDelivery(creator_id=cid, broadcast_id=broadcast.id, fan_id=fan.id),
                m.WebhookEvent(
                    creator_id=cid,
                    connection_id=conn.id,
                    fan_id=fan.id,
                    source="onlyfansapi",
                    idempotency_key=f"evt_{uuid.uuid4().hex}",
                    event_type="messages.received",
                    payload={},
                ),
                m.ChatThread(creator_id=cid, thread_id=f"chat-{uuid.uuid4()}"),
                m.DraftFeedback(
                    creator_id=cid, fan_id=fan.id, hitl_item_id=item.id, draft_text="hi", outcome="approved"
                ),
            ]
        )
    return fan.id
