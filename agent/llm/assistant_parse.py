"""Reading a creator's chat request without a language model: time windows, spend kinds, prices, fan
names, questions vs. instructions, and which of several fans a follow-up picks.

Keyword rules in English, Spanish, German, French and Portuguese. Everything here is pure text → data;
the offline assistant (`agent/llm/offline_assistant.py`) turns the data into tool calls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any


def rx(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(words), re.I)


# ------------------------------------------------------------------------------------------- periods

_PERIODS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("yesterday", rx(r"\byesterday\b", r"\bayer\b", r"\bgestern\b", r"\bhier\b", r"\bontem\b")),
    ("today", rx(r"\btoday\b", r"\bhoy\b", r"\bheute\b", r"\baujourd'?hui\b", r"\bhoje\b")),
    ("last_week", rx(r"\blast week", r"\bprevious week", r"\bla semana pasada\b", r"\bletzte[nr]? woche\b",
                     r"\bvorige[nr]? woche\b", r"\bla semaine derni[eè]re\b", r"\bsemana passada\b")),
    ("this_week", rx(r"\bthis week", r"\bweek so far\b", r"\bfor the week\b", r"\besta semana\b", r"\bdiese[nr]? woche\b", r"\bcette semaine\b")),
    ("last_month", rx(r"\blast month", r"\bprevious month", r"\bel mes pasado\b", r"\bletzte[nr]? monat\b",
                      r"\bvorige[nr]? monat\b", r"\ble mois dernier\b", r"\bm[eê]s passado\b")),
    ("this_month", rx(r"\bthis month", r"\bmonth to date\b", r"\bmonth so far\b", r"\bfor the month\b", r"\beste mes\b", r"\bdiese[nr]? monat\b",
                      r"\bce mois\b", r"\beste m[eê]s\b")),
    ("last_year", rx(r"\blast year", r"\bel a[ñn]o pasado\b", r"\bletzte[sn]? jahr\b", r"\bl'ann[ée]e derni[eè]re\b",
                     r"\bano passado\b")),
    ("this_year", rx(r"\bthis year", r"\byear to date\b", r"\bytd\b", r"\beste a[ñn]o\b", r"\bdiese[sn]? jahr\b",
                     r"\bcette ann[ée]e\b", r"\beste ano\b")),
    # Last: an explicit window elsewhere in the sentence wins over "ever".
    ("all_time", rx(r"\ball[- ]time\b", r"\bever\b", r"\blifetime\b", r"\bsince (the )?(start|beginning)\b",
                    r"\bde todos los tiempos\b", r"\baller zeiten\b", r"\bde tous les temps\b",
                    r"\bde todos os tempos\b")),
)  # fmt: skip
_MONTHS = (
    ("january", "enero", "januar", "janvier", "janeiro"), ("february", "febrero", "februar", "février", "fevereiro"),
    ("march", "marzo", "märz", "mars", "março"), ("april", "abril", "avril"), ("may", "mayo", "mai", "maio"),
    ("june", "junio", "juni", "juin", "junho"), ("july", "julio", "juli", "juillet", "julho"),
    ("august", "agosto", "août"), ("september", "septiembre", "septembre", "setembro"),
    ("october", "octubre", "oktober", "octobre", "outubro"), ("november", "noviembre", "novembre", "novembro"),
    ("december", "diciembre", "dezember", "décembre", "dezembro"),
)  # fmt: skip
_IN_MONTH = re.compile(
    r"\b(?:in|for|during|of|en|im|em|au|durante|de)\s+(?:the month of\s+)?([a-zäéçû]+)(?:\s+(\d{4}))?\b"
    r"(?!\s+\d{1,2}\b)",
    re.I,
)
_LAST_N_WEEKS = re.compile(r"\b(?:last|past|previous)\s+(\d{1,2})\s+weeks\b", re.I)
_LAST_N_DAYS = re.compile(
    r"\b(?:last|past|previous|últimos|letzten|derniers|últimos)\s+(\d{1,3})\s+(?:days|días|tage[n]?|jours|dias)\b",
    re.I,
)
_LAST_UNIT = rx(r"\b(?:the )?(?:last|past) (week|month|year)\b")


@dataclass(frozen=True)
class PeriodSpec:
    """What the tools take: a period name, and dates for a custom one."""

    period: str
    start: date | None = None
    end: date | None = None

    def args(self) -> dict[str, Any]:
        out: dict[str, Any] = {"period": self.period}
        if self.start is not None and self.end is not None:
            out.update(start=self.start.isoformat(), end=self.end.isoformat())
        return out


def _month(name: str) -> int | None:
    low = name.casefold()
    return next((i + 1 for i, names in enumerate(_MONTHS) if low in names), None)


def parse_period(text: str, *, today: date | None = None) -> PeriodSpec | None:
    """The time window a request names, or None when it names none."""
    today = today or datetime.now(UTC).date()
    m = _LAST_N_DAYS.search(text) or _LAST_N_WEEKS.search(text)
    if m:
        n = int(m.group(1)) * (7 if "week" in m.group(0).lower() else 1)
        if n in (7, 30, 90):
            return PeriodSpec(f"last_{n}_days")
        return PeriodSpec("custom", today - timedelta(days=max(n, 1) - 1), today)
    for m in _IN_MONTH.finditer(text):
        month = _month(m.group(1))
        if month is None:
            continue
        year = int(m.group(2)) if m.group(2) else (today.year if month <= today.month else today.year - 1)
        first = date(year, month, 1)
        after = date(year + month // 12, month % 12 + 1, 1)
        return PeriodSpec("custom", first, min(after - timedelta(days=1), today))
    m = _LAST_UNIT.search(text)
    if m and re.search(r"\b(past|the last)\b", m.group(0), re.I):
        # "the past week" is a rolling window; "last week" (checked below) is the calendar week.
        return PeriodSpec(
            {"week": "last_7_days", "month": "last_30_days", "year": "last_year"}[m.group(1).lower()]
        )
    found = [
        (m.start(), i, name) for i, (name, pattern) in enumerate(_PERIODS) if (m := pattern.search(text))
    ]
    if found:
        # The window named first ("this month compared to last month" → this month); "ever" only
        # when nothing else is named.
        explicit = [f for f in found if f[2] != "all_time"] or found
        return PeriodSpec(min(explicit)[2])
    return None


# ------------------------------------------------------------------------------------------- money

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "tip",
        rx(r"\btip(s|ped|ping)?\b", r"\bpropinas?\b", r"\btrinkgeld", r"\bpourboires?\b", r"\bgorjetas?\b"),
    ),
    ("ppv", rx(r"\bppvs?\b", r"pay[- ]per[- ]view", r"\bunlocks?\b", r"\blocked (messages|content)\b")),
    (
        "subscription",
        rx(
            r"\bsubscriptions?\b(?! flow)",
            r"\bsubs\b",
            r"\bsuscripciones\b",
            r"\babos?\b",
            r"\babonnements?\b",
            r"\bassinaturas?\b",
        ),
    ),
    ("custom", rx(r"\bcustoms?\b(?! request)", r"\bcustom (videos?|content|orders?)\b")),
    ("message", rx(r"\bpaid messages?\b")),
    ("stream", rx(r"\b(live ?)?streams?\b")),
)
KIND_WORDS = {
    "tip": "tips",
    "ppv": "PPV",
    "subscription": "subscriptions",
    "custom": "customs",
    "message": "paid messages",
    "post": "paid posts",
    "stream": "streams",
    "other": "other",
    "refund": "refunds",
}


def parse_kind(text: str) -> str | None:
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    return None


def parse_price(text: str) -> float | None:
    m = re.search(
        r"\$\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:\$|usd|dollars?|bucks|d[oó]lares|euros?|€)"
        r"|\b(?:for|at|por|für|pour)\s+(\d+(?:\.\d{1,2})?)\b"
        r"(?!\s*(?:days?|weeks?|months?|hours?|minutes?|fans?|people|%|percent|x\b|[.,]\d))",
        text,
        re.I,
    )
    if not m:
        return None
    return float((m.group(1) or m.group(2) or m.group(3)).replace(",", "."))


def parse_count(text: str, default: int) -> int:
    m = re.search(r"\btop (\d{1,2})\b|\b(\d{1,2}) (?:biggest|best|top)\b", text, re.I)
    return max(1, min(int(m.group(1) or m.group(2)), 50)) if m else default


def usd(value: Any) -> str:
    """$1,234.56, and $1,234 for whole dollars."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.2f}"
    return sign + "$" + (text[:-3] if text.endswith(".00") else text)


