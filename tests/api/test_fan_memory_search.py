"""GET /api/fans/{fan_id}/memories/search: what a fan's memory says about a topic, for whoever may read
that fan in the inbox — ranked as the assistant's recall ranks them, answered by one round trip to
the database, and a fan you may not see answers exactly like one that does not exist."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.statements import counting
from core.db import tenant_session
from core.tenancy import StaffRole
from crm.enums import MemoryKind
from memory import repository as repo
from memory import service
from memory.access import ACCESS_LOG
from memory.embeddings import get_embedder
from tests.api.conftest import make_login, sign_in
from tests.api.test_privacy import _cli
from tests.conftest import record_figure
from tests.factories import Tenant, make_fan, make_tenant
from tests.memory.test_recall_sql import QUERIES, _ingest


@dataclass
class Fans:
    tenant: Tenant  # one agency, creators A1 and A2
    mine: uuid.UUID  # a fan of A1, with a history of memories
    sister: uuid.UUID  # a fan of A2 (same agency)
    foreign: uuid.UUID  # a fan of another agency's creator


async def _remember(engine: AsyncEngine, tenant: Tenant, creator_id: uuid.UUID, fan_id: uuid.UUID) -> None:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        await service.remember(
            s, p, creator_id=creator_id, fan_id=fan_id, text="Has a beagle named Biscuit",
            kind=MemoryKind.personal_detail, embedder=get_embedder(),
        )  # fmt: skip


@pytest_asyncio.fixture
async def fans(engine: AsyncEngine, api_environment: dict[str, str]) -> Fans:
    tenant = await make_tenant(engine, creators=2)
    a1, a2 = tenant.creator_ids
    mine = await make_fan(engine, a1, name="Tom")
    await _ingest(engine, Tenant(tenant.agency_id, (a1,)), mine, get_embedder())  # type: ignore[arg-type]
    sister = await make_fan(engine, a2, name="Sis")
    await _remember(engine, tenant, a2, sister)
    other = await make_tenant(engine)
    foreign = await make_fan(engine, other.creator_id, name="Zeb")
    await _remember(engine, other, other.creator_id, foreign)
    return Fans(tenant=tenant, mine=mine, sister=sister, foreign=foreign)


def _search(fan_id: uuid.UUID | str, q: str, k: int | str | None = None) -> tuple[str, dict[str, str]]:
    params = {"q": q} if k is None else {"q": q, "k": str(k)}
    return f"/api/fans/{fan_id}/memories/search", params


async def _get(
    client: httpx.AsyncClient, fan_id: uuid.UUID | str, q: str, k: int | str | None = None
) -> httpx.Response:
    path, params = _search(fan_id, q, k)
    return await client.get(path, params=params)


@pytest.mark.parametrize("k", [3, 10])
async def test_the_same_memories_in_the_same_order_as_recall_in_a_session(
    client: httpx.AsyncClient, engine: AsyncEngine, fans: Fans, k: int
) -> None:
    _, email = await make_login(engine, fans.tenant, role=StaffRole.owner)
    await sign_in(client, email)
    p = fans.tenant.principal()
    for query in QUERIES:
        response = await _get(client, fans.mine, f"  {query} ", k)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["fan_id"] == str(fans.mine) and body["query"] == query
        async with tenant_session(p, engine=engine) as s:
            expected = await service.recall_for_fan(
                s, p, fan_id=fans.mine, query=query, k=k, token_budget=None, touch=False
            )
        got = body["memories"]
        assert [m["id"] for m in got] == [str(m.id) for m in expected], query
        assert got and len(got) <= k
        assert set(got[0]) == {"id", "kind", "text", "importance", "score", "valid_from"}
    biscuit = (await _get(client, fans.mine, "what is his dog called", 1)).json()["memories"]
    assert len(biscuit) == 1 and "Biscuit" in biscuit[0]["text"]


async def test_who_may_read_the_fan_in_the_inbox_may_search_it(
    client: httpx.AsyncClient, engine: AsyncEngine, fans: Fans
) -> None:
    a1, a2 = fans.tenant.creator_ids
    assert (await _get(client, fans.mine, "dog")).status_code == 401  # not signed in
    cases = [
        (StaffRole.chatter, {"creator_ids": (a1,)}, 200),
        (StaffRole.chatter, {"creator_ids": (a2,)}, 404),  # assigned to the sister creator only
        (StaffRole.chatter, {}, 404),  # assigned to nobody
        (StaffRole.manager, {"creator_ids": (a1,)}, 200),
        (StaffRole.creator, {"creator_id": a1}, 200),
        (StaffRole.creator, {"creator_id": a2}, 404),  # a sister creator's own login
        (StaffRole.admin, {}, 200),
    ]
    for role, access, status in cases:
        _, email = await make_login(engine, fans.tenant, role=role, **access)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as http:
            await sign_in(http, email)
            response = await _get(http, fans.mine, "dog")
            assert response.status_code == status, (role, access, response.text)
            if status == 404:
                unknown = await _get(http, uuid.uuid4(), "dog")
                assert (unknown.status_code, unknown.json()) == (404, response.json())
            else:
                assert "Biscuit" in response.text


async def test_another_agencys_fan_answers_like_an_unknown_one(
    client: httpx.AsyncClient, engine: AsyncEngine, fans: Fans
) -> None:
    _, email = await make_login(engine, fans.tenant, role=StaffRole.owner)
    await sign_in(client, email)
    foreign = await _get(client, fans.foreign, "dog")
    unknown = await _get(client, uuid.uuid4(), "dog")
    assert foreign.status_code == 404 and (foreign.status_code, foreign.json()) == (
        unknown.status_code,
        unknown.json(),
    )
    assert "Biscuit" not in foreign.text
    # The sister creator's fan is the owner's to read (same agency).
    assert "Biscuit" in (await _get(client, fans.sister, "dog")).text


async def test_tokens_need_the_inbox_read_scope(
    client: httpx.AsyncClient, engine: AsyncEngine, fans: Fans
) -> None:
    _, email = await make_login(engine, fans.tenant, role=StaffRole.owner)
    await sign_in(client, email)
    tokens = {}
    for scopes in (["inbox:read"], ["inbox:write", "chat:write", "admin:read"]):
        issued = await client.post("/api/admin/tokens", json={"name": "t", "scopes": scopes})
        assert issued.status_code == 201, issued.text
        tokens[scopes[0]] = issued.json()["token"]
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as bearer:
        bearer.headers["Authorization"] = f"Bearer {tokens['inbox:read']}"
        reader = await _get(bearer, fans.mine, "dog")
        assert reader.status_code == 200 and "Biscuit" in reader.text
        bearer.headers["Authorization"] = f"Bearer {tokens['inbox:write']}"
        writer = await _get(bearer, fans.mine, "dog")
        assert writer.status_code == 403 and "inbox:read" in writer.text
        assert "Biscuit" not in writer.text
        bearer.headers["Authorization"] = "Bearer fp_not_a_real_token"
        assert (await _get(bearer, fans.mine, "dog")).status_code == 401


async def _access_total(engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID) -> tuple[int, int]:
    await ACCESS_LOG.flush()
    async with tenant_session(tenant.principal(), engine=engine) as s:
        row = (
            await s.execute(
                text(
                    "SELECT count(*), coalesce(sum(a.access_count), 0) FROM fan_memories m"
                    " LEFT JOIN fan_memory_access a ON a.memory_id = m.id WHERE m.fan_id = :f"
                ),
                {"f": fan_id},
            )
        ).one()
    return int(row[0]), int(row[1])


@pytest.mark.parametrize(
    ("fan", "q", "k"),
    [
        ("mine", "", None),
        ("mine", "   \t ", None),
        ("mine", "x" * 501, None),
        ("mine", "dog\x00", None),
        ("mine", "dog", 0),
        ("mine", "dog", 51),
        ("mine", "dog", -1),
        ("mine", "dog", "many"),
        ("not-a-uuid", "dog", None),
        ("1234", "dog", 5),
    ],
)
async def test_bad_input_is_a_422_and_recalls_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, fans: Fans, fan: str, q: str, k: int | str | None
) -> None:
    _, email = await make_login(engine, fans.tenant, role=StaffRole.owner)
    await sign_in(client, email)
    before = await _access_total(engine, fans.tenant, fans.mine)
    response = await _get(client, fans.mine if fan == "mine" else fan, q, k)
    assert response.status_code == 422, response.text
    assert "detail" in response.json()
    # Nothing recalled, so nothing counted as accessed (and nothing else stored).
    assert await _access_total(engine, fans.tenant, fans.mine) == before


async def test_the_longest_query_and_the_largest_k_are_accepted(
    client: httpx.AsyncClient, engine: AsyncEngine, fans: Fans
) -> None:
    _, email = await make_login(engine, fans.tenant, role=StaffRole.owner)
    await sign_in(client, email)
    longest = await _get(client, fans.mine, ("dog " * 125)[:500], 50)
    assert longest.status_code == 200, longest.text
    assert 0 < len(longest.json()["memories"]) <= 50
    odd = await _get(client, fans.mine, "'\" & | ! :* <-> (( dog", 1)
    assert odd.status_code == 200, odd.text


async def test_the_recall_is_one_round_trip(
    client: httpx.AsyncClient, engine: AsyncEngine, fans: Fans
) -> None:
    _, email = await make_login(
        engine, fans.tenant, role=StaffRole.chatter, creator_ids=fans.tenant.creator_ids
    )
    await sign_in(client, email)
    get_embedder()  # loaded before, so the count holds only the request
    await ACCESS_LOG.flush()
    with counting(trace=True) as count:
        response = await _get(client, fans.mine, "the dog")
    assert response.status_code == 200 and "Biscuit" in response.text
    assert count.trace is not None
    recall_sql = " ".join(repo._RECALL_SQL_PSYCOPG[False].split())[:120]
    recalls = [t for t in count.trace if recall_sql in t]
    # The recall (the unbudgeted statement) ran once, inside a pipeline…
    assert len(recalls) == 1 and recalls[0].startswith("1x (pipelined) "), count.trace
    # …with BEGIN, the tenant settings and COMMIT (the only pipeline of the request), one Sync.
    assert sum("(pipelined)" in t for t in count.trace) == 4, count.trace
    assert count.by_kind["(pipeline sync)"] == 1, count.trace
    signing_in = count.round_trips - 1
    record_figure(
        f"\n[fan memory search] one request: {count.round_trips} round trips ({signing_in} resolving the "
        f"signed-in chatter, 1 the recall), {count.statements} statements"
    )


async def test_the_cli_gives_the_same_answer_to_the_same_people(
    client: httpx.AsyncClient, engine: AsyncEngine, test_db: Any, fans: Fans
) -> None:
    _, owner = await make_login(engine, fans.tenant, role=StaffRole.owner)
    _, stranger = await make_login(engine, fans.tenant, role=StaffRole.chatter)  # assigned to nobody
    await sign_in(client, owner)
    api = (await _get(client, fans.mine, "his dog", 3)).json()
    found = await asyncio.to_thread(
        _cli, test_db, "memories", "search", str(fans.mine), "his dog", "--as", owner, "-k", "3", "--json"
    )
    assert found.returncode == 0, found.stderr
    assert [m["id"] for m in json.loads(found.stdout)["memories"]] == [m["id"] for m in api["memories"]]
    table = await asyncio.to_thread(_cli, test_db, "memories", "search", str(fans.mine), "dog", "--as", owner)
    assert table.returncode == 0 and "Biscuit" in table.stdout, table.stderr
    hidden = await asyncio.to_thread(
        _cli, test_db, "memories", "search", str(fans.mine), "dog", "--as", stranger
    )
    assert hidden.returncode == 1 and "fan not found" in hidden.stderr and "Biscuit" not in hidden.stdout
    blank = await asyncio.to_thread(_cli, test_db, "memories", "search", str(fans.mine), "   ", "--as", owner)
    assert blank.returncode == 1 and "not only whitespace" in blank.stderr
