"""What the browser tests share: the Debian Chromium, the two viewports, signing in, a seeded inbox,
the axe-core audit and screenshots in `test-artifacts/`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import Principal, StaffRole
from crm.approvals import service as approvals
from crm.enums import ActionType, ApprovalOrigin, DeliveryOutcome, Platform
from crm.fans import service as fans
from tests.api.conftest import PASSWORD, Shop, make_login, make_shop
from tests.factories import make_fan

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    mobile: bool

    def context_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "viewport": {"width": self.width, "height": self.height},
            "reduced_motion": "reduce",
        }
        if self.mobile:
            options.update(device_scale_factor=2, is_mobile=True, has_touch=True)
        return options


PHONE = Viewport("phone", 390, 844, mobile=True)
DESKTOP = Viewport("desktop", 1400, 900, mobile=False)
VIEWPORTS = (PHONE, DESKTOP)

# axe-core rule tags for WCAG 2.0 and 2.1, levels A and AA.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}


async def launch(pw: Any) -> Any:
    return await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)


async def sign_in_context(context: Any, base: str, email: str) -> None:
    """Sign the browser context in through the API (the cookie lands in the context's jar)."""
    response = await context.request.post(
        f"{base}/api/auth/login", data={"email": email, "password": PASSWORD}
    )
    assert response.ok, await response.text()


async def screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path


async def audit(page: Any) -> list[dict[str, Any]]:
    """axe-core (WCAG 2.0/2.1 A+AA) on the page as it is now; the serious and critical violations."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_AA_TAGS}, "resultTypes": ["violations"]}
    )
    return [v for v in results.response["violations"] if v.get("impact") in FAILING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}) on {len(v['nodes'])} element(s): {v['help']}")
        for node in v["nodes"][:12]:
            lines.append(
                f"    {', '.join(map(str, node['target']))}: {node.get('failureSummary', '')!s:.200}"
            )
    return "\n".join(lines)


@dataclass(frozen=True)
class SeededInbox:
    shop: Shop
    email: str
    item_ids: dict[str, uuid.UUID]


async def seed_inbox(engine: AsyncEngine) -> SeededInbox:
    """A chatter and an inbox with one of each kind of row a reviewer meets: a plain reply with a
    warning, a PPV offer, a custom-request quote and a blocked draft; fans with history and spend."""
    shop = await make_shop(engine)
    creator_id = shop.creator_id
    _, email = await make_login(engine, shop.tenant, role=StaffRole.chatter, creator_ids=(creator_id,))
    principal = Principal.for_creators(creator_id)
    now = datetime.now(UTC)
    ids: dict[str, uuid.UUID] = {}

    async def fan_with_history(
        name: str, spend: list[tuple[str, str]], inbound: str, *, minutes_ago: int, earlier: int = 1
    ) -> uuid.UUID:
        fan_id = await make_fan(engine, creator_id, name=name)
        async with tenant_session(principal, engine=engine) as s:
            for kind, amount in spend:
                await fans.record_transaction(
                    s, principal, creator_id=creator_id, fan_id=fan_id, platform=Platform.onlyfans,
                    kind=kind, amount=amount, occurred_at=now - timedelta(days=3),
                )  # fmt: skip
            # `earlier` messages before the one waiting, so some conversations need scrolling.
            for n in range(earlier, 0, -1):
                outbound = n % 2 == 1
                await fans.log_message(
                    s, principal, creator_id=creator_id, fan_id=fan_id,
                    direction="outbound" if outbound else "inbound", sender="creator" if outbound else "fan",
                    text=EARLIER[n % len(EARLIER)] if n > 1 else "hiii, how was your week? 💕",
                    sent_at=now - timedelta(minutes=minutes_ago, hours=n),
                )  # fmt: skip
            await fans.log_message(
                s, principal, creator_id=creator_id, fan_id=fan_id, direction="inbound", sender="fan",
                text=inbound, sent_at=now - timedelta(minutes=minutes_ago),
            )  # fmt: skip
            await fans.add_tag(s, principal, fan_id=fan_id, tag="hiking")
            await fans.add_note(s, principal, fan_id=fan_id, body="Prefers evening replies.", pinned=True)
        return fan_id

    async def queue(
        key: str, fan_id: uuid.UUID, action: ActionType, args: dict[str, Any], **extra: Any
    ) -> None:
        async with tenant_session(principal, engine=engine) as s:
            item, _ = await approvals.create_item(
                s, principal, idempotency_key=f"ui-{uuid.uuid4()}", creator_id=creator_id, fan_id=fan_id,
                action_type=action, args=args, origin=ApprovalOrigin.direct,
                context={
                    "memories_used": [
                        {"id": str(uuid.uuid4()), "kind": "preference", "text": "loves hiking in Boulder"},
                        {"id": str(uuid.uuid4()), "kind": "life_event", "text": "birthday is next week"},
                    ],
                    "why": "the fan shared news; answer it and keep the conversation going",
                },
                **extra,
            )  # fmt: skip
        ids[key] = item.id

    mike = await fan_with_history(
        "Mike",
        [("tip", "12.50"), ("ppv", "400")],
        "just got back from my hike in Boulder 🥾",
        minutes_ago=4,
        earlier=13,
    )
    await queue(
        "reply", mike, ActionType.send_message,
        {"fan_id": str(mike), "text": "Boulder again?! Your legs must be jelly 😅 tell me the best view"},
        flags=[{"code": "off_platform", "severity": "warn", "message": "Mentions another app."}],
        confidence=0.82, priority=2,
    )  # fmt: skip
    jonas = await fan_with_history(
        "Jonas",
        [("ppv", "1200"), ("tip", "120")],
        "any chance of something custom for my birthday?",
        minutes_ago=35,
    )
    await queue(
        "ppv", jonas, ActionType.send_ppv,
        {"fan_id": str(jonas), "text": "A little birthday preview, just for you 🎂", "price": 25.0},
        flags=[], confidence=0.67, priority=1,
    )  # fmt: skip
    async with tenant_session(principal, engine=engine) as s:
        request = await fans.create_custom_request(
            s, principal, fan_id=jonas, description="Birthday video, 3 minutes"
        )
    await queue(
        "quote", jonas, ActionType.update_custom_request_price,
        {"custom_request_id": str(request.id), "price": 40.0}, flags=[], confidence=0.9,
    )  # fmt: skip
    priya = await fan_with_history(
        "Priya", [], "finally finished my exams!! pancakes time 🥞", minutes_ago=90
    )
    await queue(
        "blocked", priya, ActionType.send_message,
        {"fan_id": str(priya), "text": "Congrats! Add me on whatsapp and I'll send you something"},
        flags=[{"code": "restricted_word", "severity": "block", "message": "Uses the restricted word “whatsapp”."}],
        confidence=0.41,
    )  # fmt: skip
    # Enough plain replies that the queue scrolls at desktop height.
    for n, (name, text) in enumerate(MORE_FANS):
        fan_id = await fan_with_history(name, [("tip", str(5 * (n + 1)))], text, minutes_ago=6 + 7 * n)
        await queue(
            f"reply-{n}", fan_id, ActionType.send_message,
            {"fan_id": str(fan_id), "text": f"Aww {name}, that made my day 🥰 tell me more?"},
            flags=[], confidence=0.75,
        )  # fmt: skip
    ids["failed"] = await failed_item(engine, creator_id, await fan_with_history(
        "Marco", [("tip", "20")], "brutal day at the garage, three engines", minutes_ago=50
    ))  # fmt: skip
    return SeededInbox(shop=shop, email=email, item_ids=ids)


async def failed_item(engine: AsyncEngine, creator_id: uuid.UUID, fan_id: uuid.UUID) -> uuid.UUID:
    """An approved reply the platform refused (HTTP 400): it sits in the Failed view with its attempt."""
    principal = Principal.for_creators(creator_id)
    async with tenant_session(principal, engine=engine) as s:
        item, _ = await approvals.create_item(
            s, principal, idempotency_key=f"ui-{uuid.uuid4()}", creator_id=creator_id, fan_id=fan_id,
            action_type=ActionType.send_message, origin=ApprovalOrigin.direct, context={}, flags=[],
            args={"fan_id": str(fan_id), "text": "Three engines?! You deserve a cold one tonight 🍺"},
        )  # fmt: skip
        await approvals.approve_item(s, principal, item_id=item.id)
        error = "platform refused the request: HTTP 400 chat is closed"
        started = datetime.now(UTC)
        await approvals.record_attempt(
            s, principal, item=item, attempt=1, outcome=DeliveryOutcome.failed, started_at=started,
            adapter="onlyfansapi", http_status=400, error=error,
        )  # fmt: skip
        await approvals.mark_failed(s, principal, item_id=item.id, error=error, attempts=1)
    return item.id


EARLIER = [
    "haha you're sweet",
    "what are you up to this weekend?",
    "thinking about a trip to the mountains",
    "omg send pics when you go 📸",
    "deal! any new sets coming?",
    "working on one right now 👀",
]
MORE_FANS = [
    ("Sam", "long day at work, need cheering up"),
    ("Ava", "your last post made me laugh so hard"),
    ("Leo", "do you ever do live streams?"),
    ("Noah", "happy friday!! 🎉"),
    ("Zoe", "just subscribed, hi!"),
]
