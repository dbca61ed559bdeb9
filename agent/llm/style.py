"""The creator's voice as rules a draft can follow: case, emoji, length, pet names, tone.

Read from the persona's own words ("flirty, warm, lowercase, one emoji max", "calls fans 'babe' or
'hun'", "höchstens ein Emoji") and from what the creator actually sends (her voice examples: if she
writes in lowercase with one 😘, so does the draft). Applied last, to the whole draft.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

Tone = Literal["sweet", "dominant", "energetic", "shy", "bratty", "neutral"]

EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff]\ufe0f?|\u2764\ufe0f?")
# Emoji that carry a mood and fit any message (faces, hearts, 🔥 💪 🙈); a 🎮 or a 🎁 belonged to the
# message it was sent with, so her own emoji join the palette only when they are of this kind.
_MOOD_EMOJI = re.compile(
    "[\U0001f600-\U0001f64f\U0001f910-\U0001f92f\U0001f970-\U0001f97a\U0001f48b-\U0001f49f\U0001f5a4"
    "\U0001f90d\U0001f90e\U0001f9e1\u2764\u2728\U0001f525\U0001f4aa\U0001f64c\U0001f440\U0001f64f\U0001f60d]"
)
_DEFAULT_EMOJI: dict[Tone, tuple[str, ...]] = {
    "sweet": ("🥰", "😘", "💕"),
    "dominant": ("😈", "🖤"),
    "energetic": ("💪", "🔥", "🙌"),
    "shy": ("🙈", "☺️"),
    "bratty": ("😏", "😜"),
    "neutral": ("😊",),
}
_NUMBER = {"one": 1, "a single": 1, "two": 2, "three": 3, "un": 1, "una": 1, "ein": 1, "einem": 1, "une": 1,
           "um": 1, "uma": 1, "dos": 2, "zwei": 2, "deux": 2, "dois": 2, "1": 1, "2": 2, "3": 3}  # fmt: skip


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


@dataclass(frozen=True)
class VoiceStyle:
    tone: Tone = "neutral"
    lowercase: bool = False
    max_emoji: int = 1
    min_emoji: int = 0
    emoji: tuple[str, ...] = ()
    max_chars: int | None = None
    max_sentences: int | None = None
    pet_names: tuple[str, ...] = ()
    exclamations: bool = True

    def without_flirting(self) -> VoiceStyle:
        """For a possible minor, a fan in crisis or a complaint: no pet names, no flirty emoji (a persona
        that always uses emoji keeps one plain one)."""
        if self.min_emoji:
            return replace(self, pet_names=(), max_emoji=1, min_emoji=1, emoji=("🙏",))
        return replace(self, pet_names=(), max_emoji=0, min_emoji=0, emoji=())


def _stated_emoji_limit(text: str) -> int | None:
    if re.search(
        r"\bno emojis?\b|\bwithout emojis?\b|\bnever (use )?emojis?\b|\bemoji-?free\b|\bsin emojis?\b|"
        r"\bkeine emojis?\b|\bohne emojis?\b|\bsans emojis?\b|\bsem emojis?\b",
        text,
    ):
        return 0
    m = re.search(
        r"\b(one|a single|two|three|un|una|ein|une|um|uma|dos|zwei|deux|dois|[123]) emojis? "
        r"(max|maximum|at most|tops|au maximum|maximo|hochstens)\b|"
        r"\b(max|maximum|at most|no more than|up to|hochstens|maximal|maximo|no maximo|au maximum) "
        r"(of )?(one|a single|two|three|un|una|ein|einem|une|um|uma|dos|zwei|deux|dois|[123]) emojis?\b",
        text,
    )
    if m:
        word = next(g for g in m.groups() if g and g in _NUMBER)
        return _NUMBER[word]
    return None


def _tone(text: str) -> Tone:
    scores: dict[Tone, int] = Counter()  # type: ignore[assignment]
    for tone, words in (
        ("dominant", r"dominant|dom\b|in control|confident|dry|goth|dark|commanding|mistress|stern|cold"),
        ("energetic", r"coach|energy|energetic|motivat|hype|upbeat|bubbly|animad|enthusias|sporty|fitness"),
        ("shy", r"\bshy|soft-spoken|soft spoken|timid|quiet|gentle|schuchtern|timide|timida|timido"),
        ("bratty", r"bratty|brat\b|teas|sassy|cheeky|frech|taquin|provoc|mischiev"),
        (
            "sweet",
            r"sweet|warm|flirt|loving|caring|cariños|carinhos|douce|suss|girl next door|bubbly|affection",
        ),
    ):
        scores[tone] = len(re.findall(words, text))  # type: ignore[index]
    best = max(scores, key=lambda t: scores[t])  # type: ignore[arg-type]
    return best if scores[best] else "neutral"  # type: ignore[return-value]


def _pet_names(voice: str) -> tuple[str, ...]:
    """Quoted terms of endearment the persona names ("calls fans 'babe' or 'hun'", "uses 'cariño'")."""
    if not re.search(
        r"\b(call|calls|calling|uses|use|llama|chama|nennt|appelle|says)\b|\bpet names?\b", voice, re.I
    ):
        return ()
    quoted = re.findall(r"['‘’\"“”«]([^'‘’\"“”»]{2,18})['‘’\"“”»]", voice)
    return tuple(q.strip() for q in quoted if len(q.split()) <= 2)


def read_style(voice: str, rules: Sequence[str] = (), examples: Sequence[str] = ()) -> VoiceStyle:
    """The style a draft follows: what the persona says, then what the creator's sent messages show."""
    text = _fold(" ; ".join([voice, *rules]))
    tone = _tone(text)
    lowercase = bool(re.search(r"\b(all )?lower ?case\b|\bno (capital|caps)|\bminuscul|\bkleinschreib", text))
    limit = _stated_emoji_limit(text)
    lots = bool(re.search(r"\blots of emojis?\b|\bmany emojis?\b|\bmuchos emojis?\b|\bviele emojis?\b", text))
    max_chars: int | None = None
    m = re.search(
        r"\b(under|below|max|maximum|at most|no more than|less than) (\d{2,4}) (characters|chars)\b", text
    )
    if m:
        max_chars = int(m.group(2))
    elif re.search(
        r"\bshort\b|\bcortos?\b|\bcortas?\b|\bkurze?n?\b|\bcourts?\b|\bcurtas?\b|\bbrief\b|\bconcise\b", text
    ):
        max_chars = 200
    max_sentences: int | None = None
    m = re.search(
        r"\b(never more than|no more than|at most|max|maximum|up to) (one|two|three|[123]) sentences?\b|"
        r"\b(one|two|three|[123]) sentences? (max|maximum|at most)\b",
        text,
    )
    if m:
        max_sentences = _NUMBER[next(g for g in m.groups() if g and g in _NUMBER)]
    elif re.search(r"\bshort sentences\b|\bone[- ]liners?\b", text):
        max_sentences = 3

    # The creator's own messages: her emoji, her case, her length.
    sent = [e for e in examples if e.strip()]
    used_emoji = [e for s in sent for e in EMOJI.findall(s)]
    if sent and not lowercase:
        letters = [s for s in sent if re.search(r"[A-Za-z]", s)]
        lowercase = bool(letters) and len(letters) >= 3 and all(not re.search(r"[A-Z]", s) for s in letters)
    moods = [e for e in used_emoji if _MOOD_EMOJI.match(e)]
    palette = tuple(dict.fromkeys([*EMOJI.findall(voice), *moods]))[:4] or _DEFAULT_EMOJI[tone]
    if limit is None:
        if lots:
            limit = 3
        elif sent:
            per_message = len(used_emoji) / len(sent)
            limit = 0 if per_message == 0 and len(sent) >= 3 else (2 if per_message > 1.2 else 1)
        else:
            limit = 0 if tone in ("dominant", "neutral") and not EMOJI.search(voice) else 1
    exclamations = tone not in ("dominant", "shy")
    return VoiceStyle(
        tone=tone,
        lowercase=lowercase,
        max_emoji=limit,
        min_emoji=1 if lots and limit else 0,
        emoji=palette,
        max_chars=max_chars,
        max_sentences=max_sentences,
        pet_names=_pet_names(voice),
        exclamations=exclamations,
    )


