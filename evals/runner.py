"""Run eval cases through the real graphs against a scratch database, and score them.

Each case gets its own agency, creator and fans, built through the product's services, so cases
run concurrently on one database without seeing each other (row-level security keeps them apart).
Nothing is ever approved: the runner only reads what the graph left for a reviewer.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import make_engine, tenant_session
from core.errors import AppError
from core.settings import ProviderName, Settings, get_settings
from core.tenancy import SYSTEM, ActorKind, Principal, StaffRole
from crm.accounts.models import Agency
from crm.analytics.periods import resolve_window
from crm.approvals.models import HitlAction
from crm.automation.models import AutomationRuleAction
from crm.creators import service as creator_service
from crm.enums import (
    ApprovalStatus,
    MessageDirection,
    MessageSender,
    SubscriptionEventType,
    SubscriptionStatus,
    TransactionKind,
)
from crm.fans import service as fan_service
from crm.fans import subscriptions
from crm.fans.models import FanMessage
from crm.messaging.models import MessageBroadcastDelivery
from evals.cases import Case, CaseFan
from evals.metrics import CaseOutcome, CaseResult, QueuedAction, evaluate

PREMATURE_STATUSES = (ApprovalStatus.approved, ApprovalStatus.executed, ApprovalStatus.failed)
ProgressFn = Callable[[CaseResult], None]


@dataclass
class Seeded:
    principal: Principal
    creator_id: uuid.UUID
    fan_id: uuid.UUID
    fan_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    # Every seeded fan: (display name, platform fan id), in case order.
    identities: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)
    inbound_message_id: uuid.UUID | None = None


# ------------------------------------------------------------------------------------------ database


@asynccontextmanager
async def scratch_database(settings: Settings | None = None) -> AsyncIterator[AsyncEngine]:
    """A fresh, migrated database on the server the settings resolve; dropped afterwards.

    Creating it needs a role that may create databases and the vector extension: the embedded
    superuser when DATABASE_URL is unset, else DATABASE_URL's role (see evals.locomo.scratch_database).
    """
    from evals.locomo import scratch_database as scratch

    settings = settings or get_settings()
    name = f"fanpilot_eval_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    manager = scratch(name)
    db = await asyncio.to_thread(manager.__enter__)
    engine = make_engine(db.app_url, pool_size=10)
    try:
        yield engine
    finally:
        await engine.dispose()
        await asyncio.to_thread(manager.__exit__, None, None, None)


# ------------------------------------------------------------------------------------------ seeding


def _aware(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def when_to_time(dated: Any, case: Case, now: datetime) -> datetime:
    """A dated case row's time: the middle of its calendar window (never later than a minute ago), or
    `days_ago` before now."""
    if dated.days_ago is not None:
        return now - timedelta(days=dated.days_ago)
    if dated.when is None:
        return now - timedelta(days=30)
    window = resolve_window(dated.when, tz=case.creator.timezone, now=now)
    return min(window.start + (window.end - window.start) / 2, now - timedelta(minutes=1))


async def _seed_fan(
    session: Any, principal: Principal, creator_id: uuid.UUID, fan: CaseFan, case: Case, n: int
) -> uuid.UUID:
    platform_fan_id = fan.platform_fan_id or f"{case.id}-{n}"
    now = datetime.now(UTC)
    profile, account, _ = await fan_service.upsert_fan_from_platform(
        session,
        principal,
        creator_id=creator_id,
        platform=fan.platform,
        platform_fan_id=platform_fan_id,
        username=fan.username,
        display_name=fan.display_name,
    )
    ledger: list[tuple[TransactionKind, float, datetime, str, str | None]] = [
        (t.kind, t.amount, when_to_time(t, case, now), f"eval-{case.id}-{n}-t{i}", None)
        for i, t in enumerate(fan.transactions)
    ]
    dated = sum(a if k is not TransactionKind.refund else -abs(a) for k, a, *_ in ledger)
    if fan.lifetime_spend - dated > 0.004:
        # With dated spend, the rest is old history that no recent window may count.
        ago = timedelta(days=400 if fan.transactions else 30)
        rest = round(fan.lifetime_spend - dated, 2)
        ledger.append(
            (TransactionKind.other, rest, now - ago, f"eval-{case.id}-{n}", "eval seed: lifetime spend")
        )
    for txn_kind, amount, at, external_id, description in ledger:
        await fan_service.record_transaction(
            session,
            principal,
            creator_id=creator_id,
            fan_id=profile.id,
            platform=fan.platform,
            kind=txn_kind,
            amount=Decimal(str(amount)),
            occurred_at=at,
            external_id=external_id,
            description=description,
        )
    if fan.tier is not None:
        # The case states the tier the product should see, even where it disagrees with the spend.
        stored = await fan_service.get_fan(session, principal, fan_id=profile.id)
        stored.spend_tier = fan.tier
    if fan.language:
        stored = await fan_service.get_fan(session, principal, fan_id=profile.id)
        stored.language = fan.language
    if fan.subscription is not None:
        sub = fan.subscription
        started = now - timedelta(days=60)
        timeline = [(e.type, when_to_time(e, case, now)) for e in sub.events]
        if not timeline:
            events = ["new"]
            if sub.status is SubscriptionStatus.cancelled:
                events.append("cancelled")
            elif sub.status is SubscriptionStatus.expired:
                events.append("expired")
            timeline = [(SubscriptionEventType(e), started + timedelta(days=i)) for i, e in enumerate(events)]
        state = None
        for event, at in sorted(timeline, key=lambda pair: pair[1]):
            state = await subscriptions.apply_subscription_event(
                session,
                principal,
                creator_id=creator_id,
                fan_id=profile.id,
                platform_account_id=account.id,
                event_type=event,
                occurred_at=at,
                price=Decimal(str(sub.price)) if sub.price is not None else None,
                renews_at=_aware(sub.renews_at),
                expires_at=_aware(sub.expires_at),
            )
        if state is not None and sub.status is SubscriptionStatus.trial:
            state.status = SubscriptionStatus.trial
    for tag in fan.tags:
        await fan_service.add_tag(session, principal, fan_id=profile.id, tag=tag, source="import")
    for note in fan.notes:
        await fan_service.add_note(session, principal, fan_id=profile.id, body=note)
    for kind, value in fan.scores.items():
        await fan_service.set_score(session, principal, fan_id=profile.id, kind=kind, value=value)
    for req in fan.custom_requests:
        await fan_service.create_custom_request(
            session,
            principal,
            fan_id=profile.id,
            description=req.description,
            price=Decimal(str(req.price)) if req.price is not None else None,
        )
    await session.flush()
    return profile.id


async def _seed_voice_examples(
    engine: AsyncEngine, principal: Principal, creator_id: uuid.UUID, case: Case
) -> None:
    """Each of the creator's earlier replies as a conversation with another fan, days ago."""
    now = datetime.now(UTC)
    async with tenant_session(principal, engine=engine) as session:
        for n, example in enumerate(case.creator.voice_examples):
            fan, _, _ = await fan_service.upsert_fan_from_platform(
                session,
                principal,
                creator_id=creator_id,
                platform=case.fan.platform,
                platform_fan_id=f"{case.id}-voice-{n}",
                display_name=example.name or f"voice-example-fan-{n}",
            )
            sent_at = now - timedelta(days=3, minutes=10 * (len(case.creator.voice_examples) - n))
            for i, (direction, sender, text) in enumerate(
                (
                    (MessageDirection.inbound, MessageSender.fan, example.fan),
                    (MessageDirection.outbound, MessageSender.creator, example.reply),
                )
            ):
                await fan_service.log_message(
                    session,
                    principal,
                    creator_id=creator_id,
                    fan_id=fan.id,
                    direction=direction,
                    sender=sender,
                    text=text,
                    sent_at=sent_at + timedelta(minutes=i + 1),
                    platform_message_id=f"eval-{case.id}-v{n}-{i}",
                )


