"""The arq worker: webhook processing, agent runs, resumes after decisions, memory extraction,
expiry and the webhook sweeper; automation (rule evaluation, timers, schedules), broadcast sending,
segment refreshes and fan scores.

Delivery is at least once: a job may run again after a crash or a retry, so every job is
idempotent (stored state says what is already done; job ids are deterministic). Transient
failures (database or Redis unreachable) retry with exponential backoff; a job that fails for a
reason retrying cannot fix records the error where a person can see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from arq import Retry, cron
from arq.connections import RedisSettings
from arq.constants import in_progress_key_prefix, retry_key_prefix
from arq.worker import Worker, func
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError

from core import queue
from core.db import tenant_session
from core.errors import AppError, NotFound
from core.events import ALL_CHANNEL, publish_inbox_change
from core.redis import get_redis
from core.tenancy import SYSTEM, ActorKind, Principal
from crm import models as _all_models  # noqa: F401 - every mapper known before the first job
from crm.enums import WebhookStatus
from crm.webhooks import store
from crm.webhooks.mapping import EventMapper, MappingOutcome, RunRequest

log = logging.getLogger(__name__)

MAX_TRIES = 6
SWEEP_AFTER = timedelta(minutes=2)
# An event the API stored but could not enqueue (Redis was down) is swept this soon.
SWEEP_NEVER_QUEUED_AFTER = timedelta(seconds=5)
# A queued event whose job is gone from Redis after this long was lost with Redis' data.
SWEEP_LOST_JOB_AFTER = timedelta(seconds=10)
# psycopg's own classes too: the checkpointer and the one-round-trip paths talk to the driver.
TRANSIENT = (
    OperationalError,
    DBAPIError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    RedisError,
    OSError,
)
_DONE_KEY = "fp:job-done:{}"
# The name agent.learn enqueues memory extraction under.
EXTRACTION_JOB = "extract_memories_for_exchange"
# Events that move what segments select (spend, subscription state): a refresh follows them.
SEGMENT_EVENTS = frozenset(
    {
        "subscriptions.new",
        "subscriptions.renewed",
        "subscriptions.expired",
        "tips.received",
        "transactions.new",
        "messages.ppv.unlocked",
    }
)
_DONE_TTL_SECONDS = 7 * 24 * 3600


def creator_principal(creator_id: uuid.UUID) -> Principal:
    """What a job acts as: the system, limited to the one creator the work belongs to."""
    return Principal(creator_ids=frozenset({creator_id}), actor_kind=ActorKind.system)


def _backoff(ctx: dict[str, Any]) -> Retry:
    tries = int(ctx.get("job_try", 1))
    return Retry(defer=min(300, 2**tries))


# ---------------------------------------------------------------- webhooks


async def process_webhook_event(ctx: dict[str, Any], event_id: str) -> str:
    """Apply one stored event to the CRM and enqueue the agent run it asks for."""
    eid = uuid.UUID(event_id)
    try:
        async with tenant_session(SYSTEM) as s:
            event = await store.get_event(s, event_id=eid, lock=True)
            if event is None:
                return "missing"
            if event.status in (WebhookStatus.processed, WebhookStatus.ignored):
                return f"already {event.status}"
            if event.creator_id is None:
                await store.set_status(s, event_id=eid, status=WebhookStatus.ignored, error="no creator")
                return "ignored"
            event.status = WebhookStatus.processing
            event.attempts += 1
            creator_id, event_type = event.creator_id, event.event_type
            payload = dict(event.payload.get("payload", event.payload.get("data", {})) or {})
        try:
            async with tenant_session(creator_principal(creator_id)) as s:
                outcome = await EventMapper(
                    s, creator_principal(creator_id), creator_id=creator_id, event_type=event_type
                ).apply(payload)
                listening = await _listening(s, creator_id)
        except AppError as exc:
            # Bad data, not a bad moment: retrying will not help. Kept visible on the row.
            async with tenant_session(SYSTEM) as s:
                await store.set_status(s, event_id=eid, status=WebhookStatus.failed, error=exc.message[:500])
            log.warning("webhook %s (%s) failed: %s", eid, event_type, exc.message)
            return "failed"
        if outcome.run is not None and not _rules_own(event_type, outcome, listening):
            # One run per fan message, however many times (or under however many keys) it arrives.
            key = (
                f"message:{outcome.run.inbound_message_id}"
                if outcome.run.inbound_message_id
                else f"webhook:{eid}"
            )
            await _enqueue_run(outcome.run, dedupe_key=key, trigger="webhook")
        # Before the event is marked processed: a crash here leaves it to the sweeper, and the
        # evaluation, idempotent per rule, fan and event, runs again without doing anything twice.
        await _automation(creator_id, event_type, outcome, eid, listening)
        async with tenant_session(SYSTEM) as s:
            await store.set_status(
                s,
                event_id=eid,
                status=WebhookStatus.processed if outcome.handled else WebhookStatus.ignored,
                fan_id=outcome.fan_id,
            )
        return "processed" if outcome.handled else "ignored"
    except TRANSIENT as exc:
        log.warning("webhook %s: transient failure, retrying: %s", eid, exc)
        raise _backoff(ctx) from exc


async def _enqueue_run(run: RunRequest, *, dedupe_key: str, trigger: str) -> None:
    queued = await queue.enqueue(
        "run_reply",
        creator_id=str(run.creator_id),
        fan_id=str(run.fan_id),
        kind=run.kind,
        trigger=trigger,
        inbound_message_id=str(run.inbound_message_id) if run.inbound_message_id else None,
        dedupe_key=dedupe_key,
        facts=run.facts or None,
        job_id=f"run:{dedupe_key}",
    )
    if not queued:
        raise RedisError("queue unavailable")


# ---------------------------------------------------------------- automation


async def _listening(s: Any, creator_id: uuid.UUID) -> set[str]:
    """The triggers the creator's enabled rules listen to."""
    from crm.automation import service as automation

    return await automation.enabled_triggers(s, creator_principal(creator_id), creator_id=creator_id)


