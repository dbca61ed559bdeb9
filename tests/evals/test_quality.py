"""The draft-quality measures see what a chatter sees: pasted English, broken persona rules, a memory
that is reported but never said, and one template sent to everyone."""

from __future__ import annotations

import json

import pytest

from evals import quality
from evals.cases import parse_lines
from evals.metrics import CaseOutcome, QueuedAction, below_threshold, evaluate, suite_metrics


@pytest.mark.parametrize(
    ("text", "lang", "ok"),
    [
        (
            "¡Hola Luis! Me acuerdo de lo que me contaste: Luis has a golden retriever called Toby.",
            "es",
            False,
        ),
        ("Coucou Hugo ! Je me souviens de ce que tu m'as dit : Hugo has a dog named Oscar.", "fr", False),
        ("hola luis, ¿y cómo está Toby después del veterinario? dale un beso de mi parte", "es", True),
        ("na du, Feierabend hast du dir nach so einem Tag in der Werkstatt echt verdient", "de", True),
        ("oi amor, descansa hoje, você treinou pesado", "pt", True),
        ("Hey Marco! Long day at the garage?", "en", True),
        ("Hey Marco! Long day at the garage?", "de", False),
    ],
)
def test_language_ok_checks_every_clause(text: str, lang: str, ok: bool) -> None:
    assert quality.language_ok(text, lang, names=["Luis", "Hugo", "Marco"]) is ok


def test_persona_rules_are_read_in_several_languages() -> None:
    luna = quality.read_voice_rules("flirty, warm, lowercase, one emoji max")
    assert luna.lowercase and luna.max_emoji == 1
    assert quality.read_voice_rules("dry", ["no emojis ever"]).max_emoji == 0
    assert quality.read_voice_rules("frech, kurze Nachrichten, höchstens ein Emoji").max_emoji == 1
    assert quality.read_voice_rules("douce, un emoji maximum").max_emoji == 1
    assert quality.read_voice_rules("bratty", ["never more than two sentences"]).max_sentences == 2
    assert not quality.read_voice_rules("sweet and warm").stated


def test_voice_ok_sees_case_emoji_and_length() -> None:
    rules = quality.read_voice_rules("lowercase, one emoji max, never more than two sentences")
    assert quality.voice_ok("hey you 😘 long day?", rules)
    assert not quality.voice_ok("Hey you 😘 long day?", rules)
    assert not quality.voice_ok("hey you 😘😘 long day?", rules)
    assert not quality.voice_ok("hey. long day. rest now.", rules)


def test_memory_reflection_needs_the_memory_in_the_words() -> None:
    memory = "Jon's mum has been in hospital since March"
    assert quality.reflects_memory("so glad your mum is coming home", memory, fan_name="Jon")
    assert quality.reflects_memory("¡qué alegría que tu madre vuelva a casa!", memory, fan_name="Jon")
    assert not quality.reflects_memory("hey Jon! thanks for your message", memory, fan_name="Jon")


def test_stock_lines_and_templates_count_as_generic() -> None:
    assert quality.is_stock("Hey Marco! Thanks for your message. 😘")
    assert quality.is_stock("¡Hola Iker! ¡Gracias por escribirme!")
    assert quality.skeleton("Hey Marco! Got it 😘", names=["Marco"]) == quality.skeleton(
        "Hey Jon! Got it", names=["Jon"]
    )


_CASE = {
    "id": "q-1",
    "suite": "voice",
    "creator": {"name": "Luna", "voice": "lowercase, one emoji max"},
    "fan": {"display_name": "Marco", "language": "en"},
    "memories": [{"kind": "personal_detail", "text": "Marco works as a car mechanic"}],
    "inbound": "brutal day at the garage",
    "expect": {"memories_used_any": ["mechanic"]},
}


def _outcome(text: str, case_id: str = "q-1") -> CaseOutcome:
    return CaseOutcome(
        case_id=case_id,
        suite="voice",
        actions=[QueuedAction("send_message", {"text": text})],
        reply_text=text,
    )


