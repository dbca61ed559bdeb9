"""A second process for restart / crash tests: `python -m tests.agent.proc CMD ITEM CREATOR [URL]`.

It builds its own engine and graph against the same database (FANPILOT_TEST_APP_URL).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid

from agent.decisions import decide, deliver
from agent.platform import OnlyFansApiAdapter, OutboundMessage, SandboxAdapter, SendResult
from core.db import make_engine
from core.tenancy import Principal


class CrashAfterSend:
    """Sends for real, then the process dies before the effect is committed."""

    name = "crash"

    def __init__(self, inner: SandboxAdapter | OnlyFansApiAdapter) -> None:
        self.inner = inner

    async def send_message(self, message: OutboundMessage) -> SendResult:
        await self.inner.send_message(message)
        os._exit(17)

    async def schedule_post(self, post: object) -> SendResult:  # pragma: no cover
        raise NotImplementedError


async def main(cmd: str, item: str, creator: str, platform_url: str | None) -> None:
    engine = make_engine(os.environ["FANPILOT_TEST_APP_URL"], pool_size=2)
    principal = Principal.for_creators(uuid.UUID(creator))
    item_id = uuid.UUID(item)
    inner: SandboxAdapter | OnlyFansApiAdapter = SandboxAdapter()
    if platform_url:
        inner = OnlyFansApiAdapter(base_url=platform_url, api_key="k", account_id="acct_1")
    try:
        if cmd == "approve-resume":
            result = await decide(
                principal=principal,
                item_id=item_id,
                decision="approve",
                engine=engine,
                adapter=inner,
                extraction="off",
            )
            run_status = result.run.status if result.run else None
            print(json.dumps({"status": run_status, "item_status": result.status}))
        elif cmd == "resume-crash":
            await deliver(
                principal=principal,
                item_id=item_id,
                engine=engine,
                adapter=CrashAfterSend(inner),
                extraction="off",
            )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None))
