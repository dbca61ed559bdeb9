"""Reads about one fan for whoever works that fan's inbox: what the fan's memory says about a topic."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import InboxReader, errors
from api.schemas import Text
from core.errors import ValidationFailed
from core.tenancy import Principal
from memory import service as memory
from memory.schemas import RecalledMemory

router = APIRouter(prefix="/api/fans", tags=["fans"])

MAX_QUERY_CHARS = 500
MAX_RESULTS = 50


class MemorySearch(BaseModel):
    """The fan's active memories most relevant to the query, best first."""

    fan_id: uuid.UUID
    query: str = Field(description="The query as searched (surrounding whitespace removed).")
    memories: list[RecalledMemory] = Field(
        description="At most k, ranked as the assistant's recall ranks them (meaning and words fused, "
        "then importance and recency); empty when nothing matches."
    )


@router.get("/{fan_id}/memories/search", response_model=MemorySearch, responses=errors(401, 403, 404, 422))
async def search_memories(
    fan_id: uuid.UUID,
    principal: InboxReader,
    q: Annotated[
        Text,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description="What to look for, in plain words (e.g. 'birthday', 'his dog').",
        ),
    ],
    k: Annotated[int, Query(ge=1, le=MAX_RESULTS, description="How many memories at most.")] = 8,
) -> MemorySearch:
    """What this fan's memory says about `q`: the fan's memories most relevant to it, ranked as the
    assistant's recall ranks them when it drafts a reply. For anyone who may read the fan in the inbox
    (`inbox:read`; a chatter only for the creators assigned to them, a creator login only its own
    fans). A fan you may not see answers 404, the same as one that does not exist."""
    return await search_fan_memories(principal, fan_id=fan_id, query=q, k=k)


async def search_fan_memories(principal: Principal, *, fan_id: uuid.UUID, query: str, k: int) -> MemorySearch:
    """The search itself (the route's and `fanpilot memories search`'s): 422 for a query of only
    whitespace, 404 for a fan the principal may not see."""
    query = query.strip()
    if not query or len(query) > MAX_QUERY_CHARS or "\x00" in query:
        raise ValidationFailed(f"q must be 1-{MAX_QUERY_CHARS} characters, not only whitespace, no NUL")
    # A person reads every result, so no prompt token budget trims the list: k alone bounds it.
    found = await memory.recall_for_fan_in_one_round_trip(
        principal, fan_id=fan_id, query=query, k=k, token_budget=None
    )
    return MemorySearch(fan_id=fan_id, query=query, memories=found)