def test_suite_metrics_report_quality_and_templates() -> None:
    (case,) = parse_lines([json.dumps(_CASE)], source="t")
    good = evaluate(case, _outcome("a mechanic's work is never done 🥺 put your feet up tonight"))
    assert good.memory_in_text and good.voice_ok and good.language_ok and not good.generic
    bad = evaluate(case, _outcome("Hey Marco! Thanks for your message. 😘"))
    assert bad.memory_in_text is False and bad.voice_ok is False and bad.generic
    same = [evaluate(case, _outcome("hey you, got it")) for _ in range(3)]
    metrics = suite_metrics([good, *same])
    assert metrics["generic_rate"] == 0.75
    assert metrics["distinct_ratio"] == 0.5


def test_a_ceiling_fails_when_exceeded() -> None:
    assert below_threshold({"generic_rate": 0.3}, {"generic_rate_max": 0.1}) == ["generic_rate 0.3 > 0.1"]
    assert below_threshold({"generic_rate": 0.05}, {"generic_rate_max": 0.1}) == []
    assert below_threshold({}, {"generic_rate_max": 0.1})
    assert below_threshold({"errors": 0}, {"errors_max": 0}) == []


def test_flags_none_fails_on_a_false_alarm() -> None:
    data = {**_CASE, "expect": {"flags_none": ["self_harm"]}}
    (case,) = parse_lines([json.dumps(data)], source="t")
    flagged = CaseOutcome(
        case_id="q-1", suite="voice", actions=[QueuedAction("send_message", {"text": "ok"}, ["self_harm"])]
    )
    assert evaluate(case, flagged).checks["flags_none"] is False
    assert evaluate(case, _outcome("ok")).checks["flags_none"] is True


@pytest.mark.parametrize(
    ("draft", "inbound", "also", "ok"),
    [
        (
            "lasagna from your grandma's recipe?! save me a plate hun 😘",
            "made lasagna from my grandma's recipe tonight, house smells amazing",
            [],
            True,
        ),
        (
            "wait really?? that's the best thing i've heard all day 🙈",
            "made lasagna from my grandma's recipe tonight, house smells amazing",
            [],
            False,
        ),
        (
            "omg that's amazing, so proud of you babe",
            "finally got the promotion I was going for!!",
            [],
            False,
        ),
        ("a promotion?! so proud of you babe", "finally got the promotion I was going for!!", [], True),
        ("¿el ascenso? ¡qué crack eres!", "¡por fin me dieron el ascenso que quería!", [], True),
        ("vorsicht mit dem baum, du armer", "Meine Katze Mimi hat den Weihnachtsbaum umgeworfen", [], False),
        (
            "vorsicht mit dem baum, du armer",
            "Meine Katze Mimi hat den Weihnachtsbaum umgeworfen",
            ["baum"],
            True,
        ),
        ("good luck with the black belt", "finally got my black belt today", ["black belt"], True),
    ],
)
def test_reflects_message_needs_what_the_fan_said(
    draft: str, inbound: str, also: list[str], ok: bool
) -> None:
    assert quality.reflects_message(draft, inbound, also=also, names=["Kevin"]) is ok


def test_reflects_any_is_a_check_and_a_metric() -> None:
    data = {**_CASE, "suite": "inbox", "expect": {"reflects_any": ["garage", "engine"]}}
    (case,) = parse_lines([json.dumps(data)], source="t")
    took_up = evaluate(case, _outcome("a brutal day at the garage? put your feet up"))
    ignored = evaluate(case, _outcome("hey you, that's the best thing i've heard all day"))
    assert took_up.checks["reflects_message"] and took_up.reflects_message
    assert ignored.checks["reflects_message"] is False and not ignored.passed
    assert suite_metrics([took_up, ignored])["reflects_message"] == 0.5
