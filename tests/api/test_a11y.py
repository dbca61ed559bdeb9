"""Every page, at a phone width and a desktop width, in each state a person reaches: an axe-core audit
(WCAG 2.0/2.1 A+AA) with no serious or critical violation, nothing wider than the screen, touch
targets of at least 44 px on the phone, and the Tab key reaching every control with a visible ring. Screenshots of each state go to `test-artifacts/`.

A new page adds one `AuditedPage` entry to PAGES (and, if it has states worth auditing, their steps).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.tenancy import StaffRole
from tests.api.browser_kit import (
    VIEWPORTS,
    SeededInbox,
    Viewport,
    audit,
    describe,
    launch,
    screenshot,
    seed_inbox,
    sign_in_context,
)
from tests.api.conftest import make_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Step = Callable[[Any, Viewport], Awaitable[None]]


@dataclass(frozen=True)
class State:
    name: str
    reach: Step


@dataclass(frozen=True)
class AuditedPage:
    name: str
    path: str
    ready: str  # a selector present once the page has rendered its data
    signed_in: bool = True
    role: StaffRole = StaffRole.chatter  # who signs in (in the seeded inbox's agency)
    states: tuple[State, ...] = field(default_factory=tuple)
    # Data the page needs beyond the seeded inbox (its creator is `inbox.shop.creator_id`).
    prepare: Callable[[AsyncEngine, SeededInbox], Awaitable[Any]] | None = None


# ---------------------------------------------------------------- steps to each state


async def wrong_password(page: Any, _: Viewport) -> None:
    await page.get_by_label("Email").fill("nobody@example.test")
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await page.locator("#login-error").wait_for(state="visible")


async def open_item(page: Any, viewport: Viewport) -> None:
    # The phone opens the long conversation; the desktop already shows it and moves to the next.
    row = page.locator(".row").nth(0 if viewport.mobile else 1)
    item_id = await row.get_attribute("data-id")
    await row.click()
    await page.wait_for_selector(f"body[data-detail='{item_id}']")
    await page.locator("#d-conversation .bubble").first.wait_for()


async def open_fan_panel(page: Any, viewport: Viewport) -> None:
    toggle = page.locator("#fan-toggle")
    if await toggle.is_visible():
        await toggle.click()
    await page.locator("#sidebar .stats").wait_for(state="visible")


async def open_reject_dialog(page: Any, _: Viewport) -> None:
    await page.get_by_role("button", name="Reject").first.click()
    await page.locator("#reject-dialog[open]").wait_for()


async def open_help(page: Any, viewport: Viewport) -> None:
    await page.keyboard.press("Escape")
    await page.locator("#reject-dialog[open]").wait_for(state="detached")
    help_button = page.locator("#help-btn")
    if await help_button.is_visible():
        await help_button.click()
    else:  # phones hide the shortcut help button; a keyboard still opens it
        await page.locator("#queue-list").focus()
        await page.keyboard.press("?")
    await page.locator("#help-dialog[open]").wait_for()


async def open_failed_view(page: Any, viewport: Viewport) -> None:
    await page.keyboard.press("Escape")
    await page.locator("#help-dialog[open]").wait_for(state="detached")
    back = page.locator("#back-btn")
    if await back.is_visible():  # a phone shows one pane: back to the queue first
        await back.click()
    await page.locator("#view-failed").click()
    row = page.locator(".row").first
    await row.wait_for()
    await row.click()
    await page.locator("#d-delivery:not([hidden]) .attempts li").first.wait_for()


async def _ask(page: Any, text: str) -> None:
    before = await page.locator(".msg.user").count()
    await page.locator("#composer-input").fill(text)
    await page.keyboard.press("Enter")
    await page.locator(".msg.user").nth(before).wait_for()
    await page.wait_for_selector("body:not([data-busy])")


async def chat_answer(page: Any, _: Viewport) -> None:
    await _ask(page, "tell me about Jonas")
    await page.locator("details.tool summary").first.click()  # a tool call opened


async def chat_card(page: Any, _: Viewport) -> None:
    await _ask(page, "send Jonas a PPV of my new beach set for $25")
    await page.locator(".card [data-act='approve']").wait_for()


async def chat_editing(page: Any, _: Viewport) -> None:
    await page.locator(".card [data-act='edit']").first.click()
    await page.locator(".card .edit-fields textarea").wait_for()


async def seed_rules(engine: AsyncEngine, inbox: SeededInbox) -> None:
    from tests.automation.support import seed_rules as seed

    await seed(engine, inbox.shop.creator_id)


async def open_rule(page: Any, viewport: Viewport) -> None:
    await page.locator(".rule-card .rule-open").nth(1).click()
    await page.locator("#d-runs .run").first.wait_for()


async def dry_run(page: Any, _: Viewport) -> None:
    await page.locator("#btn-dry-run").click()
    await page.locator("#d-dry-run:not([hidden])").wait_for()


async def custom_period(page: Any, _: Viewport) -> None:
    await page.select_option("#f-period", "custom")
    await page.locator("#f-start").wait_for(state="visible")


PAGES = [
    AuditedPage(
        "sign-in", "/login", ready="#login-form", signed_in=False, states=(State("error", wrong_password),)
    ),
    AuditedPage(
        "inbox",
        "/inbox",
        ready="body[data-ready='true'] .row",
        states=(
            State("item", open_item),
            State("fan", open_fan_panel),
            State("reject", open_reject_dialog),
            State("help", open_help),
            State("failed", open_failed_view),
        ),
    ),
    AuditedPage("join", "/join", ready="#signup-form", signed_in=False),
    AuditedPage(
        "chat",
        "/chat",
        ready="body[data-ready='true'] #composer-input",
        states=(State("answer", chat_answer), State("card", chat_card), State("editing", chat_editing)),
    ),
    AuditedPage(
        "rules",
        "/rules",
        ready="body[data-ready='true'] .rule-card",
        states=(State("rule", open_rule), State("dry-run", dry_run)),
        prepare=seed_rules,
    ),
    AuditedPage(
        "performance",
        "/performance",
        ready="body[data-ready='true']:not([data-loading]) #team-table tbody tr",
        role=StaffRole.owner,
        states=(State("custom", custom_period),),
    ),
]

# ---------------------------------------------------------------- layout checks

_LAYOUT_PROBLEMS = """
(minTarget) => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) problems.push(`page scrolls sideways: ${doc.scrollWidth}px wide in ${window.innerWidth}px`);
  if (!minTarget) return problems;
  const controls = document.querySelectorAll("button, a[href], select, input, textarea, summary, [role=option], [role=tab]");
  for (const node of controls) {
    const box = node.getBoundingClientRect();
    if (!node.checkVisibility({ visibilityProperty: true }) || !box.width || !box.height) continue;
    if (box.right <= 0 || box.bottom <= 0 || box.left >= window.innerWidth) continue;  // off-screen (skip link)
    if (node.closest("dialog:not([open])")) continue;
    if (box.width < minTarget - 0.5 || box.height < minTarget - 0.5) {
      const name = node.id ? `#${node.id}` : `${node.tagName.toLowerCase()}.${node.className}`;
      problems.push(`touch target ${name} is ${Math.round(box.width)}×${Math.round(box.height)} px`);
    }
  }
  return problems;
}
"""

# What the Tab key reaches, and whether each stop shows a focus ring.
_FOCUS_STOP = """
() => {
  const node = document.activeElement;
  if (!node || node === document.body || node === document.documentElement) return null;
  const style = getComputedStyle(node);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  return { name: window.__describe(node), ring: outline || shadow };
}
"""
_CONTROLS = """
() => {
  window.__describe = (node) => node.id ? `#${node.id}` : `${node.tagName.toLowerCase()}.${node.className || ""}:${(node.textContent || "").trim().slice(0, 20)}`;
  const root = document.querySelector("dialog[open]") || document;
  const names = [];
  for (const node of root.querySelectorAll("button, a[href], select, input, textarea, summary, [tabindex='0']")) {
    const box = node.getBoundingClientRect();
    if (!node.checkVisibility({ visibilityProperty: true }) || node.disabled || !box.width) continue;
    if (node.closest("dialog:not([open])") || box.bottom <= 0 || box.right <= 0) continue;
    names.push(window.__describe(node));
  }
  return names;
}
"""


async def keyboard_problems(page: Any) -> list[str]:
    """Tab through the page: every visible control is reached and shows a ring when it is."""
    controls = await page.evaluate(_CONTROLS)
    reached: list[str] = []
    problems: list[str] = []
    for _ in range(len(controls) + 12):
        await page.keyboard.press("Tab")
        stop = await page.evaluate(_FOCUS_STOP)
        if stop is None:
            continue
        if stop["name"] in reached:
            if reached[-1] == stop["name"]:
                continue  # the next segment of the same control (a date input's day, month, year)
            break
        reached.append(stop["name"])
        if not stop["ring"]:
            problems.append(f"no visible focus ring on {stop['name']}")
    problems += [f"Tab never reaches {name}" for name in controls if name not in reached]
    return problems


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=[v.name for v in VIEWPORTS])
@pytest.mark.parametrize("audited", PAGES, ids=[p.name for p in PAGES])
async def test_page_passes_accessibility_audit(
    audited: AuditedPage, viewport: Viewport, live_server: str, engine: AsyncEngine
) -> None:
    from playwright.async_api import async_playwright

    inbox = await seed_inbox(engine)
    if audited.prepare is not None:
        await audited.prepare(engine, inbox)
    findings: list[str] = []
    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await browser.new_context(**viewport.context_options())
        if audited.signed_in:
            email = inbox.email
            if audited.role is not StaffRole.chatter:
                _, email = await make_login(engine, inbox.shop.tenant, role=audited.role)
            await sign_in_context(context, live_server, email)
        page = await context.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{live_server}{audited.path}")
        await page.locator(audited.ready).first.wait_for()

        async def check(state: str) -> None:
            await screenshot(page, f"a11y-{audited.name}-{viewport.name}-{state}")
            for violation in await audit(page):
                findings.append(f"[{state}] {describe([violation])}")
            min_target = 44 if viewport.mobile else 0
            for problem in await page.evaluate(_LAYOUT_PROBLEMS, min_target):
                findings.append(f"[{state}] {problem}")
            for problem in await keyboard_problems(page):
                findings.append(f"[{state}] {problem}")

        await check("initial")
        for state in audited.states:
            await state.reach(page, viewport)
            await check(state.name)
        await browser.close()
    assert not errors, errors
    assert not findings, f"{audited.path} at {viewport.name} width:\n" + "\n".join(findings)
