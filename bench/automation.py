"""Automation: events through the rules evaluator, and a broadcast to every fan.

Rules — one creator with 10,000 fans and 50 enabled rules on `tips.received` (every event evaluates
all 50: conditions over spend, tier, tags, scores and activity in one query, a run row each, tag steps
and template messages for the matches). Baseline: the plain webhook path, `process_webhook_event`
(the worker job that applies a stored event to the CRM) for a creator with the same fans and no
rules. Measured: events/s of the plain job, of the same job when the 50 rules listen (it evaluates
them before the event counts as processed), and of the evaluator alone (`agent.automation.
handle_event`); sequentially and four at a time. Then the platform delivers every event again under
new delivery keys: no new run row may appear.

Broadcast — a segment of all 10,000 fans, proposed and approved through the decision path.
Measured: approve → executed (the audience frozen into 10,000 deliveries), then sending them all
through the sandbox adapter in batches (`agent.broadcasts`). Baseline: what the executor did before,
every send and its fan message inside one transaction.

Runs in a scratch database; Redis is the product's server on database 13 (flushed before and after).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import _common
from core.db import tenant_session
from core.settings import get_settings
from core.tenancy import SYSTEM

SUITE = "automation"
REDIS_DB = 13


@dataclass(frozen=True)
class Options:
    fans: int = 10_000
    rules: int = 50
    events: int = 300
    broadcast: int = 10_000
    concurrency: int = 4
    admin_url: str | None = None
    redis_url: str | None = None
    results_dir: Path | None = None


def _redis_for_bench(url: str) -> str:
    base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
    return f"{base}/{REDIS_DB}"


async def _flush(redis: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


def _use(scratch: _common.Scratch, redis: str) -> dict[str, str | None]:
    """Point the product's default engine and queue at the scratch database and the bench Redis."""
    from core.db import get_engine
    from core.redis import reset_clients

    env = {
        "DATABASE_URL": scratch.urls.owner,
        "FANPILOT_APP_DATABASE_URL": scratch.urls.app,
        "REDIS_URL": redis,
    }
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_settings.cache_clear()
    get_engine.cache_clear()
    reset_clients()
    return previous


def _restore(previous: dict[str, str | None]) -> None:
    from core.db import get_engine
    from core.redis import reset_clients

    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
    get_engine.cache_clear()
    reset_clients()


async def _creator_with_fans(engine: AsyncEngine, name: str, fans: int) -> tuple[Any, uuid.UUID, str]:
    """A creator, its OnlyFansAPI connection, and `fans` fans with accounts, spend, tags and activity
    (bulk SQL: set-based seeding is not what is measured)."""
    from crm.creators import service as creator_service
    from crm.enums import Platform

    tenant = await _common.make_bench_tenant(engine, name=name)
    account = f"acct_bench_{uuid.uuid4().hex[:8]}"
    async with tenant_session(SYSTEM, engine=engine) as s:
        connection = await creator_service.create_connection(
            s, SYSTEM, creator_id=tenant.creator_id, platform=Platform.onlyfans, account_id=account,
            webhook_secret="bench-secret",
        )  # fmt: skip
    prefix = f"{name.lower()}-"
    # As the system (RLS is forced for every role, the owner included).
    async with tenant_session(SYSTEM, engine=engine) as conn:
        await conn.execute(
            text(
                """
                INSERT INTO fan_profiles (id, creator_id, display_name, lifetime_spend, spend_tier, first_seen_at,
                                          last_active_at, last_inbound_at, language)
                SELECT gen_random_uuid(), :c, 'Fan ' || n, s.spend,
                       CASE WHEN s.spend = 0 THEN 'new' WHEN s.spend < 50 THEN 'low' WHEN s.spend < 250 THEN 'mid'
                            WHEN s.spend < 1000 THEN 'high' ELSE 'whale' END,
                       now() - interval '200 days', now() - (n % 60) * interval '1 day',
                       now() - (n % 45) * interval '1 day', CASE WHEN n % 7 = 0 THEN 'es' ELSE 'en' END
                FROM generate_series(1, :n) AS n, LATERAL (SELECT ((n * 37) % 2000)::numeric(12, 2) AS spend) s
                """
            ),
            {"c": tenant.creator_id, "n": fans},
        )
        await conn.execute(
            text(
                """
                INSERT INTO fan_platform_accounts (id, creator_id, fan_id, platform, platform_fan_id, display_name)
                SELECT gen_random_uuid(), creator_id, id, 'onlyfans', :p || split_part(display_name, ' ', 2), display_name
                FROM fan_profiles WHERE creator_id = :c
                """
            ),
            {"c": tenant.creator_id, "p": prefix},
        )
        await conn.execute(
            text(
                """
                INSERT INTO fan_tag_values (id, creator_id, fan_id, tag, source)
                SELECT gen_random_uuid(), creator_id, id, 'vip', 'import' FROM fan_profiles
                WHERE creator_id = :c AND (split_part(display_name, ' ', 2))::int % 5 = 0
                """
            ),
            {"c": tenant.creator_id},
        )
    return tenant, connection.id, prefix


