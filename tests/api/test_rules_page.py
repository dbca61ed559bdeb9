"""The rules page in headless Chromium: the rules in the order they run with their last outcome, a
rule's steps and last runs, pausing and resuming with the switch (the API state changes), a dry run,
read-only for a chatter on a phone; and the inbox naming the rule that made a draft. Screenshots go
to test-artifacts/rules-*.png."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.tenancy import StaffRole
from tests.api.browser_kit import DESKTOP, PHONE, audit, describe, launch, screenshot, sign_in_context
from tests.api.conftest import make_login, make_shop
from tests.automation import support

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_rules_page_lists_toggles_and_shows_last_runs(live_server: str, engine: AsyncEngine) -> None:
    from playwright.async_api import async_playwright

    shop = await make_shop(engine)
    ids = await support.seed_rules(engine, shop.creator_id)
    _, manager = await make_login(engine, shop.tenant, role=StaffRole.manager, creator_ids=(shop.creator_id,))
    _, chatter = await make_login(engine, shop.tenant, role=StaffRole.chatter, creator_ids=(shop.creator_id,))

    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await browser.new_context(**DESKTOP.context_options())
        await sign_in_context(context, live_server, manager)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{live_server}/rules")
        await page.wait_for_selector("body[data-ready='true'] .rule-card")

        # In evaluation order (priority, then age), each with its trigger and last outcome.
        names = await page.locator(".rule-card .rule-name").all_inner_texts()
        assert names == ["Welcome new subscribers", "Thank big tippers", "Win back big spenders"]
        first = page.locator(".rule-card").nth(0)
        assert "When a fan subscribes, 30s later" in await first.inner_text()
        assert "Matched" in await first.locator(".rule-last").inner_text()
        assert "Below minimum" in await page.locator(".rule-card").nth(1).locator(".rule-last").inner_text()
        assert (
            await page.locator(".rule-card").nth(2).locator(".switch").get_attribute("aria-checked")
            == "false"
        )

        # The selected rule: what it does, its last runs with their steps.
        await page.wait_for_selector(f"body[data-rule='{ids['welcome']}']")
        assert await page.locator("#d-when").inner_text() == "When a fan subscribes, 30s later"
        run = page.locator("#d-runs .run").first
        assert "Sam" in await run.inner_text() and "Matched" in await run.inner_text()
        assert "waiting for a decision in the inbox" in await run.locator(".run-steps").inner_text()
        assert "Delayed start" in await page.locator("#d-timers").inner_text()
        await screenshot(page, "rules-desktop")

        # The tip rule says why it did not match.
        await page.locator(".rule-card").nth(1).locator(".rule-open").click()
        await page.wait_for_selector(f"body[data-rule='{ids['tips']}']")
        assert "below the rule's minimum of $20" in await page.locator("#d-runs .run").first.inner_text()

        # Pause with the switch: the API state changes, the card and the detail say so.
        switch = page.locator(".rule-card").nth(1).locator(".switch")
        await switch.click()
        await page.locator(".rule-card.paused .rule-name", has_text="Thank big tippers").wait_for()
        assert (await support.get_rule(engine, ids["tips"])).is_enabled is False
        await page.locator("#d-state", has_text="Paused").wait_for()
        assert await page.evaluate("document.activeElement.classList.contains('switch')")
        await screenshot(page, "rules-desktop-paused")
        await page.locator("#btn-toggle").click()
        await page.locator("#d-state", has_text="On").wait_for()
        assert (await support.get_rule(engine, ids["tips"])).is_enabled is True

        # A dry run says who would match now, and stores nothing.
        await page.locator("#btn-dry-run").click()
        await page.locator("#d-dry-run:not([hidden])").wait_for()
        assert "match the conditions now" in await page.locator("#d-dry-run").inner_text()
        await screenshot(page, "rules-desktop-dry-run")
        findings = await audit(page)
        assert not findings, describe(findings)

        # The inbox names the rule that made Sam's welcome.
        await page.goto(f"{live_server}/inbox")
        await page.wait_for_selector("body[data-ready='true']")
        await page.locator(".row", has_text="Sam").click()
        await page.locator("#d-rule:not([hidden])").wait_for()
        assert (
            await page.locator("#d-rule").inner_text()
            == "Made by the rule “Welcome new subscribers” (subscriptions.new)"
        )
        assert "Hey Sam! So happy you're here" in await page.locator("#d-draft").input_value()
        await screenshot(page, "rules-inbox-welcome-draft")
        assert errors == []
        await context.close()

        # A chatter on a phone reads, and cannot switch.
        phone = await browser.new_context(**PHONE.context_options())
        await sign_in_context(phone, live_server, chatter)
        page = await phone.new_page()
        page.set_default_timeout(15_000)
        await page.goto(f"{live_server}/rules")
        await page.wait_for_selector("body[data-ready='true'] .rule-card")
        assert await page.locator("#rules-readonly").is_visible()
        assert await page.locator(".rule-card .switch").first.is_disabled()
        await screenshot(page, "rules-phone-list")
        await page.locator(".rule-card .rule-open").first.tap()
        await page.locator("#detail:not([hidden])").wait_for()
        assert await page.locator("#split").get_attribute("data-pane") == "detail"
        assert await page.locator("#btn-toggle").is_disabled()
        await screenshot(page, "rules-phone-rule", full_page=True)
        await page.locator("#back-btn").tap()
        await page.locator("#rule-list").wait_for(state="visible")
        await browser.close()
