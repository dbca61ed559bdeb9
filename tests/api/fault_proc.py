"""A separate process for the fault tests: `python -m tests.api.fault_proc approve CREATOR ITEM…`.

It decides through the product's one decision service (deliver later, as the inbox does) with the
Redis and database its environment names, so a test can take decisions while that Redis is down.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

from agent.decisions import creator_principal, decide


async def approve(creator: str, items: list[str]) -> None:
    principal = creator_principal(uuid.UUID(creator))
    statuses = []
    for item in items:
        decided = await decide(
            principal=principal, item_id=uuid.UUID(item), decision="approve", deliver="later"
        )
        statuses.append(decided.status)
    print(json.dumps(statuses))


if __name__ == "__main__":
    command, creator, *item_ids = sys.argv[1:]
    if command != "approve":
        raise SystemExit(f"unknown command {command!r}")
    asyncio.run(approve(creator, item_ids))
