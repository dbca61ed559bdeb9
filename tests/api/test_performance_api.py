"""The performance API: who may read it (roles, scopes, tenants), what it answers on a known decision
history, bad input (clear 4xx, never 5xx), and the CSV export."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.passwords import hash_password
from core.tenancy import SYSTEM, StaffRole
from crm.accounts import service as accounts
from crm.accounts.models import StaffUser
from tests.api.conftest import PASSWORD, sign_in
from tests.crm.team_ledger import TeamLedger, seed_team_ledger
from tests.factories import make_staff, make_tenant

ROUTES = (
    "scope",
    "revenue",
    "subscribers",
    "responses",
    "team",
    "creators",
    "flags",
    "export.csv?report=team",
)
FILTERED = ROUTES[1:]  # every route but the scope takes creator_id


async def _emails(engine: AsyncEngine, *staff_ids: uuid.UUID) -> list[str]:
    """Give these staff members the test password; their emails, in order."""
    async with tenant_session(SYSTEM, engine=engine) as s:
        out = []
        for staff_id in staff_ids:
            user = await s.get(StaffUser, staff_id)
            assert user is not None
            user.password_hash = hash_password(PASSWORD)
            out.append(user.email)
    return out


def _url(route: str, **params: Any) -> str:
    path = f"/api/performance/{route}"
    query = "&".join(f"{k}={v}" for k, v in params.items())
    if not query:
        return path
    return path + ("&" if "?" in path else "?") + query


@pytest.fixture
async def ledger(engine: AsyncEngine) -> TeamLedger:
    return await seed_team_ledger(engine)


async def test_roles_and_tenants_on_every_route(
    engine: AsyncEngine, client: httpx.AsyncClient, ledger: TeamLedger
) -> None:
    mia, raven = str(ledger.mia), str(ledger.raven)
    only_mia = await make_staff(engine, ledger.tenant, role=StaffRole.manager, creator_ids=(ledger.mia,))
    other = await make_tenant(engine)
    outsider = await make_staff(engine, other, role=StaffRole.owner)
    chatter, owner, manager, creator, mia_manager, stranger = await _emails(
        engine, ledger.chatter, ledger.owner, ledger.manager, ledger.creator_login, only_mia, outsider
    )
    for route in ROUTES:
        assert (await client.get(_url(route))).status_code == 401, route

    await sign_in(client, chatter)
    for route in ROUTES:
        response = await client.get(_url(route))
        assert response.status_code == 403, (route, response.text)
        assert "analytics:read" in response.json()["detail"]

    await sign_in(client, owner)
    for route in ROUTES:
        assert (await client.get(_url(route))).status_code == 200, route
    scope = (await client.get(_url("scope"))).json()
    assert {c["id"] for c in scope["creators"]} == {mia, raven}
    assert str(outsider) not in {p["id"] for p in scope["staff"]}

    await sign_in(client, mia_manager)  # assigned to Mia only
    for route in FILTERED:
        assert (await client.get(_url(route, creator_id=raven))).status_code == 404, route
        assert (await client.get(_url(route, creator_id=mia))).status_code == 200, route
    rows = (await client.get(_url("creators"))).json()["creators"]
    assert [r["creator_id"] for r in rows] == [mia]
    team = (await client.get(_url("team"))).json()
    # The other manager's decisions on Mia count; the one on Raven does not.
    assert next(p["decided"] for p in team["people"] if p["key"] == str(ledger.manager)) == 2

    await sign_in(client, creator)  # Mia's own login
    for route in FILTERED:
        assert (await client.get(_url(route, creator_id=raven))).status_code == 404, route
        assert (await client.get(_url(route))).status_code == 200, route
    assert [c["id"] for c in (await client.get(_url("scope"))).json()["creators"]] == [mia]
    assert (await client.get(_url("team"))).json()["total"]["decided"] == 6

    await sign_in(client, stranger)  # another agency: nothing of ours, by id or by default
    for route in FILTERED:
        assert (await client.get(_url(route, creator_id=mia))).status_code == 404, route
    assert (await client.get(_url("team", staff_id=ledger.chatter))).status_code == 404
    assert (await client.get(_url("team"))).json()["people"] == []

    await sign_in(client, manager)
    data = (await client.get(_url("team", period="last_7_days"))).json()
    chatter_row = next(p for p in data["people"] if p["key"] == str(ledger.chatter))
    got = (chatter_row["decided"], chatter_row["sla_breaches"], chatter_row["attributed_revenue"])
    assert got == (3, 1, "55.00")


async def test_tokens_need_the_analytics_scope(
    engine: AsyncEngine, client: httpx.AsyncClient, ledger: TeamLedger
) -> None:
    async with tenant_session(SYSTEM, engine=engine) as s:
        reader = await accounts.create_api_token(
            s, SYSTEM, name="numbers", scopes=["analytics:read"], staff_user_id=ledger.owner
        )
        inbox = await accounts.create_api_token(
            s, SYSTEM, name="inbox", scopes=["inbox:read"], staff_user_id=ledger.owner
        )
    ok = await client.get(_url("team"), headers={"Authorization": f"Bearer {reader.plaintext}"})
    assert ok.status_code == 200 and ok.json()["total"]["decided"] == 6
    refused = await client.get(_url("revenue"), headers={"Authorization": f"Bearer {inbox.plaintext}"})
    assert refused.status_code == 403


BAD_INPUT = [
    ("revenue", {"period": "fortnight"}),
    ("revenue", {"period": "custom"}),
    ("revenue", {"period": "custom", "start": "2026-11-01"}),
    ("revenue", {"period": "last_7_days", "start": "2026-11-01"}),
    ("revenue", {"period": "custom", "start": "2026-11-10", "end": "2026-11-01"}),
    ("revenue", {"period": "custom", "start": "2999-01-01", "end": "2999-01-02"}),
    ("revenue", {"period": "custom", "start": "1999-12-31", "end": "2000-01-02"}),
    ("revenue", {"period": "custom", "start": "2026-13-01", "end": "2026-13-02"}),
    ("revenue", {"creator_id": "not-a-uuid"}),
    ("revenue", {"bucket": "hour"}),
    ("revenue", {"period": "custom", "start": "2020-01-01", "end": "2026-01-01", "bucket": "day"}),
    ("subscribers", {"period": "all_time", "bucket": "week"}),
    ("team", {"sla_minutes": "0"}),
    ("team", {"sla_minutes": "10081"}),
    ("team", {"sla_minutes": "soon"}),
    ("team", {"staff_id": "42"}),
    ("responses", {"sla_minutes": "-5"}),
    ("export.csv", {}),
    ("export.csv", {"report": "payroll"}),
    ("export.csv", {"report": "team", "period": "custom"}),
]


@pytest.mark.parametrize(("route", "params"), BAD_INPUT, ids=[f"{r}-{'-'.join(p)}" for r, p in BAD_INPUT])
async def test_bad_input_is_a_clear_422(
    engine: AsyncEngine, client: httpx.AsyncClient, route: str, params: dict[str, str]
) -> None:
    tenant = await make_tenant(engine)
    owner = await make_staff(engine, tenant, role=StaffRole.owner)
    await sign_in(client, (await _emails(engine, owner))[0])
    response = await client.get(f"/api/performance/{route}", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


async def test_unknown_ids_are_404(
    engine: AsyncEngine, client: httpx.AsyncClient, ledger: TeamLedger
) -> None:
    await sign_in(client, (await _emails(engine, ledger.owner))[0])
    assert (await client.get(_url("team", staff_id=uuid.uuid4()))).status_code == 404
    assert (await client.get(_url("revenue", creator_id=uuid.uuid4()))).status_code == 404
    lonely = await make_staff(engine, ledger.tenant, role=StaffRole.manager)  # no creator assigned
    await sign_in(client, (await _emails(engine, lonely))[0])
    response = await client.get(_url("revenue"))
    assert response.status_code == 404 and "no creator" in response.json()["detail"]


def _table(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="fanpilot-')
    return list(csv.reader(io.StringIO(response.text)))


async def test_csv_export_of_every_report(
    engine: AsyncEngine, client: httpx.AsyncClient, ledger: TeamLedger
) -> None:
    async with tenant_session(SYSTEM, engine=engine) as s:
        await s.execute(
            sa.update(StaffUser).where(StaffUser.id == ledger.chatter).values(display_name="=HYPERLINK(evil)")
        )
    await sign_in(client, (await _emails(engine, ledger.owner))[0])
    team = _table(await client.get(_url("export.csv", report="team", period="last_7_days")))
    header = team[0]
    assert header[:4] == ["name", "kind", "role", "decided"]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in team[1:]}
    assert rows["All AI drafts"]["decided"] == "6"
    chatter = rows["'=HYPERLINK(evil)"]  # a formula is written as text
    assert (chatter["decided"], chatter["ppv_revenue"], chatter["tip_revenue"]) == ("3", "25.00", "30.00")
    assert chatter["approval_rate_without_edit"] == "0.6667"

    money = _table(await client.get(_url("export.csv", report="revenue", period="last_7_days", bucket="day")))
    assert money[0][0] == "bucket_start" and money[0][-1] == "net"
    assert money[-1][0] == "total" and money[-1][-1] == "95.00"
    assert len(money) >= 1 + 7 + 1
    subs = _table(await client.get(_url("export.csv", report="subscribers")))
    assert subs[0] == ["bucket_start", "new", "renewed", "expired", "cancelled", "reactivated"]
    creators = _table(await client.get(_url("export.csv", report="creators", period="last_7_days")))
    assert {r[0] for r in creators[1:]} == {"Creator 0", "Creator 1"}
    flags = _table(await client.get(_url("export.csv", report="flags", period="last_7_days")))
    assert {r[0] for r in flags[1:]} == {"off_platform_attempt", "restricted_word"}


async def test_openapi_documents_every_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = {p: v for p, v in spec["paths"].items() if p.startswith("/api/performance/")}
    assert set(paths) == {f"/api/performance/{r.split('?')[0]}" for r in ROUTES}
    for path, operations in paths.items():
        get = operations["get"]
        assert get["tags"] == ["performance"] and get["description"], path
        assert {"401", "403"} <= set(get["responses"]), path
    assert "text/csv" in paths["/api/performance/export.csv"]["get"]["responses"]["200"]["content"]
