"""The web pages: static shells and assets served by the API (no front-end build step).

Every page is one `Page` entry in PAGES: that registers its route and, with `nav=True`, its link in the
app header of every page (docs/ui.md). A page's HTML marks where the links go with `<!--app-nav-->`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from core.errors import NotFound

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parent.parent / "static"
_ASSET = re.compile(r"^[a-z0-9][a-z0-9_.-]*\.(css|js|svg|png|ico)$")
NAV_MARKER = "<!--app-nav-->"
# The pages are shells; all data comes from the API with the session cookie.
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class Page:
    """One web page: its URL, its shell in api/static/, and its label in the nav."""

    path: str
    file: str
    label: str
    nav: bool = True
    # Roles that see the nav link (empty: everyone signed in). The API still enforces access.
    roles: tuple[str, ...] = ()


PAGES: tuple[Page, ...] = (
    Page("/inbox", "inbox.html", "Inbox"),
    Page("/chat", "chat.html", "Chat"),
    Page("/rules", "rules.html", "Rules"),
    Page("/performance", "performance.html", "Performance", roles=("owner", "admin", "manager", "creator")),
    Page("/login", "login.html", "Sign in", nav=False),
    Page("/join", "join.html", "Join", nav=False),
)


def nav_links(current: str, pages: tuple[Page, ...] = PAGES) -> str:
    """The header's nav: links in PAGES order, the current page marked for assistive technology."""
    items = []
    for page in pages:
        if not page.nav:
            continue
        attrs = [f'href="{escape(page.path)}"', 'class="nav-link"']
        if page.path == current:
            attrs.append('aria-current="page"')
        if page.roles:
            attrs.append(f'data-roles="{escape(" ".join(page.roles))}"')
        items.append(f"<li><a {' '.join(attrs)}>{escape(page.label)}</a></li>")
    return (
        f'<nav class="app-nav" aria-label="Pages" data-links="{len(items)}">'
        f'<ul class="nav-list">{"".join(items)}</ul></nav>'
    )


def render_page(page: Page) -> str:
    html = (STATIC / page.file).read_text(encoding="utf-8")
    return html.replace(NAV_MARKER, nav_links(page.path))


def _page_route(page: Page) -> None:
    async def serve() -> HTMLResponse:
        """The page shell with the app nav filled in; its data comes from the API."""
        return HTMLResponse(render_page(page), headers=_PAGE_HEADERS)

    serve.__name__ = f"page_{page.file.removesuffix('.html')}"
    router.add_api_route(page.path, serve, methods=["GET"], response_class=HTMLResponse)


for _page in PAGES:
    _page_route(_page)


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=307)


@router.get("/static/{name}")
async def asset(name: str) -> FileResponse:
    path = STATIC / name
    if not _ASSET.match(name) or not path.is_file():
        raise NotFound("no such file")
    return FileResponse(path, headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})
