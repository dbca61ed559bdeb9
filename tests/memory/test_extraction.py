"""The offline pattern extractor and the one-call LLM path."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from crm.enums import MemoryKind
from memory.extraction import (
    CandidateFact,
    ExtractedFacts,
    extract_facts,
    extract_with_patterns,
    infer_slot,
    resolve_date,
)
from memory.schemas import ExchangeMessage

# Monday 2 March 2026, 18:00 UTC.
MONDAY = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def facts(text: str, sender: str = "fan") -> list[CandidateFact]:
    return extract_with_patterns([ExchangeMessage(sender=sender, text=text, sent_at=MONDAY)])  # type: ignore[arg-type]


def texts(text: str) -> list[str]:
    return [f.text for f in facts(text)]


@pytest.mark.parametrize(
    ("message", "kind", "expected", "slot"),
    [
        ("hey, my name is Jake btw", MemoryKind.personal_detail, "Name is Jake", "name"),
        ("I live in Portland now", MemoryKind.personal_detail, "Lives in Portland", "location"),
        ("just moved from Denver to Austin lol", None, None, None),
        (
            "I moved from Denver to Austin last month",
            MemoryKind.personal_detail,
            "Lives in Austin (moved from Denver)",
            "location",
        ),
        ("I'm originally from Glasgow", MemoryKind.personal_detail, "Is from Glasgow", "hometown"),
        (
            "I work as a firefighter in the city",
            MemoryKind.personal_detail,
            "Works as a firefighter in the city",
            "job",
        ),
        ("I have a dog named Biscuit", MemoryKind.personal_detail, "Has a dog named Biscuit", "pet:biscuit"),
        (
            "my wife Sarah is away this weekend",
            MemoryKind.relationship,
            "Their wife is named Sarah",
            "relation:wife",
        ),
        ("please don't call me daddy", MemoryKind.boundary, "Does not want: don't call me daddy", None),
        ("no feet pics please", MemoryKind.boundary, "Does not want: no feet pics please", None),
        ("I love red lingerie", MemoryKind.preference, "Loves red lingerie", None),
        ("I really hate country music", MemoryKind.preference, "Dislikes country music", None),
        ("my favorite color is green", MemoryKind.preference, "Favorite color is green", "favorite:color"),
        (
            "I get paid every other Friday",
            MemoryKind.purchase_pattern,
            "Gets paid every other Friday",
            "payday",
        ),
        ("I usually tip on Fridays", MemoryKind.purchase_pattern, "Tips on Fridays", None),
        ("I'm 34 years old", MemoryKind.personal_detail, "Is 34 years old", "age"),
    ],
)
def test_patterns(message: str, kind: MemoryKind | None, expected: str | None, slot: str | None) -> None:
    found = facts(message)
    if expected is None:
        # "just moved from X to Y" without a subject is still a move.
        assert any("Austin" in f.text for f in found)
        return
    match = [f for f in found if f.text == expected]
    assert match, f"{expected!r} not in {[f.text for f in found]}"
    assert match[0].kind == kind
    assert match[0].slot == slot


def test_birthday_next_friday_is_resolved_against_the_message_time() -> None:
    (fact,) = facts("it's my birthday next Friday!!")
    assert fact.kind == MemoryKind.key_date and fact.slot == "birthday"
    assert fact.resolved_date == date(2026, 3, 6)
    assert fact.text == "Birthday is March 6"


def test_anniversary_with_a_written_date() -> None:
    (fact,) = facts("our wedding anniversary... my anniversary is on June 14th")
    assert fact.resolved_date == date(2026, 6, 14)
    assert fact.kind == MemoryKind.key_date


def test_small_talk_and_the_creators_side_give_nothing() -> None:
    assert facts("hey how are you doing today?") == []
    assert facts("I'm tired lol") == []
    assert facts("I love you so much") == []
    assert facts("I live in Miami and I love red lingerie", sender="creator") == []


def test_negated_like_is_not_a_preference() -> None:
    assert "Likes pineapple pizza" not in texts("I don't like pineapple pizza")
    assert "Dislikes pineapple pizza" in texts("I don't like pineapple pizza")


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("tomorrow", date(2026, 3, 3)),
        ("next Friday", date(2026, 3, 6)),
        ("next Monday", date(2026, 3, 9)),
        ("last Saturday", date(2026, 2, 28)),
        ("in two weeks", date(2026, 3, 16)),
        ("on March 20th", date(2026, 3, 20)),
        ("14 February", date(2027, 2, 14)),
        ("the 15th", date(2026, 3, 15)),
    ],
)
def test_resolve_date(phrase: str, expected: date) -> None:
    assert resolve_date(phrase, MONDAY) == expected


def test_infer_slot_from_fact_text() -> None:
    assert infer_slot("Lives in Denver") == "location"
    assert infer_slot("Works as a nurse") == "job"
    assert infer_slot("Favorite drink is rum") == "favorite:drink"
    assert infer_slot("Likes cats") is None


async def test_llm_path_is_one_structured_call() -> None:
    payload = ExtractedFacts(
        facts=[
            CandidateFact(
                kind=MemoryKind.key_date, text="Birthday is March 6", importance=0.8, slot="birthday"
            )
        ]
    )

    class Scripted(GenericFakeChatModel):
        calls: int = 0

        def with_structured_output(self, schema, **kwargs):  # type: ignore[no-untyped-def,override]
            from langchain_core.runnables import RunnableLambda

            def run(_: object) -> ExtractedFacts:
                self.calls += 1
                return payload

            return RunnableLambda(run)

    model = Scripted(messages=iter([AIMessage(content="unused")]))
    found = await extract_facts(
        [ExchangeMessage(sender="fan", text="bday next friday!", sent_at=MONDAY)], model=model
    )
    assert [f.text for f in found] == ["Birthday is March 6"]
    assert model.calls == 1
