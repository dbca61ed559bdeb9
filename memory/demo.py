"""Learn memories from seeded conversation histories, the way the product learns after each exchange."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import Principal
from crm.fans import service as fan_service
from memory import service as memory_service
from memory.schemas import ExchangeMessage

Progress = Callable[[str, int, int], None]


async def learn_from_histories(
    engine: AsyncEngine,
    creator_ids: tuple[uuid.UUID, ...],
    *,
    max_fans: int = 10_000,
    progress: Progress | None = None,
) -> int:
    """Run extraction + reconciliation over every fan's history (pattern extractor, no LLM).

    Returns how many memories were added or superseded. Safe to run twice: duplicates are no-ops.
    """
    learned = 0
    for creator_id in creator_ids:
        principal = Principal.for_creators(creator_id)
        async with tenant_session(principal, engine=engine) as s:
            fans = await fan_service.list_fans(s, principal, creator_id=creator_id, limit=max_fans)
        for done, fan in enumerate(fans, start=1):
            async with tenant_session(principal, engine=engine) as s:
                history = await fan_service.recent_messages(s, principal, fan_id=fan.id, limit=50)
                exchange = [
                    ExchangeMessage(sender=m.sender.value, text=m.text, sent_at=m.sent_at, message_id=m.id)
                    for m in history
                ]
                if exchange:
                    outcomes = await memory_service.extract_and_reconcile(
                        s, principal, creator_id=creator_id, fan_id=fan.id, messages=exchange
                    )
                    learned += sum(1 for o in outcomes if o.action != "duplicate")
            if progress is not None:
                progress(f"memories {str(creator_id)[:8]}", done, len(fans))
    return learned