# ------------------------------------------------------------------------------------------- questions

_QUESTION_START = re.compile(
    r"^\s*(what|who|whom|which|when|where|why|how|do|does|did|can|could|is|are|was|were|have|has|had|will|would|"
    r"tell me|remind me|show me|any idea|anything|something|qu[eé]|qui[eé]n|cu[aá]nto|cu[aá]ndo|wer|was|wie|wann|quoi|qui|quand|"
    r"combien|quem|quanto|quando|o que|recuerdas|te acuerdas|erinnerst du|te souviens|lembras)\b",
    re.I,
)


def is_question(text: str) -> bool:
    """A question (to answer by reading), not an instruction (to act on)."""
    stripped = text.strip()
    return stripped.endswith("?") or bool(_QUESTION_START.match(stripped))


_REMEMBER_CMD = re.compile(
    r"^\s*(please\s+)?(remember|note down|keep in mind|don'?t forget|recuerda|merke dir|n'oublie pas|lembre)\b"
    r"|[,;]\s*(please\s+)?(remember|note)\s+(it|that|this)\W*$",
    re.I,
)


def tells_a_fact(text: str) -> bool:
    """'remember that Tom's birthday is May 12' stores a fact; 'do you remember…', 'anything
    remembered about…' and every other question only read."""
    return bool(_REMEMBER_CMD.search(text)) and not is_question(text)


