from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.settings import get_settings


@pytest.fixture(autouse=True)
def _product_redis(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The agent runner reads Redis from settings; point it at the test Redis."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