async def seed_case(engine: AsyncEngine, case: Case) -> Seeded:
    """The case's creator, fans, history and memories, through the product's services."""
    async with tenant_session(SYSTEM, engine=engine) as session:
        agency = Agency(id=uuid.uuid4(), name=f"Eval {case.id}", slug=f"eval-{uuid.uuid4().hex[:12]}")
        session.add(agency)
        await session.flush()
        creator = await creator_service.create_creator(
            session,
            SYSTEM,
            agency_id=agency.id,
            display_name=case.creator.name,
            handle=f"{case.creator.name.lower().replace(' ', '_')}_{uuid.uuid4().hex[:6]}",
            voice=case.creator.voice,
            rules=list(case.creator.rules),
            restricted_words=list(case.creator.restricted_words),
            ppv_price_min=Decimal(str(case.creator.ppv_price_bounds.min)),
            ppv_price_max=Decimal(str(case.creator.ppv_price_bounds.max)),
            timezone=case.creator.timezone,
        )
        creator_id = creator.id
    principal = Principal(
        creator_ids=frozenset({creator_id}),
        agency_id=agency.id,
        actor_kind=ActorKind.system,
        role=StaffRole.owner,
    )
    seeded = Seeded(principal=principal, creator_id=creator_id, fan_id=uuid.UUID(int=0))
    if case.creator.voice_examples:
        await _seed_voice_examples(engine, principal, creator_id, case)
    async with tenant_session(principal, engine=engine) as session:
        for n, fan in enumerate([case.fan, *case.fans]):
            fan_id = await _seed_fan(session, principal, creator_id, fan, case, n)
            seeded.fan_ids.setdefault(fan.display_name, fan_id)
            seeded.identities[fan_id] = (fan.display_name, fan.platform_fan_id or f"{case.id}-{n}")
            if n == 0:
                seeded.fan_id = fan_id
        now = datetime.now(UTC)
        for i, msg in enumerate(case.history):
            inbound = msg.sender == "fan"
            await fan_service.log_message(
                session,
                principal,
                creator_id=creator_id,
                fan_id=seeded.fan_id,
                direction=MessageDirection.inbound if inbound else MessageDirection.outbound,
                sender=MessageSender(msg.sender),
                text=msg.text,
                sent_at=now - timedelta(hours=len(case.history) - i + 1),
                platform_message_id=f"eval-{case.id}-h{i}",
            )
    remembered = [(seeded.fan_id, m) for m in case.memories]
    for fan_id, fan in zip(seeded.identities, [case.fan, *case.fans], strict=True):
        remembered += [(fan_id, m) for m in fan.memories]
    if remembered:
        from memory import service as memory_service

        async with tenant_session(principal, engine=engine) as session:
            for fan_id, mem in remembered:
                await memory_service.remember(
                    session,
                    principal,
                    creator_id=creator_id,
                    fan_id=fan_id,
                    text=mem.text,
                    kind=mem.kind,
                    importance=mem.importance,
                )
    if case.suite != "assistant":
        async with tenant_session(principal, engine=engine) as session:
            message = await fan_service.log_message(
                session,
                principal,
                creator_id=creator_id,
                fan_id=seeded.fan_id,
                direction=MessageDirection.inbound,
                sender=MessageSender.fan,
                text=case.inbound,
                platform_message_id=f"eval-{case.id}-inbound",
            )
            seeded.inbound_message_id = message.id
    return seeded


