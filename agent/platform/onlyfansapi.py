"""An OnlyFansAPI-style HTTP client (https://docs.onlyfansapi.com): Bearer key from the vault,
`Idempotency-Key` = queue item id. One HTTP call per attempt: 4xx is final (`PlatformRejected`);
timeouts, network errors, 5xx and 429 are transient (`PlatformUnavailable`, with the platform's
`Retry-After`), and the executor schedules the next attempt with the same key."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
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


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: either a number of seconds or an HTTP date; None when absent or junk."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class OnlyFansApiAdapter:
    name = "onlyfansapi"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        account_id: str,
        timeout_seconds: float = 20.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.account_id = account_id
        self.timeout_seconds = timeout_seconds
        self._transport = transport

    async def _post(self, path: str, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Idempotency-Key": idempotency_key,
            "Accept": "application/json",
        }
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=self.timeout_seconds, transport=self._transport
        ) as client:
            try:
                response = await client.post(path, json=body, headers=headers)
            except httpx.TransportError as exc:
                raise PlatformUnavailable(f"platform unreachable: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise PlatformUnavailable(
                f"platform answered HTTP {response.status_code}",
                http_status=response.status_code,
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
            )
        if response.status_code >= 400:
            raise PlatformRejected(
                f"platform refused the request: HTTP {response.status_code} {response.text[:300]}",
                http_status=response.status_code,
            )
        try:
            data = response.json()
        except ValueError as exc:
            # Accepted (2xx) but unreadable: the key makes a retry safe, and it tells us the id.
            raise PlatformUnavailable("platform answered 2xx with a body that is not JSON") from exc
        return data if isinstance(data, dict) else {"data": data}

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
