"""What a fan message is about, by rules. Used by the offline model (and shown to reviewers)."""

from __future__ import annotations

import re
from enum import StrEnum


class Intent(StrEnum):
    meetup = "meetup"
    free_content = "free_content"
    other_fans = "other_fans"
    price_change = "price_change"
    ai_question = "ai_question"
    complaint = "complaint"
    purchase_interest = "purchase_interest"
    compliment = "compliment"
    question = "question"
    greeting = "greeting"
    other = "other"


_RULES: list[tuple[Intent, re.Pattern[str]]] = [
    (
        Intent.meetup,
        re.compile(
            r"\b(meet( up)?|meetup|in person|irl|hang ?out|go out|date|coffee|drinks?|dinner|"
            r"come over|your (place|address)|where do you live|visit you)\b",
            re.I,
        ),
    ),
    (
        Intent.free_content,
        re.compile(
            r"\b(for free|free (pics?|content|videos?|nudes?|stuff|sets?|preview)|without paying|"
            r"(send|give) me (something|some pics|a pic)( for)? free)\b",
            re.I,
        ),
    ),
    (
        Intent.other_fans,
        re.compile(r"\b(other|top|biggest) (fans|subscribers|spenders)\b|\bwho else\b", re.I),
    ),
    (
        Intent.price_change,
        re.compile(r"\b(change|lower|drop|set|cut) (your |the |all )?(prices?|ppv)\b", re.I),
    ),
    (
        Intent.ai_question,
        re.compile(
            r"\b(are (you|u) (an? )?(bot|ai|robot|real|human|chatgpt)|is this (an? )?(bot|ai|real)|"
            r"am i (talking|chatting) (to|with) (an? )?(bot|ai|real|human)|is (this|it) really you)\b",
            re.I,
        ),
    ),
    (
        Intent.complaint,
        re.compile(
            r"\b(disappoint\w*|refund|scam|waste|rip ?off|never (got|received)|didn'?t (get|receive)|"
            r"not worth|upset|angry|annoyed|broken|doesn'?t (work|load)|won'?t (load|open))\b",
            re.I,
        ),
    ),
    (
        Intent.purchase_interest,
        re.compile(
            r"\b(buy|purchase|how much|price|cost|ppv|custom|unlock|new (set|content|pics|video)s?|"
            r"bundle|more (pics|content|videos)|exclusive)\b",
            re.I,
        ),
    ),
    (
        Intent.compliment,
        re.compile(
            r"\b(beautiful|gorgeous|stunning|hot|cute|pretty|amazing|sexy|perfect|love (your|you|it)|"
            r"obsessed|incredible|so good)\b",
            re.I,
        ),
    ),
    (Intent.greeting, re.compile(r"^\s*(hi+|hey+|hello|yo|good (morning|evening|night)|sup)\b", re.I)),
]
_QUESTION = re.compile(
    r"\?\s*$|^\s*(what|when|where|why|how|who|which|do|does|did|can|could|will|would)\b", re.I
)


def detect_intents(text: str) -> list[Intent]:
    """Every intent found in one message, most important first; [other] if none."""
    found = [intent for intent, rx in _RULES if rx.search(text)]
    if _QUESTION.search(text) and Intent.question not in found:
        found.append(Intent.question)
    return found or [Intent.other]
