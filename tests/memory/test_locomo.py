"""The LoCoMo runner on a one-conversation slice: it runs all three methods and repeats exactly."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from evals import locomo
from memory.embeddings import LocalMiniLMEmbedder

ROOT = Path(__file__).resolve().parents[2]
DATA = next(
    (
        p
        for p in (
            Path(os.environ.get("FANPILOT_LOCOMO_DATA", "/nonexistent")),
            ROOT.parent / "shared/data/locomo10",
            Path("/work/shared/data/locomo10"),
        )
        if p.exists()
    ),
    Path("/nonexistent"),
)
QUESTIONS = 12


class CachedEmbedder:
    """The real MiniLM, remembered per text: the second run re-embeds nothing (CPU time, not results)."""

    def __init__(self, inner: LocalMiniLMEmbedder) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dimensions = inner.dimensions
        self.cache: dict[str, list[float]] = {}

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        for text, vector in zip(missing, await self.inner.embed(missing), strict=True):
            self.cache[text] = vector
        return [self.cache[t] for t in texts]


@pytest.mark.skipif(not DATA.exists(), reason="LoCoMo data not present")
async def test_one_conversation_slice_is_stable(test_db: object, embedder: LocalMiniLMEmbedder) -> None:
    urls = test_db.urls  # type: ignore[attr-defined]
    db = locomo.EvalDatabase(owner_url=urls.owner, app_url=urls.app)
    (conv,) = locomo.load_locomo(DATA / "30.json")
    cached = CachedEmbedder(embedder)
    assert conv.turns[0].ref == "D1:1" and conv.turns[0].sent_at is not None
    assert all(q.category != locomo.ADVERSARIAL for q in locomo.answerable(conv))

    first = (await locomo.evaluate([conv], db=db, embedder=cached, max_questions=QUESTIONS)).as_dict()
    second = (await locomo.evaluate([conv], db=db, embedder=cached, max_questions=QUESTIONS)).as_dict()

    assert first["methods"] == second["methods"]
    assert first["questions"] == QUESTIONS
    assert set(first["methods"]) == {"product", "minilm", "langgraph_store"}
    product = first["methods"]["product"]["overall"]
    assert 0 < product["recall@5"] <= product["recall@10"] <= 1
    assert product["recall@10"] >= first["methods"]["minilm"]["overall"]["recall@10"]


def test_loader_reads_the_original_list_layout(tmp_path: Path) -> None:
    sample = {
        "sample_id": "conv-x",
        "conversation": {
            "speaker_a": "A",
            "speaker_b": "B",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {
                    "speaker": "A",
                    "dia_id": "D1:1",
                    "text": "I adopted a cat",
                    "blip_caption": "a photo of a cat",
                },
                {"speaker": "B", "dia_id": "D1:2", "text": "Lovely!"},
            ],
        },
        "qa": [
            {"question": "What did A adopt?", "answer": "a cat", "evidence": ["D1:1"], "category": 4},
            {
                "question": "What did B adopt?",
                "evidence": ["D:1:2"],
                "category": 5,
                "adversarial_answer": "dog",
            },
        ],
    }
    (tmp_path / "locomo10.json").write_text(json.dumps([sample]))
    (conv,) = locomo.load_locomo(tmp_path)
    assert conv.sample_id == "conv-x"
    assert [t.ref for t in conv.turns] == ["D1:1", "D1:2"]
    assert "photo of a cat" in conv.turns[0].text
    assert conv.questions[1].evidence == frozenset({"D1:2"})
    assert [q.question for q in locomo.answerable(conv)] == ["What did A adopt?"]
