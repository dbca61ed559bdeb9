"""Text as the guardrails read it: normalised, split into clauses, with negation scoped per clause.

Rephrasing must not get past a check: "C0ME 0VER", "m e e t", "Whats-App", "café" vs "cafe" and
Cyrillic look-alikes all read the same once normalised. A negation only counts when it governs the
phrase it is next to, in the same clause: "No joke babe, come over" is an invitation, "I don't meet
fans in person" is not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

# Cyrillic and Greek letters that look Latin ("сome оver" with Cyrillic с/о).
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i", "ј": "j",
        "ѕ": "s", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h", "ο": "o", "α": "a", "ε": "e",
        "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    }
)  # fmt: skip
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\u00ad\ufeff]")
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "|": "l"}
)
# A token with letters and look-alike digits/symbols in it ("m33t", "fr3e", "sn@p"); pure numbers
# (phone numbers, prices, times) are left alone.
_LEET_TOKEN = re.compile(r"(?<![\w@$])(?=[\w@$|]*[a-z])(?=[\w@$|]*[0134578@$|])[a-z0-9@$|]{2,}(?![\w@$])")
# Three or more single letters with separators: "m e e t", "s.n.a.p", "f-r-e-e".
_SPACED = re.compile(r"(?<![a-z'])(?:[a-z][ .\-_*·]){2,}[a-z](?![a-z'])")
_RUNS = re.compile(r"([a-z])\1{2,}")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# A number with a unit or an ordinal ("10th", "16yo", "9pm", "5k") is not leetspeak.
_MEASURE = re.compile(
    r"^[$]?\d+(?:st|nd|rd|th|s|am|pm|yo|y|yr|yrs|k|h|hr|hrs|min|mins|km|kg|lb|lbs|x|ft|cm|mm|g|gb|p|e|er|eme|o|a)$"
)


def _unleet(match: re.Match[str]) -> str:
    token = match.group(0)
    if _MEASURE.match(token) or (token.startswith("$") and token[1:].isdigit()):
        return token
    return token.translate(_LEET)


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Lowercase, accents removed, look-alikes and leetspeak undone, spaced-out letters joined."""
    t = unicodedata.normalize("NFKC", text)
    t = _INVISIBLE.sub("", t).casefold().translate(_CONFUSABLES)
    t = strip_accents(t)
    t = t.replace("\u2019", "'").replace("`", "'")
    t = _LEET_TOKEN.sub(_unleet, t)
    t = _SPACED.sub(lambda m: re.sub(r"[ .\-_*·]", "", m.group(0)), t)
    return _RUNS.sub(r"\1\1", t)


def variants(text: str) -> tuple[str, ...]:
    """The normalised text, plus a copy with repeated letters squeezed to one ("meeeet" → "met" is
    wrong but "comeee" → "come" is right: checks run on both)."""
    base = normalise(text)
    squeezed = re.sub(r"([a-z])\1+", r"\1", base)
    return (base,) if squeezed == base else (base, squeezed)


def compile_patterns(*parts: str) -> re.Pattern[str]:
    """One pattern from alternatives written with accents ("persönlich"): they match normalised text."""
    return re.compile("|".join(f"(?:{strip_accents(p)})" for p in parts), re.I | re.M)


# ------------------------------------------------------------------------------ clauses & negation

