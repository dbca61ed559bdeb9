"""Fixtures for the memory tests: the real local embedder (loaded once) and a fresh tenant per test."""

from __future__ import annotations

import uuid

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from memory.embeddings import LocalMiniLMEmbedder
from tests.factories import Tenant, make_fan, make_tenant


@pytest.fixture(scope="session")
def embedder() -> LocalMiniLMEmbedder:
    emb = LocalMiniLMEmbedder()
    emb.embed_sync(["warm up"])
    return emb


@pytest_asyncio.fixture
async def tenant(engine: AsyncEngine) -> Tenant:
    return await make_tenant(engine)


@pytest_asyncio.fixture
async def fan_id(engine: AsyncEngine, tenant: Tenant) -> uuid.UUID:
    return await make_fan(engine, tenant.creator_id, name="Tom")