def _rules_own(event_type: str, outcome: MappingOutcome, listening: set[str]) -> bool:
    """A lifecycle draft (welcome, win-back, thank-you) is the built-in automation: an enabled rule of
    the creator on the same moment takes its place. A fan message's reply run always runs."""
    from crm.automation.service import LIFECYCLE_OWNERS

    if outcome.run is None or outcome.run.kind == "reply":
        return False
    return bool(listening & set(LIFECYCLE_OWNERS.get(event_type.removeprefix("fansly."), ())))


async def _automation(
    creator_id: uuid.UUID, event_type: str, outcome: MappingOutcome, event_id: uuid.UUID, listening: set[str]
) -> None:
    """Evaluate the creator's rules on the event, and refresh their segments (soon, at most once a
    minute) after events that move what segments select."""
    from agent import automation

    event = event_type.removeprefix("fansly.")
    timers = "timer.no_creator_reply" in listening and event in ("messages.received", "messages.sent")
    if outcome.fan_id is not None and outcome.handled and (event in listening or timers):
        try:
            await automation.handle_event(
                creator_id=creator_id,
                fan_id=outcome.fan_id,
                trigger=event,
                event_key=outcome.event_key or f"webhook:{event_id}",
                facts=outcome.facts,
                event_id=event_id,
            )
        except AppError as exc:
            # Bad data in a rule or a template: the event itself was applied; the rule's page says why.
            log.warning("rules on %s for fan %s not evaluated: %s", event, outcome.fan_id, exc.message)
    if event in SEGMENT_EVENTS and outcome.handled:
        await queue.enqueue(
            "refresh_segments",
            creator_id=str(creator_id),
            job_id=f"segments:{creator_id}:{int(time.time() // 60)}",
            defer_until=datetime.now(UTC) + timedelta(seconds=5),
        )


