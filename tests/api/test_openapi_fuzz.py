"""Schemathesis over the OpenAPI document, against the real server, as every kind of caller: nobody,
an owner, an admin, a manager and a chatter of one agency (tokens, and the chatter's cookie session
with its CSRF header), and the owner of a second agency. Webhook bodies are signed by a hook with a
real connection's secret. Every answer is checked against its documented schema; no input is a 5xx.

Then every route that takes an id is called, as each role, with the ids of another creator (of the
same agency, not assigned) and of another agency's creator, fan, item, staff member, token and
connection: 0 foreign rows come back, and every tool that takes a fan id refuses another creator's.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
import zlib
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.ext.asyncio import AsyncEngine

from api.webhooks.signing import sign_ofapi, sign_standard_webhook
from core.db import tenant_session
from core.errors import AppError
from core.tenancy import SYSTEM, StaffRole
from crm.accounts import service as accounts
from crm.creators import service as creators
from crm.enums import Platform
from tests.api.conftest import PASSWORD, Shop, make_login, make_shop
from tests.api.test_auth_inbox import make_item
from tests.automation import support as automation_support
from tests.conftest import record_figure
from tests.factories import make_fan
from tools import REGISTRY, ToolContext

pytestmark = pytest.mark.slow
ROLES = (StaffRole.owner, StaffRole.admin, StaffRole.manager, StaffRole.chatter)


@dataclass
class World:
    shop: Shop  # agency A, creator A1 (connected: webhooks), A2 unassigned to the manager and chatter
    other_creator: uuid.UUID  # A2
    auth: dict[str, dict[str, str]]  # caller → headers
    foreign: dict[str, str]  # path parameter → an id of agency B (or of A2 for creator ids)
    secrets: list[str]  # what of B must never appear in an answer to A (ids, names, emails)
    b_fan: uuid.UUID


async def _token(engine: AsyncEngine, staff_id: uuid.UUID, role: StaffRole) -> str:
    async with tenant_session(SYSTEM, engine=engine) as s:
        issued = await accounts.create_api_token(
            s, SYSTEM, name="fuzz", scopes=sorted(accounts.ROLE_SCOPES[role]), staff_user_id=staff_id
        )
    return issued.plaintext


async def _world(engine: AsyncEngine, live_server: str) -> World:
    shop = await make_shop(engine, creators_count=2)
    a1, a2 = shop.tenant.creator_ids
    auth: dict[str, dict[str, str]] = {"nobody": {}}
    for role in ROLES:
        staff_id, email = await make_login(engine, shop.tenant, role=role, creator_ids=(a1,))
        auth[f"{role} token"] = {"Authorization": f"Bearer {await _token(engine, staff_id, role)}"}
        if role == StaffRole.chatter:
            async with httpx.AsyncClient(base_url=live_server) as http:
                me = await http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
                assert me.status_code == 200, me.text
                cookie = http.cookies.get("fanpilot_session")
            auth["chatter cookie"] = {
                "Cookie": f"fanpilot_session={cookie}",
                "X-CSRF-Token": me.json()["csrf_token"],
            }
    for _ in range(2):
        await make_item(engine, a1)
    await make_item(engine, a2)

    other = await make_shop(engine)
    b_owner, b_email = await make_login(engine, other.tenant, role=StaffRole.owner)
    auth["other agency's owner"] = {
        "Authorization": f"Bearer {await _token(engine, b_owner, StaffRole.owner)}"
    }
    b_item = await make_item(
        engine, other.creator_id, fan_name="Zebediah Foreign", text="zebediah secret draft"
    )
    b_fan = await make_fan(engine, other.creator_id, name="Zebediah Other")
    b_template = await automation_support.template(
        engine, other.creator_id, "Zebediah hello", "Hey {fan_name}"
    )
    b_rule = await automation_support.rule(
        engine,
        other.creator_id,
        name="Zebediah welcome",
        trigger={"type": "subscriptions.new"},
        actions=[{"type": "send_message", "template": "Zebediah hello"}],
    )
    async with tenant_session(SYSTEM, engine=engine) as s:
        token = await accounts.list_api_tokens(s, SYSTEM)
        b_token = next(t.id for t in token if t.staff_user_id == b_owner)
        b_connection = (await creators.list_connections(s, SYSTEM, creator_id=other.creator_id))[0].id
    foreign = {
        "item_id": str(b_item),
        "fan_id": str(b_fan),
        "creator_id": str(other.creator_id),
        "staff_user_id": str(b_owner),
        "token_id": str(b_token),
        "connection_id": str(b_connection),
        "thread_id": str(uuid.uuid4()),
        "template_id": str(b_template),
        "rule_id": str(b_rule),
        # A broadcast exists only once an approved item froze one: an unknown id must 404 the same way.
        "broadcast_id": str(uuid.uuid4()),
    }
    secrets = [*foreign.values(), "Zebediah", "zebediah", b_email, other.account_id]
    return World(shop=shop, other_creator=a2, auth=auth, foreign=foreign, secrets=secrets, b_fan=b_fan)


@pytest.fixture(scope="session")
def world(engine: AsyncEngine, live_server: str) -> World:
    return asyncio.get_event_loop().run_until_complete(_world(engine, live_server))


@pytest.fixture(scope="session")
def api_schema(live_server: str) -> Any:
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    # The event stream never ends by design (tests/api/test_scopes.py covers it); /healthz answers
    # 503 by contract when a dependency is degraded, which is what a load balancer needs.
    return schema.exclude(path="/api/inbox/stream").exclude(path="/healthz")


def _signed(world: World, path: str, body: Any) -> tuple[bytes, dict[str, str]]:
    """What a platform would send: the generated body, addressed to a real connection half the time,
    signed with its secret."""
    # A stable digest, not hash(): str hashes change with every process, and so would which bodies
    # reach a real connection (a run could then accept none).
    if isinstance(body, dict) and zlib.crc32(json.dumps(body, sort_keys=True, default=str).encode()) % 2 == 0:
        body = {**body, "account_id": world.shop.account_id, "platform": "onlyfans"}
    raw = json.dumps(body, default=str).encode()
    headers = {"content-type": "application/json"}
    if path.endswith("onlyfansapi"):
        headers |= {
            "signature": sign_ofapi(raw, world.shop.secret),
            "x-ofapi-idempotency-key": f"fz_{uuid.uuid4().hex}",
        }
    else:
        import time

        msg_id, at = f"msg_{uuid.uuid4().hex}", int(time.time())
        headers |= {
            "webhook-id": msg_id,
            "webhook-timestamp": str(at),
            "webhook-signature": sign_standard_webhook(raw, world.shop.secret, msg_id=msg_id, timestamp=at),
        }
    return raw, headers


def test_no_server_errors_and_every_answer_matches_its_schema(
    api_schema: Any, world: World, live_server: str
) -> None:
    failures: list[str] = []
    calls = 0
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30
    accepted_webhooks = 0

    for operation in operations:
        is_webhook = operation.path.startswith("/webhooks/")

        @given(case=operation.as_strategy())
        @settings(
            max_examples=5,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def probe(case: Any) -> None:
            nonlocal calls, accepted_webhooks
            if is_webhook:  # noqa: B023 - probe() runs inside this loop turn
                raw, headers = _signed(world, operation.path, case.body)  # noqa: B023
                response = httpx.post(
                    f"{live_server}{case.formatted_path}", content=raw, headers=headers, timeout=30
                )
                calls += 1
                accepted_webhooks += response.status_code == 200
                if response.status_code not in (200, 401, 413, 422, 429):
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}"
                    )
                return
            for who, headers in world.auth.items():
                response = case.call(headers=headers, timeout=30)
                calls += 1
                try:
                    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
                except AssertionError as exc:  # schemathesis' failure group is an AssertionError
                    failures.append(
                        f"{who}: {case.method} {case.formatted_path} -> {response.status_code}: {str(exc)[:300]}"
                    )

        probe()
    record_figure(
        f"\n[fuzz] {len(operations)} operations × {len(world.auth)} callers, {calls} requests "
        f"({accepted_webhooks} signed webhooks accepted): {len(failures)} failures (5xx or off-schema)"
    )
    assert accepted_webhooks > 0
    assert not failures, "\n".join(failures[:20])


ID_PARAM = re.compile(r"\{([a-z_]*_id)\}")


def test_ids_of_another_creator_and_another_fan_return_no_foreign_rows(
    api_schema: Any, world: World, live_server: str
) -> None:
    """Every route with an id in its path, as every role of agency A, with agency B's ids (and A2's,
    a creator the manager and chatter are not assigned to)."""
    probes = leaked = 0
    wrong: list[str] = []
    with_ids = [op.ok() for op in api_schema.get_all_operations() if ID_PARAM.search(op.ok().path)]
    assert len(with_ids) >= 20
    for operation in with_ids:
        names = ID_PARAM.findall(operation.path)
        variants = [{n: world.foreign[n] for n in names}]
        if "creator_id" in names:
            variants.append({**variants[0], "creator_id": str(world.other_creator)})
        for path_parameters in variants:

            @given(case=operation.as_strategy(path_parameters=path_parameters))
            @settings(
                max_examples=1,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def probe(case: Any) -> None:
                nonlocal probes, leaked
                for who, headers in world.auth.items():
                    if who in ("nobody", "other agency's owner"):
                        continue
                    if path_parameters.get("creator_id") == str(world.other_creator) and who.startswith(  # noqa: B023
                        ("owner", "admin")
                    ):
                        continue  # A2 belongs to their agency: they may see it
                    response = case.call(headers=headers, timeout=30)
                    probes += 1
                    found = [s for s in world.secrets if s in response.text]
                    if found and response.status_code < 400:
                        leaked += 1
                        wrong.append(
                            f"{who}: {case.method} {case.formatted_path} -> {response.status_code} shows {found[:2]}"
                        )
                    elif response.status_code < 400 and case.method != "GET":
                        wrong.append(
                            f"{who}: {case.method} {case.formatted_path} -> {response.status_code} (changed something?)"
                        )
                    elif response.status_code >= 500:
                        wrong.append(f"{who}: {case.method} {case.formatted_path} -> {response.status_code}")

            probe()
    # List routes filtered by a foreign creator id.
    for path in ("/api/inbox/items", "/api/inbox/counts", "/api/admin/audit"):
        for who, headers in world.auth.items():
            if who in ("nobody", "other agency's owner"):
                continue
            response = httpx.get(
                f"{live_server}{path}", params={"creator_id": world.foreign["creator_id"]}, headers=headers
            )
            probes += 1
            if response.status_code < 400 and any(s in response.text for s in world.secrets[1:]):
                leaked += 1
                wrong.append(f"{who}: GET {path}?creator_id=<B> shows B's data")
    record_figure(
        f"\n[fuzz] {probes} probes with another creator's / another agency's ids: {leaked} foreign rows"
    )
    assert not wrong, "\n".join(wrong[:20])


async def test_tools_with_another_creators_fan_id_return_nothing_of_it(
    engine: AsyncEngine, world: World
) -> None:
    """The assistant's tools act creator-wide for A1: a fan id of agency B finds nothing."""
    minimal: dict[str, dict[str, Any]] = {
        "get_recent_messages": {"limit": 5},
        "get_transactions": {"limit": 5},
        "recall_memories": {"query": "birthday"},
        "add_note": {"body": "note"},
        "tag_fan": {"tag": "vip"},
        "remember_fact": {"text": "Birthday is 12 May"},
        "send_message": {"text": "hi"},
        "send_ppv_offer": {"text": "new set", "price": "20"},
        "send_template": {"template": "Welcome"},
    }
    ctx = ToolContext(
        principal=world.shop.tenant.principal(), creator_id=world.shop.creator_id, engine=engine
    )
    fan_tools = [t for t in REGISTRY.values() if t.fan_scoped]
    assert fan_tools
    for tool in fan_tools:
        try:
            result = await tool.run(ctx, {"fan_id": str(world.b_fan), **minimal.get(tool.name, {})})
        except AppError:
            continue
        # Found nothing is the only acceptable success: no data of that fan, nothing queued for it.
        assert not result, (tool.name, json.dumps(result, default=str)[:300])
    record_figure(f"\n[fuzz] {len(fan_tools)} fan-scoped tools with another agency's fan id: 0 foreign rows")


def test_platform_enum_is_what_the_webhook_schema_says() -> None:
    from api.routes.webhooks import WEBHOOK_BODY

    documented = WEBHOOK_BODY["requestBody"]["content"]["application/json"]["schema"]["properties"][
        "platform"
    ]["enum"]  # type: ignore[index]
    assert set(documented) <= {str(p) for p in Platform}
