"""The performance page in headless Chromium on the demo agency (200 fans, two creators) plus a week
of decisions by its chatter and manager: the page shows the API's figures, the filters change them,
the CSV link downloads the table in view, a chatter is refused; screenshots at both widths."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.errors import Conflict
from core.tenancy import SYSTEM, ActorKind, Principal, StaffRole
from crm import demo
from crm.accounts.models import Agency, StaffUser
from crm.approvals import service as approvals
from crm.approvals.models import HitlAction
from crm.creators.models import CreatorProfile
from crm.enums import ActionType, ApprovalOrigin
from crm.fans import service as fans
from crm.fans.models import FanProfile
from tests.api.browser_kit import DESKTOP, PHONE, launch, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

EDITS = ("Hey babe, how was your day? 💕", "Heyy babe!! how did today go? 💕")


async def _demo_agency(engine: AsyncEngine) -> uuid.UUID:
    """The demo agency in the session's database (seeded once, kept for the other tests)."""
    with contextlib.suppress(Conflict):  # another test of this session seeded it already
        await demo.seed_demo(engine, fans=200)
    async with tenant_session(SYSTEM, engine=engine) as s:
        agency = await s.scalar(sa.select(Agency.id).where(Agency.slug == demo.DEMO_AGENCY_SLUG))
    assert agency is not None
    return agency


async def seed_demo_decisions(engine: AsyncEngine) -> dict[str, Any]:
    """A week of AI drafts on the demo creators, decided by the chatter (Mia) and the manager (both):
    approved as drafted, edited, rejected; each approved reply is sent 5–150 minutes after the fan."""
    agency = await _demo_agency(engine)
    async with tenant_session(SYSTEM, engine=engine) as s:
        staff = {
            u.role: u
            for u in (await s.scalars(sa.select(StaffUser).where(StaffUser.agency_id == agency))).all()
        }
        creators = (
            await s.scalars(
                sa.select(CreatorProfile.id)
                .where(CreatorProfile.agency_id == agency)
                .order_by(CreatorProfile.display_name)
            )
        ).all()
        mia = await s.scalar(
            sa.select(StaffUser.creator_id).where(StaffUser.email == demo.DEMO_CREATOR_LOGIN[0])
        )
        raven = next(c for c in creators if c != mia)
        fans_of = {
            c: (await s.scalars(sa.select(FanProfile.id).where(FanProfile.creator_id == c).limit(12))).all()
            for c in (mia, raven)
        }
        already = await s.scalar(
            sa.select(sa.func.count()).where(
                HitlAction.creator_id == mia, HitlAction.idempotency_key.like("perf-%")
            )
        )
    ids = {
        "mia": mia,
        "raven": raven,
        "chatter": staff[StaffRole.chatter].id,
        "manager": staff[StaffRole.manager].id,
    }
    if already:
        return ids
    everyone = Principal(
        creator_ids=frozenset((mia, raven)), agency_id=agency, actor_id=None, actor_kind=ActorKind.system
    )

    def decider(role: StaffRole, *creators: uuid.UUID) -> Principal:
        user = staff[role]
        return Principal(
            creator_ids=frozenset(creators), agency_id=agency, actor_id=user.id, actor_kind=ActorKind.staff,
            role=role, staff_user_id=user.id,
        )  # fmt: skip

    rng = random.Random(12)
    now = datetime.now(UTC).replace(microsecond=0)
    plan = [(mia, StaffRole.chatter)] * 14 + [(mia, StaffRole.manager)] * 5 + [(raven, StaffRole.manager)] * 9
    async with tenant_session(everyone, engine=engine) as s:
        for n, (creator, role) in enumerate(plan):
            fan_id = fans_of[creator][n % len(fans_of[creator])]
            wrote = now - timedelta(days=rng.uniform(0.2, 6.5))
            await fans.log_message(
                s, everyone, creator_id=creator, fan_id=fan_id, direction="inbound", sender="fan",
                text="hey you 👀", sent_at=wrote,
            )  # fmt: skip
            item, _ = await approvals.create_item(
                s, everyone, idempotency_key=f"perf-{uuid.uuid4()}", creator_id=creator, fan_id=fan_id,
                action_type=ActionType.send_message, args={"fan_id": str(fan_id), "text": EDITS[0]},
                context={}, flags=[], origin=ApprovalOrigin.reply_run,
            )  # fmt: skip
            who = decider(role, creator)
            outcome = rng.choices(("approve", "edit", "reject"), weights=(6, 3, 1))[0]
            if outcome == "approve":
                await approvals.approve_item(s, who, item_id=item.id)
            elif outcome == "edit":
                await approvals.edit_item(s, who, item_id=item.id, args={"text": EDITS[1]})
            else:
                await approvals.reject_item(s, who, item_id=item.id, reason="not her voice")
            decided = wrote + timedelta(minutes=rng.choice((5, 12, 25, 40, 75, 150)))
            await s.execute(
                sa.update(HitlAction)
                .where(HitlAction.id == item.id)
                .values(created_at=wrote + timedelta(minutes=1), decided_at=decided)
            )
            if outcome != "reject":
                await fans.log_message(
                    s, everyone, creator_id=creator, fan_id=fan_id, direction="outbound", sender="agent",
                    text=EDITS[outcome == "edit"], sent_at=decided, hitl_item_id=item.id,
                )  # fmt: skip
    return ids


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