# ------------------------------------------------------------------------------------------ running


async def _run_reply(engine: AsyncEngine, seeded: Seeded, case: Case) -> None:
    from agent import runner as agent_runner

    kwargs: dict[str, Any] = {
        "principal": seeded.principal,
        "creator_id": seeded.creator_id,
        "fan_id": seeded.fan_id,
        "inbound_message_id": seeded.inbound_message_id,
        "kind": case.kind,
        "trigger": "manual",
    }
    if "engine" in inspect.signature(agent_runner.start_reply_run).parameters:
        kwargs["engine"] = engine
    await agent_runner.start_reply_run(**kwargs)


async def _run_assistant(
    engine: AsyncEngine, seeded: Seeded, case: Case, provider: ProviderName | None
) -> list[str]:
    from agent import assistant

    thread = await assistant.create_thread(
        principal=seeded.principal, creator_id=seeded.creator_id, engine=engine
    )
    model = assistant.assistant_model(provider)
    answers: list[str] = []
    tools: list[str] = []
    for message in [case.inbound, *case.followups]:
        turn = await assistant.run_assistant_turn(
            principal=seeded.principal,
            creator_id=seeded.creator_id,
            thread_id=thread.thread_id,
            message=message,
            engine=engine,
            model=model,
        )
        answers.append(turn.text)
        tools += [str(c.get("tool")) for c in turn.tool_calls]
    return ["\n".join(answers), *tools]


