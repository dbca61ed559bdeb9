"""Relative times in imported chat turns, pinned to the date the turn was sent.

"I went camping last week", sent on 27 June 2023, is about the week of 20 June 2023: the turn's
search document gets "(last week = the week of 20 June 2023)", so a question about June finds it
even when the turn was sent in July. Past-leaning where a phrase could go either way ("a few days"
is only read with "ago", "later" or "from now"), and only for phrases whose meaning does not need
the rest of the sentence.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_COUNTS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a couple of": 2,
    "a few": 3,
}
_RELATIVE = re.compile(
    r"\b(yesterday|today|tonight|tomorrow|last night|this morning"
    r"|(?:last|this|next) (?:week|weekend|month|year)"
    r"|(\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|a few)"
    r" (day|week|month|year)s? (ago|from now|later))\b",
    re.I,
)


def _day(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def _month(d: date, shift: int = 0) -> str:
    year, month = divmod(d.month - 1 + shift, 12)
    return f"{MONTHS[month]} {d.year + year}"


def _week(d: date) -> str:
    return f"the week of {_day(d)}"


def resolve_relative_times(text: str, sent_at: datetime | None) -> list[str]:
    """Each relative time phrase in `text` with what it meant when the turn was sent, e.g.
    "yesterday = 7 May 2023"; nothing without a send time."""
    if sent_at is None:
        return []
    today = sent_at.date()
    fixed = {
        "yesterday": _day(today - timedelta(days=1)),
        "last night": _day(today - timedelta(days=1)),
        "today": _day(today),
        "tonight": _day(today),
        "this morning": _day(today),
        "tomorrow": _day(today + timedelta(days=1)),
        "last week": _week(today - timedelta(days=7)),
        "last weekend": _week(today - timedelta(days=7)),
        "this week": _week(today),
        "this weekend": _week(today),
        "next week": _week(today + timedelta(days=7)),
        "next weekend": _week(today + timedelta(days=7)),
        "last month": _month(today, -1),
        "this month": _month(today),
        "next month": _month(today, 1),
        "last year": str(today.year - 1),
        "this year": str(today.year),
        "next year": str(today.year + 1),
    }
    found: list[str] = []
    for match in _RELATIVE.finditer(text):
        phrase = " ".join(match.group(1).lower().split())
        meaning = fixed.get(phrase)
        if meaning is None and match.group(2):
            count = _COUNTS.get(match.group(2).lower()) or int(match.group(2))
            sign = -1 if match.group(4).lower() == "ago" else 1
            unit = match.group(3).lower()
            if unit == "day":
                meaning = _day(today + timedelta(days=sign * count))
            elif unit == "week":
                meaning = _week(today + timedelta(weeks=sign * count))
            elif unit == "month":
                meaning = _month(today, sign * count)
            else:
                meaning = str(today.year + sign * count)
        if meaning is not None and f"{phrase} = {meaning}" not in found:
            found.append(f"{phrase} = {meaning}")
    return found
