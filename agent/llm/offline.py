"""The built-in offline model: a deterministic, rule-based `BaseChatModel`.

It lets the whole product run with no key and no network. It supports `bind_tools` (it answers with
tool calls) and `with_structured_output`, and it says plainly that it is the offline model. Its one
built-in skill is drafting replies (the `DraftReply` tool); other skills can be registered by tool
name, e.g. a pattern-based memory extractor.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolCall
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from agent.llm.intents import Intent, detect_intents, on_a_budget
from agent.llm.languages import detect_conversation_language
from agent.llm.offline_lines import FREE_ALTERNATIVE, GREETING, MEMORY, OFFER, OPENER, line
from agent.prompts import OFFLINE_LABEL, parse_context
from agent.state import DraftReply

OFFLINE_MODEL_NAME = "fanpilot-offline-1"

Skill = Callable[[list[BaseMessage]], dict[str, Any]]

_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2764\ufe0f]+")
_GREETING_WORD = re.compile(r"^\s*(h+e+y+\w*|hi+\w*|hello\w*|heya|hiya|yo+)\b[,!]?", re.I)

# Intents after which a sales offer would be tone-deaf or would follow the fan's instructions.
_NO_SALE = frozenset(
    {
        Intent.instruction,
        Intent.impersonation,
        Intent.complaint,
        Intent.churn,
        Intent.hard_time,
        Intent.health,
        Intent.tip,
        Intent.posting_schedule,
        Intent.meetup,
        Intent.contact,
    }
)
_SALES = frozenset({Intent.purchase_interest})
_PRIVATE_MEMORY_KINDS = frozenset({"boundary", "purchase_pattern"})
# Third-person notes ("Tom's birthday is …", "Is from Denver") turned to the fan ("your birthday is …").
_SUBJECT_REWRITES = (
    (re.compile(r"^(?:{name}'s|his|her|their)\s+", re.I), "your "),
    (re.compile(r"^(?:{name}\s+)?is\s+", re.I), "you're "),
    (re.compile(r"^(?:{name}\s+)?has\s+", re.I), "you have "),
    (re.compile(r"^(?:{name}\s+)?likes\s+", re.I), "you like "),
    (re.compile(r"^(?:{name}\s+)?loves\s+", re.I), "you love "),
    (re.compile(r"^(?:{name}\s+)?works\s+", re.I), "you work "),
    (re.compile(r"^(?:{name}\s+)?lives\s+", re.I), "you live "),
    (re.compile(r"^(?:{name}\s+)?moved\s+", re.I), "you moved "),
    (re.compile(r"^(?:{name}\s+)?prefers\s+", re.I), "you prefer "),
    (re.compile(r"^(?:{name}\s+)?plays\s+", re.I), "you play "),
    (re.compile(r"^birthday\s+", re.I), "your birthday "),
)
_THIRD_PERSON_VERB = re.compile(r"^(?:{name}\s+)([a-z]+)\b(.*)$", re.I)


def _second_person_verb(verb: str) -> str | None:
    """owns → own, watches → watch, studies → study; None when it is not a 3rd-person verb."""
    lower = verb.lower()
    irregular = {"is": "you're", "has": "you have", "does": "you do", "goes": "you go", "was": "you were"}
    if lower in irregular:
        return irregular[lower]
    if lower.endswith("ies") and len(lower) > 4:
        return "you " + lower[:-3] + "y"
    if lower.endswith(("ches", "shes", "sses", "xes", "zes")):
        return "you " + lower[:-2]
    if lower.endswith("s") and not lower.endswith("ss") and len(lower) > 3:
        return "you " + lower[:-1]
    return None


_MIXED_PERSON = re.compile(r"\b(?:doesn't|does not|he|she|him|his|hers|I|I'm|I've|me|my)\b")


def _said_to_fan(note: str, name: str) -> str:
    """The (English) memory as something said to the fan, or "" when it cannot be said naturally."""
    text = note.strip().rstrip(".")
    if not text:
        return ""
    escaped = re.escape(name.strip() or "\x00")
    for pattern, replacement in _SUBJECT_REWRITES:
        compiled = re.compile(pattern.pattern.replace("{name}", escaped), pattern.flags)
        if compiled.match(text):
            said = compiled.sub(replacement, text, count=1)
            # Half-rewritten notes ("you're shy and doesn't …", "… so I'm up late") read wrong.
            return "" if _MIXED_PERSON.search(said) else said
    verb = re.compile(_THIRD_PERSON_VERB.pattern.replace("{name}", escaped), re.I).match(text)
    if verb:
        subject = _second_person_verb(verb.group(1))
        if subject:
            said = subject + verb.group(2)
            return "" if _MIXED_PERSON.search(said) else said
    # A note about the fan that names them but fits no pattern reads like a file note: don't quote it.
    if name and re.search(rf"\b{escaped}\b", text, re.I):
        return ""
    return text[0].lower() + text[1:] if text[:2] != text[:2].upper() else text


# Intents whose reply should not bring up personal memories.
_NO_MEMORY = frozenset({Intent.complaint, Intent.instruction, Intent.impersonation})
_SMALL_TALK = (Intent.greeting, Intent.other, Intent.question)
_PRIORITY = {intent: n for n, intent in enumerate(Intent)}


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def _last_text(messages: Sequence[BaseMessage]) -> str:
    for m in reversed(messages):
        if m.type == "human":
            return m.text if isinstance(m.text, str) else str(m.content)
    return ""


def _context(messages: Sequence[BaseMessage]) -> dict[str, Any]:
    for m in reversed(messages):
        if m.type in ("human", "system"):
            parsed = parse_context(str(m.content))
            if parsed is not None:
                return parsed
    return {}


def _intents_of(unanswered: list[str]) -> list[Intent]:
    found: set[Intent] = set()
    for text in unanswered:
        found.update(detect_intents(text))
    return sorted(found, key=_PRIORITY.__getitem__)


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text, maxsplit=1)[0]


def compose_draft(context: dict[str, Any]) -> DraftReply:
    """A reply from the persona, the fan's name, recalled memories and the intent of each message.

    Written in the fan's language (English, Spanish, German, French or Portuguese).
    """
    creator = context.get("creator") or {}
    fan = context.get("fan") or {}
    name = str(fan.get("display_name") or "there").split()[0]
    unanswered = [str(t) for t in context.get("unanswered") or []] or [""]
    memories = list(context.get("memories") or [])
    rejection = context.get("rejection") or None
    reason = str((rejection or {}).get("reason") or "").lower()
    voice = str(creator.get("voice") or "").lower()
    lang = detect_conversation_language(unanswered)

    intents = _intents_of(unanswered)
    # One line per distinct concern, most important first; small talk only when nothing else.
    specific = [i for i in intents if i not in _SMALL_TALK]
    main = specific or ([Intent.question] if Intent.question in intents else intents[:1])

    price_min = Decimal(str(creator.get("ppv_price_min") or "5"))
    price_max = Decimal(str(creator.get("ppv_price_max") or "100"))
    offer: Decimal | None = None
    if not _NO_SALE.intersection(main):
        if Intent.free_content in main:
            offer = _money(price_min)
        elif Intent.purchase_interest in main:
            budget = any(on_a_budget(t) for t in unanswered)
            offer = _money(price_min if budget else (price_min + price_max) / 2)
    if offer is not None and any(
        w in reason for w in ("no offer", "no ppv", "no sell", "sales", "pushy", "don't sell")
    ):
        offer = None
    if offer is not None and any(w in reason for w in ("cheaper", "lower price", "too expensive")):
        offer = _money(price_min)

    answered = [i for i in main if not (i in _SALES and offer is None)] or main[:1]
    if Intent.impersonation in answered and Intent.instruction in answered:
        answered.remove(Intent.instruction)  # the impersonation answer covers it
    if offer is not None and Intent.free_content in answered and Intent.purchase_interest in answered:
        answered.remove(Intent.purchase_interest)  # the free-content answer already offers one
    short = "short" in voice or "short" in reason or "too long" in reason
    lines: list[str] = []
    for n, intent in enumerate(answered[: 2 if short else 3]):
        text = line(intent, lang)
        lines.append(_first_sentence(text) if short and n > 0 else text)
        if intent is Intent.free_content and offer is not None:
            lines.append(FREE_ALTERNATIVE[lang])
    if offer is not None:
        lines.append(OFFER[lang].format(price=offer))

    used: list[str] = []
    if memories and not _NO_MEMORY.intersection(main):
        # The best recalled memory shapes the draft even when it is not said back (a boundary, a
        # buying pattern); the first one that can be said naturally is mentioned to the fan.
        used.append(str(memories[0].get("id")))
        for memory in memories:
            if str(memory.get("kind")) in _PRIVATE_MEMORY_KINDS:
                continue
            note = str(memory.get("text") or "")
            text = _said_to_fan(note, name) if lang == "en" else note.strip().rstrip(".")
            if text:
                lines.insert(0, MEMORY[lang].format(memory=text))
                if str(memory.get("id")) not in used:
                    used.append(str(memory.get("id")))
                break

    greeting = GREETING[lang]
    examples = context.get("voice_examples") or []
    if examples and lang == "en":
        match = _GREETING_WORD.match(str(examples[0].get("final") or ""))
        if match:
            greeting = match.group(1)
    opener = OPENER[lang].format(greeting=greeting, name=name)
    reply = f"{opener} {' '.join(lines)}"
    if ("playful" in voice or "flirty" in voice) and "emoji" not in reason:
        reply += " 😘"
    if "emoji" in reason:
        reply = _EMOJI.sub("", reply).strip()
    previous = str((rejection or {}).get("draft") or "")
    if rejection and reply.strip() == previous.strip():
        reply = f"{opener} {line(answered[0], lang)}"

    confidence = 0.8
    if Intent.complaint in main or Intent.ai_question in main:
        confidence = 0.55
    if any(
        i in main
        for i in (
            Intent.free_content,
            Intent.other_fans,
            Intent.price_change,
            Intent.instruction,
            Intent.impersonation,
        )
    ):
        confidence = 0.5
    rationale = f"Offline model ({lang}): answered {', '.join(i.value for i in answered)}"
    if used:
        rationale += "; used 1 recalled memory"
    if rejection:
        rationale += f"; redrafted after rejection: {(rejection or {}).get('reason')}"
    return DraftReply(
        reply=reply,
        action="send_ppv" if offer is not None else "send_message",
        ppv_price=float(offer) if offer is not None else None,
        memory_ids_used=used,
        confidence=confidence,
        intent=answered[0].value,
        rationale=rationale,
    )


def _draft_skill(messages: list[BaseMessage]) -> dict[str, Any]:
    return compose_draft(_context(messages)).model_dump()


def _tool_name(tool: dict[str, Any]) -> str:
    return str(tool.get("function", {}).get("name") or tool.get("name") or "")


def _chosen(tool_choice: Any, names: list[str]) -> str | None:
    if isinstance(tool_choice, str) and tool_choice in names:
        return tool_choice
    if isinstance(tool_choice, dict):
        name = tool_choice.get("function", {}).get("name") or tool_choice.get("name")
        return str(name) if name in names else None
    return None


class OfflineChatModel(BaseChatModel):
    """Deterministic rule-based chat model: no key, no network, same input → same output."""

    model_name: str = OFFLINE_MODEL_NAME
    skills: dict[str, Skill] = Field(default_factory=dict)

    is_offline: bool = True
    label: str = OFFLINE_LABEL

    @property
    def _llm_type(self) -> str:
        return "fanpilot-offline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    def _skill(self, name: str) -> Skill | None:
        if name in self.skills:
            return self.skills[name]
        return _draft_skill if name == DraftReply.__name__ else None

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        tools: list[dict[str, Any]] = list(kwargs.get("tools") or [])
        names = [_tool_name(t) for t in tools]
        tool_choice = kwargs.get("tool_choice")
        target = _chosen(tool_choice, names) or next((n for n in names if self._skill(n)), None)
        if target is None and tool_choice in ("any", "required") and names:
            target = names[0]
        if target is not None:
            skill = self._skill(target)
            args = skill(messages) if skill else {}
            digest = hashlib.sha1(
                json.dumps([target, args], sort_keys=True, default=str).encode()
            ).hexdigest()
            call = ToolCall(name=target, args=args, id=f"offline_{digest[:16]}", type="tool_call")
            message = AIMessage(
                content="", tool_calls=[call], response_metadata={"model_name": self.model_name}
            )
        else:
            context = _context(messages)
            text = compose_draft(context).reply if context else self._plain(_last_text(messages))
            message = AIMessage(content=text, response_metadata={"model_name": self.model_name})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _plain(self, text: str) -> str:
        return (
            "I'm Fanpilot's built-in offline model (rule-based; no LLM is configured), so I can only "
            f"give a simple answer. You said: {text[:200]}"
        )

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        formatted = [convert_to_openai_tool(t) for t in tools]
        if tool_choice is True:
            tool_choice = "any"
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)
