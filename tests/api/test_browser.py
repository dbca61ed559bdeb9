"""The web inbox in headless Chromium: sign in, a draft arrives live after a webhook, edit it (with the
keyboard on a desktop, by touch on a phone), approve, and the outbound message is recorded."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import Principal, StaffRole
from crm.enums import ApprovalStatus, MessageDirection
from crm.fans.models import FanMessage
from tests.api.browser_kit import ARTIFACTS, CHROMIUM, PHONE, audit, describe, launch, screenshot
from tests.api.conftest import PASSWORD, Shop, clear_queue, drain_queue, make_login, make_shop

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FANS = [
    (
        99120311,
        "Mike",
        "<p>hey babe 😊 just got back from my hike in Boulder, legs are dead lol. did you post anything new today?</p>",
        412.5,
    ),
    (
        99120422,
        "Jonas",
        "<p>that last set was unreal 🔥<br>any chance of something custom for my birthday next week?</p>",
        1320.0,
    ),
    (99120533, "Priya", "<p>morning! finally finished my exams, celebrating with pancakes 🥞</p>", 64.0),
]


def message_event(shop: Shop, fan_id: int, name: str, text: str, total: float) -> bytes:
    event = json.loads(shop.body("messages.received"))
    event["payload"].update(
        id=int(uuid.uuid4().int % 10**10),
        text=text,
        fromUser={"id": fan_id, "username": name.lower(), "displayName": name, "avatar": None},
    )
    event["payload"]["fanData"]["spending"] = {"total": total, "messages": total}
    return json.dumps(event).encode()


def test_debian_chromium_is_installed() -> None:
    # `make test` installs it (Makefile target `browser`): missing is a failure, never a skip.
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)"


async def test_inbox_draft_arrives_live_is_edited_and_sent(live_server: str, engine: AsyncEngine) -> None:
    from playwright.async_api import async_playwright

    await clear_queue()
    shop = await make_shop(engine)
    _, email = await make_login(engine, shop.tenant, role=StaffRole.chatter, creator_ids=(shop.creator_id,))
    ARTIFACTS.mkdir(exist_ok=True)

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await browser.new_page(viewport={"width": 1440, "height": 900}, reduced_motion="reduce")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        await page.goto(f"{live_server}/inbox")
        await page.wait_for_url("**/login")
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/inbox")
        await page.wait_for_selector("body[data-ready='true']")
        await page.wait_for_selector("#live:not(.off)")  # the event stream is connected
        assert await page.locator(".row").count() == 0

        async with httpx.AsyncClient(base_url=live_server) as http:
            for fan_id, name, text, total in FANS:
                body = message_event(shop, fan_id, name, text, total)
                sent = await http.post(
                    "/webhooks/onlyfansapi", content=body, headers=shop.ofapi_headers(body)
                )
                assert sent.status_code == 200, sent.text
        await drain_queue()

        # The drafts appear without a reload (server-sent events).
        rows = page.locator(".row")
        await rows.nth(len(FANS) - 1).wait_for()
        assert await rows.count() == len(FANS)
        await page.locator("#d-conversation .bubble").first.wait_for()
        await page.screenshot(path=str(ARTIFACTS / "inbox.png"))

        # Keyboard only: move down and back, edit, save-and-approve.
        first_fan = await page.locator("#d-fan").inner_text()
        await page.keyboard.press("j")
        await page.keyboard.press("k")
        assert await page.locator("#d-fan").inner_text() == first_fan
        item_id = await page.locator(".row[aria-selected='true']").get_attribute("data-id")
        assert item_id
        await page.wait_for_selector(f"body[data-detail='{item_id}']")
        await page.keyboard.press("e")
        draft = page.locator("#d-draft")
        assert await draft.evaluate("el => document.activeElement === el && !el.readOnly")
        edited = f"Hey {first_fan}! Edited by a human in the browser test {uuid.uuid4().hex[:6]}"
        await page.keyboard.press("Control+a")
        await page.keyboard.type(edited)
        await page.keyboard.press("Control+Enter")
        await page.locator(f".row[data-id='{item_id}']").wait_for(state="detached")
        assert await rows.count() == len(FANS) - 1

        await drain_queue()  # resume: the approved message is sent exactly once
        assert errors == []
        await browser.close()

    sent, item = await outcome(engine, shop, item_id)
    assert sent == [edited]
    assert item.status == ApprovalStatus.executed
    assert item.edited is True


async def outcome(engine: AsyncEngine, shop: Shop, item_id: str) -> tuple[list[str], Any]:
    """The texts sent to the fan for this queue item, and the item itself."""
    from crm.approvals import service as approvals

    principal = Principal.for_creators(shop.creator_id)
    async with tenant_session(principal, engine=engine) as s:
        sent_messages = (
            await s.scalars(
                sa.select(FanMessage).where(
                    FanMessage.direction == MessageDirection.outbound,
                    FanMessage.hitl_item_id == uuid.UUID(item_id),
                )
            )
        ).all()
        item: Any = await approvals.get_item(s, principal, item_id=uuid.UUID(item_id))
    return [m.text for m in sent_messages], item


async def announced(page: Any, message: str) -> None:
    """The polite live region (what a screen reader reads out) says `message`."""
    await page.wait_for_function(
        "text => (document.getElementById('ui-announcer') || {}).textContent === text", arg=message
    )


async def in_viewport(page: Any, selector: str) -> bool:
    """Wholly on screen: no scrolling, sideways or down, needed to reach it."""
    return bool(
        await page.locator(selector).evaluate(
            """el => { const r = el.getBoundingClientRect();
                return r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight; }"""
        )
    )


async def test_phone_signs_in_opens_edits_and_approves(live_server: str, engine: AsyncEngine) -> None:
    from playwright.async_api import async_playwright

    await clear_queue()
    shop = await make_shop(engine)
    _, email = await make_login(engine, shop.tenant, role=StaffRole.chatter, creator_ids=(shop.creator_id,))

    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await browser.new_context(**PHONE.context_options())
        page = await context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        await page.goto(f"{live_server}/login")
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill(PASSWORD)
        await screenshot(page, "phone-sign-in")
        await page.get_by_role("button", name="Sign in").tap()
        await page.wait_for_url("**/inbox")
        await page.wait_for_selector("body[data-ready='true']")
        await page.wait_for_selector("#live:not(.off)")
        await page.locator("#queue-empty").wait_for(state="visible")
        await screenshot(page, "phone-inbox-empty")
        empty_findings = await audit(page)
        assert not empty_findings, describe(empty_findings)

        fan_id, name, text, total = FANS[0]
        async with httpx.AsyncClient(base_url=live_server) as http:
            body = message_event(shop, fan_id, name, text, total)
            response = await http.post(
                "/webhooks/onlyfansapi", content=body, headers=shop.ofapi_headers(body)
            )
            assert response.status_code == 200, response.text
        await drain_queue()

        # The draft arrives live, and the list is the only pane: no sideways scrolling.
        row = page.locator(".row").first
        await row.wait_for()
        await announced(page, f"New draft for {name}")
        assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        assert not await page.locator("#detail").is_visible()
        await screenshot(page, "phone-inbox-list")
        item_id = await row.get_attribute("data-id")
        assert item_id

        # Tap → the draft alone, decisions on screen; back → the list; tap again.
        await row.tap()
        await page.wait_for_selector("#split[data-pane='detail'] #detail:not([hidden])")
        await page.wait_for_selector(f"body[data-detail='{item_id}']")
        assert not await page.locator("#queue-list").is_visible()
        assert await page.locator("#d-fan").inner_text() == name
        for button in ("#btn-approve", "#btn-edit", "#btn-reject"):
            assert await in_viewport(page, button), f"{button} is off screen"
        await screenshot(page, "phone-inbox-item")
        await page.locator("#fan-toggle").tap()
        assert await page.locator("#fan-toggle").get_attribute("aria-expanded") == "true"
        await page.locator("#sidebar .stats").wait_for(state="visible")
        assert "$412.50" in await page.locator("#sidebar .stats").inner_text()
        await page.locator("#fan-toggle").evaluate("el => el.scrollIntoView({block: 'start'})")
        await screenshot(page, "phone-inbox-fan")
        await page.locator("#fan-toggle").tap()
        await page.get_by_role("button", name="Back to the queue").tap()
        await page.wait_for_selector("#split[data-pane='list']")
        assert await row.is_visible()
        await row.tap()
        await page.wait_for_selector("#split[data-pane='detail']")

        # Edit by touch, then save and approve.
        await page.locator("#btn-edit").tap()
        draft = page.locator("#d-draft")
        assert await draft.evaluate("el => !el.readOnly")
        edited = f"Hey {name}! Edited on a phone in the browser test {uuid.uuid4().hex[:6]}"
        await draft.fill(edited)
        assert await in_viewport(page, "#btn-save"), "Save & approve is off screen while editing"
        await screenshot(page, "phone-inbox-editing")
        await page.locator("#btn-save").tap()
        await page.locator(f".row[data-id='{item_id}']").wait_for(state="detached")
        await page.wait_for_selector("#split[data-pane='list']")
        await announced(page, f"Edited and approved — sending to {name}")
        await screenshot(page, "phone-inbox-decided")

        await drain_queue()
        assert errors == []
        await browser.close()

    sent, item = await outcome(engine, shop, item_id)
    assert sent == [edited]
    assert item.status == ApprovalStatus.executed
    assert item.edited is True


async def test_a_failed_send_is_shown_with_its_reason_and_retried_from_the_failed_view(
    live_server: str, engine: AsyncEngine
) -> None:
    from playwright.async_api import async_playwright

    from tests.api.browser_kit import failed_item
    from tests.factories import make_fan

    await clear_queue()
    shop = await make_shop(engine)
    _, email = await make_login(engine, shop.tenant, role=StaffRole.chatter, creator_ids=(shop.creator_id,))
    fan_id = await make_fan(engine, shop.creator_id, name="Marco")
    item_id = str(await failed_item(engine, shop.creator_id, fan_id))

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await browser.new_page(viewport={"width": 1400, "height": 900}, reduced_motion="reduce")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{live_server}/login")
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.keyboard.press("Enter")
        await page.wait_for_selector("body[data-ready='true']")
        await page.locator("#count-failed", has_text="1").wait_for()  # the counts load beside the queue

        await page.keyboard.press("3")  # the Failed view, from the keyboard
        await page.locator("#view-failed[aria-selected='true']").wait_for()
        row = page.locator(f".row[data-id='{item_id}']")
        await row.wait_for()
        assert "Failed" in await row.inner_text()
        await page.wait_for_selector(f"body[data-detail='{item_id}']")
        status = await page.locator("#d-delivery-status").inner_text()
        assert "nothing was sent" in status and "HTTP 400" in status
        assert "Attempt 1: failed" in await page.locator("#d-attempts").inner_text()
        assert (
            await page.locator("#btn-approve").is_hidden() and await page.locator("#btn-retry").is_visible()
        )
        await screenshot(page, "desktop-inbox-failed")

        await page.keyboard.press("t")  # retry: a decision, the first one wins
        await row.wait_for(state="detached")
        await page.locator("#count-failed:empty").wait_for(state="attached")
        await drain_queue()
        await page.keyboard.press("2")
        await page.locator("#view-sending[aria-selected='true']").wait_for()
        await page.locator("#queue-empty:not([hidden])").wait_for()
        assert errors == []
        await browser.close()

    sent, item = await outcome(engine, shop, item_id)
    assert sent == ["Three engines?! You deserve a cold one tonight 🍺"]
    assert item.status == ApprovalStatus.executed and item.attempts == 2
