"""A case's `creator.voice_examples` become the creator's earlier conversations with other fans: the
pairs the drafter retrieves, never the drafted fan's own history."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from crm.runtime import service as runtime_service
from evals.cases import parse_lines
from evals.runner import seed_case

_CASE = {
    "id": "vx-1",
    "suite": "inbox",
    "creator": {
        "name": "Mia",
        "voice_examples": [
            {"fan": "got the job offer today", "reply": "wait really?? so proud of you 🙈"},
            {"fan": "gotta sleep", "reply": "sweet dreams Tom 😘", "name": "Tom"},
        ],
    },
    "fan": {"display_name": "Kevin"},
    "history": [{"from": "fan", "text": "hey"}, {"from": "creator", "text": "hey you"}],
    "inbound": "made lasagna tonight",
}


async def test_voice_examples_are_seeded_as_other_fans_conversations(engine: AsyncEngine) -> None:
    (case,) = parse_lines([json.dumps(_CASE)], source="t")
    seeded = await seed_case(engine, case)
    async with tenant_session(seeded.principal, engine=engine) as s:
        found = await runtime_service.voice_example_candidates(
            s, seeded.principal, creator_id=seeded.creator_id, exclude_fan_id=seeded.fan_id
        )
    pairs = {(c.fan_text, c.reply, c.fan_name) for c in found}
    assert ("got the job offer today", "wait really?? so proud of you 🙈", "voice-example-fan-0") in pairs
    assert ("gotta sleep", "sweet dreams Tom 😘", "Tom") in pairs
    assert all(c.fan_id != seeded.fan_id for c in found) and len(found) == 2
