"""Finding 3 at the webhook edge: the same fan message delivered under three new delivery ids is one
message and one pending draft, however the platform retries."""

from __future__ import annotations

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import SYSTEM
from crm.approvals.models import HitlAction
from crm.enums import ApprovalStatus, MessageDirection
from crm.fans.models import FanMessage
from crm.runtime.models import WebhookEvent
from tests.api.conftest import Shop, clear_queue, drain_queue


async def test_one_body_under_three_new_delivery_ids_is_one_message_and_one_draft(
    client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop
) -> None:
    await clear_queue()
    body = shop.body("messages.received")
    answers = [
        (await client.post("/webhooks/onlyfansapi", content=body, headers=shop.ofapi_headers(body))).json()
        for _ in range(3)
    ]
    assert [a["status"] for a in answers] == ["accepted"] * 3  # three deliveries as far as ids go
    await drain_queue()
    async with tenant_session(SYSTEM, engine=engine) as s:
        events = (
            await s.scalars(sa.select(WebhookEvent).where(WebhookEvent.creator_id == shop.creator_id))
        ).all()
        messages = (
            await s.scalars(
                sa.select(FanMessage).where(
                    FanMessage.creator_id == shop.creator_id, FanMessage.direction == MessageDirection.inbound
                )
            )
        ).all()
        drafts = (
            await s.scalars(
                sa.select(HitlAction).where(
                    HitlAction.creator_id == shop.creator_id, HitlAction.status == ApprovalStatus.pending
                )
            )
        ).all()
    assert len(events) == 3 and {str(e.status) for e in events} == {"processed"}
    assert len(messages) == 1
    assert len(drafts) == 1 and drafts[0].source_message_id == messages[0].id
