"""An OnlyFansAPI-style HTTP client (https://docs.onlyfansapi.com): Bearer key from the vault,
`Idempotency-Key` = queue item id, retries with backoff on 5xx and network errors, 4xx is final."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from agent.platform.base import (
    OutboundMessage,
    PlatformRejected,
    PlatformUnavailable,
    ScheduledPost,
    SendResult,
)

DEFAULT_BASE_URL = "https://app.onlyfansapi.com"


class OnlyFansApiAdapter:
    name = "onlyfansapi"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        account_id: str,
        max_attempts: int = 4,
        backoff_seconds: float = 0.2,
        timeout_seconds: float = 20.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.account_id = account_id
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self._transport = transport

    async def _post(self, path: str, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Idempotency-Key": idempotency_key,
            "Accept": "application/json",
        }
        last_error = "no attempt made"
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=self.timeout_seconds, transport=self._transport
        ) as client:
            for attempt in range(self.max_attempts):
                if attempt:
                    await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
                try:
                    response = await client.post(path, json=body, headers=headers)
                except httpx.TransportError as exc:
                    last_error = f"network error: {type(exc).__name__}"
                    continue
                if response.status_code >= 500:
                    last_error = f"HTTP {response.status_code}"
                    continue
                if response.status_code >= 400:
                    raise PlatformRejected(
                        f"platform refused the request: HTTP {response.status_code} {response.text[:300]}",
                        http_status=response.status_code,
                    )
                data = response.json()
                return data if isinstance(data, dict) else {"data": data}
        raise PlatformUnavailable(f"platform unavailable after {self.max_attempts} attempts ({last_error})")

    async def send_message(self, message: OutboundMessage) -> SendResult:
        if not message.platform_fan_id:
            raise PlatformRejected("the fan has no account on this platform (no chat id)")
        body: dict[str, Any] = {"text": message.text}
        if message.price is not None:
            body["price"] = float(message.price)
        if message.media_ids:
            body["mediaFiles"] = message.media_ids
        data = await self._post(
            f"/api/{self.account_id}/chats/{message.platform_fan_id}/messages", body, message.idempotency_key
        )
        sent = data.get("data") or {}
        return SendResult(
            adapter=self.name, platform_message_id=str(sent.get("id") or message.idempotency_key), raw=sent
        )

    async def schedule_post(self, post: ScheduledPost) -> SendResult:
        body: dict[str, Any] = {"text": post.text, "scheduledDate": post.publish_at.isoformat()}
        if post.price is not None:
            body["price"] = float(post.price)
        data = await self._post(f"/api/{self.account_id}/posts", body, post.idempotency_key)
        sent = data.get("data") or {}
        return SendResult(
            adapter=self.name, platform_message_id=str(sent.get("id") or post.idempotency_key), raw=sent
        )
