"""LoCoMo evidence-retrieval eval: the product's memory recall vs. two baselines, no LLM.

Each conversation becomes one fan whose memories are the conversation's turns, stored through the
product's own import path (`memory.service.ingest_transcript`: speaker, session date and the turn
being answered go into the embedding; the search words add the turn's own words four times more,
two turns either side within the session and relative times pinned to the session date). Each non-adversarial question is asked
through `memory.service.recall_for_fan`; a question scores when its evidence turns (`D3:7`) are
among the recalled memories. Baselines on the same turns, in the same run:

- `minilm`: pure MiniLM cosine search over the raw turns ("Speaker: text"), exact, in memory;
- `langgraph_store`: LangGraph's `AsyncPostgresStore` semantic search (same MiniLM, one namespace
  per conversation) over the same raw turns.

Questions and answers are never used at ingestion. Files in the public LoCoMo layout work as they
are: a directory of per-conversation JSON files, or `locomo10.json` (a list of samples).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from memory.embeddings import Embedder
from memory.schemas import TranscriptTurn

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
ADVERSARIAL = 5
K_VALUES = (5, 10)
METHODS = ("product", "minilm", "langgraph_store")
METHOD_LABELS = {
    "product": "Fanpilot recall (context + MiniLM + BM25 with reply and dates, scaled mix, speaker lean)",
    "minilm": "MiniLM vector search, raw turns",
    "langgraph_store": "LangGraph AsyncPostgresStore",
}


@dataclass(frozen=True)
class LocomoQuestion:
    question: str
    category: int
    evidence: frozenset[str]


@dataclass
class LocomoConversation:
    sample_id: str
    turns: list[TranscriptTurn]
    questions: list[LocomoQuestion] = field(default_factory=list)

    def raw_texts(self) -> list[str]:
        return [f"{t.speaker}: {t.text}" for t in self.turns]


# ---------------------------------------------------------------- loading


def _parse_session_time(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y", "%d %B, %Y", "%d %B %Y"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _evidence(raw: Sequence[Any]) -> frozenset[str]:
    ids: set[str] = set()
    for item in raw:
        # The release has a few malformed ids ("D:11:26", "D8:6; D9:17").
        for match in re.findall(r"D:?(\d+):(\d+)", str(item)):
            ids.add(f"D{int(match[0])}:{int(match[1])}")
    return frozenset(ids)


def _conversation(sample: dict[str, Any], fallback_id: str) -> LocomoConversation:
    conv = sample.get("conversation", sample)
    turns: list[TranscriptTurn] = []
    n = 1
    while f"session_{n}_date_time" in conv or f"session_{n}" in conv:
        label = conv.get(f"session_{n}_date_time")
        sent_at = _parse_session_time(label)
        for turn in conv.get(f"session_{n}") or []:
            text = str(turn.get("text", "")).strip()
            # Shared photos are part of what was said: keep their caption as text.
            if turn.get("blip_caption"):
                text = f"{text} [shares a photo of {turn['blip_caption']}]".strip()
            turns.append(
                TranscriptTurn(
                    speaker=str(turn.get("speaker", "?")),
                    text=text,
                    sent_at=sent_at,
                    session_label=label,
                    ref=str(turn.get("dia_id")),
                )
            )
        n += 1
    questions = [
        LocomoQuestion(
            question=str(q["question"]), category=int(q["category"]), evidence=_evidence(q["evidence"])
        )
        for q in sample.get("qa", [])
        if "question" in q and "category" in q
    ]
    return LocomoConversation(
        sample_id=str(sample.get("sample_id") or fallback_id), turns=turns, questions=questions
    )


def load_locomo(path: Path) -> list[LocomoConversation]:
    """Conversations from a LoCoMo file or a directory of them (sorted by file name)."""
    files = sorted(p for p in path.iterdir() if p.suffix == ".json") if path.is_dir() else [path]
    conversations: list[LocomoConversation] = []
    for file in files:
        data = json.loads(file.read_text())
        samples = data if isinstance(data, list) else [data]
        for i, sample in enumerate(samples):
            fallback = file.stem if len(samples) == 1 else f"{file.stem}-{i}"
            conversations.append(_conversation(sample, fallback))
    return conversations


def answerable(conv: LocomoConversation, max_questions: int | None = None) -> list[LocomoQuestion]:
    qs = [q for q in conv.questions if q.category != ADVERSARIAL and q.evidence]
    return qs[:max_questions] if max_questions else qs


# ---------------------------------------------------------------- metrics


@dataclass
class Tally:
    n: int = 0
    recall: dict[int, float] = field(default_factory=lambda: dict.fromkeys(K_VALUES, 0.0))
    mrr: float = 0.0

    def add(self, ranked: Sequence[str], evidence: frozenset[str]) -> None:
        self.n += 1
        for k in K_VALUES:
            self.recall[k] += len(evidence.intersection(ranked[:k])) / len(evidence)
        self.mrr += next(
            (1.0 / (i + 1) for i, ref in enumerate(ranked[: max(K_VALUES)]) if ref in evidence), 0.0
        )

    def as_dict(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {"questions": self.n}
        for k in K_VALUES:
            out[f"recall@{k}"] = round(self.recall[k] / self.n, 4) if self.n else 0.0
        out[f"mrr@{max(K_VALUES)}"] = round(self.mrr / self.n, 4) if self.n else 0.0
        return out


@dataclass
class MethodScores:
    overall: Tally = field(default_factory=Tally)
    by_category: dict[int, Tally] = field(default_factory=dict)

    def add(self, question: LocomoQuestion, ranked: Sequence[str]) -> None:
        self.overall.add(ranked, question.evidence)
        self.by_category.setdefault(question.category, Tally()).add(ranked, question.evidence)

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            "by_category": {
                CATEGORIES.get(c, str(c)): t.as_dict() for c, t in sorted(self.by_category.items())
            },
        }


# ---------------------------------------------------------------- the scratch database


@dataclass(frozen=True)
class EvalDatabase:
    owner_url: str
    app_url: str


@contextmanager
def scratch_database(name: str | None = None, *, admin_url: str | None = None) -> Iterator[EvalDatabase]:
    """A migrated throw-away database on the server the settings resolve; dropped afterwards."""
    from core import embedded
    from core.db import _with_credentials, plain_url
    from core.settings import get_settings
    from migrations import runner

    settings = get_settings()
    name = name or f"fanpilot_eval_{uuid.uuid4().hex[:8]}"
    if admin_url is None and not settings.database_url:
        info = embedded.start_postgres(settings)
        admin_url, owner = info.admin_url, info.owner_url(name)
    else:
        # An explicit server: the given (or configured) role must be able to create databases.
        admin_url = plain_url(admin_url or settings.database_url or "")
        owner = admin_url.split("?")[0].rsplit("/", 1)[0] + f"/{name}"
    embedded.drop_database(admin_url, name)
    embedded.ensure_database(admin_url, name)
    try:
        runner.upgrade(owner)
        app = _with_credentials(owner, settings.app_db_role, settings.app_db_password.get_secret_value())
        yield EvalDatabase(owner_url=owner, app_url=app)
    finally:
        embedded.drop_database(admin_url, name)


# ---------------------------------------------------------------- the three methods


async def _product_rankings(
    conv: LocomoConversation, questions: Sequence[LocomoQuestion], db: EvalDatabase, embedder: Embedder
) -> list[list[str]]:
    from core.db import make_engine, tenant_session
    from core.tenancy import SYSTEM, Principal
    from crm.accounts.models import Agency
    from crm.creators.models import CreatorProfile
    from crm.fans.models import FanProfile
    from memory import service

    engine = make_engine(db.app_url, pool_size=2)
    try:
        agency_id, creator_id, fan_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        async with tenant_session(SYSTEM, engine=engine) as s:
            s.add(Agency(id=agency_id, name="LoCoMo eval", slug=f"locomo-{agency_id.hex[:10]}"))
            await s.flush()
            s.add(
                CreatorProfile(
                    id=creator_id,
                    agency_id=agency_id,
                    display_name="LoCoMo",
                    handle=f"locomo_{creator_id.hex[:8]}",
                )
            )
            await s.flush()
            s.add(FanProfile(id=fan_id, creator_id=creator_id, display_name=f"LoCoMo {conv.sample_id}"))
        principal = Principal.for_creators(creator_id, agency_id=agency_id)
        async with tenant_session(principal, engine=engine) as s:
            ids = await service.ingest_transcript(
                s, principal, creator_id=creator_id, fan_id=fan_id, turns=conv.turns, embedder=embedder
            )
        ref_of = {memory_id: turn.ref or "" for memory_id, turn in zip(ids, conv.turns, strict=True)}
        rankings = []
        async with tenant_session(principal, engine=engine) as s:
            for q in questions:
                recalled = await service.recall_for_fan(
                    s,
                    principal,
                    fan_id=fan_id,
                    query=q.question,
                    k=max(K_VALUES),
                    token_budget=None,
                    embedder=embedder,
                )
                rankings.append([ref_of.get(m.id, "") for m in recalled])
        return rankings
    finally:
        await engine.dispose()


async def _minilm_rankings(
    conv: LocomoConversation, questions: Sequence[LocomoQuestion], embedder: Embedder
) -> list[list[str]]:
    docs = np.asarray(await embedder.embed(conv.raw_texts()), dtype=np.float32)
    queries = np.asarray(await embedder.embed([q.question for q in questions]), dtype=np.float32)
    refs = [t.ref or "" for t in conv.turns]
    scores = queries @ docs.T
    # Stable sort: ties keep conversation order, so the numbers repeat run to run.
    return [[refs[i] for i in np.argsort(-row, kind="stable")[: max(K_VALUES)]] for row in scores]


async def _store_rankings(
    conv: LocomoConversation, questions: Sequence[LocomoQuestion], db: EvalDatabase, embedder: Embedder
) -> list[list[str]]:
    from langgraph.store.base import PutOp
    from langgraph.store.postgres import AsyncPostgresStore

    from core.db import plain_url

    async def embed(texts: list[str]) -> list[list[float]]:
        return await embedder.embed(texts)

    namespace = ("locomo", conv.sample_id)
    index: Any = {"dims": embedder.dimensions, "embed": embed, "fields": ["text"]}
    async with AsyncPostgresStore.from_conn_string(plain_url(db.owner_url), index=index) as store:
        await store.setup()
        ops = [
            PutOp(namespace=namespace, key=turn.ref or str(i), value={"text": text, "ref": turn.ref})
            for i, (turn, text) in enumerate(zip(conv.turns, conv.raw_texts(), strict=True))
        ]
        for start in range(0, len(ops), 256):
            await store.abatch(ops[start : start + 256])
        rankings = []
        for q in questions:
            items = await store.asearch(namespace, query=q.question, limit=max(K_VALUES))
            rankings.append([str(item.value.get("ref")) for item in items])
    return rankings


@dataclass
class LocomoReport:
    data: str
    conversations: int
    questions: int
    turns: int
    embedder: str
    methods: dict[str, MethodScores]

    def as_dict(self) -> dict[str, Any]:
        return {
            "suite": "locomo",
            "data": self.data,
            "conversations": self.conversations,
            "questions": self.questions,
            "turns": self.turns,
            "embedder": self.embedder,
            "note": "evidence recall@k and MRR@10 over non-adversarial questions (category 5 excluded)",
            "methods": {
                name: {"label": METHOD_LABELS[name], **s.as_dict()} for name, s in self.methods.items()
            },
        }


async def evaluate(
    conversations: Sequence[LocomoConversation],
    *,
    db: EvalDatabase,
    embedder: Embedder,
    max_questions: int | None = None,
    data_label: str = "",
) -> LocomoReport:
    methods = {name: MethodScores() for name in METHODS}
    total_q = total_turns = 0
    for conv in conversations:
        questions = answerable(conv, max_questions)
        if not questions:
            continue
        total_q += len(questions)
        total_turns += len(conv.turns)
        results = {
            "product": await _product_rankings(conv, questions, db, embedder),
            "minilm": await _minilm_rankings(conv, questions, embedder),
            "langgraph_store": await _store_rankings(conv, questions, db, embedder),
        }
        for name, rankings in results.items():
            for q, ranked in zip(questions, rankings, strict=True):
                methods[name].add(q, ranked)
    return LocomoReport(
        data=data_label,
        conversations=len(conversations),
        questions=total_q,
        turns=total_turns,
        embedder=embedder.model_name,
        methods=methods,
    )
