"""The assistant's fan lookups: a name the creator says → exactly one fan, or the question "which one?";
and what Fanpilot knows about a fan (memories and notes) — a read that never stores anything.

Both read across the creator's fans by name, so they are assistant tools, not in the shared registry
a reply run draws from.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from crm.fans import service as fan_service
from crm.fans.models import FanProfile
from tools.base import ToolContext

MAX_CANDIDATES = 8
HINT_CHARS = 90
# A topic the creator asks about, and the words a memory or note about it uses.
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "birthday": ("birthday", "bday", "b-day", "born", "turning", "turns"),
    "pet": ("pet", "dog", "cat", "puppy", "kitten", "named"),
    "job": ("job", "work", "works", "shift", "boss", "career"),
    "home": ("from", "lives", "city", "hometown", "moved"),
    "hobby": ("hobby", "likes", "loves", "into", "plays", "hiking", "gaming"),
}
AMBIGUOUS_NOTE = (
    "Several fans match this name. Ask the user which one they mean (show the candidates) and do not "
    "call any write or gated tool for this name until they answer."
)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FindFanArgs(_Args):
    name: str = Field(
        min_length=1,
        max_length=120,
        description="The fan as the user said it: a display name ('Sam', 'Tyler N.') or @username.",
    )


class FanMemoriesArgs(_Args):
    fan_id: uuid.UUID = Field(description="The fan (from find_fan).")
    about: str | None = Field(
        default=None,
        max_length=200,
        description="Optional topic, e.g. 'birthday', 'pet', 'job': returns what mentions it first.",
    )


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^\w]+", text.casefold().lstrip("@")) if t]


def _starts_name(query: list[str], fan: FanProfile) -> bool:
    """The query's words start the fan's name: 'sam' → 'Sam' and 'Sam K.', not 'Samantha'."""
    return bool(query) and _tokens(fan.display_name)[: len(query)] == query


def _looks_like_username(name: str) -> bool:
    return name.strip().startswith("@") or bool(re.search(r"[_\d]", name))


def _hint(dossier: Any, memories: list[Any]) -> str | None:
    texts = [n.body for n in dossier.pinned_notes] + [m.text for m in memories]
    if not texts:
        return None
    text = str(texts[0])
    return text if len(text) <= HINT_CHARS else text[: HINT_CHARS - 1].rstrip() + "…"


async def _candidate(session: AsyncSession, ctx: ToolContext, fan: FanProfile) -> dict[str, Any]:
    from memory import service as memory_service

    dossier = await fan_service.get_dossier(session, ctx.principal, fan_id=fan.id)
    memories = await memory_service.list_memories(session, ctx.principal, fan_id=fan.id)
    usernames = [a.username for a in dossier.platform_accounts if a.username]
    return {
        "fan_id": str(fan.id),
        "name": fan.display_name,
        "username": usernames[0] if usernames else None,
        "spend_tier": str(fan.spend_tier),
        "lifetime_spend": str(fan.lifetime_spend),
        "subscription": str(dossier.subscription.status) if dossier.subscription else None,
        "last_active_at": fan.last_active_at.isoformat() if fan.last_active_at else None,
        "hint": _hint(dossier, memories),
    }


async def find_fan(session: AsyncSession, ctx: ToolContext, args: FindFanArgs) -> dict[str, Any]:
    """Resolve a fan the user named to exactly one fan. Call it before any tool that takes a fan_id.
    Returns status "unique" with `fan`; "ambiguous" with `candidates` (several fans have that name:
    ask the user which one they mean — name, @username, spend and last activity tell them apart — and
    do NOT call any write or gated tool for that name until they answer); or "not_found"."""
    query = _tokens(args.name)
    found = await fan_service.search_fans_by_name(
        session, ctx.principal, creator_id=ctx.creator_id, query=args.name.strip().lstrip("@"), limit=50
    )
    named = [fan for fan in found if _starts_name(query, fan)]
    if not named and _looks_like_username(args.name):
        wanted = args.name.strip().lstrip("@").casefold()
        for fan in found:
            dossier = await fan_service.get_dossier(session, ctx.principal, fan_id=fan.id)
            if any((a.username or "").casefold() == wanted for a in dossier.platform_accounts):
                named.append(fan)
    # Nobody has that first name: fall back to partial matches ("Sam" → "Samantha").
    matched = named or found
    if not matched:
        return {"query": args.name, "status": "not_found", "candidates": []}
    candidates = [await _candidate(session, ctx, fan) for fan in matched[:MAX_CANDIDATES]]
    if len(matched) == 1:
        return {"query": args.name, "status": "unique", "fan": candidates[0]}
    return {
        "query": args.name,
        "status": "ambiguous",
        "matches": len(matched),
        "candidates": candidates,
        "instruction": AMBIGUOUS_NOTE,
    }


def topic_words(about: str) -> tuple[str, ...]:
    """The words that mark a memory or note as being about the topic (the topic's own words too)."""
    words = set(_tokens(about))
    for topic, synonyms in TOPIC_WORDS.items():
        if words & {topic, *synonyms}:
            words |= {topic, *synonyms}
    return tuple(sorted(words))


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    tokens = set(_tokens(text))
    return any(w in tokens for w in words)


async def fan_memories(session: AsyncSession, ctx: ToolContext, args: FanMemoriesArgs) -> dict[str, Any]:
    """What Fanpilot knows about one fan: their active memories (facts learned from conversations; a
    superseded fact is not shown) and the team's notes. With `about` (e.g. 'birthday'), `matches`
    holds only what mentions that topic and `found` says whether anything does — answer from those,
    and say plainly when nothing is known. A read: it never stores or changes anything."""
    from memory import service as memory_service

    dossier = await fan_service.get_dossier(session, ctx.principal, fan_id=args.fan_id)
    memories = await memory_service.list_memories(session, ctx.principal, fan_id=args.fan_id)
    memories.sort(key=lambda m: (-m.importance, m.created_at))
    notes = [*dossier.pinned_notes, *dossier.recent_notes]
    out: dict[str, Any] = {
        "fan_id": str(args.fan_id),
        "name": dossier.display_name,
        "memories": [
            {
                "kind": str(m.kind),
                "text": m.text,
                "since": m.valid_from.date().isoformat() if m.valid_from else None,
            }
            for m in memories
        ],
        "notes": [{"text": n.body, "pinned": n.pinned} for n in notes],
    }
    if args.about:
        words = topic_words(args.about)
        hits = [
            {"source": "memory", "kind": str(m.kind), "text": m.text}
            for m in memories
            if _mentions(m.text, words)
        ]
        hits += [{"source": "note", "text": n.body} for n in notes if _mentions(n.body, words)]
        out.update(about=args.about, matches=hits, found=bool(hits))
    return out
