"""The shared page script (api/static/ui.js) in Chromium: money as currency, error JSON turned into a
sentence, and a refused decision shown on screen and announced to screen readers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.browser_kit import DESKTOP, launch, screenshot, seed_inbox, sign_in_context

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FORMATTING = [
    ("ui.money(25.0)", "$25.00"),
    ("ui.money('25.0')", "$25.00"),
    ("ui.money('1320')", "$1,320.00"),
    ("ui.money(0)", "$0.00"),
    ("ui.money(null)", "—"),
    ("ui.money('not a number')", "—"),
    ("ui.moneyIn('[PPV $25.0] a little preview')", "[PPV $25.00] a little preview"),
    (
        "ui.moneyIn('Price $5 is outside the bounds ($10–$50).')",
        "Price $5.00 is outside the bounds ($10.00–$50.00).",
    ),
    ("ui.moneyIn('total $1,320.5')", "total $1,320.50"),
    (
        "ui.errorMessage(409, {error: 'ApprovalAlreadyDecided', detail: 'already approved'})",
        "Already approved.",
    ),
    ("ui.errorMessage(404, {error: 'NotFound'})", "Not found."),
    (
        "ui.errorMessage(422, {detail: [{loc: ['body', 'reason'], msg: 'String should have at most 2000 characters'}]})",
        "Reason: String should have at most 2000 characters.",
    ),
    ("ui.errorMessage(422, {detail: 'price $5 is below the minimum'})", "Price $5.00 is below the minimum."),
    ("ui.errorMessage(429, {detail: 'slow down'})", "Too many attempts. Wait a few minutes and try again."),
    ("ui.errorMessage(502, null)", "Fanpilot had a problem. Try again in a moment."),
    ("ui.errorMessage(418, {})", "The request failed (418)."),
    ("ui.waited(30)", "just now"),
    ("ui.waited(3 * 3600 + 5 * 60)", "3h 5m"),
    ("ui.initials('mike de la cruz')", "MD"),
]


async def test_formatting_and_error_messages(live_server: str) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await browser.new_page()
        await page.goto(f"{live_server}/login")
        await page.wait_for_function("window.ui !== undefined")
        got = {expression: await page.evaluate(expression) for expression, _ in FORMATTING}
        await browser.close()
    assert got == {expression: expected for expression, expected in FORMATTING}


async def test_a_refused_edit_is_shown_announced_and_kept_for_fixing(
    live_server: str, engine: AsyncEngine
) -> None:
    from playwright.async_api import async_playwright

    inbox = await seed_inbox(engine)
    ppv_id = str(inbox.item_ids["ppv"])
    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await browser.new_context(**DESKTOP.context_options())
        await sign_in_context(context, live_server, inbox.email)
        page: Any = await context.new_page()
        page.set_default_timeout(10_000)
        await page.goto(f"{live_server}/inbox")
        await page.locator(f".row[data-id='{ppv_id}']").click()
        await page.wait_for_selector(f"body[data-detail='{ppv_id}']")
        assert await page.locator("#d-price").input_value() == "25.00"
        assert "$25.00" in await page.locator(f".row[data-id='{ppv_id}'] .preview").inner_text()

        await page.keyboard.press("e")
        await page.locator("#d-price").fill("20000")
        await page.locator("#d-draft").focus()
        await page.keyboard.press("Control+Enter")
        error = page.locator(".toast-error")
        await error.wait_for()
        message = await error.inner_text()
        assert "10000" in message, message
        await page.wait_for_function(
            "text => document.getElementById('ui-alerts').textContent === text", arg=message
        )
        assert await page.locator("#ui-alerts").get_attribute("aria-live") == "assertive"
        await screenshot(page, "desktop-inbox-refused-edit")
        # Still pending, still editing, the reviewer's numbers kept.
        assert await page.locator(f".row[data-id='{ppv_id}']").count() == 1
        assert await page.locator("#d-price").input_value() == "20000"
        assert not await page.locator("#d-price").evaluate("el => el.readOnly")

        await page.locator("#d-price").fill("20")
        await page.locator("#d-draft").focus()
        await page.keyboard.press("Control+Enter")
        await page.locator(f".row[data-id='{ppv_id}']").wait_for(state="detached")
        await browser.close()