def _rule_specs(count: int) -> list[dict[str, Any]]:
    """`count` rules on tips.received, each with conditions a share of fans meets."""
    conditions: list[dict[str, Any] | None] = [
        None,
        {"field": "lifetime_spend", "op": "gt", "value": 500},
        {"field": "spend_tier", "op": "in", "value": ["high", "whale"]},
        {"field": "tag", "op": "has", "value": "vip"},
        {"field": "score:churn_risk", "op": "gte", "value": 0.4},
        {
            "all": [
                {"field": "days_since_last_active", "op": "lt", "value": 30},
                {"field": "language", "op": "eq", "value": "en"},
            ]
        },
        {
            "any": [
                {"field": "tag", "op": "has", "value": "vip"},
                {"field": "lifetime_spend", "op": "between", "value": [100, 300]},
            ]
        },
        {"not": {"field": "spend_tier", "op": "eq", "value": "new"}},
    ]
    specs = []
    for i in range(count):
        messages = i % 10 == 0  # every tenth rule queues a template message; the others tag
        step = (
            {"type": "send_message", "template": "Thanks"}
            if messages
            else {"type": "tag", "tag": f"rule-{i}"}
        )
        spec: dict[str, Any] = {
            "name": f"bench rule {i:02d}",
            "trigger": {"type": "tips.received", **({"min_amount": 10} if i % 4 == 3 else {})},
            "actions": [step],
            "priority": 100 + (i % 5) * 10,
            "cooldown": "1h" if i % 6 == 5 else 0,
        }
        if conditions[i % len(conditions)] is not None:
            spec["conditions"] = conditions[i % len(conditions)]
        specs.append(spec)
    return specs


def _tip(prefix: str, fan_number: int, n: int) -> dict[str, Any]:
    return {
        "event": "tips.received",
        "payload": {
            "id": 900_000_000 + n,
            "amountGross": 25.0,
            "createdAt": (datetime.now(UTC) - timedelta(seconds=n)).isoformat(),
            "user": {"id": f"{prefix}{fan_number}", "displayName": f"Fan {fan_number}"},
        },
    }


async def _store(
    engine: AsyncEngine, creator_id: uuid.UUID, connection_id: uuid.UUID, events: list[dict[str, Any]]
) -> list[str]:
    from crm.webhooks import store

    ids = []
    async with tenant_session(SYSTEM, engine=engine) as s:
        for event in events:
            event_id = await store.store_event(
                s, source="onlyfansapi", idempotency_key=f"evt_bench_{uuid.uuid4().hex}", event_type=event["event"],
                payload=event, creator_id=creator_id, connection_id=connection_id,
            )  # fmt: skip
            assert event_id is not None
            ids.append(str(event_id))
    return ids


def _webhook_job(event_id: str) -> Callable[[], Awaitable[Any]]:
    from api import worker

    return lambda: worker.process_webhook_event({"job_try": 1}, event_id)


