"""Rules, templates and broadcasts over HTTP: roles (owner, admin and manager write; chatters read),
tenant isolation (another agency's rule is a 404, never its data), bad input (a clear 4xx, nothing
stored), and the sample webhooks through the worker: one evaluation per event however often it
arrives, the lifecycle draft replaced by the creator's rule, facts reaching the draft's context."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import SYSTEM, Principal, StaffRole
from crm.approvals.models import HitlAction
from crm.automation.models import AutomationRule, AutomationRuleRun
from crm.enums import ApprovalOrigin, MemoryKind, MessageDirection, MessageSender, Platform
from crm.fans import service as fans
from crm.fans.models import FanMessage
from crm.messaging.models import MessageTemplate
from tests.api.conftest import Shop, clear_queue, drain_queue, make_login, make_shop, sign_in

WELCOME_RULE: dict[str, Any] = {
    "name": "Welcome",
    "trigger": {"type": "subscriptions.new"},
    "actions": [{"type": "send_message", "template": "Welcome"}],
}


async def _with_template(
    client: httpx.AsyncClient, shop: Shop, body: str = "Hey {fan_name}! 🥰"
) -> dict[str, Any]:
    response = await client.post(
        "/api/templates", json={"creator_id": str(shop.creator_id), "name": "Welcome", "body": body}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _login(client: httpx.AsyncClient, engine: AsyncEngine, shop: Shop, role: StaffRole) -> None:
    assigned = (shop.creator_id,) if role in (StaffRole.manager, StaffRole.chatter) else ()
    _, email = await make_login(engine, shop.tenant, role=role, creator_ids=assigned)
    await sign_in(client, email)


async def _count(engine: AsyncEngine, model: Any, creator_id: uuid.UUID) -> int:
    async with tenant_session(SYSTEM, engine=engine) as s:
        return int(
            await s.scalar(
                sa.select(sa.func.count()).select_from(model).where(model.creator_id == creator_id)
            )
            or 0
        )


@pytest.mark.parametrize("role", [StaffRole.owner, StaffRole.admin, StaffRole.manager])
async def test_owner_admin_and_manager_write_rules(
    client: httpx.AsyncClient, engine: AsyncEngine, role: StaffRole
) -> None:
    shop = await make_shop(engine)
    await _login(client, engine, shop, role)
    await _with_template(client, shop)
    created = await client.post("/api/rules", json={"creator_id": str(shop.creator_id), **WELCOME_RULE})
    assert created.status_code == 201, created.text
    rule = created.json()
    assert (rule["trigger_text"], rule["steps_text"], rule["enabled"]) == (
        "When a fan subscribes", ["message from “Welcome”"], True,
    )  # fmt: skip
    paused = await client.post(f"/api/rules/{rule['id']}/pause")
    assert paused.status_code == 200 and paused.json()["enabled"] is False
    assert (await client.post(f"/api/rules/{rule['id']}/resume")).json()["enabled"] is True
    patched = await client.patch(f"/api/rules/{rule['id']}", json={"priority": 300, "cooldown": "2h"})
    assert (patched.json()["priority"], patched.json()["cooldown"]) == (300, 7200)
    assert (await client.delete(f"/api/rules/{rule['id']}")).status_code == 204


async def test_chatters_read_rules_and_templates_but_change_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    shop = await make_shop(engine)
    await _login(client, engine, shop, StaffRole.manager)
    template = await _with_template(client, shop)
    rule = (await client.post("/api/rules", json={"creator_id": str(shop.creator_id), **WELCOME_RULE})).json()
    client.cookies.clear()
    await _login(client, engine, shop, StaffRole.chatter)

    assert [r["name"] for r in (await client.get("/api/rules")).json()] == ["Welcome"]
    assert (await client.get(f"/api/rules/{rule['id']}/runs")).status_code == 200
    assert (await client.post(f"/api/rules/{rule['id']}/dry-run")).status_code == 200
    assert (await client.get(f"/api/templates?creator_id={shop.creator_id}")).json()[0]["slots"] == [
        "fan_name"
    ]
    refused = [
        await client.post(
            "/api/rules", json={"creator_id": str(shop.creator_id), **WELCOME_RULE, "name": "Other"}
        ),
        await client.post(f"/api/rules/{rule['id']}/pause"),
        await client.patch(f"/api/rules/{rule['id']}", json={"priority": 1}),
        await client.delete(f"/api/rules/{rule['id']}"),
        await client.post(
            "/api/templates", json={"creator_id": str(shop.creator_id), "name": "x", "body": "hi"}
        ),
        await client.patch(f"/api/templates/{template['id']}", json={"body": "changed"}),
        await client.delete(f"/api/templates/{template['id']}"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert "automation:write" in refused[0].json()["detail"]
    async with tenant_session(SYSTEM, engine=engine) as s:
        stored = await s.get(AutomationRule, uuid.UUID(rule["id"]))
        assert stored is not None and stored.is_enabled and stored.priority == 100
    assert await _count(engine, AutomationRule, shop.creator_id) == 1


async def test_a_creator_login_writes_its_own_rules_and_never_its_sisters(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    shop = await make_shop(engine, creators_count=2)
    mine, sister = shop.tenant.creator_ids
    await _login(client, engine, shop, StaffRole.owner)
    sister_rule = (
        await client.post(
            "/api/rules",
            json={"creator_id": str(sister), **WELCOME_RULE, "actions": [{"type": "tag", "tag": "new"}]},
        )
    ).json()
    client.cookies.clear()
    _, email = await make_login(engine, shop.tenant, role=StaffRole.creator, creator_id=mine)
    await sign_in(client, email)

    own = await client.post(
        "/api/rules",
        json={"creator_id": str(mine), **WELCOME_RULE, "actions": [{"type": "tag", "tag": "new"}]},
    )
    assert own.status_code == 201, own.text
    assert [r["id"] for r in (await client.get("/api/rules")).json()] == [own.json()["id"]]
    refused = [
        await client.post("/api/rules", json={"creator_id": str(sister), **WELCOME_RULE, "name": "x"}),
        await client.get(f"/api/rules/{sister_rule['id']}"),
        await client.post(f"/api/rules/{sister_rule['id']}/pause"),
        await client.delete(f"/api/rules/{sister_rule['id']}"),
        await client.get(f"/api/templates?creator_id={sister}"),
    ]
    assert [r.status_code for r in refused] == [404] * len(refused), [r.text for r in refused]
    async with tenant_session(SYSTEM, engine=engine) as s:
        stored = await s.get(AutomationRule, uuid.UUID(sister_rule["id"]))
        assert stored is not None and stored.is_enabled
    assert await _count(engine, AutomationRule, sister) == 1


async def test_another_agencys_rules_templates_and_broadcasts_are_not_found(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    theirs = await make_shop(engine)
    await _login(client, engine, theirs, StaffRole.owner)
    template = await _with_template(client, theirs)
    rule = (
        await client.post("/api/rules", json={"creator_id": str(theirs.creator_id), **WELCOME_RULE})
    ).json()
    client.cookies.clear()
    ours = await make_shop(engine)
    await _login(client, engine, ours, StaffRole.owner)

    answers = [
        await client.get(f"/api/rules/{rule['id']}"),
        await client.get(f"/api/rules/{rule['id']}/runs"),
        await client.get(f"/api/rules/{rule['id']}/timers"),
        await client.post(f"/api/rules/{rule['id']}/pause"),
        await client.post(f"/api/rules/{rule['id']}/dry-run"),
        await client.patch(f"/api/rules/{rule['id']}", json={"priority": 1}),
        await client.delete(f"/api/rules/{rule['id']}"),
        await client.get(f"/api/rules?creator_id={theirs.creator_id}"),
        await client.post("/api/rules", json={"creator_id": str(theirs.creator_id), **WELCOME_RULE}),
        await client.post("/api/rules/dry-run", json={"creator_id": str(theirs.creator_id), **WELCOME_RULE}),
        await client.get(f"/api/templates/{template['id']}"),
        await client.get(f"/api/templates?creator_id={theirs.creator_id}"),
        await client.patch(f"/api/templates/{template['id']}", json={"body": "x"}),
        await client.post(
            "/api/templates", json={"creator_id": str(theirs.creator_id), "name": "n", "body": "b"}
        ),
        await client.get(f"/api/broadcasts?creator_id={theirs.creator_id}"),
        await client.get(f"/api/broadcasts/{uuid.uuid4()}"),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert all("Welcome" not in a.text for a in answers)
    assert (await client.get("/api/rules")).json() == []
    async with tenant_session(SYSTEM, engine=engine) as s:
        stored = await s.get(AutomationRule, uuid.UUID(rule["id"]))
        assert stored is not None and stored.is_enabled and stored.priority == 100


BAD_RULES: list[tuple[dict[str, Any], str]] = [
    ({"trigger": {"type": "subscriptions.exploded"}}, "trigger"),
    ({"actions": []}, "actions"),
    ({"actions": [{"type": "send_message", "template": "Nope"}]}, "no template named 'Nope'"),
    ({"actions": [{"type": "teleport"}]}, "actions"),
    (
        {"actions": [{"type": "send_message", "template": "Welcome"}, {"type": "wait", "duration": "1h"}]},
        "wait needs a step after it",
    ),
    ({"auto_approve": {"send_ppv": {"per_fan_per_day": 1}}}, "no step sends it"),
    (
        {
            "actions": [{"type": "send_ppv", "template": "Welcome", "price": {"fixed": 20}}],
            "auto_approve": {"send_ppv": {"per_fan_per_day": 1}},
        },
        "needs a max_price",
    ),
    ({"conditions": {"field": "shoe_size", "op": "gt", "value": 3}}, "unknown segment field"),
    ({"cooldown": "forever"}, "not a duration"),
    ({"trigger": {"type": "messages.received", "intents": ["mind_reading"]}}, "unknown intent"),
    ({"trigger": {"type": "subscriptions.new", "keywords": ["hi"]}}, "messages.received only"),
    ({"trigger": {"type": "timer.no_creator_reply"}}, "needs minutes"),
    ({"name": "bad\x00name"}, "NUL"),
    ({"surprise": True}, "surprise"),
    ({"priority": 5000}, "priority"),
]


@pytest.mark.parametrize(("change", "says"), BAD_RULES, ids=[b[1][:24] for b in BAD_RULES])
async def test_a_bad_rule_is_a_clear_422_and_nothing_is_stored(
    client: httpx.AsyncClient, engine: AsyncEngine, change: dict[str, Any], says: str
) -> None:
    shop = await make_shop(engine)
    await _login(client, engine, shop, StaffRole.manager)
    await _with_template(client, shop)
    response = await client.post(
        "/api/rules", json={"creator_id": str(shop.creator_id), **WELCOME_RULE, **change}
    )
    assert response.status_code == 422, response.text
    assert says in response.text
    assert await _count(engine, AutomationRule, shop.creator_id) == 0


async def test_rule_names_are_unique_and_a_rule_with_runs_is_kept(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    from agent import automation

    shop = await make_shop(engine)
    await _login(client, engine, shop, StaffRole.manager)
    await _with_template(client, shop)
    rule = (await client.post("/api/rules", json={"creator_id": str(shop.creator_id), **WELCOME_RULE})).json()
    again = await client.post("/api/rules", json={"creator_id": str(shop.creator_id), **WELCOME_RULE})
    assert again.status_code == 409
    principal = Principal.for_creators(shop.creator_id)
    async with tenant_session(principal, engine=engine) as s:
        fan, _, _ = await fans.upsert_fan_from_platform(
            s,
            principal,
            creator_id=shop.creator_id,
            platform=Platform.onlyfans,
            platform_fan_id="f1",
            display_name="Ann",
        )
    await automation.handle_event(
        creator_id=shop.creator_id, fan_id=fan.id, trigger="subscriptions.new", event_key="e"
    )
    runs = (await client.get(f"/api/rules/{rule['id']}/runs")).json()
    assert [(r["fan_name"], r["outcome"], [s["status"] for s in r["steps"]]) for r in runs] == [
        ("Ann", "matched", ["queued"])
    ]
    listed = (await client.get("/api/rules")).json()[0]
    assert listed["last_run"]["outcome"] == "matched" and listed["stats"]["matches_7d"] == 1
    deleted = await client.delete(f"/api/rules/{rule['id']}")
    assert deleted.status_code == 409 and "pause it instead" in deleted.json()["detail"]


BAD_TEMPLATES: list[tuple[dict[str, Any], str]] = [
    ({"body": "Hey {name}!"}, "unknown slot {name}"),
    ({"body": "Hey {fan_name"}, "not closed"),
    ({"body": "Hey fan_name}"}, "closes nothing"),
    ({"body": "Hey {fan_name!r}"}, "not a slot name"),
    ({"body": "   "}, "needs a body"),
    ({"variants": {"myspace": "hi"}}, "variants"),
    ({"variants": {"fansly": "Hi {nickname}"}}, "unknown slot {nickname}"),
    ({"price": "-1"}, "price"),
    ({"body": "a" * 2001}, "body"),
]


@pytest.mark.parametrize(("change", "says"), BAD_TEMPLATES, ids=[b[1][:20] for b in BAD_TEMPLATES])
async def test_a_bad_template_is_refused_at_save_time(
    client: httpx.AsyncClient, engine: AsyncEngine, change: dict[str, Any], says: str
) -> None:
    shop = await make_shop(engine)
    await _login(client, engine, shop, StaffRole.manager)
    body = {"creator_id": str(shop.creator_id), "name": "T", "body": "Hey {fan_name}!", **change}
    response = await client.post("/api/templates", json=body)
    assert response.status_code == 422, response.text
    assert says in response.text
    assert await _count(engine, MessageTemplate, shop.creator_id) == 0


async def test_template_preview_fills_slots_for_one_fan(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    shop = await make_shop(engine)
    await _login(client, engine, shop, StaffRole.chatter)
    principal = Principal.for_creators(shop.creator_id)
    async with tenant_session(SYSTEM, engine=engine) as s:
        s.add(MessageTemplate(creator_id=shop.creator_id, name="Pet", body="Hi {fan_name}! How is {fan_pet|your pet}? {fan_city}",
                              variants={"fansly": "Fansly {fan_name}"}))  # fmt: skip
    async with tenant_session(principal, engine=engine) as s:
        fan, _, _ = await fans.upsert_fan_from_platform(
            s,
            principal,
            creator_id=shop.creator_id,
            platform=Platform.onlyfans,
            platform_fan_id="p1",
            display_name="Jo Q.",
        )
        from memory import service as memory_service

        await memory_service.remember(
            s,
            principal,
            creator_id=shop.creator_id,
            fan_id=fan.id,
            text="Has a dog named Biscuit",
            kind=MemoryKind.personal_detail,
        )
    template_id = (await client.get(f"/api/templates?creator_id={shop.creator_id}")).json()[0]["id"]
    preview = (
        await client.post(f"/api/templates/{template_id}/preview", json={"fan_id": str(fan.id)})
    ).json()
    assert preview == {
        "text": "Hi Jo! How is Biscuit? {fan_city}",
        "platform": "onlyfans",
        "missing": ["fan_city"],
    }
    bad = await client.post(f"/api/templates/{template_id}/preview", json={"fan_id": "not-a-uuid"})
    assert bad.status_code == 422


# ---------------------------------------------------------------- the sample webhooks, through the worker


async def _post(
    client: httpx.AsyncClient, shop: Shop, name: str, *, key: str | None = None, **changes: Any
) -> None:
    body = shop.body(name, **changes)
    response = await client.post(
        "/webhooks/onlyfansapi", content=body, headers=shop.ofapi_headers(body, key=key)
    )
    assert response.status_code == 200, response.text


async def _items(engine: AsyncEngine, shop: Shop) -> list[HitlAction]:
    async with tenant_session(SYSTEM, engine=engine) as s:
        rows = await s.scalars(
            sa.select(HitlAction)
            .where(HitlAction.creator_id == shop.creator_id)
            .order_by(HitlAction.created_at)
        )
        return list(rows)


async def test_a_redelivered_webhook_is_evaluated_once_and_the_rule_replaces_the_lifecycle_draft(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await clear_queue()
    shop = await make_shop(engine)
    await _login(client, engine, shop, StaffRole.manager)
    await _with_template(client, shop)
    rule = (await client.post("/api/rules", json={"creator_id": str(shop.creator_id), **WELCOME_RULE})).json()
    # The same platform event three times, under three delivery keys (the platform retried).
    for _ in range(3):
        await _post(client, shop, "subscriptions.new")
    await drain_queue()
    async with tenant_session(SYSTEM, engine=engine) as s:
        runs = (
            await s.scalars(
                sa.select(AutomationRuleRun).where(AutomationRuleRun.rule_id == uuid.UUID(rule["id"]))
            )
        ).all()
    assert len(runs) == 1 and runs[0].matched
    items = await _items(engine, shop)
    assert [(i.origin, i.proposed_args["text"]) for i in items] == [
        (ApprovalOrigin.automation_run, "Hey Sam! 🥰")
    ]
    detail = (await client.get(f"/api/inbox/items/{items[0].id}")).json()
    assert detail["rule"]["name"] == "Welcome" and detail["rule"]["trigger"] == "subscriptions.new"


async def test_without_rules_the_lifecycle_draft_gets_its_kind_and_facts(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await clear_queue()
    shop = await make_shop(engine)
    principal = Principal.for_creators(shop.creator_id)
    # The PPV the unlock event is about, sent earlier (its platform id is in the event's chat link).
    async with tenant_session(principal, engine=engine) as s:
        mike, _, _ = await fans.upsert_fan_from_platform(
            s,
            principal,
            creator_id=shop.creator_id,
            platform=Platform.onlyfans,
            platform_fan_id="99120311",
            display_name="Mike",
        )
        await fans.log_message(
            s, principal, creator_id=shop.creator_id, fan_id=mike.id, direction=MessageDirection.outbound,
            sender=MessageSender.creator, text="the beach set 🏖️", platform_message_id="4123459000", price=12,
            is_ppv=True, media_ids=["m-77"],
        )  # fmt: skip
    await _post(client, shop, "subscriptions.new")
    await _post(client, shop, "tips.received", message="<p>for the gym pics 💪</p>")
    await _post(client, shop, "messages.ppv.unlocked")
    await drain_queue()
    async with tenant_session(SYSTEM, engine=engine) as s:
        unlocked = (
            await s.scalars(sa.select(FanMessage).where(FanMessage.platform_message_id == "4123459000"))
        ).one()
        assert unlocked.unlocked_at is not None
    contexts = [(i.context.get("kind"), i.context.get("facts") or {}) for i in await _items(engine, shop)]
    by_event = {facts.get("event"): (kind, facts) for kind, facts in contexts}
    kind, facts = by_event["subscriptions.new"]
    assert kind == "welcome" and facts["new_subscriber"] is True and facts["subscription_price"] == "9.99"
    # Mike's tip and unlock: each a thank-you (the later supersedes the earlier pending draft).
    async with tenant_session(SYSTEM, engine=engine) as s:
        from crm.runtime.models import AgentRun

        runs = (await s.scalars(sa.select(AgentRun).where(AgentRun.creator_id == shop.creator_id))).all()
    assert sorted(r.kind for r in runs) == ["thank_you", "thank_you", "welcome"]
    thanks = [facts for kind, facts in contexts if kind == "thank_you"]
    tip = next(f for f in thanks if f["event"] == "tips.received")
    ppv = next(f for f in thanks if f["event"] == "messages.ppv.unlocked")
    assert (
        ppv["ppv_amount"] == "12.00"
        and ppv["ppv"]["text"] == "the beach set 🏖️"
        and ppv["ppv"]["media_ids"] == ["m-77"]
    )
    assert tip["tip_amount"] == "25.00" and tip["tip_note"] == "for the gym pics 💪"


async def test_a_bad_change_to_a_rule_changes_nothing(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    shop = await make_shop(engine)
    await _login(client, engine, shop, StaffRole.manager)
    await _with_template(client, shop)
    rule = (await client.post("/api/rules", json={"creator_id": str(shop.creator_id), **WELCOME_RULE})).json()
    for patch in (
        {"actions": [{"type": "wait", "duration": "1h"}]},
        {"trigger": {"type": "messages.received", "intents": ["telepathy"]}},
        {"conditions": {"field": "tag", "op": "gt", "value": 1}},
        {"priority": -1},
        {"name": ""},
    ):
        response = await client.patch(f"/api/rules/{rule['id']}", json=patch)
        assert response.status_code == 422, (patch, response.text)
    after = (await client.get(f"/api/rules/{rule['id']}")).json()
    assert (after["actions"], after["trigger"], after["conditions"], after["priority"], after["name"]) == (
        rule["actions"], rule["trigger"], None, 100, "Welcome",
    )  # fmt: skip
    for path in (f"/api/rules/{rule['id']}/runs?limit=0", "/api/rules/not-a-uuid", "/api/templates",
                 "/api/broadcasts?limit=1000", f"/api/broadcasts/{uuid.uuid4()}/deliveries?status=read"):  # fmt: skip
        assert (await client.get(path)).status_code == 422, path


async def test_broadcast_counters_and_deliveries_over_http(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    from agent.decisions import decide
    from agent.platform import SandboxAdapter
    from crm.approvals import service as approvals
    from crm.enums import ActionType
    from crm.segments import service as segments

    shop = await make_shop(engine)
    principal = Principal.for_creators(shop.creator_id)
    async with tenant_session(principal, engine=engine) as s:
        for n in range(3):
            await fans.upsert_fan_from_platform(
                s, principal, creator_id=shop.creator_id, platform=Platform.onlyfans, platform_fan_id=f"b{n}",
                display_name=f"Fan {n}",
            )  # fmt: skip
        segment = await segments.create_segment(
            s,
            principal,
            creator_id=shop.creator_id,
            name="All",
            rules={"field": "lifetime_spend", "op": "gte", "value": 0},
        )
        await segments.refresh_segment(s, principal, segment_id=segment.id)
        item, _ = await approvals.create_item(
            s, principal, idempotency_key=f"b-{uuid.uuid4()}", creator_id=shop.creator_id, fan_id=None,
            action_type=ActionType.create_broadcast, args={"segment_id": str(segment.id), "text": "hi all"},
            context={"segment": {"name": "All", "members": 3}}, flags=[], origin=ApprovalOrigin.direct,
        )  # fmt: skip
    await decide(
        principal=principal,
        item_id=item.id,
        decision="approve",
        deliver="now",
        engine=engine,
        adapter=SandboxAdapter(),
    )
    await _login(client, engine, shop, StaffRole.chatter)
    (listed,) = (await client.get("/api/broadcasts")).json()
    assert (listed["status"], listed["audience_seen"], listed["recipient_count"]) == ("sending", 3, 3)
    assert listed["counters"] == {
        "recipients": 3,
        "pending": 3,
        "sent": 0,
        "failed": 0,
        "skipped": 0,
        "purchased": 0,
    }
    assert listed["snapshot"]["segment_name"] == "All"
    from agent import broadcasts as sender
    from agent.context import Knobs

    await sender.send_broadcast(
        broadcast_id=uuid.UUID(listed["id"]), creator_id=shop.creator_id,
        knobs=Knobs.make(engine=engine, adapter=SandboxAdapter()),
    )  # fmt: skip
    detail = (await client.get(f"/api/broadcasts/{listed['id']}")).json()
    assert detail["status"] == "sent" and detail["counters"]["sent"] == 3
    deliveries = (await client.get(f"/api/broadcasts/{listed['id']}/deliveries?status=sent")).json()
    assert sorted(d["fan_name"] for d in deliveries) == ["Fan 0", "Fan 1", "Fan 2"]
    assert all(d["sent_at"] and d["attempts"] == 1 for d in deliveries)
    client.cookies.clear()
    other = await make_shop(engine)
    await _login(client, engine, other, StaffRole.owner)
    assert (await client.get(f"/api/broadcasts/{listed['id']}")).status_code == 404
    assert (await client.get(f"/api/broadcasts/{listed['id']}/deliveries")).status_code == 404
    assert (await client.get("/api/broadcasts")).json() == []
