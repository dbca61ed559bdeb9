"""The chat page in headless Chromium, signed in as a creator's own login: ask, watch the answer
stream in, resolve "which Sam?", approve the queued PPV inline and see it leave an open inbox live;
on a phone: edit a card inline, reload, and the history is still there."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import Principal, StaffRole
from crm.approvals.models import HitlAction
from crm.enums import ApprovalStatus, MessageDirection
from crm.fans import service as fans
from crm.fans.models import FanMessage
from tests.api.browser_kit import DESKTOP, PHONE, audit, describe, launch, screenshot, sign_in_context
from tests.api.conftest import clear_queue, make_login, make_shop

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

# Counts every change to the streaming answer bubble: tokens arrive one by one, not in one block.
WATCH_STREAM = """
() => {
  window.__streamUpdates = 0;
  new MutationObserver((records) => {
    for (const r of records) {
      const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (node && node.closest && node.closest(".msg.assistant.streaming")) window.__streamUpdates += 1;
    }
  }).observe(document.getElementById("log"), { subtree: true, childList: true, characterData: true });
}
"""


async def seed_creator(engine: AsyncEngine) -> tuple[Any, str, dict[str, uuid.UUID]]:
    """A creator with their own login, two fans called Sam, and Kyle who tipped this week."""
    shop = await make_shop(engine)
    creator_id = shop.creator_id
    _, email = await make_login(engine, shop.tenant, role=StaffRole.creator, creator_id=creator_id)
    principal = Principal.for_creators(creator_id)
    ids: dict[str, uuid.UUID] = {}
    now = datetime.now(UTC)
    async with tenant_session(principal, engine=engine) as s:
        for key, name, username, spend in (
            ("whale", "Sam", "storm_sam", "3378.89"),
            ("mid", "Sam", "frost_sam", "199.97"),
            ("kyle", "Kyle", "kyle_k", "0"),
        ):
            fan, _, _ = await fans.upsert_fan_from_platform(
                s, principal, creator_id=creator_id, platform="onlyfans",
                platform_fan_id=f"{username}-{uuid.uuid4().hex[:6]}", display_name=name, username=username,
            )  # fmt: skip
            ids[key] = fan.id
            if Decimal(spend):
                await fans.record_transaction(
                    s, principal, creator_id=creator_id, fan_id=fan.id, platform="onlyfans", kind="ppv",
                    amount=spend, occurred_at=now - timedelta(days=200), external_id=uuid.uuid4().hex,
                )  # fmt: skip
        await fans.record_transaction(
            s, principal, creator_id=creator_id, fan_id=ids["kyle"], platform="onlyfans", kind="tip",
            amount="40", occurred_at=now - timedelta(minutes=5), external_id=uuid.uuid4().hex,
        )  # fmt: skip
    return shop, email, ids


async def sent_to(
    engine: AsyncEngine, creator_id: uuid.UUID, fan_id: uuid.UUID
) -> list[tuple[str, Decimal | None]]:
    async with tenant_session(Principal.for_creators(creator_id), engine=engine) as s:
        rows = (
            await s.scalars(
                sa.select(FanMessage).where(
                    FanMessage.fan_id == fan_id, FanMessage.direction == MessageDirection.outbound
                )
            )
        ).all()
    return [(m.text, m.price) for m in rows]


async def ask(page: Any, text: str, nth: int) -> None:
    await page.locator("#composer-input").fill(text)
    await page.keyboard.press("Enter")
    await page.locator(".msg.user").nth(nth).wait_for()
    await page.wait_for_selector("body:not([data-busy])")


async def test_ask_stream_resolve_which_sam_approve_inline_and_the_inbox_follows(
    live_server: str, engine: AsyncEngine
) -> None:
    from playwright.async_api import async_playwright

    await clear_queue()
    shop, email, ids = await seed_creator(engine)
    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await browser.new_context(**DESKTOP.context_options())
        await sign_in_context(context, live_server, email)
        errors: list[str] = []
        inbox = await context.new_page()
        inbox.on("pageerror", lambda exc: errors.append(str(exc)))
        await inbox.goto(f"{live_server}/inbox")
        await inbox.wait_for_selector("body[data-ready='true']")
        await inbox.wait_for_selector("#live:not(.off)")
        assert await inbox.locator(".row").count() == 0

        chat = await context.new_page()
        chat.set_default_timeout(15_000)
        chat.on("pageerror", lambda exc: errors.append(str(exc)))
        await chat.goto(f"{live_server}/chat")
        await chat.wait_for_selector("body[data-ready='true']")
        await chat.wait_for_selector("#live:not(.off)")
        await chat.evaluate(WATCH_STREAM)

        await ask(chat, "who are my top spenders this month?", 0)
        first = chat.locator(".msg.assistant").last
        assert "Kyle" in await first.inner_text() and "$40" in await first.inner_text()
        assert await chat.evaluate("window.__streamUpdates") >= 5
        tool = chat.locator("details.tool[data-tool='list_top_spenders']")
        assert "this month" in await tool.locator(".t-result").inner_text()
        await tool.locator("summary").click()  # the call's result, on demand
        assert "Kyle" in await tool.locator("pre").inner_text()

        await ask(chat, "send Sam a PPV of my new beach set for 25 dollars", 1)
        which = await chat.locator(".msg.assistant").last.inner_text()
        assert "which one" in which and "@storm_sam" in which and "@frost_sam" in which
        assert await chat.locator(".card").count() == 0
        await ask(chat, "the whale one", 2)
        card = chat.locator(".card").first
        await card.wait_for()
        item_id = await card.get_attribute("data-item")
        assert (
            item_id and "$25.00" in await card.inner_text() and "Waiting for you" in await card.inner_text()
        )
        # Queued from the chat, it is in the open inbox without a reload.
        await inbox.locator(f".row[data-id='{item_id}']").wait_for()
        await screenshot(chat, "chat-desktop")
        await screenshot(inbox, "chat-inbox-live")

        await card.locator("[data-act='approve']").focus()
        await chat.keyboard.press("Enter")
        await chat.locator(f".card[data-item='{item_id}'][data-status='executed']").wait_for()
        await inbox.locator(f".row[data-id='{item_id}']").wait_for(state="detached")
        await screenshot(chat, "chat-desktop-approved")
        findings = await audit(chat)
        assert not findings, describe(findings)
        assert errors == []
        await browser.close()

    assert await sent_to(engine, shop.creator_id, ids["whale"]) == [
        ("My new beach set is here and I made it with you in mind 💕", Decimal("25.00"))
    ]
    assert await sent_to(engine, shop.creator_id, ids["mid"]) == []
    async with tenant_session(Principal.for_creators(shop.creator_id), engine=engine) as s:
        item = await s.get(HitlAction, uuid.UUID(item_id))
        assert item is not None and item.status == ApprovalStatus.executed


async def test_phone_edit_inline_then_reload_keeps_the_history(live_server: str, engine: AsyncEngine) -> None:
    from playwright.async_api import async_playwright

    await clear_queue()
    shop, email, ids = await seed_creator(engine)
    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await browser.new_context(**PHONE.context_options())
        await sign_in_context(context, live_server, email)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{live_server}/chat")
        await page.wait_for_selector("body[data-ready='true']")
        assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        await screenshot(page, "phone-chat-new")

        await page.locator(".suggestion", has_text="tips last week").tap()
        await page.locator(".msg.user").first.wait_for()
        await page.wait_for_selector("body:not([data-busy])")
        assert "tips" in await page.locator(".msg.assistant").last.inner_text()
        await ask(page, "offer Kyle the new beach set for $25", 1)
        card = page.locator(".card").first
        item_id = await card.get_attribute("data-item")
        await card.locator("[data-act='edit']").tap()
        price = card.locator("input[type='number']")
        assert await price.input_value() == "25.00"
        await price.fill("20")
        await screenshot(page, "phone-chat-editing")
        await card.locator("[data-act='save']").tap()
        await page.locator(f".card[data-item='{item_id}'][data-status='executed']").wait_for()
        assert "$20.00" in await page.locator(f".card[data-item='{item_id}']").inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")

        # A reload (or a restarted server) brings the whole conversation back.
        await page.reload()
        await page.wait_for_selector("body[data-ready='true']")
        await page.locator(f".card[data-item='{item_id}'][data-status='executed']").wait_for()
        assert await page.locator(".msg.user").count() == 2
        assert await page.locator("details.tool").count() >= 3
        await screenshot(page, "phone-chat-history")
        await page.get_by_role("button", name="Back to your chats").tap()
        await page.wait_for_selector("#split[data-pane='list']")
        assert await page.locator(".thread-row").count() == 1
        await screenshot(page, "phone-chat-list")
        assert errors == []
        await browser.close()

    assert await sent_to(engine, shop.creator_id, ids["kyle"]) == [
        ("The new beach set, just for you 💕 want a peek?", Decimal("20.00"))
    ]


async def test_an_invited_creator_sets_a_password_and_lands_in_the_chat(
    live_server: str, engine: AsyncEngine
) -> None:
    import httpx
    from playwright.async_api import async_playwright

    from tests.api.conftest import PASSWORD

    shop = await make_shop(engine)
    _, owner_email = await make_login(engine, shop.tenant, role=StaffRole.owner)
    async with httpx.AsyncClient(base_url=live_server) as http:
        me = (await http.post("/api/auth/login", json={"email": owner_email, "password": PASSWORD})).json()
        invited = await http.post(
            "/api/admin/invites",
            json={"email": f"mia-{uuid.uuid4().hex[:6]}@example.test", "display_name": "Mia", "role": "creator",
                  "creator_id": str(shop.creator_id)},
            headers={"X-CSRF-Token": me["csrf_token"]},
        )  # fmt: skip
        assert invited.status_code == 201, invited.text
    link = invited.json()["accept_url"]
    assert link.startswith("/join#invite=fpi_")
    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(**PHONE.context_options())).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{live_server}{link}")
        await page.get_by_label("New password").fill("short")
        await page.get_by_role("button", name="Set password and sign in").tap()
        await page.locator("#invite-error").wait_for(state="visible")
        await page.get_by_label("New password").fill(PASSWORD)
        await screenshot(page, "phone-join-invite")
        await page.get_by_role("button", name="Set password and sign in").tap()
        await page.wait_for_url("**/chat")
        await page.wait_for_selector("body[data-ready='true']")
        assert await page.locator("[data-user-role]").first.inner_text() == "creator"
        assert errors == []
        await browser.close()
