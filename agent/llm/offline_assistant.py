"""The offline model's assistant skill: a creator's request → tool calls → an answer from their results.

No language understanding: keyword rules (`agent/llm/assistant_parse.py`) pick what the request is
about; a handler decides, from the results the tools returned so far in this turn, the next tool
calls or the final answer (`agent/llm/assistant_answers.py`), so every number in an answer is one a
tool computed. Rules that hold whatever the request:

- a name several fans share is asked about before anything is written or queued; the next message
  can pick one ("the whale one", "2", "@chef_sam") and the earlier request then goes ahead;
- a question only reads ("what do you remember about Tyler?" never stores a memory);
- what it cannot do, it says, and touches nothing.

`OfflineAssistantModel` is the `BaseChatModel` with this skill (tool calling, token streaming); the
assistant graph uses it whenever no provider is configured for the `assistant` task.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolCall, ToolMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from agent.llm import assistant_answers as say
from agent.llm.assistant_parse import (
    KIND_WORDS,
    fact_to_remember,
    fan_name,
    is_question,
    offer_thing,
    parse_count,
    parse_kind,
    parse_period,
    parse_price,
    pick_candidate,
    picks_nobody,
    quoted_or_saying,
    rx,
    teaser,
    tells_a_fact,
    usd,
)

OFFLINE_ASSISTANT_NAME = "fanpilot-offline-assistant-2"
OFFLINE_PREFIX = say.OFFLINE_PREFIX
AT_RISK_RULE: dict[str, Any] = {"field": "score:churn_risk", "op": "gte", "value": 0.6}
WINBACK_TEXT = "I've missed you around here 💕 I saved something special for you if you come back this week."
MAX_AMBIGUOUS_READS = 6

Reply = list[dict[str, Any]] | str  # tool calls to make now, or the final answer


# ------------------------------------------------------------------------------------------- the turn


@dataclass
class Turn:
    """What the planner knows when it is asked for the next message."""

    request: str  # the request being served (an earlier one, when this message picks a fan)
    message: str  # the latest thing the user said
    results: list[dict[str, Any]]  # this turn's tool results, oldest first; each has "tool" and "_args"
    tools: frozenset[str]
    names: list[str] = field(default_factory=list)
    fan: dict[str, Any] | None = None  # the fan a follow-up picked from "which one?"
    unresolved: dict[str, Any] | None = None  # the earlier ambiguous lookup, not answered yet

    def result(self, tool: str, **args: Any) -> dict[str, Any] | None:
        for r in reversed(self.results):
            if r["tool"] == tool and all(str(r["_args"].get(k)) == str(v) for k, v in args.items()):
                return r
        return None

    def all_of(self, tool: str) -> list[dict[str, Any]]:
        return [r for r in self.results if r["tool"] == tool]


def call(tool: str, **args: Any) -> dict[str, Any]:
    return {"tool": tool, "args": args}


def _parse(content: str) -> dict[str, Any]:
    try:
        parsed: Any = json.loads(content)
    except json.JSONDecodeError:
        return {"error": content}
    return dict(parsed) if isinstance(parsed, dict) else {"items": parsed}


def _results(messages: Sequence[BaseMessage], start: int) -> list[dict[str, Any]]:
    args_by_id: dict[str, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for m in messages[start:]:
        if isinstance(m, AIMessage):
            for c in m.tool_calls:
                args_by_id[str(c.get("id"))] = dict(c.get("args") or {})
        elif isinstance(m, ToolMessage):
            result = _parse(str(m.content))
            result["tool"] = m.name or ""
            result["_args"] = args_by_id.get(str(m.tool_call_id), {})
            out.append(result)
    return out


def _fan_names(messages: Sequence[BaseMessage]) -> list[str]:
    for m in messages:
        if m.type == "system":
            found = re.search(r"Fans you can name: (.*)", str(m.content))
            if found:
                return [n.strip() for n in found.group(1).split(",") if n.strip() and n.strip() != "(none)"]
    return []


_PRONOUN = re.compile(r"\b(he|him|his|she|her|hers)\b", re.I)


def _last_fan(messages: Sequence[BaseMessage]) -> dict[str, Any] | None:
    """The fan the latest fan tool call was about, as a lookup described them."""
    known: dict[str, dict[str, Any]] = {}
    last: str | None = None
    for r in _results(messages, 0):
        if r["tool"] == "find_fan":
            for c in [r.get("fan"), *(r.get("candidates") or [])]:
                if isinstance(c, dict) and c.get("fan_id"):
                    known[str(c["fan_id"])] = c
        if r["_args"].get("fan_id"):
            last = str(r["_args"]["fan_id"])
    return known.get(last) if last else None


def read_turn(messages: Sequence[BaseMessage], tool_names: Sequence[str]) -> Turn:
    humans = [i for i, m in enumerate(messages) if m.type == "human"]
    last = humans[-1] if humans else -1
    message = str(messages[last].content) if last >= 0 else ""
    turn = Turn(
        request=message,
        message=message,
        results=_results(messages, last + 1),
        tools=frozenset(tool_names),
        names=_fan_names(messages),
    )
    if len(humans) < 2:
        return turn
    if _PRONOUN.search(message) and not fan_name(message, turn.names):
        # "how much did he tip me?": the fan the conversation was last about.
        turn.fan = _last_fan(messages[:last])
    # Did the previous turn end asking "which one?"? Then this message may be the answer.
    before = humans[-2]
    asked = next(
        (r for r in reversed(_results(messages[:last], before + 1)) if r["tool"] == "find_fan"), None
    )
    if asked is None or asked.get("status") != "ambiguous":
        return turn
    picked = pick_candidate(message, asked.get("candidates") or [])
    earlier = str(messages[before].content)
    if picked is not None:
        turn.request, turn.fan = earlier, picked
    elif _intent(message, turn.names) is None or (picks_nobody(message) and len(message.split()) <= 4):
        # Not a new request: an answer that names nobody, or "never mind".
        turn.request, turn.unresolved = earlier, asked
    return turn


# ------------------------------------------------------------------------------------------- fans by name


def with_fan(turn: Turn, name: str, act: Callable[[dict[str, Any]], Reply], *, doing: str,
             many: Callable[[dict[str, Any]], Reply] | None = None) -> Reply:  # fmt: skip
    """Resolve the name to one fan, then act; when several fans share it, ask which one (`many`
    lets a read answer for each of them instead)."""
    if turn.fan is not None:
        return act(turn.fan)
    if "find_fan" not in turn.tools:
        return "I can't look up fans with your login (it has no inbox:read access), so I can't do that."
    lookup = turn.result("find_fan")
    if lookup is None:
        return [call("find_fan", name=name)]
    if "error" in lookup:
        return f"I couldn't look up {name}: {lookup['error']}"
    if lookup.get("status") == "not_found":
        return (
            f"I can't find a fan called {name}. Check the spelling, or ask me to list fans by tag or spend."
        )
    if lookup.get("status") == "ambiguous":
        return many(lookup) if many is not None else say.which_one(lookup, doing=doing)
    return act(dict(lookup["fan"]))


def _needs(turn: Turn, tool: str, what: str) -> str | None:
    if tool in turn.tools:
        return None
    if tool in {"revenue_summary", "list_top_spenders", "subscription_flow", "list_at_risk_fans",
                "response_times", "ppv_price_points"}:  # fmt: skip
        return f"I can't show {what} with your login: it has no access to numbers (analytics:read)."
    return f"I can't {what} with your login (the {tool} tool is not available to you)."


def _error(result: dict[str, Any], doing: str) -> str | None:
    if "error" not in result:
        return None
    detail = result.get("detail") or result["error"]
    return f"I couldn't {doing}: {detail}"


# ------------------------------------------------------------------------------------------- handlers


def h_capabilities(turn: Turn) -> Reply:
    return say.CAPABILITIES


_CANNOT: tuple[tuple[re.Pattern[str], str], ...] = (
    (rx(r"\b(delete|erase|wipe|remove|purge)\b.*\b(fans?|everyone|account|subscribers|all)\b"),
     "I can't delete fans from the chat (erasing a fan's data is an admin action, and it is not undoable)."),
    (rx(r"\brefund", r"\bchargeback", r"\breembols", r"\bremboursement", r"\berstatt"),
     "I can't issue refunds: money moves only on the platform itself."),
    (rx(r"\b(ban|block|kick|unsubscribe|restrict)\b"),
     "I can't block or remove fans from your page; do that on the platform."),
    (rx(r"\b(weather|forecast|news|stock|bitcoin|crypto|sports? scores?)\b"),
     "I can't look that up: I only know your fans, your money and your messages in Fanpilot."),
    (rx(r"\b(withdraw|payout|bank|transfer money|wire)\b"),
     "I can't move money or touch payouts; that happens on the platform."),
    (rx(r"\bpassword\b", r"\blog ?in (to|as)\b"),
     "I can't sign in anywhere or handle passwords."),
    (rx(r"\b(post|share|upload)\b.*\b(instagram|tiktok|twitter|x\.com|reddit|snapchat|youtube)\b"),
     "I can't post on other apps; I can only schedule posts on your page here (after you approve them)."),
    (rx(r"\b(call|phone|facetime|video ?call|skype|meet up with|meet)\b\s+(@?[A-Za-z])", r"\bemail\b"),
     "I can't call, email or meet fans; I can only queue chat messages on the platform for your approval."),
    (rx(r"\b(subscription|sub) price\b", r"\bfree (month|trial|sub(scription)?)\b", r"\bdiscount (code|link)\b"),
     "I can't change subscription prices or hand out free months; set those on the platform."),
)  # fmt: skip


def cannot(text: str) -> str | None:
    for pattern, why in _CANNOT:
        if pattern.search(text):
            return why
    return None


def h_cannot(turn: Turn) -> Reply:
    why = cannot(turn.request) or "I can't do that."
    return f"{why} Nothing was changed. {say.CAPABILITIES}"


def h_unknown(turn: Turn) -> Reply:
    return f"I can't help with that here. {say.CAPABILITIES}"


def _period(turn: Turn, default: str) -> dict[str, Any]:
    spec = parse_period(turn.request)
    return spec.args() if spec else {"period": default}


def h_revenue(turn: Turn) -> Reply:
    if (missing := _needs(turn, "revenue_summary", "revenue")) is not None:
        return missing
    kind = parse_kind(turn.request)
    name = _named(turn)
    args = _period(turn, "all_time")

    def for_fan(fan: dict[str, Any] | None) -> Reply:
        extra = {"fan_id": fan["fan_id"]} if fan else {}
        result = turn.result("revenue_summary")
        if result is None:
            return [call("revenue_summary", **args, **extra)]
        return _error(result, "get your revenue") or say.revenue(result, kind=kind, fan=fan)

    if name and not _means_everyone(turn.request):
        return with_fan(turn, name, for_fan, doing="looked anything up", many=None)
    return for_fan(None)


def _named(turn: Turn) -> str | None:
    """The fan the request names, or the one its pronoun stands for (picked or talked about before)."""
    named = fan_name(turn.request, turn.names)
    if named is None and turn.fan is not None and _PRONOUN.search(turn.request):
        return str(turn.fan["name"])
    return named or (str(turn.fan["name"]) if turn.fan is not None else None)


def _means_everyone(text: str) -> bool:
    return bool(re.search(r"\b(fans|everyone|all of them|in total)\b", text, re.I))


def h_top_spenders(turn: Turn) -> Reply:
    if (missing := _needs(turn, "list_top_spenders", "your top spenders")) is not None:
        return missing
    result = turn.result("list_top_spenders")
    if result is None:
        spec = parse_period(turn.request)
        args: dict[str, Any] = {"limit": parse_count(turn.request, 5)}
        if spec is not None and spec.period != "all_time":
            args.update(spec.args())
        if (kind := parse_kind(turn.request)) is not None and spec is not None:
            args["kind"] = kind
        return [call("list_top_spenders", **args)]
    return _error(result, "rank your spenders") or say.top_spenders(result)


def h_subscriptions(turn: Turn) -> Reply:
    if (missing := _needs(turn, "subscription_flow", "your subscriber numbers")) is not None:
        return missing
    result = turn.result("subscription_flow")
    if result is None:
        return [call("subscription_flow", **_period(turn, "this_month"))]
    return _error(result, "count your subscribers") or say.subscription_flow(result)


def h_response_times(turn: Turn) -> Reply:
    if (missing := _needs(turn, "response_times", "reply times")) is not None:
        return missing
    result = turn.result("response_times")
    if result is None:
        return [call("response_times", **_period(turn, "last_7_days"))]
    return _error(result, "measure reply times") or say.response_times(result)


def h_prices(turn: Turn) -> Reply:
    if (missing := _needs(turn, "ppv_price_points", "PPV price history")) is not None:
        return missing
    results = turn.all_of("ppv_price_points")
    if not results:
        return [call("ppv_price_points", **_period(turn, "last_90_days"))]
    last = results[-1]
    if (err := _error(last, "read your PPV history")) is not None:
        return err
    if not last.get("points") and len(results) == 1 and parse_period(turn.request) is None:
        return [call("ppv_price_points", period="all_time")]  # nothing recent: look at all history
    return say.price_points(last)


def h_at_risk(turn: Turn) -> Reply:
    if (missing := _needs(turn, "list_at_risk_fans", "who is at risk")) is not None:
        return missing
    listed = turn.result("list_at_risk_fans")
    if listed is None:
        return [call("list_at_risk_fans", limit=10)]
    if (err := _error(listed, "list fans at risk")) is not None:
        return err
    answer = say.at_risk(listed)
    if not _SEND.search(turn.request) or not listed.get("fans"):
        return answer
    segment = turn.result("create_segment")
    if segment is None:
        return [call("create_segment", name="At risk of churning", rules=AT_RISK_RULE)]
    if (err := _error(segment, "make the segment")) is not None:
        return f"{answer} {err}"
    sent = turn.result("create_broadcast")
    if sent is None:
        return [call("create_broadcast", segment_id=segment["segment"]["id"], text=WINBACK_TEXT)]
    members = segment["segment"].get("members")
    return f"{answer} " + (
        _error(sent, "queue the win-back broadcast")
        or say.queued(
            sent, f"a win-back broadcast to the {members} fans of the segment “At risk of churning”"
        )
    )


def _topic(text: str) -> str | None:
    for topic, pattern in (
        ("birthday", rx(r"birthday", r"\bborn\b", r"\bbday\b", r"cumplea[ñn]os", r"geburtstag", r"anniversaire",
                        r"anivers[aá]rio")),
        ("pet", rx(r"\bpets?\b", r"\bdog\b", r"\bcat\b")),
        ("job", rx(r"\bjob\b", r"\bwork(s)? as\b", r"\bwhat does \w+ do\b")),
        ("hometown", rx(r"\bwhere (is|does) \w+ (from|live)\b", r"\bhometown\b")),
    ):  # fmt: skip
        if pattern.search(text):
            return topic
    return None


def h_memories(turn: Turn) -> Reply:
    """A question about what we know: reads memories and notes, never writes."""
    name = _named(turn)
    if not name:
        return "Which fan do you mean? Tell me their name and I'll tell you what I remember."
    if (missing := _needs(turn, "fan_memories", "read what I remember")) is not None:
        return missing
    about = _topic(turn.request)

    def one(fan: dict[str, Any]) -> Reply:
        result = turn.result("fan_memories", fan_id=fan["fan_id"])
        if result is None:
            return [call("fan_memories", fan_id=fan["fan_id"], **({"about": about} if about else {}))]
        if (err := _error(result, f"read what I know about {fan['name']}")) is not None:
            return err
        return say.topic(fan, result, about) if about else say.memories(fan, result)

    def each(lookup: dict[str, Any]) -> Reply:
        candidates = list(lookup.get("candidates") or [])[:MAX_AMBIGUOUS_READS]
        pending = [c for c in candidates if turn.result("fan_memories", fan_id=c["fan_id"]) is None]
        if pending:
            return [
                call("fan_memories", fan_id=c["fan_id"], **({"about": about} if about else {}))
                for c in pending
            ]
        return say.many_memories(
            {**lookup, "candidates": candidates}, turn.all_of("fan_memories"), about=about
        )

    return with_fan(turn, name, one, doing="looked anything up", many=each)


def h_fan_write(turn: Turn, tool: str, args: dict[str, Any], done: Callable[[dict[str, Any], dict[str, Any]], str],
                *, name: str, doing: str) -> Reply:  # fmt: skip
    if (missing := _needs(turn, tool, doing)) is not None:
        return missing

    def act(fan: dict[str, Any]) -> Reply:
        result = turn.result(tool)
        if result is None:
            return [call(tool, fan_id=fan["fan_id"], **args)]
        return _error(result, doing) or done(fan, result)

    return with_fan(turn, name, act, doing=doing)


def h_tag(turn: Turn, name: str, tag: str) -> Reply:
    return h_fan_write(turn, "tag_fan", {"tag": tag}, lambda f, r: f"Tagged {f['name']} as {r.get('tag', tag)}.",
                       name=name, doing="tagged anyone")  # fmt: skip


def h_untag(turn: Turn, name: str, tag: str) -> Reply:
    def done(fan: dict[str, Any], result: dict[str, Any]) -> str:
        return (
            f"Removed the tag {tag} from {fan['name']}."
            if result.get("removed")
            else f"{fan['name']} had no tag {tag}."
        )

    return h_fan_write(turn, "untag_fan", {"tag": tag}, done, name=name, doing="removed any tag")


def h_note(turn: Turn, name: str) -> Reply:
    body = quoted_or_saying(turn.request) or turn.request
    return h_fan_write(turn, "add_note", {"body": body}, lambda f, r: f"Added a note on {f['name']}: “{body}”.",
                       name=name, doing="added a note")  # fmt: skip


def h_remember(turn: Turn, name: str) -> Reply:
    fact = fact_to_remember(turn.request)
    kind = "key_date" if _topic(fact) == "birthday" else "personal_detail"
    return h_fan_write(turn, "remember_fact", {"text": fact, "kind": kind},
                       lambda f, r: f"I'll remember that about {f['name']}: “{fact}”.",
                       name=name, doing="stored anything")  # fmt: skip


def h_send_ppv(turn: Turn, name: str) -> Reply:
    if (missing := _needs(turn, "send_ppv_offer", "queue a PPV offer")) is not None:
        return missing
    price = parse_price(turn.request)

    def act(fan: dict[str, Any]) -> Reply:
        chosen = price
        note = ""
        if chosen is None:
            history = turn.result("ppv_price_points")
            if history is None and "ppv_price_points" in turn.tools:
                return [call("ppv_price_points", period="all_time", limit=3)]
            best = (history or {}).get("best_by_revenue")
            if not best:
                return f"What price should the PPV for {fan['name']} have? Tell me and I'll queue it."
            chosen = float(best)
            note = f" I priced it at {usd(best)}, your best-selling PPV price; edit the card to change it."
        offer = turn.result("send_ppv_offer")
        if offer is None:
            thing = offer_thing(turn.request, name)
            return [call("send_ppv_offer", fan_id=fan["fan_id"], price=chosen, text=teaser(thing))]
        return (
            _error(offer, f"queue the PPV for {fan['name']}")
            or say.queued(offer, f"a {usd(chosen)} PPV offer to {say.fan_short(fan)}") + note
        )

    return with_fan(turn, name, act, doing="queued anything")


def h_send_message(turn: Turn, name: str) -> Reply:
    if (missing := _needs(turn, "send_message", "queue a message")) is not None:
        return missing
    text = quoted_or_saying(turn.request)

    def act(fan: dict[str, Any]) -> Reply:
        if not text:
            return f"What should the message to {fan['name']} say? Nothing was queued."
        sent = turn.result("send_message")
        if sent is None:
            return [call("send_message", fan_id=fan["fan_id"], text=text)]
        return _error(sent, f"queue the message to {fan['name']}") or say.queued(
            sent, f"a message to {say.fan_short(fan)}: “{text}”"
        )

    return with_fan(turn, name, act, doing="queued anything")


def h_fan_read(turn: Turn, name: str, tool: str, args: dict[str, Any]) -> Reply:
    if (missing := _needs(turn, tool, "look that up")) is not None:
        return missing

    def act(fan: dict[str, Any]) -> Reply:
        result = turn.result(tool)
        if result is None:
            return [call(tool, fan_id=fan["fan_id"], **args)]
        return _error(result, f"look up {fan['name']}") or _fan_read_line(tool, fan, result)

    return with_fan(turn, name, act, doing="looked anything up")


def _fan_read_line(tool: str, fan: dict[str, Any], result: dict[str, Any]) -> str:
    if tool == "get_transactions":
        recent = result.get("transactions") or []
        kinds = ", ".join(
            f"{KIND_WORDS.get(k, k)} {usd(v)}" for k, v in (result.get("spend_by_kind") or {}).items()
        )
        latest = "; ".join(f"{KIND_WORDS.get(t['kind'], t['kind'])} {usd(t['amount'])}" for t in recent[:5])
        return (
            f"{fan['name']} has spent {usd(result.get('lifetime_spend'))} in total ({result.get('spend_tier')})"
            + (f": {kinds}" if kinds else "")
            + (f". Latest: {latest}." if latest else ".")
        )
    if tool == "get_recent_messages":
        items = result.get("items") or []
        lines = [f"{m.get('from')}: {m.get('text')}" for m in items[-10:]]
        return f"{len(items)} recent messages with {fan['name']}" + (
            ":\n" + "\n".join(lines) if lines else "."
        )
    sub = result.get("subscription") or {}
    tags = ", ".join(t.get("tag", "") for t in result.get("tags") or []) or "none"
    notes = [str(n.get("body") or "").rstrip(". ") for n in result.get("pinned_notes") or []]
    return (
        f"{say.fan_label(fan)}; subscription {sub.get('status', 'none')}; tags {tags}"
        + (f"; notes: {'; '.join(str(n) for n in notes)}" if notes else "")
        + "."
    )


def h_custom_price(turn: Turn, name: str, price: float) -> Reply:
    def act(fan: dict[str, Any]) -> Reply:
        dossier = turn.result("get_fan_dossier")
        if dossier is None:
            return [call("get_fan_dossier", fan_id=fan["fan_id"])]
        requests = dossier.get("open_custom_requests") or []
        if not requests:
            return f"{fan['name']} has no open custom request to price."
        quoted = turn.result("update_custom_request_price")
        if quoted is None:
            return [call("update_custom_request_price", custom_request_id=requests[0]["id"], price=price)]
        return _error(quoted, "queue the quote") or say.queued(
            quoted,
            f"a {usd(price)} quote for {fan['name']}'s custom request (“{requests[0].get('description')}”)",
        )

    return with_fan(turn, name, act, doing="quoted anything")


# ------------------------------------------------------------------------------------------- segments


def _segment_from_spend(text: str) -> tuple[str, dict[str, Any]] | None:
    m = re.search(r"(?:over|more than|above|más de|über|plus de|mais de)\s*\$?\s?(\d+)", text, re.I)
    if m:
        amount = int(m.group(1))
        return f"Spent over ${amount}", {"field": "lifetime_spend", "op": "gt", "value": amount}
    if re.search(r"\bexpired\b|vencid|abgelaufen|expiré", text, re.I):
        return "Expired fans", {"field": "subscription_status", "op": "eq", "value": "expired"}
    if re.search(r"\bwhales?\b|ballenas", text, re.I):
        return "Whales", {"field": "spend_tier", "op": "eq", "value": "whale"}
    if re.search(r"\btipped\b|tippers|gorjeta|propina", text, re.I):
        return "Tippers", {"field": "lifetime_spend", "op": "gt", "value": 0}
    return None


def _broadcast_text(text: str) -> str:
    low = text.lower()
    if "thank" in low or "tipped" in low:
        return "Thank you for spoiling me 💕 you make all of this possible."
    if "comeback" in low or "expired" in low:
        return "It's been too quiet without you. Come back and see what's new 💕"
    m = re.search(r"about (?:the )?(.+)$", text, re.I)
    if m:
        return f"Something new just dropped: {m.group(1).strip().rstrip('.')} 💕"
    m = re.search(r"(?:ppv|set) of (?:the )?(.+?) (?:for|at) \$", text, re.I)
    if m:
        return f"Unlock {m.group(1).strip()} 💕"
    return "I've got something new for you 💕"


def h_segment(turn: Turn, seg_name: str, rule: dict[str, Any], *, broadcast: bool) -> Reply:
    segment = turn.result("create_segment")
    if segment is None:
        if (missing := _needs(turn, "create_segment", "make segments")) is not None:
            return missing
        return [call("create_segment", name=seg_name, rules=rule)]
    if (err := _error(segment, "make the segment")) is not None:
        return err
    info = segment["segment"]
    line = f"Segment “{info['name']}” has {info['members']} fans."
    if not broadcast:
        return line
    sent = turn.result("create_broadcast")
    if sent is None:
        args: dict[str, Any] = {
            "segment_id": info["id"],
            "text": quoted_or_saying(turn.request) or _broadcast_text(turn.request),
        }
        if (price := parse_price(turn.request)) is not None:
            args["price"] = price
        return [call("create_broadcast", **args)]
    return f"{line} " + (
        _error(sent, "queue the broadcast") or say.queued(sent, f"a broadcast to its {info['members']} fans")
    )


def h_who_mentioned(turn: Turn, topic: str) -> Reply:
    """Fans whose memories match a topic, across the creator's fans (hybrid memory search)."""
    if (missing := _needs(turn, "search_fan_memories", "search what fans told us")) is not None:
        return missing
    result = turn.result("search_fan_memories")
    if result is None:
        return [call("search_fan_memories", query=topic, limit=10)]
    if (err := _error(result, "search what fans told us")) is not None:
        return err
    hits = result if isinstance(result, list) else list(result.get("items") or [])
    if not hits:
        return f"No fan has mentioned {topic} as far as I remember."
    lines = []
    for hit in hits[:10]:
        said = "; ".join(str(m.get("text")) for m in (hit.get("memories") or [])[:2])
        lines.append(f"- {hit.get('name')}: {said}" if said else f"- {hit.get('name')}")
    return f"Fans who mentioned {topic}:\n" + "\n".join(lines)


