"""The default adapter: nothing leaves the machine; the effect is recorded as sent."""

from __future__ import annotations

from agent.platform.base import OutboundMessage, ScheduledPost, SendResult


class SandboxAdapter:
    name = "sandbox"

    async def send_message(self, message: OutboundMessage) -> SendResult:
        return SendResult(
            adapter=self.name,
            platform_message_id=f"sandbox-{message.idempotency_key}",
            raw={"sandbox": True, "price": str(message.price) if message.price is not None else None},
        )

    async def schedule_post(self, post: ScheduledPost) -> SendResult:
        return SendResult(
            adapter=self.name,
            platform_message_id=f"sandbox-post-{post.idempotency_key}",
            raw={"sandbox": True, "publish_at": post.publish_at.isoformat()},
        )
