"""Which language a fan writes in: English, Spanish, German, French or Portuguese, by word evidence.

Deterministic and tiny on purpose (the offline model replies in the fan's language). Short or
ambiguous messages fall back to English.
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["en", "es", "de", "fr", "pt"]
LANGUAGES: tuple[Language, ...] = ("en", "es", "de", "fr", "pt")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that are frequent in one language and rare in the others (weight 2), and common words that
# are shared by two or three of them (weight 1: they only tip a close call).
_STRONG: dict[Language, frozenset[str]] = {
    "en": _words(
        "the you your you're i'm i'll i've it's what's don't can't won't this that with just have "
        "would could should about really please thanks thank hey lol my is are was do does add get got "
        "send want like love can will how when where who why more new any some been if not at from "
        "they we our there now today tonight after talk"
    ),
    "es": _words(
        "el los las y mi tus eres estoy hoy también porfa jaja jajaja hola gracias dónde vives "
        "cariño nadie todo mándame quiero tengo dime cuánto pero muy está aquí ahora tomamos "
        "café qué cómo sábado acordó compré gustó nada barrio ti contigo soy tienes puedes "
        "hablamos allí pásame regalas dinero primo verdad ha dame"
    ),
    "de": _words(
        "ich du der die das und nicht ist mir mich dich dir ein eine hast kannst bist wir uns mal "
        "was wie noch auch schon sehr morgen heute hallo danke bitte werde alle gerade wieder "
        "sofort mit für genau weiß soll können wohne nähe schick zahle sparst gebühren ehrlich "
        "gesagt schreibe einer wahrheit sag hier bestätige deine nur dieses"
    ),
    "fr": _words(
        "je tu te toi moi le les des et est une pas ne pour avec suis mon ma mes ton ta tes c'est "
        "j'ai bonjour salut merci oui très ici nouveau nouvelle se voit verre ce encore vie "
        "toutes sois honnête parle prêt payer prends sous douche dis donne-moi numéro l'autre "
        "abonné demandé fois"
    ),
    "pt": _words(
        "eu você voce os não nao uma com pra meu minha seu sua tem tô tá vou muito hoje "
        "obrigado obrigada oi olá quero comprar acho mandei estou falando vamos semana sério "
        "gorjeta caro cancelar manda só vai passa chave fácil encontrar ganhou feliz novo praia "
        "vídeo algum da do na no sem ativado envie cobrar"
    ),
}
_WEAK: dict[Language, frozenset[str]] = {
    "en": _words("a to and of in it for me so on"),
    "es": _words("la que de en me te un una es por para lo se tu mi no"),
    "de": _words("in so an zu"),
    "fr": _words("la de en que un me à tu on"),
    "pt": _words("a o de que e em me te um é se"),
}
_CHARS: dict[Language, re.Pattern[str]] = {
    "es": re.compile(r"[ñ¿¡]"),
    "de": re.compile(r"[ßäöü]"),
    "fr": re.compile(r"[èêëîïûœ]|\b(?:[jlcdmtsn]|qu)'", re.I),
    "pt": re.compile(r"[ãõ]|ção\b|ções\b"),
}
_WORD = re.compile(r"[a-zà-ÿœ]+(?:'[a-zà-ÿ]+)?", re.I)


def language_scores(text: str) -> dict[Language, int]:
    """Evidence per language: 2 per distinctive word or marker character, 1 per shared word."""
    words = [w.lower() for w in _WORD.findall(text)]
    scores: dict[Language, int] = dict.fromkeys(LANGUAGES, 0)
    for lang in LANGUAGES:
        scores[lang] += sum(2 for w in words if w in _STRONG[lang])
        scores[lang] += sum(1 for w in words if w in _WEAK[lang])
    for lang, rx in _CHARS.items():
        scores[lang] += 2 * len(rx.findall(text))
    return scores


def detect_language(text: str) -> Language:
    """The most likely language of `text`; English unless another language clearly leads."""
    scores = language_scores(text)
    best = max(LANGUAGES, key=lambda lang: (scores[lang], lang == "en"))
    if best != "en" and (scores[best] < 2 or scores[best] <= scores["en"]):
        return "en"
    return best


def detect_conversation_language(texts: list[str]) -> Language:
    """The language of several messages together (the fan's unanswered messages)."""
    return detect_language("\n".join(texts))
