"""Template slots: `{fan_name}`, `{price}`, `{fan_pet|your fur baby}` — parsed and checked when a
template is saved, filled when a rule or tool uses it.

Syntax: `{slot}` or `{slot|fallback}` (the fallback is used when the value is unknown, e.g. no memory
of the fan's pet yet); `{{` and `}}` are literal braces. An unknown slot, an unclosed brace or a
stray `}` is refused at save time with the position, so a template never fails at send time for a
typo. Without a fallback, a slot whose value is unknown makes that one use fail with a clear reason
(the rule's run records it) instead of sending "Hey {fan_name}".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from core.errors import ValidationFailed

# name → what it is filled with. Memory slots come from the fan's active memories (slot-tagged facts
# such as "Lives in Boulder"); event slots from the event that triggered a rule.
SLOTS: dict[str, str] = {
    "fan_name": "the fan's first name",
    "creator_name": "the creator's display name",
    "price": "the offer's price, e.g. $25.00 (PPV steps and templates with a price)",
    "lifetime_spend": "what the fan has spent in total, e.g. $412.50",
    "months_subscribed": "how many months the fan has been (or was) subscribed",
    "tip_amount": "the tip that triggered the rule, e.g. $25.00",
    "tip_note": "the note the fan sent with the tip",
    "ppv_amount": "what the fan paid for the PPV they unlocked",
    "fan_city": "memory: where the fan lives",
    "fan_job": "memory: the fan's job",
    "fan_pet": "memory: the name of the fan's pet",
    "fan_birthday": "memory: the fan's birthday",
}
MAX_FALLBACK = 200
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class MissingSlot(ValidationFailed):
    """A slot has no value for this fan and no fallback."""

    def __init__(self, slot: str) -> None:
        super().__init__(f"no value for {{{slot}}} and no fallback (write {{{slot}|…}})")
        self.slot = slot


@dataclass(frozen=True)
class Slot:
    name: str
    fallback: str | None


Part = str | Slot


def parse(text: str, *, where: str = "body") -> list[Part]:
    """The template as literal text and slots; ValidationFailed naming the problem and its position."""
    parts: list[Part] = []
    buffer: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "{" and text.startswith("{{", i):
            buffer.append("{")
            i += 2
            continue
        if char == "}" and text.startswith("}}", i):
            buffer.append("}")
            i += 2
            continue
        if char == "}":
            raise ValidationFailed(
                f"{where}: a '}}' at position {i + 1} closes nothing (write '}}}}' for a brace)"
            )
        if char == "{":
            end = text.find("}", i + 1)
            inner = text[i + 1 : end] if end != -1 else ""
            if end == -1 or "{" in inner:
                raise ValidationFailed(f"{where}: the '{{' at position {i + 1} is not closed")
            name, bar, fallback = inner.partition("|")
            name = name.strip()
            if not _NAME.match(name):
                raise ValidationFailed(f"{where}: {{{inner}}} at position {i + 1} is not a slot name")
            if name not in SLOTS:
                raise ValidationFailed(
                    f"{where}: unknown slot {{{name}}} at position {i + 1} (known: {', '.join(SLOTS)})"
                )
            if len(fallback) > MAX_FALLBACK:
                raise ValidationFailed(f"{where}: the fallback of {{{name}}} is longer than {MAX_FALLBACK}")
            if buffer:
                parts.append("".join(buffer))
                buffer = []
            parts.append(Slot(name, fallback if bar else None))
            i = end + 1
            continue
        buffer.append(char)
        i += 1
    if buffer:
        parts.append("".join(buffer))
    return parts


def slots_in(text: str) -> list[str]:
    """The slot names a (valid) template uses, in order of first use."""
    return list(dict.fromkeys(p.name for p in parse(text) if isinstance(p, Slot)))


def render(text: str, values: Mapping[str, str | None]) -> str:
    """Fill the slots; MissingSlot for a slot with no value and no fallback."""
    out: list[str] = []
    for part in parse(text):
        if isinstance(part, str):
            out.append(part)
            continue
        value = values.get(part.name)
        if value is None or not str(value).strip():
            if part.fallback is None:
                raise MissingSlot(part.name)
            value = part.fallback
        out.append(str(value))
    return "".join(out).strip()
