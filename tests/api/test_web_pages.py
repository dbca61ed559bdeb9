"""The page shells: each PAGES entry is served with its security headers and the shared nav, which
links only pages that exist and marks the current one."""

from __future__ import annotations

import re

import httpx
import pytest

from api.routes import web


def nav_of(html: str) -> str:
    match = re.search(r'<nav class="app-nav".*?</nav>', html, re.S)
    assert match, "the page has no app nav"
    return match.group(0)


@pytest.mark.parametrize("page", [p for p in web.PAGES], ids=[p.path for p in web.PAGES])
async def test_every_page_is_served_with_its_security_headers(
    client: httpx.AsyncClient, page: web.Page
) -> None:
    response = await client.get(page.path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert web.NAV_MARKER not in response.text
    assert '<script src="/static/ui.js" defer></script>' in response.text


async def test_the_inbox_nav_links_the_pages_that_exist_and_marks_the_current_one(
    client: httpx.AsyncClient,
) -> None:
    nav = nav_of((await client.get("/inbox")).text)
    links = re.findall(r'<a href="([^"]+)"', nav)
    assert links == [p.path for p in web.PAGES if p.nav]
    assert "/login" not in links
    assert re.search(r'href="/inbox" class="nav-link" aria-current="page"', nav)
    assert f'data-links="{len(links)}"' in nav
    for path in links:
        assert (await client.get(path)).status_code == 200


def test_a_new_page_is_one_entry_with_optional_roles() -> None:
    pages = (
        web.Page("/inbox", "inbox.html", "Inbox"),
        web.Page("/performance", "performance.html", "Performance", roles=("owner", "admin")),
        web.Page("/login", "login.html", "Sign in", nav=False),
    )
    nav = web.nav_links("/performance", pages)
    assert re.findall(r'<a href="([^"]+)"', nav) == ["/inbox", "/performance"]
    assert 'href="/performance" class="nav-link" aria-current="page" data-roles="owner admin"' in nav
    assert 'href="/inbox" class="nav-link">' in nav
    assert "<script" not in web.nav_links("/x", (web.Page("/x", "x.html", "<script>alert(1)</script>"),))


@pytest.mark.parametrize("name", ["../app.py", "app.css.bak", "..%2Fapp.py", "APP.CSS", "nothing.js", ".env"])
async def test_static_serves_only_named_assets(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/static/{name}")
    assert response.status_code == 404


async def test_static_serves_the_shared_script(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/ui.js")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "function announce" in response.text
