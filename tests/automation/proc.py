"""A second process that dies mid-broadcast: `python -m tests.automation.proc BROADCAST CREATOR URL N`.

It sends the broadcast's deliveries through the stub platform at URL and `os._exit`s right after
the N-th platform call returned: that batch's transaction never commits (FANPILOT_TEST_APP_URL)."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

from agent import broadcasts
from agent.context import Knobs
from agent.platform import OnlyFansApiAdapter, OutboundMessage, SendResult
from core.db import make_engine


class DieAfter:
    name = "crash"

    def __init__(self, inner: OnlyFansApiAdapter, calls: int) -> None:
        self.inner, self.left = inner, calls

    async def send_message(self, message: OutboundMessage) -> SendResult:
        sent = await self.inner.send_message(message)
        self.left -= 1
        if self.left == 0:
            os._exit(17)
        return sent

    async def schedule_post(self, post: object) -> SendResult:  # pragma: no cover
        raise NotImplementedError


async def main(broadcast: str, creator: str, url: str, calls: int) -> None:
    engine = make_engine(os.environ["FANPILOT_TEST_APP_URL"], pool_size=2)
    adapter = DieAfter(OnlyFansApiAdapter(base_url=url, api_key="k", account_id="a"), calls)
    knobs = Knobs.make(engine=engine, adapter=adapter, extraction="off")  # type: ignore[arg-type]
    await broadcasts.send_broadcast(
        broadcast_id=uuid.UUID(broadcast), creator_id=uuid.UUID(creator), knobs=knobs, batch=5
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