async def _collect(engine: AsyncEngine, seeded: Seeded, outcome: CaseOutcome, history_outbound: int) -> None:
    async with tenant_session(seeded.principal, engine=engine) as session:
        items = (
            await session.scalars(
                sa.select(HitlAction)
                .where(HitlAction.creator_id == seeded.creator_id)
                .order_by(HitlAction.created_at)
            )
        ).all()
        outbound = (
            await session.scalar(
                sa.select(sa.func.count())
                .select_from(FanMessage)
                .where(
                    FanMessage.creator_id == seeded.creator_id,
                    FanMessage.direction == MessageDirection.outbound,
                )
            )
        ) or 0
        ledger = (
            await session.scalar(
                sa.select(sa.func.count())
                .select_from(AutomationRuleAction)
                .where(AutomationRuleAction.creator_id == seeded.creator_id)
            )
        ) or 0
        deliveries = (
            await session.scalar(
                sa.select(sa.func.count())
                .select_from(MessageBroadcastDelivery)
                .where(MessageBroadcastDelivery.creator_id == seeded.creator_id)
            )
        ) or 0
    for item in items:
        if item.status == ApprovalStatus.superseded:
            continue
        flags = [str(f.get("code")) for f in item.flags or []]
        blocking = [str(f.get("code")) for f in item.flags or [] if f.get("severity") == "block"]
        name, platform_fan_id = seeded.identities.get(item.fan_id, ("", "")) if item.fan_id else ("", "")
        outcome.actions.append(
            QueuedAction(
                type=str(item.action_type),
                args=dict(item.final_args or item.proposed_args or {}),
                flags=flags,
                blocking_flags=blocking,
                status=str(item.status),
                fan=(name, platform_fan_id) if item.fan_id else None,
            )
        )
        ctx = item.context or {}
        outcome.memories_used += [str(m.get("text") or "") for m in ctx.get("memories_used") or []]
        outcome.tool_calls += [str(c.get("tool") or c.get("name") or "") for c in ctx.get("tool_calls") or []]
        if item.status in PREMATURE_STATUSES:
            outcome.premature_effects.append(f"queue item {item.id} is {item.status} with no decision")
    if outbound > history_outbound:
        outcome.premature_effects.append(f"{outbound - history_outbound} outbound fan message(s) recorded")
    if ledger:
        outcome.premature_effects.append(f"{ledger} automation_rule_actions row(s)")
    if deliveries:
        outcome.premature_effects.append(f"{deliveries} broadcast delivery row(s)")
    if outcome.suite != "assistant":
        outcome.reply_text = next(
            (a.text for a in outcome.actions if a.type in ("send_message", "send_ppv") and a.text), ""
        )


async def run_case(engine: AsyncEngine, case: Case, *, provider: ProviderName | None = None) -> CaseResult:
    outcome = CaseOutcome(case_id=case.id, suite=case.suite)
    started = time.perf_counter()
    seeded: Seeded | None = None
    try:
        seeded = await seed_case(engine, case)
        if case.suite == "assistant":
            text, *tools = await _run_assistant(engine, seeded, case, provider)
            outcome.reply_text = text
            outcome.tool_calls += tools
        else:
            await _run_reply(engine, seeded, case)
    except AppError as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - a crashing case is a failed case, not an aborted suite
        outcome.error = f"{type(exc).__name__}: {exc}"
    if seeded is not None:
        history_outbound = sum(1 for m in case.history if m.sender != "fan") + len(
            case.creator.voice_examples
        )
        await _collect(engine, seeded, outcome, history_outbound)
    outcome.seconds = time.perf_counter() - started
    return evaluate(case, outcome)


async def run_cases(
    engine: AsyncEngine,
    cases: Sequence[Case],
    *,
    provider: ProviderName | None = None,
    concurrency: int = 8,
    on_result: ProgressFn | None = None,
) -> list[CaseResult]:
    """Every case, `concurrency` at a time on one event loop; results in the input order."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(case: Case) -> CaseResult:
        async with gate:
            result = await run_case(engine, case, provider=provider)
        if on_result is not None:
            on_result(result)
        return result

    return list(await asyncio.gather(*(one(c) for c in cases)))


def use_provider(provider: ProviderName | None) -> None:
    """Point every task (drafting, extraction, assistant) at one provider for this process."""
    if provider is None:
        return
    for var in ("FANPILOT_LLM_PROVIDER", "FANPILOT_DRAFTING_PROVIDER", "FANPILOT_ASSISTANT_PROVIDER"):
        os.environ[var] = provider
    get_settings.cache_clear()
