"""load_context: the fan dossier, the unanswered messages, recalled memories and voice examples."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.state import ReplyState
from core.db import tenant_session
from crm.enums import MessageDirection
from crm.fans import service as fan_service
from crm.runtime import service as runtime_service


async def _recall(
    session: Any, ctx: AgentContext, fan_id: uuid.UUID, query: str, vector: Sequence[float] | None
) -> list[dict[str, Any]]:
    from memory import service as memory_service

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
        }
        for m in found
    ]


async def _embed(text: str) -> list[float]:
    from memory.embeddings import get_embedder

    (vector,) = await get_embedder().embed([text])
    return vector


async def load_context(state: ReplyState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    fan_id = ctx.ids.fan_id
    loaded_at = datetime.now(UTC)
    async with tenant_session(ctx.principal, engine=ctx.engine) as session:
        recent = await fan_service.recent_messages(session, ctx.principal, fan_id=fan_id, limit=20)
        # Everything the fan wrote since our last reply: a fresh draft answers all of it.
        unanswered: list[str] = []
        last_inbound: dict[str, str] | None = None
        for message in recent:
            if message.direction == MessageDirection.outbound:
                unanswered = []
            else:
                unanswered.append(message.text)
                last_inbound = {"id": str(message.id), "created_at": message.created_at.isoformat()}
        query = " ".join(unanswered[-3:])
        # Embedding the query (model inference, off the event loop) overlaps the reads below.
        embedding = asyncio.create_task(_embed(query)) if query else None
        try:
            dossier = await fan_service.get_dossier(session, ctx.principal, fan_id=fan_id)
            examples = await runtime_service.recent_voice_examples(
                session, ctx.principal, creator_id=ctx.ids.creator_id, limit=3
            )
            vector = await embedding if embedding is not None else None
        finally:
            if embedding is not None and not embedding.done():
                embedding.cancel()
        memories = await _recall(session, ctx, fan_id, query or dossier.display_name, vector)
    subscription = dossier.subscription
    context = {
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
            "tags": [t.tag for t in dossier.tags],
            "pinned_notes": [n.body for n in dossier.pinned_notes],
        },
        "unanswered": unanswered,
        # What this draft answers: propose queues it only if the fan wrote nothing newer meanwhile.
        "last_inbound": last_inbound,
        "loaded_at": loaded_at.isoformat(),
        "recent": [
            {"from": "fan" if m.direction == MessageDirection.inbound else "creator", "text": m.text}
            for m in recent[-10:]
        ],
        "memories": memories,
        "voice_examples": [{"draft": e.draft_text, "final": e.final_text} for e in examples],
    }
    # --- lifecycle facts (issue 11): the run's kind and what triggered it, for the drafter -------
    context["kind"] = state.get("kind") or "reply"
    context["facts"] = dict(state.get("facts") or {})
    # ----------------------------------------------------------------------------------------------
    return {"context": context}
