"""load_context: the fan dossier, the unanswered messages, recalled memories (with their dates), the
creator's voice examples that answered messages like this one, the run kind and the safety signals
in the fan's message."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langgraph.runtime import Runtime

from agent.context import AgentContext, HeadStart
from agent.llm.languages import detect_conversation_language
from agent.state import ReplyState
from agent.voice_examples import embed_cached, retrieve
from core.db import Statement, pipelined, tenant_session
from core.errors import NotFound
from core.tenancy import Principal
from crm.approvals.signals import detect_signals
from crm.enums import MessageDirection
from crm.fans import service as fan_service
from crm.fans.dossier import ReplyProfile, reply_profile_from_row, reply_profile_statement
from crm.fans.models import FanMessage
from crm.runtime import service as runtime_service
from crm.runtime.service import VoiceExample

VOICE_EXAMPLES = 5
RECENT_MESSAGES = 20
# How many of the creator's latest replies are candidates for retrieval.
VOICE_CANDIDATES = 300


async def _recall(
    session: Any | None, ctx: AgentContext, fan_id: uuid.UUID, query: str, vector: Sequence[float] | None
) -> list[dict[str, Any]]:
    """In the open session, or with none (None) as a transaction of its own in one round trip."""
    from memory import service as memory_service

    if session is None:
        found = await memory_service.recall_for_fan_in_one_round_trip(
            ctx.principal, fan_id=fan_id, query=query, k=6, query_vector=vector, engine=ctx.engine
        )
    else:
        found = await memory_service.recall_for_fan(
            session, ctx.principal, fan_id=fan_id, query=query, k=6, query_vector=vector
        )
    return [
        {
            "id": str(m.id),
            "kind": str(m.kind),
            "text": m.text,
            "importance": m.importance,
            "score": round(m.score, 3),
            "date": m.valid_from.date().isoformat() if m.valid_from is not None else None,
        }
        for m in found
    ]


def _embedder() -> Any:
    from memory.embeddings import get_embedder

    return get_embedder()


async def _embed(text: str) -> list[float]:
    from memory.embeddings import embed_queries

    embedder = _embedder()
    if getattr(embedder, "embed_query", None) is None:
        # One side for queries and passages (MiniLM, OpenAI): a text this process embedded already
        # (as the fan message a voice example answered, or for an earlier run on the same message)
        # is not embedded again. The same vectors either way.
        (vector,) = await embed_cached(embedder, [text])
        return vector
    # The query side of the embedder (e5 embeds queries and passages differently).
    (vector,) = await embed_queries(embedder, [text])
    return vector


async def _run_kind(session: Any, ctx: AgentContext) -> str:
    try:
        run = await runtime_service.get_run(session, ctx.principal, run_id=ctx.ids.run_id)
    except NotFound:
        return "reply"
    return str(run.kind or "reply")


def _conversation(recent: Sequence[FanMessage]) -> tuple[list[str], dict[str, str] | None]:
    """Everything the fan wrote since our last reply (a fresh draft answers all of it), and the
    newest of those messages."""
    unanswered: list[str] = []
    last_inbound: dict[str, str] | None = None
    for message in recent:
        if message.direction == MessageDirection.outbound:
            unanswered = []
        else:
            unanswered.append(message.text)
            last_inbound = {"id": str(message.id), "created_at": message.created_at.isoformat()}
    return unanswered, last_inbound


def recall_query(recent: Sequence[FanMessage]) -> str:
    return " ".join(_conversation(recent)[0][-3:])


async def head_start(session: Any, principal: Principal, *, fan_id: uuid.UUID) -> HeadStart:
    """Read the fan's recent messages and start embedding the recall query (model inference, off the
    event loop): whatever the caller does next overlaps it. The caller owns the task (`discard`)."""
    read_at = datetime.now(UTC)
    recent = await fan_service.recent_messages(session, principal, fan_id=fan_id, limit=RECENT_MESSAGES)
    query = recall_query(recent)
    head = HeadStart(read_at, recent, query, asyncio.create_task(_embed(query)) if query else None)
    if head.embedding is not None:
        await asyncio.sleep(0)  # the task runs up to its request to the model now, not at our next wait
    return head


def preload_statements(*, creator_id: uuid.UUID, fan_id: uuid.UUID) -> list[Statement]:
    """The reads of load_context that need no vector — the fan's reply profile and the voice-example
    candidates — for the runner to send with its own statements (`core.db.pipelined`)."""
    return [
        reply_profile_statement(fan_id),
        runtime_service.voice_example_statement(
            creator_id=creator_id, exclude_fan_id=fan_id, limit=VOICE_CANDIDATES
        ),
    ]


def apply_preloaded(head: HeadStart, profile_rows: Sequence[Any], candidate_rows: Sequence[Any]) -> None:
    """`preload_statements`' rows into the head start (NotFound when the fan is invisible)."""
    head.profile = reply_profile_from_row(profile_rows[0] if profile_rows else None)
    head.candidates = runtime_service.voice_examples_from_rows(candidate_rows)


