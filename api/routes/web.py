"""The web inbox: static pages and assets served by the API (no front-end build step)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from core.errors import NotFound

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parent.parent / "static"
_ASSET = re.compile(r"^[a-z0-9][a-z0-9_.-]*\.(css|js|svg|png|ico)$")
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


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=307)


@router.get("/inbox")
async def inbox_page() -> FileResponse:
    return FileResponse(STATIC / "inbox.html", headers=_PAGE_HEADERS)


@router.get("/login")
async def login_page() -> FileResponse:
    return FileResponse(STATIC / "login.html", headers=_PAGE_HEADERS)


@router.get("/static/{name}")
async def asset(name: str) -> FileResponse:
    path = STATIC / name
    if not _ASSET.match(name) or not path.is_file():
        raise NotFound("no such file")
    return FileResponse(path, headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})
