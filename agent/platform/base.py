"""Platform adapters: how an approved action reaches the fan's platform."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from core.errors import AppError, ServiceUnavailable


@dataclass(frozen=True)
class OutboundMessage:
    creator_id: uuid.UUID
    fan_id: uuid.UUID
    platform_fan_id: str | None
    text: str
    idempotency_key: str  # the queue item id: the platform de-duplicates retries with it
    price: Decimal | None = None
    media_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScheduledPost:
    creator_id: uuid.UUID
    text: str
    publish_at: datetime
    idempotency_key: str
    price: Decimal | None = None


@dataclass(frozen=True)
class SendResult:
    adapter: str
    platform_message_id: str
    raw: dict[str, Any] = field(default_factory=dict)


class PlatformRejected(AppError):
    """The platform refused the request (4xx): retrying will not help; the item fails at once."""

    status_code = 502

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class PlatformUnavailable(ServiceUnavailable):
    """A transient failure of one attempt (timeout, network, 5xx, 429): the same request, with the same
    idempotency key, may succeed later. `retry_after` is the platform's own hint, in seconds."""

    def __init__(
        self, message: str, *, http_status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retry_after = retry_after


class PlatformAdapter(Protocol):
    """One call per attempt: the executor owns retries, backoff and their record."""

    name: str

    async def send_message(self, message: OutboundMessage) -> SendResult: ...

    async def schedule_post(self, post: ScheduledPost) -> SendResult: ...