_SENTENCE = re.compile(r"[.!?;\n…]+|\s[-–—]\s|\s*[()]\s*")
# Commas, "and"/"so" and contrast words close a clause: a "no" before them does not reach past them
# ("I'm not shy, come over"; "come over and don't tell anyone").
_CLAUSE = re.compile(
    r",|:|\b(?:but|though|although|however|anyway|and|so|then|pero|aunque|sino|y|entonces|aber|doch|"
    r"sondern|und|dann|also|mais|sinon|pourtant|et|puis|donc|mas|porem|contudo|entao|e|depois)\b"
)
NEGATORS = compile_patterns(
    r"\b(?:not|no|never|don'?t|doesn'?t|didn'?t|won'?t|wouldn'?t|can'?t|cannot|can not|isn'?t|aren'?t|"
    r"ain'?t|shouldn'?t|couldn'?t|mustn'?t|nope|nothing|nobody|none|neither|nor|without)\b",
    r"\b(?:nunca|jamas|nada|nadie|tampoco|ni|sin)\b",
    r"\b(?:nicht|nie|niemals|kein|keine|keinen|keinem|keiner|nichts|ohne)\b",
    r"\b(?:ne|n'|pas|jamais|rien|personne|aucun|aucune|sans)\b|\bn'",
    r"\b(?:nao|nunca|jamais|nem|nenhum|nenhuma|ninguem|sem)\b",
)
# Negators that do not negate anything around them.
_IDIOMS = compile_patterns(
    r"\bno (?:joke|kidding|cap|lie|doubt|worries|worry|problem|pressure|way i'?m (?:kidding|joking)|"
    r"strings attached|questions asked|need to be shy|shame)\b",
    r"\bnot (?:gonna|going to) lie\b|\bnot kidding\b|\bnever mind\b|\bwhy not\b|\bnot even joking\b|"
    r"\bcan'?t wait\b|\bcan'?t stop\b|\bdon'?t be shy\b|\bdon'?t worry\b|\bnever done this before\b|"
    r"\bi won'?t bite\b|\bwon'?t regret\b|\bno one will know\b|\bnobody will know\b",
    r"\bsin (?:broma|problema|presion)\b|\bno te preocupes\b|\bno pasa nada\b|\bni de broma\b",
    r"\bkein (?:scherz|witz|problem|stress)\b|\bkeine sorge\b|\bnicht schuchtern\b",
    r"\bsans (?:blague|rire|souci|probleme)\b|\bpas de (?:souci|probleme)\b|\bne t'inquiete pas\b",
    r"\bsem (?:brincadeira|problema|stress)\b|\bnao se preocupe\b|\bnao esquenta\b",
)
# Negation that follows the phrase it refuses ("Treffen gibt es bei mir nicht", "meeting up isn't
# something I do"), within a few words and in the same clause.
_AFTER_WINDOW = 4
_BEFORE_WINDOW = 6
# A negation reaches the phrase after it only across words like these ("I don't really meet",
# "nothing on here is free", "ich treffe mich leider nicht"): "I'm not busy tonight, come over" and
# "not busy tonight come over" do not refuse anything.
_GLUE = frozenset(
    " ".join(
        (
            "i you we he she it its it's is are am be being been do does did to really ever usually actually",
            "personally like want wanna gonna going able allowed get got will would could can just even here",
            "there on this that for any anyone anybody my your fans fan people strangers again such a an the",
            "of with have has had need give giving send sending offer share hand away out content stuff pics",
            "pictures photos videos vids sets things them anything everything meet see visit",
            "yo me te se lo la le los las con de en el un una mis tus mi tu realmente quiero puedo voy suelo",
            "hago doy es hay aqui nada regalar mando envio contenido fotos videos cosas",
            "ich du wir es mich dich uns mit leider gerne gern wirklich mal gibt bei mir dir zu auf ein eine",
            "einen kann will werde mache mach das hier meine deine inhalte sachen bilder schicke gebe",
            "je tu le les des une mes tes mon ton avec vraiment peux veux vais fais donne suis est ici contenu",
            "envoie offre",
            "eu voce o os as com um meus seus meu seu posso quero vou faco dou aqui consigo liberar conteudo",
            "mando envio",
            "quedo quedar veo ver conozco encontrarme treffe treffen sehe rencontre rencontrer vois voir",
            "retrouve encontro encontrar vejo fas",
        )
    ).split()
)
# The squeezed variant ("meet" → "met") must read the same glue.
_GLUE = _GLUE | {re.sub(r"([a-z])\1+", r"\1", w) for w in _GLUE}


@dataclass(frozen=True)
class Clause:
    text: str
    start: int  # offset in the normalised text


def clauses(normalised: str) -> Iterator[Clause]:
    """Clauses of already-normalised text (sentences cut at commas and contrast words)."""
    pos = 0
    for sentence in _SENTENCE.split(normalised):
        offset = normalised.find(sentence, pos) if sentence else pos
        pos = offset + len(sentence)
        last = 0
        for m in _CLAUSE.finditer(sentence):
            piece = sentence[last : m.start()]
            if piece.strip():
                yield Clause(piece, offset + last)
            last = m.end()
        piece = sentence[last:]
        if piece.strip():
            yield Clause(piece, offset + last)


def _real_negators(text: str) -> list[tuple[int, int]]:
    idioms = [(m.start(), m.end()) for m in _IDIOMS.finditer(text)]
    return [
        (m.start(), m.end())
        for m in NEGATORS.finditer(text)
        if not any(a <= m.start() < b for a, b in idioms)
    ]


def _words_between(text: str) -> int:
    return len(re.findall(r"[a-z0-9']+", text))


def negated(clause: str, start: int, end: int) -> bool:
    """A negation governs the phrase clause[start:end]: close before it, or right after it."""
    for n_start, n_end in _real_negators(clause):
        if n_end <= start:
            between = re.findall(r"[a-z0-9']+", clause[n_end:start])
            if len(between) <= _BEFORE_WINDOW and all(w in _GLUE for w in between):
                return True
        # Portuguese "no" (in the) follows a verb all the time: only a real negator counts after.
        if (
            n_start >= end
            and clause[n_start:n_end] not in ("no", "ne", "n'")
            and _words_between(clause[end:n_start]) <= _AFTER_WINDOW
        ):
            return True
    return False


def affirmed_hits(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Phrases of `pattern` in the text that no negation in their own clause takes back."""
    hits: list[str] = []
    for variant in variants(text):
        for clause in clauses(variant):
            for m in pattern.finditer(clause.text):
                if not negated(clause.text, m.start(), m.end()):
                    hits.append(m.group(0).strip())
        if hits:
            break
    return hits


def any_hits(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Phrases of `pattern` anywhere in the normalised text, negated or not."""
    for variant in variants(text):
        found = [m.group(0).strip() for m in pattern.finditer(variant) if m.group(0).strip()]
        if found:
            return found
    return []
