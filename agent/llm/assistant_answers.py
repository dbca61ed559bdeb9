"""The offline assistant's sentences: tool results in plain words. Every figure comes from a tool
result as it was returned; nothing here adds up, estimates or invents a number."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from agent.llm.assistant_parse import KIND_WORDS, usd

OFFLINE_PREFIX = "(Offline model, rule-based.) "
CAPABILITIES = (
    "I can look up your fans (by name, tag, spend or churn risk) and what I remember about them; tell you "
    "your numbers — revenue by type for any period, top spenders, new and expired subscribers, reply "
    "times, which PPV prices sell; build segments, tag fans and add notes; and draft messages, PPV "
    "offers, broadcasts and scheduled posts. Anything that reaches a fan waits in the approval inbox "
    "until you approve it."
)
NUMBERS = ("tip", "ppv", "subscription", "custom", "message", "post", "stream", "other")


def window_words(result: dict[str, Any]) -> str:
    window = result.get("window") or {}
    label = str(window.get("label") or "that period")
    return label[0].upper() + label[1:]


def _date(iso: Any) -> str:
    if not iso:
        return "never"
    try:
        when = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    return f"{when:%b} {when.day}, {when.year}"


def fan_label(fan: dict[str, Any]) -> str:
    """'Sam (@sam_the_whale) — whale, $3,378.89 lifetime'"""
    handle = f" (@{fan['username']})" if fan.get("username") else ""
    parts = [str(fan.get("spend_tier") or ""), f"{usd(fan.get('lifetime_spend') or 0)} lifetime"]
    return f"{fan.get('name')}{handle} — " + ", ".join(p for p in parts if p)


def fan_short(fan: dict[str, Any]) -> str:
    """'Sam (@sam_the_whale)'"""
    return f"{fan.get('name')} (@{fan['username']})" if fan.get("username") else str(fan.get("name"))


def which_one(lookup: dict[str, Any], *, doing: str) -> str:
    """Several fans share the name: list them and ask; nothing is done meanwhile."""
    candidates = list(lookup.get("candidates") or [])
    name = lookup.get("query")
    count = int(lookup.get("matches") or len(candidates))
    lines = []
    for i, c in enumerate(candidates, start=1):
        extra = []
        if c.get("subscription"):
            extra.append(f"subscription {c['subscription']}")
        if c.get("last_active_at"):
            extra.append(f"last active {_date(c['last_active_at'])}")
        if c.get("hint"):
            extra.append(f"“{c['hint']}”")
        lines.append(f"{i}. {fan_label(c)}" + (f"; {'; '.join(extra)}" if extra else ""))
    more = f" (showing {len(candidates)})" if count > len(candidates) else ""
    return (
        f"{count} fans are called {name}{more} — which one do you mean? I haven't {doing} yet.\n"
        + "\n".join(lines)
        + "\nReply with the number, the @username, or something that tells them apart."
    )


def _by_type(values: dict[str, Any], *, skip_zero: bool = True) -> str:
    parts = []
    for kind in NUMBERS:
        amount = values.get(kind)
        if amount is None or (skip_zero and float(amount) == 0):
            continue
        parts.append(f"{KIND_WORDS[kind]} {usd(amount)}")
    return ", ".join(parts)


def revenue(result: dict[str, Any], *, kind: str | None, fan: dict[str, Any] | None = None) -> str:
    when = window_words(result)
    by_type = result.get("by_type") or {}
    who = f" from {fan['name']}" if fan else ""
    if kind is not None:
        amount = by_type.get(kind, "0")
        count = (result.get("counts") or {}).get(kind, 0)
        if float(amount) == 0:
            return f"{when}: no {KIND_WORDS[kind]}{who} — {usd(0)}."
        unit = "transaction" if count == 1 else "transactions"
        return f"{when} you earned {usd(amount)} from {KIND_WORDS[kind]}{who} ({count} {unit})."
    net = result.get("net", "0")
    if float(result.get("gross") or 0) == 0 and float(result.get("refunds") or 0) == 0:
        return f"{when}: no revenue{who} yet — {usd(0)}."
    line = f"{when} you made {usd(net)} net{who}: {_by_type(by_type)}"
    refunds = float(result.get("refunds") or 0)
    if refunds:
        line += f"; {usd(result['refunds'])} refunded (gross {usd(result.get('gross'))})"
    paying = result.get("paying_fans")
    return line + (
        f". {paying} paying fan{'s' if paying != 1 else ''}." if paying is not None and not fan else "."
    )


def top_spenders(result: dict[str, Any]) -> str:
    fans = list(result.get("fans") or [])
    if result.get("ranked_by") == "lifetime spend":
        if not fans:
            return "You have no fans with spend yet."
        rows = [
            f"{i}. {f['name']} — {usd(f['lifetime_spend'])} ({f['spend_tier']})"
            for i, f in enumerate(fans, 1)
        ]
        return "Your top spenders by lifetime spend:\n" + "\n".join(rows)
    when = window_words(result)
    if not fans:
        return f"{when}: nobody has spent anything yet."
    rows = []
    for i, f in enumerate(fans, 1):
        detail = _by_type(f.get("by_type") or {})
        rows.append(f"{i}. {f['name']} — {usd(f['spent'])}" + (f" ({detail})" if detail else ""))
    ranked = str(result.get("ranked_by") or "")
    what = "tippers" if ranked.startswith("tip ") else "spenders"
    return f"Your top {what}, {when[0].lower() + when[1:]}:\n" + "\n".join(rows)


def subscription_flow(result: dict[str, Any]) -> str:
    net = int(result.get("net_change") or 0)
    return (
        f"{window_words(result)}: {result.get('new', 0)} new, {result.get('renewed', 0)} renewed, "
        f"{result.get('expired', 0)} expired, {result.get('cancelled', 0)} cancelled (auto-renew off), "
        f"{result.get('reactivated', 0)} reactivated — net {net:+d}. "
        f"{result.get('active_now', 0)} subscribers have access right now."
    )


def at_risk(result: dict[str, Any]) -> str:
    fans = list(result.get("fans") or [])
    if not fans:
        return f"Nobody has a churn-risk score of {result.get('min_score', 0.6)} or more right now."
    rows = []
    for f in fans:
        sub = f.get("subscription_status") or "no subscription"
        rows.append(
            f"{f['name']} ({usd(f['lifetime_spend'])}, {f['spend_tier']}, churn risk {f['churn_risk']:.2f}, {sub})"
        )
    return "At risk of churning: " + "; ".join(rows) + "."


def _minutes(value: Any) -> str:
    if value is None:
        return "—"
    minutes = float(value)
    if minutes < 90:
        return f"{minutes:g} min"
    hours = minutes / 60
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.0f} days"


def response_times(result: dict[str, Any]) -> str:
    turns = int(result.get("fan_turns") or 0)
    sla = result.get("sla_minutes", 60)
    waiting = (
        f"{result.get('unanswered_now', 0)} fans are waiting for a reply right now "
        f"({result.get('unanswered_over_sla', 0)} for longer than {sla} min"
        + (
            f"; the longest for {_minutes(result.get('oldest_waiting_minutes'))})."
            if result.get("unanswered_now")
            else ")."
        )
    )
    if not turns:
        return f"{window_words(result)}: no fan wrote in. {waiting}"
    return (
        f"{window_words(result)}: fans wrote {turns} times and got {result.get('replied', 0)} replies; median "
        f"reply time {_minutes(result.get('median_reply_minutes'))}, 90% within "
        f"{_minutes(result.get('p90_reply_minutes'))}. {result.get('within_sla', 0)} were answered within your "
        f"{sla}-minute target and {result.get('breaches', 0)} were not. {waiting}"
    )


def price_points(result: dict[str, Any]) -> str:
    points = list(result.get("points") or [])
    if not points:
        return f"{window_words(result)}: no PPV sales or offers on record."
    rows = []
    for p in points[:6]:
        row = f"{usd(p['price'])}: {p['purchases']} sold, {usd(p['revenue'])}"
        if p.get("unlock_rate") is not None:
            row += f", {p['unlocked']}/{p['offers_sent']} offers unlocked"
        rows.append(row)
    best = result.get("best_by_revenue")
    line = (
        f"PPV prices, {window_words(result)[0].lower() + window_words(result)[1:]}: " + "; ".join(rows) + "."
    )
    if best:
        line += f" Best by revenue: {usd(best)}."
    if result.get("best_by_unlock_rate"):
        line += f" Best unlock rate: {usd(result['best_by_unlock_rate'])}."
    return line


def _knowledge(result: dict[str, Any]) -> list[str]:
    items = [str(m["text"]) for m in result.get("memories") or []]
    items += [f"note: {n['text']}" for n in result.get("notes") or []]
    return items


def memories(fan: dict[str, Any], result: dict[str, Any]) -> str:
    known = _knowledge(result)
    if not known:
        return f"I don't have anything remembered about {fan_label(fan)} yet."
    return f"What I know about {fan_label(fan)}:\n" + "\n".join(f"- {k}" for k in known)


def topic(fan: dict[str, Any], result: dict[str, Any], about: str) -> str:
    hits = result.get("matches") or []
    if hits:
        quoted = "; ".join(
            f"“{h['text']}”" + (" (a note)" if h.get("source") == "note" else "") for h in hits
        )
        return f"Yes — {fan_short(fan)}, {about}: {quoted}."
    known = _knowledge(result)
    line = f"I don't have a {about} on record for {fan_label(fan)}."
    if known:
        line += " What I do know: " + "; ".join(known[:4]) + "."
    return line


def many_memories(lookup: dict[str, Any], results: Sequence[dict[str, Any]], *, about: str | None) -> str:
    """One short answer per fan who has the name, then the question which one."""
    by_id = {str(r.get("fan_id")): r for r in results}
    candidates = list(lookup.get("candidates") or [])
    lines = []
    found = 0
    for i, c in enumerate(candidates, start=1):
        r = by_id.get(str(c.get("fan_id")), {})
        if about:
            hits = [h["text"] for h in r.get("matches") or []]
            found += bool(hits)
            said = "; ".join(f"“{h}”" for h in hits) if hits else f"no {about} on record"
        else:
            known = _knowledge(r)
            found += bool(known)
            said = "; ".join(known[:3]) if known else "nothing remembered yet"
        lines.append(f"{i}. {fan_label(c)}: {said}")
    head = f"{len(candidates)} fans are called {lookup.get('query')}"
    if about:
        head += f"; {found} of them {'has' if found == 1 else 'have'} a {about} on record"
    return head + ". Which one do you mean?\n" + "\n".join(lines)


def queued(result: dict[str, Any], what: str) -> str:
    flags = [f for f in result.get("flags") or [] if isinstance(f, dict)]
    line = f"Queued {what} for your approval — nothing is sent until you approve it here or in the inbox."
    blocking = [f for f in flags if f.get("severity") == "block"]
    if blocking:
        line += (
            " It is blocked until you edit it: " + "; ".join(str(f.get("message")) for f in blocking) + "."
        )
    elif flags:
        line += " Check: " + "; ".join(str(f.get("message") or f.get("code")) for f in flags) + "."
    return line
