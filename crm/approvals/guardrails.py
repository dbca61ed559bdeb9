"""Guardrails: deterministic checks on what would reach a fan (and on what the fan wrote).

Pure functions, so the drafting graph and the decision service (edits are re-validated) share them.
Each hit is a `Flag`; `block` flags stop the action, `warn` flags are shown to the reviewer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from crm.approvals.schemas import Flag
from crm.enums import ActionType

OTHER_APPS = (
    "whatsapp",
    "telegram",
    "snapchat",
    "snap",
    "instagram",
    "insta",
    "kik",
    "discord",
    "signal",
    "skype",
    "wickr",
    "cashapp",
    "cash app",
    "venmo",
    "paypal",
    "zelle",
    "line app",
    "wechat",
    "tiktok",
)
_APPS = re.compile(r"\b(" + "|".join(re.escape(a) for a in OTHER_APPS) + r")\b", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_URL = re.compile(r"(https?://|www\.)\S+|\b[\w-]+\.(com|net|org|io|me|ly|co|app|link)\b", re.I)
_PHONE = re.compile(r"(?<!\w)(\+?\d[\d\s().-]{7,}\d)(?!\w)")
_MEETUP = re.compile(
    r"\b(meet (up|you|me|irl|in person)|meet-?up|in person|irl|come over|my place|your place|"
    r"hotel|my address|your address|grab (a )?(drink|coffee|dinner)|go on a date|hang out)\b",
    re.I,
)
_NEGATION = re.compile(r"\b(can't|cannot|can not|don't|do not|never|won't|will not|not|no)\b", re.I)
_FREE = re.compile(
    r"\b(for free|free (pics?|videos?|content|sets?|nudes?|stuff|preview of everything))\b", re.I
)
_OTHER_FAN = re.compile(
    r"\b(another|other|my (top|biggest|best)) (fan|subscriber|sub|spender)s?\b.{0,40}\b"
    r"(spent|paid|bought|said|told|sent|is|are|named|called)\b",
    re.I,
)
_ASKS_AI = re.compile(
    r"\b(are (you|u) (an? )?(bot|ai|robot|real|human|a real person|chatgpt|automated)|"
    r"is this (an? )?(bot|ai|real person|automated)|am i (talking|chatting|speaking) (to|with) "
    r"(an? )?(bot|ai|real|human|person)|is (this|it) really you)\b",
    re.I,
)
_DENIES_AI = re.compile(
    r"\b(not an? (bot|ai|robot)|i'?m (a )?(real|human)( person| human)?|i am (a )?(real|human)|"
    r"no bots? here|100% real|definitely (real|human|me)|it'?s really me|no ai)\b",
    re.I,
)
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget) (all |any |your |the |previous |prior )*(rules|instructions|"
    r"guidelines|prompt|policies)|system prompt|you are now|new instructions|developer mode|"
    r"jailbreak|(change|lower|drop|set|make) (your |the |all )?(prices?|ppv)|make it free|"
    r"(send|give) (me )?(it |everything |all |your )?(content |pics |videos |sets )?for free|"
    r"free content|(tell|show) me (about )?(your )?other (fans|subscribers)|"
    r"(who|what) (are|is|do|did) (your )?(other|top|biggest) (fans|subscribers|spenders)|"
    r"list (all )?(your )?(fans|subscribers)|other fans'?",
    re.I,
)


@dataclass(frozen=True)
class GuardrailPolicy:
    """The creator's persona rules that guardrails enforce."""

    restricted_words: tuple[str, ...] = ()
    ppv_price_min: Decimal = Decimal("5")
    ppv_price_max: Decimal = Decimal("100")
    rules: tuple[str, ...] = field(default_factory=tuple)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?\n])\s+", text) if s.strip()]


def check_inbound(texts: Iterable[str]) -> list[Flag]:
    """Flags on what the fan wrote: fan text is data, and instructions in it are flagged."""
    hits = sorted({m.group(0).lower() for t in texts for m in _INJECTION.finditer(t)})
    if not hits:
        return []
    return [
        Flag(
            code="prompt_injection",
            severity="warn",
            message="The fan's message tries to instruct the assistant ("
            + "; ".join(hits[:3])
            + "). Treated as data: nothing was changed because of it.",
        )
    ]


def check_text(
    text: str,
    *,
    policy: GuardrailPolicy,
    other_fan_names: Sequence[str] = (),
    inbound_texts: Sequence[str] = (),
) -> list[Flag]:
    flags: list[Flag] = []
    lowered = text.lower()
    words = [w for w in policy.restricted_words if w and re.search(rf"\b{re.escape(w.lower())}\b", lowered)]
    if words:
        flags.append(
            Flag(
                code="restricted_word", severity="block", message="Uses restricted words: " + ", ".join(words)
            )
        )
    contact = [
        label for label, rx in (("email", _EMAIL), ("link", _URL), ("other app", _APPS)) if rx.search(text)
    ]
    # Prices and dates also contain digits and separators; a phone number has at least nine digits.
    if any(len(re.sub(r"\D", "", m.group(1))) >= 9 for m in _PHONE.finditer(text)):
        contact.append("phone number")
    if contact:
        flags.append(
            Flag(
                code="off_platform_contact",
                severity="block",
                message="Moves the fan off the platform: " + ", ".join(contact),
            )
        )
    if any(_MEETUP.search(s) and not _NEGATION.search(s) for s in _sentences(text)):
        flags.append(
            Flag(code="meetup", severity="block", message="Agrees to or proposes meeting in person.")
        )
    if any(_FREE.search(s) and not _NEGATION.search(s) for s in _sentences(text)):
        flags.append(Flag(code="free_content", severity="block", message="Promises content for free."))
    named = [n for n in other_fan_names if n and re.search(rf"\b{re.escape(n.lower())}\b", lowered)]
    if named or _OTHER_FAN.search(text):
        detail = (": " + ", ".join(named)) if named else ""
        flags.append(
            Flag(code="other_fan_data", severity="block", message="Mentions another fan's data" + detail)
        )
    if any(_ASKS_AI.search(t) for t in inbound_texts) and _DENIES_AI.search(text):
        flags.append(
            Flag(
                code="ai_denial",
                severity="block",
                message="The fan sincerely asked whether this is AI; the draft denies it.",
            )
        )
    return flags


def check_price(price: Decimal | None, *, policy: GuardrailPolicy) -> list[Flag]:
    if price is None:
        return []
    if price < policy.ppv_price_min or price > policy.ppv_price_max:
        return [
            Flag(
                code="price_out_of_bounds",
                severity="block",
                message=f"Price ${price} is outside the creator's bounds "
                f"(${policy.ppv_price_min}–${policy.ppv_price_max}).",
            )
        ]
    return []


def check_action(
    action_type: ActionType,
    args: dict[str, Any],
    *,
    policy: GuardrailPolicy,
    other_fan_names: Sequence[str] = (),
    inbound_texts: Sequence[str] = (),
) -> list[Flag]:
    """Every outbound check for one gated action's arguments."""
    flags: list[Flag] = []
    text = str(args.get("text") or "")
    if text:
        flags += check_text(text, policy=policy, other_fan_names=other_fan_names, inbound_texts=inbound_texts)
    if action_type in (ActionType.send_ppv, ActionType.create_broadcast, ActionType.schedule_post):
        raw = args.get("price")
        flags += check_price(Decimal(str(raw)) if raw is not None else None, policy=policy)
    return flags


def dump(flags: Iterable[Flag]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for f in flags:
        if f.code not in seen:
            seen.add(f.code)
            out.append(f.model_dump())
    return out
