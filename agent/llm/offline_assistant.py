"""Assistant routing for the offline model: a creator's request → a deterministic plan of tool calls.

The offline model has no language understanding, so it plans from keywords (English, Spanish, German,
French, Portuguese): each request maps to a short list of tool steps; a step's arguments may use the
results of the steps before it. When every step has a result, it answers with the tools' summaries.
`OfflineAssistantModel` is the offline `BaseChatModel` with this skill; the assistant graph uses it
whenever the provider for the `assistant` task is the offline model.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolCall, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

OFFLINE_ASSISTANT_NAME = "fanpilot-offline-assistant-1"
OFFLINE_PREFIX = "(Offline model, rule-based.) "

AT_RISK_RULE: dict[str, Any] = {
    "any": [
        {"field": "score:churn_risk", "op": "gte", "value": 0.6},
        {"field": "subscription_status", "op": "in", "value": ["cancelled", "expired"]},
    ]
}
WINBACK_TEXT = "I've missed you around here 💕 I saved something special for you if you come back this week."

ArgsFn = Callable[[list[dict[str, Any]]], dict[str, Any]]


@dataclass(frozen=True)
class Step:
    tool: str
    args: dict[str, Any] | ArgsFn

    def build(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        return self.args(results) if callable(self.args) else dict(self.args)


def _rx(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(words), re.I)


_AT_RISK = _rx(
    r"at[- ]risk",
    r"\bchurn",
    r"about to (leave|cancel|churn)",
    r"hasn'?t renewed|haven'?t renewed|not renewed",
    r"gefährdet",
    r"kündigen",
    r"risco de cancelar",
    r"en riesgo",
    r"risque de",
)
_SEND = _rx(
    r"\bsend\b",
    r"\boffer\b",
    r"\bmessage\b",
    r"win[- ]?back",
    r"comeback",
    r"\bbroadcast",
    r"envía",
    r"schick",
)
_TOP = _rx(
    r"top( \d+)? (spenders|fans)",
    r"biggest spenders",
    r"best fans",
    r"mejores fans",
    r"meilleurs fans",
    r"melhores fãs",
    r"besten fans",
)
_SEGMENT_LIST = _rx(r"(list|show)( me)? (my |all )?segments", r"which segments", r"my segments")
_TEMPLATES = _rx(r"templates?", r"plantillas", r"vorlagen", r"modèles")
_SCHEDULE = _rx(r"schedule (a )?post", r"programa(r)? (un )?post", r"plane (einen )?post")
_CAPABILITIES = _rx(r"what can you do", r"\bhelp\b", r"qué puedes hacer", r"was kannst du")
_NAME = r"([A-ZÀ-Ý][\wÀ-ÿ'-]+)"


def _money(text: str) -> float | None:
    m = re.search(r"\$\s?(\d+(?:\.\d{1,2})?)|(\d+(?:\.\d{1,2})?)\s?(?:\$|usd|dollars|euros?|€)", text, re.I)
    if not m:
        return None
    return float(m.group(1) or m.group(2))


def _after_colon(text: str) -> str | None:
    if ":" not in text:
        return None
    tail = text.split(":", 1)[1].strip()
    return tail or None


def _quoted_or_saying(text: str) -> str | None:
    m = re.search(r"[\"“'](.+?)[\"”']", text)
    if m and len(m.group(1)) > 3:
        return m.group(1)
    m = re.search(r"\b(?:saying|that says|diciendo|mit dem text)\s+(.+)$", text, re.I)
    return m.group(1).strip() if m else None


def _known_name(text: str, names: Sequence[str]) -> str | None:
    for name in sorted(names, key=len, reverse=True):
        if re.search(rf"\b{re.escape(name)}\b", text, re.I):
            return name
    return None


def _fan_name(text: str, names: Sequence[str]) -> str | None:
    known = _known_name(text, names)
    if known:
        return known
    for pattern in (
        rf"\b(?:tag|untag|send|offer|message|about|on|from|sur|a|an|para)\s+{_NAME}",
        rf"\b{_NAME}'s\b",
        rf"\bhas\s+{_NAME}\b",
        rf"\bdid\s+{_NAME}\b",
    ):
        m = re.search(pattern, text)
        if m and m.group(1).lower() not in {"the", "my", "all", "everyone", "a", "me", "i"}:
            return m.group(1)
    return None


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


def _segment_id(results: list[dict[str, Any]]) -> str:
    for r in reversed(results):
        seg = r.get("segment")
        if isinstance(seg, dict) and seg.get("id"):
            return str(seg["id"])
    return ""


def _first_fan_id(results: list[dict[str, Any]]) -> str:
    for r in results:
        items = r.get("items")
        if r.get("tool") == "search_fans" and isinstance(items, list) and items:
            return str(items[0].get("id") or "")
    return ""


def _with_fan(extra: dict[str, Any]) -> ArgsFn:
    return lambda results: {"fan_id": _first_fan_id(results), **extra}


def _for_fan(name: str, *steps: Step) -> list[Step]:
    """Resolve the fan by name first: tools take ids, the creator says names."""
    return [Step("search_fans", {"query": name, "limit": 5}), *steps]


def _custom_request_id(results: list[dict[str, Any]]) -> str:
    for r in results:
        for req in r.get("open_custom_requests") or []:
            return str(req.get("id") or "")
    return ""


def _quote_request(price: float) -> ArgsFn:
    return lambda results: {"custom_request_id": _custom_request_id(results), "price": price}


def _broadcast_to_segment(text: str, price: float | None) -> ArgsFn:
    def build(results: list[dict[str, Any]]) -> dict[str, Any]:
        args: dict[str, Any] = {"segment_id": _segment_id(results), "text": text}
        if price is not None:
            args["price"] = price
        return args

    return build


def plan(request: str, *, fan_names: Sequence[str] = ()) -> list[Step]:
    """The tool steps that answer one creator request (empty: answer directly)."""
    text = request.strip()
    low = text.lower()
    name = _fan_name(text, fan_names)
    price = _money(text)

    if _AT_RISK.search(text):
        steps = [Step("list_at_risk_fans", {"limit": 10})]
        if _SEND.search(text):
            steps += [
                Step("create_segment", {"name": "At risk of churning", "rules": AT_RISK_RULE}),
                Step(
                    "create_broadcast",
                    lambda r: {"segment_id": _segment_id(r), "text": WINBACK_TEXT},
                ),
            ]
        return steps

    m = re.search(r"remove (?:the )?#?([\w-]+) tag from " + _NAME, text, re.I)
    if m:
        return _for_fan(m.group(2), Step("untag_fan", _with_fan({"tag": m.group(1)})))
    m = re.search(
        r"\b(?:tag|etiqueta(?:r)?(?: a)?|markiere)\s+" + _NAME + r"\s+(?:as|como|als|comme)\s+#?([\w-]+)",
        text,
        re.I,
    )
    if m:
        return _for_fan(m.group(1), Step("tag_fan", _with_fan({"tag": m.group(2)})))
    if re.search(r"\b(note|nota|notiz)\b", low) and name:
        body = _after_colon(text) or text
        return _for_fan(name, Step("add_note", _with_fan({"body": body})))
    if re.search(r"\bremember\b|recuerda|merke dir|lembre", low) and name:
        fact = re.sub(r"^\s*(remember|recuerda|merke dir|lembre)( that| que| dass)?\s*", "", text, flags=re.I)
        return _for_fan(name, Step("remember_fact", _with_fan({"text": fact, "kind": "personal_detail"})))
    if re.search(r"custom request", low) and name and price is not None:
        return _for_fan(
            name,
            Step("get_fan_dossier", _with_fan({})),
            Step("update_custom_request_price", _quote_request(price)),
        )

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
        message = _quoted_or_saying(text) or _broadcast_text(text)
        return [
            Step("create_segment", {"name": seg_name, "rules": rule}),
            Step("create_broadcast", _broadcast_to_segment(message, price)),
        ]
    if segment is not None and re.search(r"segment|segmento|liste", low):
        seg_name, rule = segment
        return [Step("create_segment", {"name": seg_name, "rules": rule})]

    if _SCHEDULE.search(text):
        return [Step("schedule_post", {"text": _after_colon(text) or text, "publish_at": _next_slot(text)})]
    if name and re.search(r"\b(offer|ppv)\b", low):
        offer = {"price": price if price is not None else 0, "text": _offer_text(text)}
        return _for_fan(name, Step("send_ppv_offer", _with_fan(offer)))
    if name and re.search(r"\b(send|message|text|write)\b", low):
        chat = {"text": _quoted_or_saying(text) or _offer_text(text)}
        return _for_fan(name, Step("send_message", _with_fan(chat)))
    if name and re.search(r"recent messages|last messages|chat with", low):
        return _for_fan(name, Step("get_recent_messages", _with_fan({"limit": 10})))

    if _TOP.search(text):
        m = re.search(r"top (\d+)", low)
        return [Step("list_top_spenders", {"limit": int(m.group(1)) if m else 5})]
    if name and re.search(r"spent|spend|earn|buy|bought|gastado|ausgegeben|dépensé|gastou|comprou", low):
        return _for_fan(name, Step("get_transactions", _with_fan({"limit": 10})))
    if name and re.search(r"tell me about|who is|dossier|profile|info", low):
        return _for_fan(name, Step("get_fan_dossier", _with_fan({})))
    m = re.search(r"tagged #?([\w-]+)|with (?:the )?tag #?([\w-]+)", low)
    if m:
        return [Step("list_fans", {"tag": m.group(1) or m.group(2)})]
    m = re.search(r"\b(trial|expired|cancelled|active)\b", low)
    if m and re.search(r"how many|which|who|list|fans", low):
        return [Step("list_fans", {"subscription_status": m.group(1)})]
    if _SEGMENT_LIST.search(text):
        return [Step("list_segments", {})]
    if _TEMPLATES.search(text):
        return [Step("list_templates", {})]
    if name:
        return _for_fan(name, Step("get_fan_dossier", _with_fan({})))
    return []


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


def _offer_text(text: str) -> str:
    m = re.search(r"offer \w+ (?:the |a )?(.+?)(?: for \$.*)?$", text, re.I)
    thing = m.group(1).strip() if m else "something special"
    m2 = re.search(r"saying (.+)$", text, re.I)
    if m2:
        return m2.group(1).strip()
    return f"Made this just for you: {thing} 💕"


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


def _request_and_results(messages: Sequence[BaseMessage]) -> tuple[str, list[dict[str, Any]]]:
    last_human = max((i for i, m in enumerate(messages) if m.type == "human"), default=-1)
    request = str(messages[last_human].content) if last_human >= 0 else ""
    results: list[dict[str, Any]] = []
    for m in messages[last_human + 1 :]:
        if not isinstance(m, ToolMessage):
            continue
        try:
            parsed: Any = json.loads(str(m.content))
        except json.JSONDecodeError:
            parsed = {"error": str(m.content)}
        result = dict(parsed) if isinstance(parsed, dict) else {"items": parsed}
        result["tool"] = m.name or ""
        if result["tool"] == "search_fans" and not result.get("items"):
            result["error"] = "no fan matches that name"
        results.append(result)
    return request, results


def _fan_names(messages: Sequence[BaseMessage]) -> list[str]:
    for m in messages:
        if m.type == "system":
            found = re.search(r"Fans you can name: (.*)", str(m.content))
            if found:
                return [n.strip() for n in found.group(1).split(",") if n.strip()]
    return []


CAPABILITIES = (
    "I can look up your fans (top spenders, who is at risk of churning, tags, spend), build segments, "
    "tag fans and add notes, and draft messages, PPV offers, broadcasts and scheduled posts. Anything "
    "that reaches a fan waits in the approval inbox until you approve it."
)


def _money_text(value: Any) -> str:
    try:
        return f"${Decimal(str(value)):,.2f}".replace(".00", "")
    except (InvalidOperation, ValueError):
        return str(value)


def _fans_line(fans: list[dict[str, Any]]) -> str:
    if not fans:
        return "no fans match."
    return (
        "; ".join(
            f"{f.get('name')} ({_money_text(f.get('lifetime_spend'))}, {f.get('spend_tier')})" for f in fans
        )
        + "."
    )


def summarize(result: dict[str, Any], names: dict[str, str]) -> str:
    """One line for the creator about one tool result."""
    tool = str(result.get("tool") or "")
    if "error" in result:
        return f"{tool} failed: {result['error']}."
    if "queued_item_id" in result:
        flags = [str(f.get("code")) for f in result.get("flags") or []]
        line = (
            f"Queued {tool.replace('_', ' ')} for your approval (item {result['queued_item_id']}); "
            "nothing is sent until you approve it here or in the inbox."
        )
        return line + (f" Flags: {', '.join(flags)}." if flags else "")
    if tool == "search_fans":
        return "Found " + _fans_line([{"name": i.get("name"), **i} for i in result.get("items") or []][:3])
    if tool in ("list_top_spenders", "list_at_risk_fans", "list_fans"):
        label = {"list_top_spenders": "Top spenders", "list_at_risk_fans": "At risk of churning"}.get(
            tool, f"Fans ({len(result.get('fans') or [])})"
        )
        return f"{label}: {_fans_line(list(result.get('fans') or []))}"
    if tool == "create_segment":
        seg = result.get("segment") or {}
        return f"Segment '{seg.get('name')}' has {seg.get('members')} fans."
    if tool == "get_transactions":
        return (
            f"{next(iter(names.values()), 'They')} spent {_money_text(result.get('lifetime_spend'))} "
            f"in total ({result.get('spend_tier')}), {len(result.get('transactions') or [])} recent transactions."
        )
    if tool == "get_fan_dossier":
        sub = result.get("subscription") or {}
        tags = ", ".join(t.get("tag", "") for t in result.get("tags") or []) or "none"
        return (
            f"{result.get('display_name')}: {result.get('spend_tier')}, "
            f"{_money_text(result.get('lifetime_spend'))} lifetime, subscription {sub.get('status', 'unknown')}, "
            f"tags {tags}."
        )
    if tool == "list_segments":
        items = result.get("items") or []
        return "Segments: " + (
            ", ".join(f"{s.get('name')} ({s.get('members')})" for s in items) or "none yet."
        )
    if tool == "get_recent_messages":
        return f"{len(result.get('items') or [])} recent messages."
    who = next(iter(names.values()), "the fan")
    if tool == "tag_fan":
        return f"Tagged {who} as {result.get('tag')}."
    if tool == "untag_fan":
        return (
            f"Removed the tag {result.get('tag')} from {who}."
            if result.get("removed")
            else f"{who} had no such tag."
        )
    if tool == "add_note":
        return f"Added a note on {who}."
    if tool == "remember_fact":
        return f"Remembered that about {who}."
    return f"{tool}: done."


def answer(request: str, results: list[dict[str, Any]]) -> str:
    if not results:
        return OFFLINE_PREFIX + CAPABILITIES
    names = {
        str(i.get("id")): str(i.get("name"))
        for r in results
        if r.get("tool") == "search_fans"
        for i in (r.get("items") or [])[:1]
    }
    return OFFLINE_PREFIX + " ".join(summarize(r, names) for r in results)


def next_message(messages: Sequence[BaseMessage], tool_names: Sequence[str]) -> AIMessage:
    """The next assistant message: the next planned tool call, or the final answer."""
    request, results = _request_and_results(messages)
    steps = [s for s in plan(request, fan_names=_fan_names(messages)) if s.tool in tool_names]
    failed = any("error" in r for r in results)
    if len(results) < len(steps) and not failed:
        step = steps[len(results)]
        args = step.build(results)
        digest = hashlib.sha1(
            json.dumps([request, len(results), step.tool, args], sort_keys=True, default=str).encode()
        ).hexdigest()
        call = ToolCall(name=step.tool, args=args, id=f"offline_{digest[:16]}", type="tool_call")
        return AIMessage(
            content="", tool_calls=[call], response_metadata={"model_name": OFFLINE_ASSISTANT_NAME}
        )
    return AIMessage(
        content=answer(request, results), response_metadata={"model_name": OFFLINE_ASSISTANT_NAME}
    )


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

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)