# ------------------------------------------------------------------------------------------- names

NAME = r"([A-ZÀ-Ý][\wÀ-ÿ'-]+(?: [A-Z]\.)?)"
# Fan names that are also everyday words: only a capitalised mention counts as the fan.
_COMMON_WORDS = {
    "will", "mark", "hope", "grace", "may", "june", "april", "bill", "pat", "rich", "sunny", "art", "chase",
    "faith", "joy", "summer", "max", "sky", "dawn", "penny", "amber", "rose", "jack", "frank", "gene", "ray",
    "drew", "dean", "miles", "guy", "august", "ivy", "star", "king", "angel", "honey", "baby", "river",
}  # fmt: skip
_NOT_NAMES = {
    "the", "my", "all", "everyone", "a", "an", "me", "i", "them", "him", "her", "it", "this", "that", "who", "what",
    "ppv", "tips", "top", "last", "next", "new", "every", "some", "any", "each", "our", "your", "their", "how",
    "when", "which", "fans", "fan", "subscribers", "today", "yesterday",
}  # fmt: skip


def _name_at(text: str, name: str) -> re.Match[str] | None:
    for m in re.finditer(rf"(?<![\w@]){re.escape(name)}(?!\w)", text, re.I):
        if name.lower() in _COMMON_WORDS and not m.group(0)[0].isupper():
            continue
        return m
    return None


def known_name(text: str, names: Sequence[str]) -> str | None:
    """The longest roster name the text mentions ('Tyler N.' before 'Tyler')."""
    for name in sorted(set(names), key=len, reverse=True):
        if name and _name_at(text, name):
            return name
    return None


def fan_name(text: str, names: Sequence[str]) -> str | None:
    """The fan a request is about: a roster name, an @username, else a capitalised word in a slot
    where a name goes ('send Zed …', 'Zed's birthday')."""
    at = re.search(r"@([\w.]{2,60})", text)
    if at:
        return "@" + at.group(1)
    known = known_name(text, names)
    if known:
        return known
    for pattern in (
        rf"\b(?:tag|untag|send|offer|message|text|about|on|from|for|to|sur|a|an|para|remember|know)\s+{NAME}",
        rf"\b{NAME}'s\b",
        rf"\b(?:has|did|does|is)\s+{NAME}\b",
    ):
        for m in re.finditer(pattern, text):
            if m.group(1).lower() not in _NOT_NAMES:
                return m.group(1)
    return None


# ------------------------------------------------------------------------------------------- follow-ups

_ORDINALS = {
    "first": 0, "1st": 0, "one": 0, "1": 0, "second": 1, "2nd": 1, "two": 1, "2": 1, "third": 2, "3rd": 2,
    "three": 2, "3": 2, "fourth": 3, "4th": 3, "4": 3, "fifth": 4, "5th": 4, "5": 4, "sixth": 5, "6th": 5, "6": 5,
    "primero": 0, "segundo": 1, "erste": 0, "zweite": 1, "premier": 0, "deuxième": 1,
}  # fmt: skip
_TIERS = ("whale", "high", "mid", "low", "new")
_NEVERMIND = rx(r"\b(neither|none|never ?mind|cancel|forget it|no one|nobody)\b")


def _tokens(text: str) -> set[str]:
    return {t for t in re.split(r"[^\w@.-]+", text.casefold()) if t}


def picks_nobody(text: str) -> bool:
    return bool(_NEVERMIND.search(text))