async def fire_timers(ctx: dict[str, Any]) -> int:
    """Fire due automation timers (delays, no-reply follow-ups, waiting chains, agent drafts) and
    decide again auto-approvals a crash left pending."""
    from agent import automation

    try:
        outcomes = await automation.fire_due_timers()
    except TRANSIENT as exc:
        log.warning("timer sweep interrupted, the next one continues: %s", exc)
        return 0
    if outcomes:
        log.info("automation timers: %s", ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    return sum(outcomes.values())


async def scan_schedules(ctx: dict[str, Any]) -> int:
    """Evaluate "N days before renewal / after expiry" rules for the fans at that moment."""
    from agent import automation

    try:
        return await automation.scan_schedules()
    except TRANSIENT as exc:
        log.warning("schedule scan interrupted, the next one continues: %s", exc)
        return 0


async def send_broadcast(ctx: dict[str, Any], *, broadcast_id: str, creator_id: str) -> str:
    """Send a broadcast's frozen deliveries in batches, each once (resumable: see send_due_broadcasts)."""
    from agent import broadcasts

    try:
        progress = await broadcasts.send_broadcast(
            broadcast_id=uuid.UUID(broadcast_id), creator_id=uuid.UUID(creator_id)
        )
    except TRANSIENT as exc:
        raise _backoff(ctx) from exc
    return f"{progress.status}: {progress.sent} sent, {progress.skipped} skipped, {progress.failed} failed"


async def send_due_broadcasts(ctx: dict[str, Any]) -> int:
    """Resume every broadcast still sending (a crashed sender, a lost job, retries now due)."""
    from agent import broadcasts

    try:
        done = await broadcasts.send_due_broadcasts()
    except TRANSIENT as exc:
        log.warning("broadcast sweep interrupted, the next one continues: %s", exc)
        return 0
    return sum(p.sent for p in done)


async def refresh_segments(ctx: dict[str, Any], *, creator_id: str | None = None) -> int:
    """Re-evaluate segment membership (one creator after its events, or every creator on schedule)."""
    from crm.segments import service as segments

    principal = creator_principal(uuid.UUID(creator_id)) if creator_id else SYSTEM
    try:
        async with tenant_session(principal) as s:
            counts = await segments.refresh_creator_segments(
                s, principal, creator_id=uuid.UUID(creator_id) if creator_id else None
            )
    except TRANSIENT as exc:
        raise _backoff(ctx) from exc
    return len(counts)


async def refresh_all_segments(ctx: dict[str, Any]) -> int:
    """The schedule: every creator's segments (a cron)."""
    return await refresh_segments(ctx)


async def compute_scores(ctx: dict[str, Any]) -> int:
    """Recompute churn risk, upsell readiness and engagement for every fan (a cron)."""
    from crm.scores import service as scores

    try:
        async with tenant_session(SYSTEM) as s:
            return await scores.compute_scores(s, SYSTEM)
    except TRANSIENT as exc:
        log.warning("score job interrupted, the next one continues: %s", exc)
        return 0


async def sweep_webhooks(ctx: dict[str, Any]) -> int:
    """Re-enqueue stored events that were never processed: never enqueued (Redis was down), lost
    from the queue (Redis restarted without them), or left behind (a worker crashed, retries ran out
    of a bad moment)."""
    async with tenant_session(SYSTEM) as s:
        never_queued = await store.stale_event_ids(
            s, older_than=SWEEP_NEVER_QUEUED_AFTER, statuses=(WebhookStatus.received,)
        )
        stale = await store.stale_event_ids(s, older_than=SWEEP_AFTER)
        queued = await store.stale_event_ids(
            s, older_than=SWEEP_LOST_JOB_AFTER, statuses=(WebhookStatus.queued,)
        )
    count = 0
    # The original job id for work that never reached the queue or was lost from it: no job or
    # result can exist under it, and enqueuing it twice is a no-op.
    lost = await queue.missing_jobs([f"webhook:{e}" for e in queued if e not in set(stale)])
    first_time = [e for e in never_queued if e not in set(stale)]
    for event_id in first_time:
        if await queue.enqueue("process_webhook_event", str(event_id), job_id=f"webhook:{event_id}"):
            async with tenant_session(SYSTEM) as s:
                await store.set_status(
                    s, event_id=event_id, status=WebhookStatus.queued, only_if=(WebhookStatus.received,)
                )
            count += 1
    for job_id in lost:
        if await queue.enqueue("process_webhook_event", job_id.removeprefix("webhook:"), job_id=job_id):
            count += 1
    for event_id in stale:
        # A fresh job id: the earlier job (if any) is finished or lost.
        if await queue.enqueue(
            "process_webhook_event", str(event_id), job_id=f"webhook:{event_id}:sweep:{uuid.uuid4().hex[:8]}"
        ):
            count += 1
    if count:
        log.info(
            "sweeper enqueued %d webhook event(s): %d never queued, %d lost from the queue, %d overdue",
            count, len(first_time), len(lost), len(stale),
        )  # fmt: skip
    return count


# ---------------------------------------------------------------- agent runs


async def _once(key: str) -> bool:
    """True when `key` was already completed (recorded by _mark_done)."""
    return bool(await get_redis().exists(_DONE_KEY.format(key)))


async def _mark_done(key: str) -> None:
    await get_redis().set(_DONE_KEY.format(key), "1", ex=_DONE_TTL_SECONDS)


async def run_reply(
    ctx: dict[str, Any],
    *,
    creator_id: str,
    fan_id: str,
    kind: str = "reply",
    trigger: str = "webhook",
    inbound_message_id: str | None = None,
    dedupe_key: str | None = None,
    facts: dict[str, Any] | None = None,
) -> str:
    """Run the reply graph for a fan until it stops at the approval gate (a pending draft)."""
    from agent import runner

    if dedupe_key and await _once(f"run:{dedupe_key}"):
        return "already done"
    cid = uuid.UUID(creator_id)
    try:
        result = await runner.start_reply_run(
            principal=creator_principal(cid),
            creator_id=cid,
            fan_id=uuid.UUID(fan_id),
            inbound_message_id=uuid.UUID(inbound_message_id) if inbound_message_id else None,
            kind=kind,
            trigger=trigger,
            facts=facts,
        )
    except TRANSIENT as exc:
        raise _backoff(ctx) from exc
    except AppError as exc:
        log.warning("reply run for fan %s not started: %s", fan_id, exc.message)
        return f"refused: {exc.message}"
    if dedupe_key:
        await _mark_done(f"run:{dedupe_key}")
    item_id = getattr(result, "item_id", None)
    await publish_inbox_change(get_redis(), creator_id=cid, change="item.created", item_id=item_id)
    return str(getattr(result, "status", "done"))


async def deliver_item(ctx: dict[str, Any], *, item_id: str, creator_id: str) -> str:
    """Deliver a decided item: continue its run (execute once, or redraft after a rejection), or
    execute it directly; a transient platform failure schedules the next attempt."""
    from agent import decisions

    cid, iid = uuid.UUID(creator_id), uuid.UUID(item_id)
    try:
        done = await decisions.deliver(principal=creator_principal(cid), item_id=iid)
    except TRANSIENT as exc:
        raise _backoff(ctx) from exc
    except AppError as exc:
        log.info("item %s not delivered: %s", iid, exc.message)
        return f"not delivered: {exc.message}"
    return done.status


async def deliver_due(ctx: dict[str, Any]) -> int:
    """Deliver every approved item whose delivery is due: scheduled retries, and decisions whose job
    was lost (a killed worker, a Redis outage). Nothing approved ends silently unsent."""
    from agent import decisions

    try:
        done = await decisions.deliver_due()
    except TRANSIENT as exc:
        log.warning("delivery sweep interrupted, the next one continues: %s", exc)
        return 0
    if done:
        log.info("delivery sweep: %d item(s) %s", len(done), ", ".join(d.status for d in done))
    return len(done)


async def extract_memories(ctx: dict[str, Any], creator_id: str, fan_id: str, item_id: str) -> int:
    """Learn from a finished exchange: extract and reconcile the fan's memories (agent.learn enqueues it)."""
    from agent import learn

    try:
        return int(await learn.extraction_job(ctx, creator_id, fan_id, item_id))
    except TRANSIENT as exc:
        raise _backoff(ctx) from exc
    except NotFound:
        # The exchange is gone (the fan was erased, or the item with them): nothing left to learn.
        log.info("memory extraction for item %s skipped: the item no longer exists", item_id)
        return 0


# ---------------------------------------------------------------- killed workers
#
# arq marks a running job with an in-progress key that expires only after the job timeout (minutes):
# a worker killed mid-job (SIGKILL, OOM, a lost machine) leaves its jobs blocked that long. Each
# worker keeps a heartbeat key alive and names itself the owner of every job it starts; a job whose
# owner's heartbeat is gone is released, and the next poll of any worker runs it again (every job is
# idempotent, so a job that did get partway only finishes what is left).

HEARTBEAT_KEY = "fp:worker:{}"
JOB_OWNER_KEY = "fp:job-owner:{}"
RELEASED_KEY = "fp:job-released:{}"
# Releases after a kill given back to a job's retry budget: a dead worker is not the job's failure,
# but a job that keeps killing its workers (out of memory, say) still runs out of tries.
FORGIVEN_KILLS = 3
HEARTBEAT_EVERY_SECONDS = 2.0
HEARTBEAT_TTL_SECONDS = 6
JOB_TIMEOUT_SECONDS = 300


async def _heartbeat(redis: Any, worker_id: str) -> None:
    while True:
        with contextlib.suppress(RedisError, OSError):
            # The value is the process id: operators (and the fault tests) can tell workers apart.
            await redis.set(HEARTBEAT_KEY.format(worker_id), str(os.getpid()), ex=HEARTBEAT_TTL_SECONDS)
        await asyncio.sleep(HEARTBEAT_EVERY_SECONDS)


async def on_startup(ctx: dict[str, Any]) -> None:
    from memory.embeddings import LocalMiniLMEmbedder, get_embedder

    # Load the local embedding model (start its process) before taking jobs: otherwise the first
    # reply run pays for it, and a worker killed while loading it costs that run a try.
    embedder = get_embedder()
    if isinstance(embedder, LocalMiniLMEmbedder):
        await asyncio.to_thread(embedder.warm_up)
    ctx["worker_id"] = uuid.uuid4().hex
    await ctx["redis"].set(HEARTBEAT_KEY.format(ctx["worker_id"]), str(os.getpid()), ex=HEARTBEAT_TTL_SECONDS)
    ctx["heartbeat"] = asyncio.create_task(_heartbeat(ctx["redis"], ctx["worker_id"]))


async def on_shutdown(ctx: dict[str, Any]) -> None:
    """Write what is still pending (recall's batched access counts) and stop the heartbeat."""
    from memory.access import ACCESS_LOG

    await ACCESS_LOG.flush()
    task = ctx.pop("heartbeat", None)
    if task is not None:
        task.cancel()
    with contextlib.suppress(RedisError, OSError):
        await ctx["redis"].delete(HEARTBEAT_KEY.format(ctx.get("worker_id", "")))


async def on_job_start(ctx: dict[str, Any]) -> None:
    with contextlib.suppress(RedisError, OSError):
        await ctx["redis"].set(
            JOB_OWNER_KEY.format(ctx["job_id"]), ctx["worker_id"], ex=JOB_TIMEOUT_SECONDS + 30
        )


async def release_orphaned_jobs(ctx: dict[str, Any]) -> int:
    """Release jobs whose worker died mid-job (its heartbeat expired), so another worker runs them now
    instead of after arq's job timeout."""
    redis = get_redis()
    unowned_before: set[str] = ctx.setdefault("unowned_jobs", set())
    unowned_now: set[str] = set()
    released = 0
    async for key in redis.scan_iter(match=in_progress_key_prefix + "*", count=500):
        job_id = key.removeprefix(in_progress_key_prefix)
        owner = await redis.get(JOB_OWNER_KEY.format(job_id))
        if owner is None:
            # Between arq marking a job and its start hook: only an orphan if still so next sweep.
            unowned_now.add(job_id)
            if job_id not in unowned_before:
                continue
        elif await redis.exists(HEARTBEAT_KEY.format(owner)):
            continue
        await redis.delete(key, JOB_OWNER_KEY.format(job_id))
        if await redis.incr(RELEASED_KEY.format(job_id)) <= FORGIVEN_KILLS:
            await redis.decr(retry_key_prefix + job_id)
        await redis.expire(RELEASED_KEY.format(job_id), 24 * 3600)
        released += 1
    ctx["unowned_jobs"] = unowned_now
    if released:
        log.warning("released %d job(s) of a worker that stopped mid-job", released)
    return released


async def expire_items(ctx: dict[str, Any]) -> int:
    """Expire pending approvals past their TTL (fail-closed: nothing runs)."""
    from crm.approvals import service as approvals

    async with tenant_session(SYSTEM) as s:
        expired = await approvals.expire_due_items(s, SYSTEM)
    if expired:
        # The item ids are not returned; every open inbox refreshes on a broadcast change.
        await get_redis().publish(ALL_CHANNEL, json.dumps({"change": "items.expired", "count": expired}))
    return expired


class WorkerSettings:
    """`arq api.worker.WorkerSettings`, or `fanpilot worker`."""

    functions = [  # noqa: RUF012
        func(process_webhook_event),
        func(run_reply),
        func(deliver_item),
        func(extract_memories, name=EXTRACTION_JOB),
        func(send_broadcast),
        func(refresh_segments),
    ]
    cron_jobs = [  # noqa: RUF012
        cron(expire_items, second=0, run_at_startup=True, unique=True),
        cron(deliver_due, second=set(range(5, 60, 10)), run_at_startup=True, unique=True),
        cron(sweep_webhooks, second=set(range(0, 60, 15)), run_at_startup=True, unique=True),
        cron(release_orphaned_jobs, second=set(range(0, 60, 3)), run_at_startup=True, unique=True),
        cron(fire_timers, second=set(range(0, 60, 10)), run_at_startup=True, unique=True),
        cron(scan_schedules, second=20, run_at_startup=True, unique=True),
        cron(send_due_broadcasts, second=set(range(7, 60, 15)), run_at_startup=True, unique=True),
        cron(refresh_all_segments, minute=set(range(0, 60, 15)), second=40, unique=True),
        cron(compute_scores, minute=50, second=50, run_at_startup=True, unique=True),
    ]
    max_tries = MAX_TRIES
    job_timeout = JOB_TIMEOUT_SECONDS
    keep_result = 3600
    redis_settings: RedisSettings | None = None  # filled in by `fanpilot worker` from settings


def worker_settings() -> dict[str, Any]:
    """Keyword arguments for arq's Worker, with Redis resolved from settings (REDIS_URL / embedded)."""
    return {
        "functions": WorkerSettings.functions,
        "cron_jobs": WorkerSettings.cron_jobs,
        "max_tries": WorkerSettings.max_tries,
        "job_timeout": WorkerSettings.job_timeout,
        "keep_result": WorkerSettings.keep_result,
        "redis_settings": queue.redis_settings(),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "on_job_start": on_job_start,
    }


# ---------------------------------------------------------------- surviving Redis outages

RECONNECT_MIN_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 5.0
# A worker that ran this long before losing Redis starts again at the shortest pause.
_HEALTHY_AFTER_SECONDS = 30.0


async def run_until_stopped(*, burst: bool = False, stop: asyncio.Event | None = None) -> None:
    """Run an arq worker until `stop` is set (or, with `burst`, the queue is empty). When Redis goes
    away the worker is closed and started again after a short pause, so an outage never ends the
    process; whatever was lost from the queue meanwhile is re-derived from Postgres by the sweeps."""
    stop = stop or asyncio.Event()
    pause = RECONNECT_MIN_SECONDS
    while not stop.is_set():
        worker = Worker(**worker_settings(), burst=burst, handle_signals=False)
        started = time.monotonic()
        main = asyncio.ensure_future(worker.main())
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({main, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if main.done():
                main.result()  # a Redis error raises here
                return  # burst: the queue is empty
        except (RedisError, OSError) as exc:
            if time.monotonic() - started > _HEALTHY_AFTER_SECONDS:
                pause = RECONNECT_MIN_SECONDS
            log.warning("worker lost Redis (%s: %s); reconnecting in %.1f s", type(exc).__name__, exc, pause)
        finally:
            stopping.cancel()
            await _close_quietly(worker, main)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=pause)
        pause = min(pause * 2, RECONNECT_MAX_SECONDS)


async def _close_quietly(worker: Worker, main: asyncio.Future[None]) -> None:
    """Stop a worker whose Redis may be gone: its loop and running jobs are cancelled (the jobs are
    released to the next worker and run again, idempotently), its pool closed."""
    main.cancel()
    with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
        await main
    with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
        await worker.close()
    if worker._pool is not None:  # close() stops early when a cancelled job re-raises
        with contextlib.suppress(RedisError, OSError):
            await worker._pool.close(close_connection_pool=True)


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGTERM / SIGINT end the worker (running jobs are released to the next worker)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
