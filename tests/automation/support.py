"""Helpers for the automation tests: rules saved through the service, knobs on the test servers,
ledger queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.context import Knobs
from agent.platform import SandboxAdapter
from core.db import tenant_session
from core.tenancy import SYSTEM, Principal
from crm.approvals.models import HitlAction
from crm.automation import service as automation
from crm.automation.models import AutomationRule, AutomationRuleAction, AutomationRuleRun, AutomationTimer
from crm.automation.schemas import RuleSpec
from crm.enums import MessageDirection, MessageSender, Platform, SubscriptionEventType
from crm.fans import service as fan_service
from crm.fans import subscriptions
from crm.messaging import service as templates


def knobs(engine: AsyncEngine, **extra: Any) -> Knobs:
    extra.setdefault("adapter", SandboxAdapter())
    return Knobs.make(engine=engine, extraction="off", **extra)


async def template(engine: AsyncEngine, creator_id: uuid.UUID, name: str, body: str, **kw: Any) -> uuid.UUID:
    principal = Principal.for_creators(creator_id)
    async with tenant_session(principal, engine=engine) as s:
        t = await templates.create_template(s, principal, creator_id=creator_id, name=name, body=body, **kw)
    return t.id


async def rule(engine: AsyncEngine, creator_id: uuid.UUID, **spec: Any) -> uuid.UUID:
    principal = Principal.for_creators(creator_id)
    spec.setdefault("name", f"rule {uuid.uuid4().hex[:6]}")
    async with tenant_session(principal, engine=engine) as s:
        saved = await automation.create_rule(
            s, principal, creator_id=creator_id, spec=RuleSpec.model_validate(spec)
        )
    return saved.id


async def fan(
    engine: AsyncEngine, creator_id: uuid.UUID, name: str = "Sam", *, spend: str | None = None
) -> uuid.UUID:
    principal = Principal.for_creators(creator_id)
    async with tenant_session(principal, engine=engine) as s:
        found, _, _ = await fan_service.upsert_fan_from_platform(
            s, principal, creator_id=creator_id, platform=Platform.onlyfans,
            platform_fan_id=uuid.uuid4().hex[:10], display_name=name,
        )  # fmt: skip
        if spend is not None:
            await fan_service.record_transaction(
                s, principal, creator_id=creator_id, fan_id=found.id, platform=Platform.onlyfans,
                kind="tip", amount=Decimal(spend), occurred_at=datetime.now(UTC),
            )  # fmt: skip
    return found.id


async def subscribe(
    engine: AsyncEngine, creator_id: uuid.UUID, fan_id: uuid.UUID, event: SubscriptionEventType, at: datetime
) -> None:
    principal = Principal.for_creators(creator_id)
    async with tenant_session(principal, engine=engine) as s:
        account = await fan_service.get_platform_account(s, principal, fan_id=fan_id)
        assert account is not None
        await subscriptions.apply_subscription_event(
            s, principal, creator_id=creator_id, fan_id=fan_id, platform_account_id=account.id,
            event_type=event, occurred_at=at,
        )  # fmt: skip


async def message(
    engine: AsyncEngine,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    text: str,
    *,
    inbound: bool = True,
    at: datetime | None = None,
) -> Any:
    principal = Principal.for_creators(creator_id)
    async with tenant_session(principal, engine=engine) as s:
        return await fan_service.log_message(
            s, principal, creator_id=creator_id, fan_id=fan_id,
            direction=MessageDirection.inbound if inbound else MessageDirection.outbound,
            sender=MessageSender.fan if inbound else MessageSender.creator, text=text, sent_at=at,
        )  # fmt: skip


async def runs(engine: AsyncEngine, rule_id: uuid.UUID) -> list[AutomationRuleRun]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.scalars(
            sa.select(AutomationRuleRun)
            .where(AutomationRuleRun.rule_id == rule_id)
            .order_by(AutomationRuleRun.created_at)
        )
        return list(rows)


async def steps(engine: AsyncEngine, rule_id: uuid.UUID) -> list[AutomationRuleAction]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.scalars(
            sa.select(AutomationRuleAction)
            .where(AutomationRuleAction.rule_id == rule_id)
            .order_by(AutomationRuleAction.created_at, AutomationRuleAction.step)
        )
        return list(rows)


async def items(engine: AsyncEngine, fan_id: uuid.UUID) -> list[HitlAction]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.scalars(
            sa.select(HitlAction).where(HitlAction.fan_id == fan_id).order_by(HitlAction.created_at)
        )
        return list(rows)


async def timers(engine: AsyncEngine, rule_id: uuid.UUID) -> list[AutomationTimer]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.scalars(
            sa.select(AutomationTimer)
            .where(AutomationTimer.rule_id == rule_id)
            .order_by(AutomationTimer.created_at)
        )
        return list(rows)


async def get_rule(engine: AsyncEngine, rule_id: uuid.UUID) -> AutomationRule:
    async with tenant_session(SYSTEM, engine=engine) as s:
        found = await s.get(AutomationRule, rule_id)
        assert found is not None
        return found


async def seed_rules(engine: AsyncEngine, creator_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """Three rules with history for the page tests: a welcome that matched Sam (his draft waits in
    the inbox), a tip thank-you that did not match a small tip, a paused win-back."""
    from agent import automation

    await template(engine, creator_id, "Welcome", "Hey {fan_name}! So happy you're here 🥰")
    await template(engine, creator_id, "Tip thanks", "Thank you for the {tip_amount} tip, {fan_name} 😘")
    ids = {
        "welcome": await rule(
            engine, creator_id, name="Welcome new subscribers", priority=200, cooldown="30d",
            description="Greets every new subscriber by name.",
            trigger={"type": "subscriptions.new", "delay": "30s"},
            actions=[{"type": "send_message", "template": "Welcome"}, {"type": "tag", "tag": "welcomed"}],
        ),
        "tips": await rule(
            engine, creator_id, name="Thank big tippers", trigger={"type": "tips.received", "min_amount": 20},
            actions=[{"type": "send_message", "template": "Tip thanks"}],
        ),
        "winback": await rule(
            engine, creator_id, name="Win back big spenders", priority=50,
            trigger={"type": "schedule.after_expiry", "days": 3},
            conditions={"field": "lifetime_spend", "op": "gt", "value": 50},
            actions=[{"type": "draft_by_agent"}, {"type": "tag", "tag": "win-back"}], enabled=False,
        ),
    }  # fmt: skip
    knobs_ = knobs(engine)
    now = datetime.now(UTC)
    sam = await fan(engine, creator_id, "Sam")
    await automation.handle_event(
        creator_id=creator_id,
        fan_id=sam,
        trigger="subscriptions.new",
        event_key="seed:sam",
        knobs=knobs_,
        now=now,
    )
    from datetime import timedelta

    await automation.fire_due_timers(knobs=knobs_, creator_ids=[creator_id], now=now + timedelta(seconds=31))
    tipper = await fan(engine, creator_id, "Tina")
    await automation.handle_event(
        creator_id=creator_id, fan_id=tipper, trigger="tips.received", event_key="seed:tip",
        facts={"tip_amount": "5.00"}, knobs=knobs_,
    )  # fmt: skip
    ids["sam"] = sam
    return ids