_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_ACRONYM = re.compile(r"\b[A-Z]{2,4}\b")


def sentences_of(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text.strip()) if s.strip()]


def _count(part: str) -> int:
    # A one-word fragment ("Troy.") is not a sentence of its own.
    return len([x for x in sentences_of(part) if len(x.split()) >= 2]) or 1


def apply_style(
    parts: Sequence[str],
    style: VoiceStyle,
    *,
    emoji_pick: int = 0,
    keep_last: bool = False,
    recase: bool = True,
) -> str:
    """Join the draft's parts (most important first) into one message in the creator's style.

    Parts are dropped from the end to respect a sentence or length limit (the last one is kept
    when `keep_last`: the offer that goes with a PPV); emoji are removed and re-added within the
    persona's limit; a lowercase persona gets a lowercase message.
    """
    # An emoji between two words stood for a pause: keep the pause when the emoji goes.
    kept = [
        EMOJI.sub("", re.sub(f"\\s*(?:{EMOJI.pattern})+\\s+(?=[a-z])", ", ", p)).strip()
        for p in parts
        if p and p.strip()
    ]
    kept = [re.sub(r"\s{2,}", " ", p).strip() for p in kept if p]
    tail = [kept.pop()] if keep_last and len(kept) > 1 else []
    if style.max_sentences is not None:
        out: list[str] = []
        count = sum(_count(p) for p in tail)
        for part in kept:
            if out and count + _count(part) > style.max_sentences:
                break
            out.append(part)
            count += _count(part)
        kept = out
    if not style.exclamations:
        kept = [re.sub(r"!+", ".", p).replace("?.", "?") for p in kept]
        tail = [re.sub(r"!+", ".", p) for p in tail]
    text = " ".join([*kept, *tail])
    emoji = ""
    if style.max_emoji > 0 and style.emoji:
        count = max(style.min_emoji, 1 if style.max_emoji >= 1 else 0)
        if style.min_emoji and style.max_emoji >= 2:
            count = 2
        emoji = "".join(style.emoji[(emoji_pick + i) % len(style.emoji)] for i in range(count))
    limit = style.max_chars
    if limit is not None:
        budget = limit - (len(emoji) + 1 if emoji else 0)
        while len(text) > budget and len(kept) > 1:
            kept.pop()
            text = " ".join([*kept, *tail])
        if len(text) > budget:
            cut = text[: max(0, budget - 1)].rsplit(" ", 1)[0].rstrip(",;:")
            text = cut + "…"
    if emoji:
        text = f"{text} {emoji}"
    if style.lowercase:
        text = text.lower()
    elif recase:
        # Lines are written in chat case; a persona that capitalises gets sentences that start so
        # (her own words, adapted from a voice example, keep her case).
        text = re.sub(r"(^|[.!?]\s+)([a-zà-ÿ])", lambda m: m.group(1) + m.group(2).upper(), text)
    return text.strip()


@dataclass
class Draft:
    """A draft being written: the parts in order of importance, and what it drew on."""

    parts: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