async def _timed(work: list[Callable[[], Awaitable[Any]]], concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            await job()

    began = time.perf_counter()
    await asyncio.gather(*(one(job) for job in work))
    return time.perf_counter() - began


async def _rows(engine: AsyncEngine, sql: str, **params: Any) -> list[Any]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        return list((await s.execute(text(sql), params)).all())


async def _count(engine: AsyncEngine, sql: str, **params: Any) -> int:
    async with tenant_session(SYSTEM, engine=engine) as s:
        return int((await s.execute(text(sql), params)).scalar_one())


async def _rules_part(options: Options, console: Console, engine: AsyncEngine) -> dict[str, Any]:
    from agent import automation
    from agent.context import Knobs
    from crm.automation import service as automation_service
    from crm.automation.schemas import RuleSpec
    from crm.messaging import service as templates
    from crm.scores import service as scores

    plain, plain_conn, plain_prefix = await _creator_with_fans(engine, "Plain", options.fans)
    ruled, ruled_conn, ruled_prefix = await _creator_with_fans(engine, "Ruled", options.fans)
    console.print(f"  {options.fans:,} fans for each of two creators")
    async with tenant_session(ruled.principal, engine=engine) as s:
        began = time.perf_counter()
        scored = await scores.compute_scores(s, ruled.principal, creator_id=ruled.creator_id)
        scores_s = time.perf_counter() - began
        await templates.create_template(
            s,
            ruled.principal,
            creator_id=ruled.creator_id,
            name="Thanks",
            body="Thank you {fan_name} for the {tip_amount} tip 💕",
        )
        for spec in _rule_specs(options.rules):
            await automation_service.create_rule(
                s, ruled.principal, creator_id=ruled.creator_id, spec=RuleSpec.model_validate(spec)
            )
    fan_ids = {
        int(r[0]): r[1]
        for r in await _rows(
            engine,
            "SELECT split_part(display_name, ' ', 2), id FROM fan_profiles WHERE creator_id = :c",
            c=ruled.creator_id,
        )
    }
    rng = random.Random(11)
    results: dict[str, Any] = {"score_job_s": round(scores_s, 3), "fans_scored": scored}
    knobs = Knobs.make(engine=engine, extraction="off")

    for concurrency in (1, options.concurrency):
        picks = [rng.randint(1, options.fans) for _ in range(options.events)]
        offset = concurrency * 1_000_000
        plain_events = [_tip(plain_prefix, f, offset + n) for n, f in enumerate(picks)]
        ruled_events = [_tip(ruled_prefix, f, offset + n) for n, f in enumerate(picks)]
        plain_ids = await _store(engine, plain.creator_id, plain_conn, plain_events)
        ruled_ids = await _store(engine, ruled.creator_id, ruled_conn, ruled_events)
        # The webhook job: for the plain creator it applies the tip; with 50 rules listening it
        # also evaluates them (in the same job, before the event counts as processed).
        plain_s = await _timed([_webhook_job(e) for e in plain_ids], concurrency)
        ruled_s = await _timed([_webhook_job(e) for e in ruled_ids], concurrency)

        def evaluation(n: int, fan_number: int, offset: int = offset) -> Callable[[], Awaitable[Any]]:
            fan_id = fan_ids[fan_number]
            # Another moment of the same fans (a new event key): the evaluator alone, nothing mapped.
            key = f"bench:direct:{fan_id}:{offset + n}"
            facts = {"event": "tips.received", "tip_amount": "25.00", "tip_note": None}
            return lambda: automation.handle_event(
                creator_id=ruled.creator_id,
                fan_id=fan_id,
                trigger="tips.received",
                event_key=key,
                facts=facts,
                knobs=knobs,
            )

        evaluate_s = await _timed([evaluation(n, f) for n, f in enumerate(picks)], concurrency)
        runs_before = await _count(
            engine, "SELECT count(*) FROM automation_rule_runs WHERE creator_id = :c", c=ruled.creator_id
        )
        # The platform delivers every tip again under new delivery keys: stored, processed, and no
        # rule evaluates any of them a second time.
        again_ids = await _store(engine, ruled.creator_id, ruled_conn, ruled_events)
        redelivered_s = await _timed([_webhook_job(e) for e in again_ids], concurrency)
        runs_after = await _count(
            engine, "SELECT count(*) FROM automation_rule_runs WHERE creator_id = :c", c=ruled.creator_id
        )
        n = options.events
        results[f"concurrency_{concurrency}"] = {
            "plain_webhook_job_eps": round(n / plain_s, 1),
            "webhook_job_with_rules_eps": round(n / ruled_s, 1),
            "evaluation_eps": round(n / evaluate_s, 1),
            "evaluation_ms_per_event": round(evaluate_s / n * 1000, 2),
            "redelivery_eps": round(n / redelivered_s, 1),
            "runs_added_by_redelivery": runs_after - runs_before,
        }
        console.print(f"  concurrency {concurrency}: {results[f'concurrency_{concurrency}']}")
    results["run_rows"] = await _count(
        engine, "SELECT count(*) FROM automation_rule_runs WHERE creator_id = :c", c=ruled.creator_id
    )
    results["matched_runs"] = await _count(
        engine,
        "SELECT count(*) FROM automation_rule_runs WHERE creator_id = :c AND matched",
        c=ruled.creator_id,
    )
    results["queued_items"] = await _count(
        engine, "SELECT count(*) FROM hitl_action_queue WHERE creator_id = :c", c=ruled.creator_id
    )
    # Per concurrency setting: the webhook pass and the direct pass, each every rule for every event.
    results["expected_run_rows"] = 2 * 2 * options.events * options.rules
    steps = await _count(
        engine, "SELECT count(*) FROM automation_rule_actions WHERE creator_id = :c", c=ruled.creator_id
    )
    results["steps_per_event"] = round(steps / (2 * 2 * options.events), 1)
    return results


async def _broadcast_part(options: Options, console: Console, engine: AsyncEngine) -> dict[str, Any]:
    from agent import broadcasts as sender
    from agent.context import Knobs
    from agent.decisions import decide
    from agent.platform import SandboxAdapter
    from agent.platform.base import OutboundMessage
    from crm.approvals import service as approvals
    from crm.enums import ActionType, ApprovalOrigin, MessageDirection, MessageSender
    from crm.fans import service as fan_service
    from crm.segments import service as segments

    tenant, _, _ = await _creator_with_fans(engine, "Broadcaster", options.broadcast)
    principal = tenant.principal
    async with tenant_session(principal, engine=engine) as s:
        segment = await segments.create_segment(
            s,
            principal,
            creator_id=tenant.creator_id,
            name="Everyone",
            rules={"field": "lifetime_spend", "op": "gte", "value": 0},
        )
        members = await segments.refresh_segment(s, principal, segment_id=segment.id)
        item, _ = await approvals.create_item(
            s, principal, idempotency_key=f"bench-broadcast-{uuid.uuid4()}", creator_id=tenant.creator_id, fan_id=None,
            action_type=ActionType.create_broadcast, origin=ApprovalOrigin.direct, flags=[],
            args={"segment_id": str(segment.id), "text": "New set is up 💕"},
            context={"segment": {"name": segment.name, "members": members}},
        )  # fmt: skip
    knobs = Knobs.make(engine=engine, adapter=SandboxAdapter(), extraction="off")
    began = time.perf_counter()
    decided = await decide(
        principal=principal, item_id=item.id, decision="approve", deliver="now", knobs=knobs
    )
    freeze_s = time.perf_counter() - began
    assert decided.status == "executed", decided.status
    broadcast_id = (
        await _rows(engine, "SELECT id FROM message_broadcasts WHERE hitl_item_id = :i", i=item.id)
    )[0][0]
    began = time.perf_counter()
    progress = await sender.send_broadcast(
        broadcast_id=broadcast_id, creator_id=tenant.creator_id, knobs=knobs
    )
    send_s = time.perf_counter() - began
    sent_once = await _count(
        engine,
        "SELECT count(*) FROM (SELECT fan_id FROM fan_messages WHERE hitl_item_id = :i AND direction = 'outbound'"
        " GROUP BY fan_id HAVING count(*) = 1) x",
        i=item.id,
    )

    # Baseline: the executor before, every send and its fan message in one transaction.
    base, _, _ = await _creator_with_fans(engine, "Baseline", options.broadcast)
    base_fans = [
        r[0]
        for r in await _rows(engine, "SELECT id FROM fan_profiles WHERE creator_id = :c", c=base.creator_id)
    ]
    adapter = SandboxAdapter()
    began = time.perf_counter()
    async with tenant_session(base.principal, engine=engine) as s:
        key = uuid.uuid4()
        for fan_id in base_fans:
            account = await fan_service.get_platform_account(s, base.principal, fan_id=fan_id)
            result = await adapter.send_message(
                OutboundMessage(
                    creator_id=base.creator_id,
                    fan_id=fan_id,
                    platform_fan_id=account.platform_fan_id if account else None,
                    text="New set is up 💕",
                    idempotency_key=f"{key}:{fan_id}",
                )
            )
            await fan_service.log_message(
                s, base.principal, creator_id=base.creator_id, fan_id=fan_id, direction=MessageDirection.outbound,
                sender=MessageSender.agent, text="New set is up 💕", platform_message_id=result.platform_message_id,
            )  # fmt: skip
    baseline_s = time.perf_counter() - began
    n = options.broadcast
    console.print(
        f"  broadcast to {n:,}: freeze {freeze_s:.2f} s, send {send_s:.1f} s (baseline {baseline_s:.1f} s)"
    )
    return {
        "recipients": members,
        "approve_to_frozen_s": round(freeze_s, 3),
        "send_all_s": round(send_s, 2),
        "deliveries_per_s": round(progress.sent / send_s, 1) if send_s else None,
        "sent": progress.sent,
        "status": progress.status,
        "fans_sent_exactly_once": sent_once,
        "baseline_one_transaction_s": round(baseline_s, 2),
        "baseline_per_s": round(n / baseline_s, 1) if baseline_s else None,
    }


async def run(options: Options, console: Console) -> dict[str, Any]:
    settings = get_settings()
    admin = _common.admin_url(settings, options.admin_url)
    # An explicit Redis (the tests') is used as given; else the product's server on its own database.
    redis = options.redis_url or _redis_for_bench(_common.redis_url(settings))
    await _flush(redis)
    async with _common.scratch_database(SUITE, settings=settings, admin=admin) as scratch:
        previous = _use(scratch, redis)
        try:
            from core.db import get_engine

            engine = get_engine()
            console.print(
                f"[bold]automation[/bold]: {options.rules} rules, {options.fans:,} fans, {options.events} events"
            )
            rules = await _rules_part(options, console, engine)
            console.print(f"[bold]broadcast[/bold] to {options.broadcast:,} fans")
            broadcast = await _broadcast_part(options, console, engine)
            await engine.dispose()
        finally:
            _restore(previous)
    await _flush(redis)
    integrity = {
        "one_run_row_per_rule_and_event": rules["run_rows"] == rules["expected_run_rows"],
        "redelivery_added_no_runs": all(
            rules[k]["runs_added_by_redelivery"] == 0 for k in rules if k.startswith("concurrency_")
        ),
        "broadcast_sent_exactly_once": broadcast["fans_sent_exactly_once"]
        == broadcast["recipients"]
        == broadcast["sent"],
    }
    return {
        "suite": SUITE,
        "baseline_name": "the plain webhook job (no rules); for the broadcast, every send in one transaction (the old executor)",
        "machine": _common.machine_info(admin),
        "parameters": {
            "fans": options.fans,
            "rules": options.rules,
            "events": options.events,
            "broadcast": options.broadcast,
            "concurrency": options.concurrency,
            "adapter": "sandbox",
        },
        "rules": rules,
        "broadcast": broadcast,
        "integrity": {**integrity, "all": all(integrity.values())},
    }


def print_table(console: Console, result: dict[str, Any]) -> None:
    table = Table(title="automation — events/s (plain webhook job is the baseline)")
    for column in (
        "concurrency",
        "plain webhook job",
        "webhook job with rules",
        "evaluator alone",
        "ms/evaluation",
    ):
        table.add_column(column, justify="right")
    for key, data in result["rules"].items():
        if key.startswith("concurrency_"):
            table.add_row(
                key.removeprefix("concurrency_"), str(data["plain_webhook_job_eps"]), str(data["webhook_job_with_rules_eps"]),
                str(data["evaluation_eps"]), str(data["evaluation_ms_per_event"]),
            )  # fmt: skip
    console.print(table)
    b = result["broadcast"]
    console.print(
        f"broadcast to {b['recipients']:,}: approve → frozen {b['approve_to_frozen_s']} s, send {b['send_all_s']} s "
        f"({b['deliveries_per_s']}/s); baseline one transaction {b['baseline_one_transaction_s']} s; integrity {result['integrity']}"
    )


def run_cli(console: Console, **options: Any) -> int:
    """Run the automation benchmark, print a table, write bench/results/automation.json."""
    opts = Options(**{k: v for k, v in options.items() if v is not None})
    result = asyncio.run(run(opts, console))
    path = _common.write_result(SUITE, result, results_dir=opts.results_dir)
    print_table(console, result)
    console.print(f"wrote {path}")
    return 0 if result["integrity"]["all"] else 1


if __name__ == "__main__":
    raise SystemExit(run_cli(Console()))
