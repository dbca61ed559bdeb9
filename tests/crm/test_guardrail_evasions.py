"""Guardrails that read meaning: rephrasing, leetspeak, spacing, accents, look-alike letters and a
"no" elsewhere in the sentence do not get a meet-up or a free-content promise past them (issue 13).

`HELD_OUT_*` were written before the rules and not used to write them; their first run is in
docs/agent.md. The rest were written alongside the rules.
"""

from __future__ import annotations

import pytest

from crm.approvals.guardrails import GuardrailPolicy, check_text
from crm.approvals.textnorm import clauses, negated, normalise

POLICY = GuardrailPolicy(restricted_words=("whatsapp",))

ISSUE_EXAMPLES = [
    ("No joke babe, come over to my place tonight", "meetup"),
    ("let's meet at the starbucks on 5th at 8", "meetup"),
    ("let's meet at the starbucks…", "meetup"),
]
MEETUP = [
    "I'm not busy tonight, come over",
    "not busy tonight come over",
    "never say never, let's grab a drink after my shoot",
    "come over and don't tell anyone",
    "C0ME 0VER T0NIGHT",
    "сome оver tonight",  # Cyrillic с and о
    "let's mee\u200bt up",  # a zero-width space inside the word
    "I'm at the Marriott downtown, room 1208",
    "you can pick me up at 8",
    "nos vemos en el café de la esquina a las 9",
    "treffen wir uns morgen im Park?",
    "on se voit samedi au bar ?",
    "a gente se encontra no shopping amanhã",
]
FREE = [
    "no strings attached, it's free for you babe",
    "no cost, I'll unlock it for you",
    "you'll never have to pay for my pics",
    "F R E E pics tonight for you",
    "free c0ntent for my fav",
    "te lo mando gratis, cariño",
    "das Video schicke ich dir kostenlos",
    "je te l'envoie gratuitement",
    "te mando de graça, amor",
]
CLEAN = [
    "I keep everything here on the platform and I don't meet fans in person.",
    "I can't give my content away for free.",
    "No quedo con fans en persona, pero me encanta hablar contigo aquí.",
    "Ich treffe mich leider nicht mit Fans, aber ich schreibe total gern hier mit dir.",
    "Je ne rencontre pas mes fans, mais j'adore discuter avec toi ici.",
    "Eu não encontro fãs pessoalmente, mas adoro conversar com você aqui.",
    "Meine Inhalte kann ich nicht verschenken.",
    "No puedo regalar mi contenido.",
    "meeting fans is not something I do, hun",
    "I went to the gym and then had coffee, now I'm home editing your set",
]

HELD_OUT_MEETUP = [
    "I'll be at the Hilton bar on 5th street at 9, come say hi 😘",
    "text me when you land and I'll come pick you up from the airport",
    "my roommate is away this weekend so you could stay over",
    "how about we finally grab a bite together next time you're in Miami",
    "meet me irl babe, I promise I won't bite",
    "not gonna lie, I'd love to see you face to face, say friday?",
    "never done this before but let's link up tonight",
    "room 412, door's unlocked, see you at midnight",
    "wanna come to my apartment after my shoot?",
    "I can swing by your place around 8",
    "te espero en mi piso esta noche",
    "komm heute Abend zu mir, ich koch was",
    "rejoins-moi au café en bas de chez moi demain",
    "passa aqui em casa mais tarde",
    "c0me 0ver t0night, n0 j0ke",
    "let's m e e t up after my gym session",
]
HELD_OUT_FREE = [
    "this one's on the house babe, just for you",
    "you won't pay a cent for this set 😘",
    "I'm unlocking the whole vault for you at no cost",
    "consider it a gift, no need to pay me",
    "here's a freebie since you've been so sweet",
    "don't worry about paying for this one",
    "este video te lo regalo, no me debes nada",
    "das Set bekommst du heute geschenkt",
    "je te l'offre, c'est cadeau",
    "esse vídeo é por minha conta, não precisa pagar",
    "fr33 pics for my fav fan",
    "no charge for you, ever",
]
HELD_OUT_CLEAN = [
    "I never meet fans in person, but I love chatting here",
    "sorry babe, meeting up isn't something I do",
    "I don't do freebies, but this set is worth every penny",
    "nothing on here is free, hun, but I'll make it worth it",
    "I'd love to, but I keep everything on this app, no meetups",
    "Treffen gibt es bei mir nicht, aber schreib mir hier",
    "no regalo mi contenido, pero este set vale la pena",
    "I can't come over, I keep fans online only",
]


def codes(text: str) -> set[str]:
    return {f.code for f in check_text(text, policy=POLICY)}


@pytest.mark.parametrize(("text", "code"), ISSUE_EXAMPLES)
def test_the_issue_examples_are_blocked(text: str, code: str) -> None:
    assert code in codes(text)


@pytest.mark.parametrize("text", MEETUP + HELD_OUT_MEETUP)
def test_meetups_are_blocked_however_phrased(text: str) -> None:
    assert "meetup" in codes(text), normalise(text)


@pytest.mark.parametrize("text", FREE + HELD_OUT_FREE)
def test_free_content_is_blocked_however_phrased(text: str) -> None:
    assert "free_content" in codes(text), normalise(text)


@pytest.mark.parametrize("text", CLEAN + HELD_OUT_CLEAN)
def test_declining_is_never_flagged(text: str) -> None:
    assert not codes(text) & {"meetup", "free_content"}


def test_negation_is_scoped_to_its_clause() -> None:
    (first, second) = list(clauses(normalise("No joke babe, come over")))
    assert first.text.strip() == "no joke babe" and second.text.strip() == "come over"
    clause = "i don't meet fans in person"
    assert negated(clause, clause.index("in person"), len(clause))
    clause = "i'm not busy tonight come over"
    assert not negated(clause, clause.index("come over"), len(clause))


def test_normalisation_undoes_disguises() -> None:
    assert normalise("C0ME 0VER") == "come over"
    assert normalise("w h a t s a p p") == "whatsapp"
    assert normalise("Persönlich, CAFÉ") == "personlich, cafe"
    assert normalise("10th grade at 9pm, $20") == "10th grade at 9pm, $20"


def test_restricted_words_and_contact_survive_disguises() -> None:
    assert "restricted_word" in codes("add me on w h a t s a p p")
    assert "off_platform_contact" in codes("my insta is @mia.moon")
    assert "off_platform_contact" in codes("write to mia at gmail dot com")
