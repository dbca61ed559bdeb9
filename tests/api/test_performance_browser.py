"""The performance page in headless Chromium on the demo agency (200 fans, two creators) plus a week
of decisions by its chatter and manager: the page shows the API's figures, the filters change them,
the CSV link downloads the table in view, a chatter is refused; screenshots at both widths."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from crm import demo
from crm.demo_decisions import seed_demo_decisions
from tests.api.browser_kit import DESKTOP, PHONE, launch, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]


async def _signed_in(browser: Any, base: str, email: str, viewport: Any) -> Any:
    context = await browser.new_context(accept_downloads=True, **viewport.context_options())
    response = await context.request.post(
        f"{base}/api/auth/login", data={"email": email, "password": demo.DEMO_PASSWORD}
    )
    assert response.ok, await response.text()
    return context


async def _api(context: Any, base: str, path: str) -> Any:
    response = await context.request.get(f"{base}{path}")
    assert response.ok, await response.text()
    return await response.json()


async def _csv_rows(download: Any) -> list[list[str]]:
    text = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


def _money(value: str) -> str:
    return f"${float(value):,.2f}"


async def _kpi(page: Any, label: str) -> str:
    card = page.locator(".kpi").filter(has=page.locator(".kpi-label", has_text=label))
    return str(await card.locator(".kpi-value").inner_text())


async def test_performance_page_on_the_demo(live_server: str, engine: AsyncEngine) -> None:
    from playwright.async_api import async_playwright

    ids = await seed_demo_decisions(engine)
    owner = demo.DEMO_STAFF[0][0]
    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await _signed_in(browser, live_server, owner, DESKTOP)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{live_server}/performance")
        await page.wait_for_selector("body[data-ready='true']:not([data-loading])")
        assert await page.locator(".app-nav a[aria-current='page']").inner_text() == "Performance"

        # The figures are the API's, for the default window (last 30 days, both creators).
        revenue = await _api(context, live_server, "/api/performance/revenue?period=last_30_days")
        team = await _api(context, live_server, "/api/performance/team?period=last_30_days")
        assert float(revenue["net"]) > 0 and team["total"]["decided"] >= 28
        assert await _kpi(page, "Net revenue") == _money(revenue["net"])
        replies = await _api(context, live_server, "/api/performance/responses?period=last_30_days")
        assert replies["fan_turns"] > 0
        assert await _kpi(page, "SLA breaches") == str(replies["breaches"])
        chatter_row = page.locator(f"#team-table tr[data-key='{ids['chatter']}']")
        chatter = next(p for p in team["people"] if p["key"] == str(ids["chatter"]))
        assert await chatter_row.locator("td").first.inner_text() == str(chatter["decided"]) == "14"
        assert await page.locator("#creators-table tbody tr").count() == 2
        assert await page.locator("#revenue-legend li").count() == 6
        await screenshot(page, "performance-desktop", full_page=True)

        # One creator: the numbers change to hers, the other creator's row goes, the URL follows.
        await page.select_option("#f-creator", str(ids["raven"]))
        await page.wait_for_selector("body[data-ready='true']:not([data-loading])")
        raven = await _api(
            context, live_server, f"/api/performance/revenue?period=last_30_days&creator_id={ids['raven']}"
        )
        await page.wait_for_function(
            "(want) => document.querySelector('.kpi .kpi-value').textContent === want",
            arg=_money(raven["net"]),
        )
        assert raven["net"] != revenue["net"]
        assert await page.locator("#creators-table tbody tr").count() == 1
        assert await chatter_row.count() == 0  # the chatter works Mia only
        assert f"creator_id={ids['raven']}" in page.url

        # The period, with the keyboard: focus the select and pick "Last 7 days".
        await page.select_option("#f-creator", "")
        await page.focus("#f-period")
        await page.select_option("#f-period", "last_7_days")
        week = await _api(context, live_server, "/api/performance/revenue?period=last_7_days")
        await page.wait_for_function(
            "(want) => document.getElementById('window-label').textContent === want",
            arg=week["window"]["label"],
        )
        assert await _kpi(page, "Net revenue") == _money(week["net"])

        # One team member: the table narrows to them (and the AI total row).
        await page.select_option("#f-staff", str(ids["manager"]))
        await page.wait_for_function("() => document.querySelectorAll('#team-table tbody tr').length === 2")
        assert await page.locator(f"#team-table tr[data-key='{ids['manager']}']").count() == 1

        # The CSV link downloads the team table for the filters on screen.
        async with page.expect_download() as info:
            await page.locator("#csv-link").click()
        download = await info.value
        assert download.suggested_filename.startswith("fanpilot-team-last_7_days-")
        rows = await _csv_rows(download)
        assert rows[0][:4] == ["name", "kind", "role", "decided"]
        assert [r[0] for r in rows[1:]] == ["All AI drafts", "Marcus Manager"]
        await page.select_option("#f-csv", "creators")
        async with page.expect_download() as info:
            await page.locator("#csv-link").click()
        creators_csv = await _csv_rows(await info.value)
        assert {r[0] for r in creators_csv[1:]} == {"Mia Moon", "Raven Black"}

        # A phone: one column, nothing wider than the screen.
        phone = await _signed_in(browser, live_server, owner, PHONE)
        small = await phone.new_page()
        small.on("pageerror", lambda exc: errors.append(str(exc)))
        await small.goto(f"{live_server}/performance?period=last_30_days")
        await small.wait_for_selector("body[data-ready='true']:not([data-loading])")
        width = await small.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE.width
        await screenshot(small, "performance-phone", full_page=True)

        # The chatter has no link to the page and, going there anyway, is told why.
        chatter_ctx = await _signed_in(browser, live_server, demo.DEMO_STAFF[2][0], DESKTOP)
        refused = await chatter_ctx.new_page()
        await refused.goto(f"{live_server}/performance")
        await refused.wait_for_selector("body[data-ready='refused']")
        assert await refused.locator(".app-nav a", has_text="Performance").count() == 0
        assert "no access" in await refused.locator("#window-label").inner_text()
        await browser.close()
    assert not errors, errors
