"""Inbound safety signals on the fan's own message, in the five languages the offline intents cover,
and the creator's own alert keywords.

`HELD_OUT` was written after the rules without running them; its first run scored 24/30 (see
docs/agent.md), the misses were generalised (ages said without "I", "turn 18 in…", disputes filed,
pills taken) and it is kept here as a regression table.
"""

from __future__ import annotations

import pytest

from crm.approvals.guardrails import GuardrailPolicy, check_inbound
from crm.approvals.schemas import FLAG_LABELS
from crm.approvals.signals import SIGNAL_CODES, validate_safety_keywords

SIGNALS = set(SIGNAL_CODES)

RAISED = [
    ("possible_minor", "I'm 17 btw, is that a problem? haha"),
    ("possible_minor", "tengo 16 años, ¿puedo ver tus fotos igual?"),
    ("possible_minor", "ich bin erst 15, aber du bist echt hübsch"),
    ("possible_minor", "j'ai 17 ans mais je fais plus vieux promis"),
    ("possible_minor", "tenho 16 anos, tem problema?"),
    ("off_platform_attempt", "here's my number 305-555-0199, text me there"),
    ("off_platform_attempt", "schreib mir lieber auf Telegram, @lukas_hh"),
    ("off_platform_payment", "can I just pay you directly on venmo? the fees here suck"),
    ("off_platform_payment", "posso te pagar por pix direto?"),
    ("chargeback_threat", "I want a refund or I'm disputing the charge with my card company"),
    ("chargeback_threat", "rembourse-moi ou je fais opposition auprès de ma banque"),
    ("self_harm", "been thinking about ending it all tbh"),
    ("self_harm", "ya no quiero vivir, nada tiene sentido"),
    ("self_harm", "ich will einfach nicht mehr leben"),
    ("harassment", "answer me you stupid bitch or you'll regret it"),
    ("harassment", "Ich weiß, wo du wohnst, pass bloß auf"),
]
HELD_OUT = [
    ("possible_minor", "wait do u have to be 18 for this? im 15 lol"),
    ("possible_minor", "my parents took my phone cuz my grades, im only a sophomore in high school"),
    ("possible_minor", "i turn 18 in like 8 months so its basically fine right"),
    ("possible_minor", "je viens d'avoir 16 ans, on peut parler quand même ?"),
    ("possible_minor", "ainda tô no ensino médio mas sou maduro"),
    ("possible_minor", "bin 16 und hab das Abo mit der Karte von meinem Vater gemacht"),
    ("off_platform_attempt", "dm me on IG, same username as here"),
    ("off_platform_attempt", "my snap is mike_l1fts, add me"),
    ("off_platform_attempt", "call me tonight: 07700 900123"),
    ("off_platform_attempt", "búscame en insta como @dani.fit"),
    ("off_platform_payment", "I'll send you an Amazon gift card instead, way easier"),
    ("off_platform_payment", "drop your paypal and I'll tip you 100"),
    ("off_platform_payment", "je t'envoie l'argent par virement si tu veux"),
    ("off_platform_payment", "posso te mandar um pix?"),
    ("chargeback_threat", "pretty sure I can get my money back from my bank for this"),
    ("chargeback_threat", "this is a scam, I'm filing a dispute with visa"),
    ("chargeback_threat", "quiero un reembolso ya"),
    ("chargeback_threat", "rembourse moi sinon je conteste le paiement"),
    ("self_harm", "some days I just want to die honestly"),
    ("self_harm", "I took a bunch of pills tonight, don't care anymore"),
    ("self_harm", "me quiero morir, estoy harto de todo"),
    ("self_harm", "je veux plus vivre"),
    ("harassment", "reply or I'll post your address online"),
    ("harassment", "you worthless whore, you owe me"),
    ("harassment", "du dumme Schlampe, antworte endlich"),
    ("harassment", "eres una perra, contesta ya"),
]
LOOK_ALIKES = [
    "mi perra Lola ha tenido cachorros, ¡seis!",
    "tengo una perra que se llama Nala y es preciosa",
    "my daughter turns 16 next week, feeling old lol",
    "been a fan since I was 19, ten years later still here",
    "I'm 34 btw, hope that's not too old for you haha",
    "mi hijo tiene 15 años y ya es más alto que yo",
    "I'm 17 minutes away from home, long drive",
    "this leg workout is killing me lol, I'm dead",
    "I'm dying to see your new set 😂",
    "you're so hot it should be illegal 😍",
    "I'd kill for a set like that one lol",
    "my little brother is 15 and already taller than me",
    "I'm 25 and still can't cook lol",
    "that set killed me, you're too hot",
    "paid for the bundle, loved it",
    "what's the best way to reach you here? dms?",
    "I'm not suicidal or anything, just a rough week",
]


def signals_in(text: str, policy: GuardrailPolicy | None = None) -> set[str]:
    return {f.code for f in check_inbound([text], policy=policy)} & SIGNALS


@pytest.mark.parametrize(("code", "text"), RAISED + HELD_OUT)
def test_each_signal_is_raised_on_the_fans_message(code: str, text: str) -> None:
    assert code in signals_in(text)


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_raise_nothing(text: str) -> None:
    assert signals_in(text) == set()


def test_flags_carry_severity_label_and_evidence() -> None:
    (minor,) = [f for f in check_inbound(["I'm 16 lol"]) if f.code == "possible_minor"]
    assert minor.severity == "review" and minor.label == "Possible minor" and "16" in minor.message
    (crisis,) = [f for f in check_inbound(["I want to die"]) if f.code == "self_harm"]
    assert crisis.severity == "urgent" and crisis.label == FLAG_LABELS["self_harm"]


def test_creator_keywords_raise_their_signal_in_any_case_or_accent() -> None:
    policy = GuardrailPolicy(safety_keywords={"possible_minor": ("homeroom",), "harassment": ("doxx",)})
    assert signals_in("lol HOMEROOM was boring", policy) == {"possible_minor"}
    assert signals_in("i'll d0xx", policy) == {"harassment"}
    assert signals_in("homerooms", policy) == set()


@pytest.mark.parametrize(
    "bad",
    [
        {"minor": ["prom"]},
        {"possible_minor": "prom"},
        {"possible_minor": [""]},
        {"possible_minor": ["x" * 61]},
        {"possible_minor": ["a"]},
        {"possible_minor": [f"w{i}" for i in range(51)]},
        {"possible_minor": [3]},
        {"self_harm": ["bad\x07word"]},
    ],
)
def test_bad_keyword_configurations_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        validate_safety_keywords(bad)  # type: ignore[arg-type]


def test_keywords_are_cleaned() -> None:
    assert validate_safety_keywords({"possible_minor": ["  Home  Room ", "home room"], "self_harm": []}) == {
        "possible_minor": ["home room"]
    }