async def preload(
    session: Any, principal: Principal, head: HeadStart, *, creator_id: uuid.UUID, fan_id: uuid.UUID
) -> None:
    """The reads of load_context that need no vector, in the caller's transaction (one round trip)."""
    profile, candidates = await pipelined(session, preload_statements(creator_id=creator_id, fan_id=fan_id))
    apply_preloaded(head, profile, candidates)


async def load_context(state: ReplyState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    head = ctx.head_start
    if head is not None and head.profile is not None and head.candidates is not None:
        # A fresh run: the runner read everything but the memories, and the embedding is computing.
        try:
            context = _without_memories(state, ctx, head, head.profile, head.candidates, kind=None)
            vector = await head.vector()
        finally:
            head.discard()
        # The recall, the only read left, is its own transaction: one round trip.
        memories = await _recall(None, ctx, ctx.ids.fan_id, head.query or head.profile.display_name, vector)
        return await _finish(context, ctx, head, head.candidates, vector, memories)
    async with tenant_session(ctx.principal, engine=ctx.engine) as session:
        head = head or await head_start(session, ctx.principal, fan_id=ctx.ids.fan_id)
        try:
            dossier = await fan_service.get_reply_profile(session, ctx.principal, fan_id=ctx.ids.fan_id)
            candidates = await runtime_service.voice_example_candidates(
                session,
                ctx.principal,
                creator_id=ctx.ids.creator_id,
                exclude_fan_id=ctx.ids.fan_id,
                limit=VOICE_CANDIDATES,
            )
            # The runner knows the run's kind (and loaded the creator's policy): no reads for them.
            kind = state.get("run_kind") or await _run_kind(session, ctx)
            context = _without_memories(state, ctx, head, dossier, candidates, kind=kind)
            vector = await head.vector()
        finally:
            head.discard()
        memories = await _recall(session, ctx, ctx.ids.fan_id, head.query or dossier.display_name, vector)
    return await _finish(context, ctx, head, candidates, vector, memories)


async def _finish(
    context: dict[str, Any],
    ctx: AgentContext,
    head: HeadStart,
    candidates: Sequence[VoiceExample],
    vector: Sequence[float] | None,
    memories: list[dict[str, Any]],
) -> dict[str, Any]:
    context["memories"] = memories
    context["voice_examples"] = await retrieve(
        candidates, query=head.query, query_vector=vector, embedder=_embedder(), k=VOICE_EXAMPLES
    )
    return {"context": context}


def _without_memories(
    state: ReplyState,
    ctx: AgentContext,
    head: HeadStart,
    dossier: ReplyProfile,
    candidates: Sequence[VoiceExample],
    *,
    kind: str | None,
) -> dict[str, Any]:
    """The context but for the memories and voice examples: work that needs no vector, done while
    the embedding may still be computing. `kind`: the run's kind (the runner put it in the state)."""
    kind = kind or state.get("run_kind") or "reply"
    recent, loaded_at = head.recent, head.read_at
    unanswered, last_inbound = _conversation(recent)
    signals = detect_signals(unanswered, keywords=ctx.policy.safety_keywords)
    detected = detect_conversation_language(unanswered) if unanswered else None
    # The creator's latest replies show her everyday style (case, emoji, length) even when none
    # answered a message like this one.
    style_samples = [c.reply for c in candidates[:12]] + [
        m.text for m in recent if m.direction == MessageDirection.outbound
    ]
    profile_language = str(getattr(dossier, "language", None) or "") or None
    subscription = dossier.subscription
    context = {
        "run_kind": kind,
        "creator": {
            "display_name": ctx.policy.display_name,
            "voice": ctx.policy.voice,
            "rules": list(ctx.policy.rules),
            "ppv_price_min": str(ctx.policy.ppv_price_min),
            "ppv_price_max": str(ctx.policy.ppv_price_max),
        },
        "fan": {
            "id": str(dossier.id),
            "display_name": dossier.display_name,
            "language": detected if detected and detected != "en" else (profile_language or detected),
            "spend_tier": str(dossier.spend_tier),
            "lifetime_spend": str(dossier.lifetime_spend),
            "subscription": (
                {
                    "status": str(subscription.status),
                    "expires_at": subscription.expires_at.isoformat() if subscription.expires_at else None,
                }
                if subscription
                else None
            ),
            "tags": list(dossier.tags),
            "pinned_notes": list(dossier.pinned_notes),
        },
        "unanswered": unanswered,
        # What this draft answers: propose queues it only if the fan wrote nothing newer meanwhile.
        "last_inbound": last_inbound,
        "loaded_at": loaded_at.isoformat(),
        "recent": [
            {"from": "fan" if m.direction == MessageDirection.inbound else "creator", "text": m.text}
            for m in recent[-10:]
        ],
        "memories": [],
        "voice_examples": [],
        "style_samples": style_samples[-16:],
        "safety_signals": [s.code for s in signals],
    }
    # --- lifecycle facts (issue 11): the run's kind and what triggered it, for the drafter -------
    context["kind"] = state.get("kind") or "reply"
    context["facts"] = dict(state.get("facts") or {})
    # ----------------------------------------------------------------------------------------------
    return context