def pick_candidate(text: str, candidates: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The candidate a follow-up names: by number, @username, name, spend tier, amount, 'the one who
    spent more', or a word of what we know about them ('the chef'). None when it picks no single one."""
    if not candidates:
        return None
    low = text.casefold().strip()
    words = _tokens(low)

    def only(matches: list[dict[str, Any]]) -> dict[str, Any] | None:
        return matches[0] if len(matches) == 1 else None

    usernames = [
        c
        for c in candidates
        if c.get("username") and c["username"].casefold().lstrip("@") in {w.lstrip("@") for w in words}
    ]
    if found := only(usernames):
        return found
    full = [c for c in candidates if str(c.get("name", "")).casefold() == low.strip(" .!")]
    if found := only(full):
        return found
    tiers = [
        c for c in candidates if str(c.get("spend_tier")) in words and str(c.get("spend_tier")) in _TIERS
    ]
    if found := only(tiers):
        return found
    by_spend = sorted(candidates, key=lambda c: Decimal(str(c.get("lifetime_spend") or 0)))
    if re.search(r"\b(more|most|bigger|biggest|higher|highest|richer|big spender|larger)\b", low):
        return by_spend[-1]
    if re.search(r"\b(less|least|smaller|smallest|lower|lowest|cheaper)\b", low):
        return by_spend[0]
    amounts = [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", low)]
    for amount in (a for a in amounts if a >= 10):
        close = [
            c
            for c in candidates
            if abs(float(c.get("lifetime_spend") or 0) - amount) < max(1.0, amount * 0.02)
        ]
        if found := only(close):
            return found
    if len(words) <= 4:
        ordinal = next((_ORDINALS[w] for w in re.findall(r"\w+", low) if w in _ORDINALS and w != "one"), None)
        if ordinal is None and low.strip(" .!") in ("one", "the one"):
            ordinal = 0
        if ordinal is not None and ordinal < len(candidates):
            return candidates[ordinal]
        if re.search(r"\blast\b", low):
            return candidates[-1]
    stop = {
        "the",
        "one",
        "who",
        "is",
        "a",
        "an",
        "with",
        "that",
        "from",
        "of",
        "in",
        "guy",
        "fan",
        "he",
        "his",
        "him",
    }
    names = {t for c in candidates for t in _tokens(str(c.get("name") or ""))}
    shared = {t for t in names if all(t in _tokens(str(c.get("name") or "")) for c in candidates)}
    hinted = [
        c
        for c in candidates
        if (words - stop - shared) & (_tokens(str(c.get("hint") or "")) | _tokens(str(c.get("name") or "")))
    ]
    return only(hinted)


# ------------------------------------------------------------------------------------------- what to send


def quoted_or_saying(text: str) -> str | None:
    m = re.search(r"[\"“'‘](.+?)[\"”'’](?:\s|$|[.!?,])", text)
    if m and len(m.group(1)) > 3:
        return m.group(1)
    m = re.search(
        r"\b(?:saying|that says|with the text|diciendo|mit dem text|en disant|dizendo)\s+(.+)$", text, re.I
    )
    if m:
        return m.group(1).strip()
    m = re.search(r":\s*(.+)$", text)
    return m.group(1).strip() if m else None


_OFFER_NOISE = re.compile(
    r"\b(?:a|an|as|of|with|the|ppv|pay[- ]per[- ]view|offer|locked|message|for|at|send|please|can you|could you|"
    r"new ppv)\b",
    re.I,
)


def offer_thing(text: str, name: str | None) -> str | None:
    """What is being offered, in the creator's words: 'send Sam a PPV of my new beach set for $25' →
    'my new beach set'."""
    body = re.sub(
        r"\$\s?\d+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?\s?(?:\$|usd|dollars?|bucks|euros?|€)",
        " ",
        text,
        flags=re.I,
    )
    if name:
        body = re.sub(rf"(?<![\w@]){re.escape(name)}(?:'s)?(?!\w)", " ", body, flags=re.I)
    m = re.search(r"\b((?:my|the|this|our)\s+[^,.!?]+?)(?:\s+(?:for|at|as|to)\b|[,.!?]|$)", body, re.I)
    thing = m.group(1) if m else _OFFER_NOISE.sub(" ", body)
    thing = re.sub(r"\s+", " ", re.sub(r"\b(?:as a|a|an)\s*$", "", thing.strip(), flags=re.I)).strip(" .,!")
    thing = re.sub(r"^(?:send|offer|give)\b\s*", "", thing, flags=re.I).strip()
    words = [w for w in thing.split() if w.lower() not in {"ppv", "a", "an"}]
    return " ".join(words) or None


def teaser(thing: str | None) -> str:
    """The offer's text in a creator's voice."""
    if not thing:
        return "Made something just for you 💕 want a peek?"
    first = thing[0].upper() + thing[1:]
    if re.match(r"(?i)the\b", thing):
        return f"{first}, just for you 💕 want a peek?"
    return f"{first} is here and I made it with you in mind 💕"


def fact_to_remember(text: str) -> str:
    """'remember that Tom's birthday is May 12' → "Tom's birthday is May 12"."""
    fact = re.sub(
        r"^\s*(please\s+)?(remember|note down|keep in mind|recuerda|merke dir|souviens-toi|lembre(-se)?)"
        r"(\s+that|\s+que|\s+dass|\s+de)?\s*[:,]?\s*",
        "",
        text.strip(),
        flags=re.I,
    )
    fact = re.sub(r"[,;]?\s*(please\s+)?(remember|note)\s+(it|that|this)\s*[.!]*$", "", fact, flags=re.I)
    return fact.rstrip(".! ") or text.strip()
