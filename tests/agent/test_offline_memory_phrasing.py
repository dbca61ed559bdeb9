"""The offline model mentions memories to the fan as a person would, and never reads out file notes."""

from __future__ import annotations

from agent.llm.offline import compose_draft


def _draft(inbound: str, memories: list[dict[str, str]]) -> tuple[str, list[str]]:
    context = {
        "creator": {"voice": "warm", "ppv_price_min": "10", "ppv_price_max": "50"},
        "fan": {"display_name": "Tom"},
        "unanswered": [inbound],
        "memories": memories,
    }
    reply = compose_draft(context)
    return reply.reply, list(reply.memory_ids_used)


def test_a_third_person_note_is_said_in_the_second_person() -> None:
    text, used = _draft(
        "how was your day?",
        [{"id": "m1", "kind": "personal_detail", "text": "Tom owns a sailboat called Seraphine"}],
    )
    assert "Seraphine" in text
    assert "Tom owns" not in text and "owns a sailboat" not in text
    assert used == ["m1"]


def test_boundaries_and_buying_patterns_shape_the_draft_but_are_never_read_out() -> None:
    text, used = _draft(
        "hey, how are you?",
        [
            {"id": "b1", "kind": "boundary", "text": "Tom is shy and doesn't like being pushed to buy"},
            {"id": "p1", "kind": "purchase_pattern", "text": "Tom buys every new set on release night"},
        ],
    )
    assert "shy" not in text and "release night" not in text
    assert used == ["b1"]


def test_a_note_that_cannot_be_said_naturally_is_not_quoted_but_a_later_one_is() -> None:
    text, used = _draft(
        "what are you up to?",
        [
            {"id": "x1", "kind": "conversation_fact", "text": "Tom said he is on a tight budget this month"},
            {"id": "x2", "kind": "preference", "text": "Tom listens to Bauhaus"},
        ],
    )
    assert "tight budget" not in text
    assert "listening to Bauhaus" in text
    assert used == ["x2"]


def test_a_memory_is_said_in_the_fans_language_not_pasted_in_english() -> None:
    context = {
        "creator": {"voice": "warm", "ppv_price_min": "10", "ppv_price_max": "50"},
        "fan": {"display_name": "Luis", "language": "es"},
        "unanswered": ["hoy llevé a Toby al veterinario, por suerte está bien"],
        "memories": [
            {"id": "t", "kind": "personal_detail", "text": "Luis has a golden retriever called Toby"}
        ],
    }
    reply = compose_draft(context)
    assert "Toby" in reply.reply and "golden retriever called" not in reply.reply
    assert reply.memory_ids_used == ["t"]


def test_a_statement_is_answered_not_thanked_for() -> None:
    context = {
        "creator": {"voice": "flirty, warm, lowercase, one emoji max"},
        "fan": {"display_name": "Marco"},
        "unanswered": ["brutal day at the garage, three engines and a clutch job"],
        "memories": [{"id": "j", "kind": "personal_detail", "text": "Marco works as a car mechanic"}],
    }
    reply = compose_draft(context).reply
    assert "thanks for your message" not in reply.lower()
    assert "mechanic" in reply
    assert reply == reply.lower()
    assert sum(1 for c in reply if ord(c) > 0x2600) <= 2  # one emoji (a variation selector at most)