def h_templates(turn: Turn) -> Reply:
    """The creator's message templates, by name."""
    if (missing := _needs(turn, "list_templates", "list your templates")) is not None:
        return missing
    result = turn.result("list_templates")
    if result is None:
        return [call("list_templates")]
    if (err := _error(result, "list your templates")) is not None:
        return err
    templates = list(result.get("templates") or []) if isinstance(result, dict) else []
    if not templates:
        return "You have no message templates yet."
    return "Your templates: " + ", ".join(str(t.get("name")) for t in templates) + "."


def h_list(turn: Turn, tool: str, args: dict[str, Any], label: str) -> Reply:
    if (missing := _needs(turn, tool, "list fans")) is not None:
        return missing
    result = turn.result(tool)
    if result is None:
        return [call(tool, **args)]
    if (err := _error(result, "list them")) is not None:
        return err
    if tool == "list_segments":
        items = result.get("items") or []
        return "Segments: " + (
            ", ".join(f"{s.get('name')} ({s.get('members')})" for s in items) or "none yet."
        )
    fans = result.get("fans") or []
    if not fans:
        return f"{label}: nobody."
    return (
        f"{label} ({len(fans)}): "
        + "; ".join(f"{f['name']} ({usd(f['lifetime_spend'])}, {f['spend_tier']})" for f in fans)
        + "."
    )


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _next_slot(text: str, *, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    low = text.lower()
    day = next((i for i, d in enumerate(_WEEKDAYS) if d in low), None)
    when = now + timedelta(days=1)
    if day is not None:
        when = now + timedelta(days=(day - now.weekday()) % 7 or 7)
    hour = 20
    m = re.search(r"\b(\d{1,2})\s*(am|pm)\b", low)
    if m:
        hour = int(m.group(1)) % 12 + (12 if m.group(2) == "pm" else 0)
    return when.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


def h_schedule(turn: Turn) -> Reply:
    result = turn.result("schedule_post")
    if result is None:
        if (missing := _needs(turn, "schedule_post", "schedule posts")) is not None:
            return missing
        caption = quoted_or_saying(turn.request) or turn.request
        return [call("schedule_post", text=caption, publish_at=_next_slot(turn.request))]
    return _error(result, "queue the post") or say.queued(result, "the post")


# ------------------------------------------------------------------------------------------- routing

_HELP = rx(r"what can you do", r"^\s*help\b", r"\bhow do(es)? (this|you) work", r"qué puedes hacer", r"was kannst du",
           r"que peux-tu faire", r"o que (você )?pode fazer", r"^\s*(hi|hey|hello|hola|hallo|salut|oi)\W*$")  # fmt: skip
_AT_RISK = rx(r"at[- ]risk", r"\bchurn", r"about to (leave|cancel|churn)", r"hasn'?t renewed|haven'?t renewed|not renewed",
              r"gefährdet", r"kündigen", r"risco de cancelar", r"en riesgo", r"risque de")  # fmt: skip
_SEND = rx(
    r"\bsend\b",
    r"\boffer\b",
    r"\bmessage\b",
    r"win[- ]?back",
    r"comeback",
    r"\bbroadcast",
    r"envía",
    r"schick",
)
_TOP = rx(r"\btop( \d+)? (spenders?|fans|customers|buyers|supporters|tippers)", r"biggest (spenders?|fans|tippers)",
          r"best (fans|customers|buyers|spenders)", r"who (spent|spends|paid|tipped|bought) (the )?most",
          r"(spent|tipped|paid) the most", r"most (valuable|loyal) fans", r"mejores fans", r"meilleurs fans",
          r"melhores fãs", r"besten fans", r"qui[eé]n(es)? gast[oó] m[aá]s", r"wer hat am meisten",
          r"qui a le plus d[ée]pens[ée]", r"quem gastou mais", r"\b(fans|subscribers) by (spend|spending|revenue)",
          r"\bhighest spend", r"spending the most", r"\brank (my )?(fans|subscribers)",
          r"\b(paid|spent|tipped|bought)( me)? (the )?most\b", r"\bwho('s| has) been spending",
          r"\bmost (money|spend)\b", r"\btop (earners|payers)\b")  # fmt: skip
_REVENUE = rx(r"\b(earn(ed|ings)?|made|make|revenue|income|sales|money|brought in|bring in|gross|net)\b",
              r"how much (did|have|do) i (get|receive|make)", r"\btotal\b.*\b(tips?|ppv|subscriptions?)\b",
              r"\b(tips?|ppv|subscriptions?)\b.*\btotal\b", r"\bganad[oa]|gan[eé]|ingresos|verdient|eingenommen|umsatz",
              r"\bgagn[ée]|revenus|chiffre d'affaires|ganhei|receita|faturei",
              r"\b(how much|cu[aá]nt[oa]s?|wie ?viel|combien|quanto)\b.*\b(tips?|propinas?|trinkgeld|pourboires?|gorjetas?|ppv)\b")  # fmt: skip
_SUBS = rx(r"\b(new|renewed|renewals?|expired|cancell?ed|lost|gained|reactivated)\b.{0,30}\b(subs|subscribers?|subscriptions?)\b",
           r"\b(subs|subscribers?|subscriptions?)\b.{0,30}\b(expired|renewed|cancell?ed|came in|joined|lost|gained|growth|churned|flow)\b",
           r"\bhow many (people|fans) (subscribed|renewed|unsubscribed)", r"\bsubscriber (growth|flow|count)",
           r"nuevos suscriptores|neue abonnenten|nouveaux abonnés|novos assinantes")  # fmt: skip
_RESPONSE = rx(r"\b(reply|replies|replying|respond|responding|response|answer(ing)?)\b.{0,40}\b(time|fast|slow|quick|long|speed|sla)\b",
               r"\bhow (fast|quickly|long)\b.{0,30}\b(reply|replies|respond|answer)", r"\bunanswered\b",
               r"\bwaiting (for|on) (a )?(reply|answer)", r"\bsla\b", r"tiempo de respuesta|antwortzeit|temps de réponse|tempo de resposta")  # fmt: skip
_PRICES = rx(r"\b(price|prices|pricing|charge)\b.{0,40}\b(ppv|sell|sells|selling|best|work|works|convert)",
             r"\b(ppv)\b.{0,40}\b(price|prices|pricing)\b", r"what should i charge", r"best price",
             r"price points?")  # fmt: skip
_MEMORY_Q = rx(r"\bremember(ed)?\b", r"\brecall(ed)?\b", r"\bknow about\b", r"\bknown about\b", r"\bon file\b", r"\bknow\b.*\babout\b", r"\btold (us|me|you)\b",
               r"\bwhat do (we|you) know\b", r"\bwhat('s| is) (on file|noted)\b", r"recuerdas|weißt du|erinnerst|te souviens|lembra")  # fmt: skip
_SEGMENT_LIST = rx(r"(list|show)( me)? (my |all )?segments", r"which segments", r"my segments")
_TEMPLATES = rx(
    r"\btemplates?\b", r"\bplantillas?\b", r"\bvorlagen?\b", r"\bmodèles?\b", r"\bmodelos? de mensagem"
)
# "which fans mentioned hiking?", "who talked about dogs", "any fans into yoga?": the topic after the verb.
_WHO_MENTIONED = re.compile(
    r"\b(?:which|what|any|who(?:\s+of\s+my\s+fans)?|fans?\s+who)\b[\w\s]{0,20}?\b"
    r"(?:mention(?:ed|s)?|talk(?:ed|s)?\s+about|said\s+(?:anything\s+)?about|told\s+(?:me|us)\s+about|"
    r"(?:(?:is|are)\s+)?into|(?:(?:is|are)\s+)?interested\s+in|love[sd]?|likes?|liked)\s+(?P<topic>[^?!.]{2,60})",
    re.I,
)
_SCHEDULE = rx(r"schedule (a )?post", r"programa(r)? (un )?post", r"plane (einen )?post")


def _intent(
    text: str, names: Sequence[str], *, context_fan: str | None = None
) -> Callable[[Turn], Reply] | None:
    """The handler for a request, or None when nothing matches. `context_fan` is the fan a pronoun
    in the request stands for."""
    low = text.lower()
    name = fan_name(text, names) or (context_fan if _PRONOUN.search(text) else None)
    price = parse_price(text)
    if not text.strip() or _HELP.search(text):
        return h_capabilities
    m = re.search(r"remove (?:the )?#?([\w-]+) tag from " + r"(@?[\w.'-]+(?: [A-Z]\.)?)", text, re.I)
    if m:
        untag_name, tag = m.group(2), m.group(1)
        return lambda t: h_untag(t, untag_name, tag)
    if cannot(text):
        return h_cannot
    if _AT_RISK.search(text):
        return h_at_risk
    m = re.search(
        r"\b(?:tag|etiqueta(?:r)?(?: a)?|markiere)\s+(@?[\w.'-]+(?: [A-Z]\.)?)\s+(?:as|como|als|comme)\s+#?([\w-]+)",
        text,
        re.I,
    )
    if m:
        tag_name, tag = m.group(1), m.group(2)
        return lambda t: h_tag(t, tag_name, tag)
    if re.search(r"\b(note|nota|notiz)\b", low) and name:
        return lambda t: h_note(t, name)
    mentioned = _WHO_MENTIONED.search(text)
    if mentioned and not name:
        topic = mentioned.group("topic").strip()
        return lambda t: h_who_mentioned(t, topic)
    if _MEMORY_Q.search(text) or (name and _topic(text) and is_question(text)):
        if name and tells_a_fact(text):
            return lambda t: h_remember(t, name)
        return h_memories
    if re.search(r"custom request", low) and name and price is not None:
        return lambda t: h_custom_price(t, name, price)
    segment = _segment_from_spend(text)
    wants_broadcast = bool(
        re.search(
            r"broadcast|everyone|message (all|my)|send (my|them|a thank)|segment .* send|send .* segment", low
        )
    )
    if (
        segment is not None
        and (wants_broadcast or re.search(r"\b(send|message|draft)\b", low))
        and ("segment" not in low or wants_broadcast or "send" in low)
    ):
        seg_name, rule = segment
        return lambda t: h_segment(t, seg_name, rule, broadcast=True)
    if segment is not None and re.search(r"segment|segmento|liste", low):
        seg_name, rule = segment
        return lambda t: h_segment(t, seg_name, rule, broadcast=False)
    if _SCHEDULE.search(text):
        return h_schedule
    if name and re.search(r"\b(ppv|pay[- ]per[- ]view|offer|unlock|sell)\b", low):
        return lambda t: h_send_ppv(t, name)
    if name and re.search(r"\b(send|message|text|write|dm)\b", low):
        return lambda t: h_send_message(t, name)
    if name and re.search(r"recent messages|last messages|chat with|conversation with", low):
        return lambda t: h_fan_read(t, name, "get_recent_messages", {"limit": 10})
    if _SUBS.search(text):
        return h_subscriptions
    if _RESPONSE.search(text):
        return h_response_times
    if _PRICES.search(text):
        return h_prices
    if _TOP.search(text):
        return h_top_spenders
    if _REVENUE.search(text) or (
        parse_kind(text) and (re.search(r"\bhow much\b", low) or parse_period(text))
    ):
        if name and not parse_period(text) and not _means_everyone(text):
            return lambda t: h_fan_read(t, name, "get_transactions", {"limit": 10})
        return h_revenue
    if name and re.search(r"spent|spend|buy|bought|gastado|ausgegeben|dépensé|gastou|comprou", low):
        return lambda t: h_fan_read(t, name, "get_transactions", {"limit": 10})
    if name and re.search(r"tell me about|who is|dossier|profile|info", low):
        return lambda t: h_fan_read(t, name, "get_fan_dossier", {})
    m = re.search(r"tagged #?([\w-]+)|with (?:the )?tag #?([\w-]+)", low)
    if m:
        tag = m.group(1) or m.group(2)
        return lambda t: h_list(t, "list_fans", {"tag": tag}, f"Fans tagged {tag}")
    m = re.search(r"\b(trial|expired|cancelled|active)\b", low)
    if m and re.search(r"how many|which|who|list|fans", low):
        status = m.group(1)
        return lambda t: h_list(
            t, "list_fans", {"subscription_status": status}, f"Fans with a {status} subscription"
        )
    if _SEGMENT_LIST.search(text):
        return lambda t: h_list(t, "list_segments", {}, "Segments")
    if _TEMPLATES.search(text) and not name:
        return h_templates
    if name:
        return lambda t: h_fan_read(t, name, "get_fan_dossier", {})
    return None


def respond(turn: Turn) -> Reply:
    if turn.unresolved is not None:
        if picks_nobody(turn.message):
            return f"OK — I won't do anything for {turn.unresolved.get('query')}."
        return "I still can't tell which one you mean. " + say.which_one(
            turn.unresolved, doing="done anything"
        )
    context = str(turn.fan["name"]) if turn.fan else None
    handler = _intent(turn.request, turn.names, context_fan=context) or h_unknown
    return handler(turn)


# ------------------------------------------------------------------------------------------- the model


def plan(request: str, *, fan_names: Sequence[str] = (), tools: Sequence[str] | None = None) -> list[str]:
    """The first tool calls a request leads to (a test and debugging aid): tool names, in order."""
    turn = Turn(
        request=request,
        message=request,
        results=[],
        tools=frozenset(tools or _ALL_TOOLS),
        names=list(fan_names),
    )
    reply = respond(turn)
    return [] if isinstance(reply, str) else [c["tool"] for c in reply]


_ALL_TOOLS = (
    "find_fan", "fan_memories", "search_fans", "get_fan_dossier", "get_recent_messages", "get_transactions",
    "recall_memories", "list_segments", "add_note", "tag_fan", "untag_fan", "remember_fact", "send_message",
    "send_ppv_offer", "create_broadcast", "schedule_post", "update_custom_request_price", "revenue_summary",
    "list_top_spenders", "subscription_flow", "list_at_risk_fans", "response_times", "ppv_price_points",
    "list_fans", "create_segment", "list_templates", "search_fan_memories",
)  # fmt: skip


def next_message(messages: Sequence[BaseMessage], tool_names: Sequence[str]) -> AIMessage:
    """The next assistant message: the next tool calls, or the final answer."""
    turn = read_turn(messages, tool_names)
    reply = respond(turn)
    meta = {"model_name": OFFLINE_ASSISTANT_NAME}
    if isinstance(reply, str):
        return AIMessage(content=OFFLINE_PREFIX + reply, response_metadata=meta)
    calls = []
    for n, c in enumerate(reply):
        digest = hashlib.sha1(
            json.dumps(
                [turn.message, len(turn.results), n, c["tool"], c["args"]], sort_keys=True, default=str
            ).encode()
        ).hexdigest()
        calls.append(ToolCall(name=c["tool"], args=c["args"], id=f"offline_{digest[:16]}", type="tool_call"))
    return AIMessage(content="", tool_calls=calls, response_metadata=meta)


def _tool_name(tool: dict[str, Any]) -> str:
    return str(tool.get("function", {}).get("name") or tool.get("name") or "")


class OfflineAssistantModel(BaseChatModel):
    """The offline model's assistant skill: deterministic tool routing, no key, no network."""

    model_name: str = OFFLINE_ASSISTANT_NAME
    is_offline: bool = True

    @property
    def _llm_type(self) -> str:
        return "fanpilot-offline-assistant"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        names = [_tool_name(t) for t in kwargs.get("tools") or []]
        return ChatResult(generations=[ChatGeneration(message=next_message(messages, names))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """The same message, delivered the way a hosted model streams: word by word, tool calls whole."""
        names = [_tool_name(t) for t in kwargs.get("tools") or []]
        message = next_message(messages, names)
        meta = dict(message.response_metadata)
        if message.tool_calls:
            chunks = [
                tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
                for i, c in enumerate(message.tool_calls)
            ]
            yield ChatGenerationChunk(
                message=AIMessageChunk(content="", tool_call_chunks=chunks, response_metadata=meta)
            )
            return
        # LangChain reports each chunk to the callbacks (LangGraph's token stream) itself.
        for piece in re.findall(r"\S+\s*|\s+", str(message.content)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
        yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=meta))

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)
