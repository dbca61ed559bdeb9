"""How much a reviewer changed a draft: the Levenshtein distance between the draft and what was sent.

Stored on the queue item when it is decided (`hitl_action_queue.edit_distance`), so the performance
page sums it instead of comparing texts at read time. Bit-parallel (Myers 1999, Hyyrö's Levenshtein
form) over Python integers: one pass over the longer text, each step a handful of big-integer
operations, so a 4,000-character rewrite costs milliseconds rather than a 16-million-cell table.
"""

from __future__ import annotations

from typing import Any


def edit_distance(draft: str, sent: str) -> int:
    """Characters inserted, deleted or substituted to turn `draft` into `sent`."""
    if draft == sent:
        return 0
    # The common prefix and suffix cost nothing; most edits touch a few words in the middle.
    start = 0
    limit = min(len(draft), len(sent))
    while start < limit and draft[start] == sent[start]:
        start += 1
    end_a, end_b = len(draft), len(sent)
    while end_a > start and end_b > start and draft[end_a - 1] == sent[end_b - 1]:
        end_a -= 1
        end_b -= 1
    a, b = draft[start:end_a], sent[start:end_b]
    if not a or not b:
        return len(a) + len(b)
    if len(a) < len(b):
        a, b = b, a  # the pattern (bit vector) is the longer text; the loop walks the shorter
    m = len(a)
    full = (1 << m) - 1
    top = 1 << (m - 1)
    peq: dict[str, int] = {}
    for i, ch in enumerate(a):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    pv, mv, score = full, 0, m
    for ch in b:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & full
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv
    return score


def text_edit_distance(proposed: dict[str, Any], final: dict[str, Any] | None) -> int | None:
    """The distance between two action argument sets' texts; None when the action has no text."""
    if "text" not in proposed:
        return None
    draft = str(proposed.get("text") or "")
    sent = draft if final is None else str(final.get("text") or "")
    return edit_distance(draft, sent)
