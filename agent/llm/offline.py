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
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolCall
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from agent.llm.intents import Intent, detect_intents, on_a_budget, wants_to_buy
from agent.llm.languages import Language, detect_conversation_language, detect_language, language_scores
from agent.llm.memory_phrases import Fact, parse_memory, say_memory, translate
from agent.llm.offline_lines import (
    BIRTHDAY_SOON,
    ECHO,
    FREE_ALTERNATIVE,
    KIND_LINES,
    OFFER,
    OPENERS,
    SAFETY_LINES,
    SITUATION_LINES,
    TOPIC_ECHO,
    line,
)
from agent.llm.situations import NOT_TOPIC, Situation, echo, feeling_of, situation_of, topic
from agent.llm.situations import fold as _fold
from agent.llm.style import EMOJI, VoiceStyle, apply_style, read_style, sentences_of
from agent.prompts import OFFLINE_LABEL, parse_context
from agent.state import DraftReply
from crm.approvals.signals import detect_signals

OFFLINE_MODEL_NAME = "fanpilot-offline-2"

Skill = Callable[[list[BaseMessage]], dict[str, Any]]

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
# Signals in the fan's message after which nothing is sold.
_NO_SALE_SIGNALS = frozenset(
    {"possible_minor", "self_harm", "harassment", "chargeback_threat", "off_platform_payment"}
)
_SALES = frozenset({Intent.purchase_interest})
_PRIVATE_MEMORY_KINDS = frozenset({"boundary", "purchase_pattern"})
# Intents whose reply should not bring up personal memories.
_NO_MEMORY = frozenset(
    {Intent.complaint, Intent.instruction, Intent.impersonation, Intent.contact, Intent.meetup,
     Intent.other_fans, Intent.price_change, Intent.personal_info}
)  # fmt: skip
# Small talk is answered by what the fan is telling (a situation), not by an intent line.
_SMALL_TALK = (Intent.greeting, Intent.other, Intent.question)
_PRIORITY = {intent: n for n, intent in enumerate(Intent)}
# Situations whose memory is worth bringing up with them, by memory slot.
_RELEVANT_SLOTS: dict[Situation, tuple[str, ...]] = {
    Situation.work: ("job",),
    Situation.tired: ("job", "plan"),
    Situation.pet: ("pet",),
    Situation.family: ("relative",),
    Situation.weather: ("place",),
    Situation.travel: ("plan", "place", "relative"),
    Situation.fitness: ("plan", "liking"),
    Situation.hobby: ("liking", "plan"),
    Situation.food: ("liking", "relative"),
    Situation.good_news: ("job", "plan"),
    Situation.milestone: ("tenure",),
}
# Intents whose answer a memory of these slots makes personal.
_INTENT_SLOTS: dict[Intent, tuple[str, ...]] = {
    Intent.purchase_interest: ("liking", "wish"),
    Intent.custom_request: ("wish", "liking"),
    Intent.hard_time: ("loss", "relative", "health"),
    Intent.health: ("health",),
    Intent.nervous: ("plan",),
    Intent.celebration: ("plan", "job", "liking"),
    Intent.birthday: ("birthday",),
    Intent.renewal: ("tenure",),
    Intent.affection: ("tenure", "pet", "named"),
    Intent.tip: ("plan", "job", "pet"),
}
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
_ABOUT_WORK = re.compile(
    r"promot|\bjob\b|\bwork|\bboss|\boffice|\bbank\b|\bshift|\bclients?\b|raise\b|ascens|trabaj|curro|"
    r"bef[öo]rder|arbeit|\bchef\b|travail|boulot|promo[cç][aã]o|trabalh|emprego",
    re.I,
)
# Sentence openers that read right in lower case after "Hey Tom,": not names, not "I".
_LOWER_WORDS = (
    "aww thank thanks that that's this congrats congratulations happy honest welcome you you're you've "
    "your so oh ooh okay ok look stop ugh wow yes good sorry my meine mein gracias danke merci obrigada "
    "valeu eso das ça isso qué que was quelle wie como tu du ton tes deine sua seu mis mi ma"
)
_LOWER_OK = frozenset(_LOWER_WORDS.split())


def _content_stems(text: str) -> set[str]:
    return {
        w[:5]
        for w in _WORD.findall(_fold(text))
        if w not in NOT_TOPIC and w not in _COMMON and w not in _PRAISE
    }


def _takes_up(reply: str, text: str) -> bool:
    """Her reply already names what the fan told (a content word of theirs, not "suis" or "consegui")."""
    return bool(_content_stems(reply) & _content_stems(text))


# Words any reply may use about anything: sharing them is not taking the fan's news up.
_PRAISE = frozenset(
    ("amazing", "awesome", "great", "best", "good", "happy", "proud", "excited", "insane", "crazy", "cute",
     "sweet", "lovely", "perfect", "incredible", "nice", "cool", "huge")
)  # fmt: skip


def _shares_words(a: str, b: str) -> bool:
    """Two texts share a content word (same first five letters: "marathon" ~ "maratón" fails, names match)."""
    fold = lambda t: {w.lower()[:5] for w in _WORD.findall(t)}  # noqa: E731
    return bool(fold(a) & fold(b))


# Adapting a retrieved example: it must answer a message this close to the fan's.
EXAMPLE_MIN_SIMILARITY = 0.55
# Where the fan wants something specific, her own reply wins over a line only when very close.
EXAMPLE_MIN_SIMILARITY_SPECIFIC = 0.7
# Intents whose answer may come from the creator's own past replies (never refusals or care lines
# that the guardrails were written against).
_EXAMPLE_INTENTS = frozenset(
    {Intent.compliment, Intent.affection, Intent.tip, Intent.renewal, Intent.birthday, Intent.celebration,
     Intent.welcome_back, Intent.new_fan, Intent.purchase_interest, Intent.nervous}
)  # fmt: skip


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


def _pick(*keys: str) -> int:
    """A stable choice per fan and message: two fans saying the same thing get different lines."""
    return int(hashlib.sha1("|".join(keys).encode()).hexdigest()[:8], 16)


def _language(fan: dict[str, Any], unanswered: list[str]) -> Language:
    """The fan's language: what their messages clearly show, else what their profile says."""
    detected = detect_conversation_language(unanswered)
    declared = str(fan.get("language") or "")[:2].lower()
    if declared not in ("en", "es", "de", "fr", "pt") or declared == detected:
        return detected
    scores = language_scores("\n".join(unanswered))
    # A short message tips between close languages ("o te vas a enterar"): the profile decides
    # unless the message clearly says otherwise.
    if scores[detected] >= scores[declared] + 4:  # type: ignore[index]
        return detected
    return declared  # type: ignore[return-value]


def _choose(options: Sequence[str], pick: int) -> str:
    return options[pick % len(options)] if options else ""


# Situations whose everyday lines are cheerful ("that's adorable", "save me a plate"): a bad day with
# the dog or the game gets the sorry line instead.
_CHEERFUL = frozenset(
    {
        Situation.pet,
        Situation.food,
        Situation.fitness,
        Situation.hobby,
        Situation.relaxing,
        Situation.good_news,
    }
)


def _situation_line(situation: Situation, feeling: str, lang: Language, pick: int) -> str:
    for key in (
        (situation.value, feeling),
        *([("statement", "bad")] if feeling == "bad" and situation in _CHEERFUL else []),
        (situation.value, "any"),
        ("statement", feeling),
        ("statement", "any"),
    ):
        options = SITUATION_LINES.get(key, {}).get(lang)
        if options:
            return _choose(options, pick)
    return ""


# Where picking up the fan's own words fits: what they are telling, not a question about her, a
# goodbye or an anniversary with her.
_NO_PICK_UP = frozenset(
    {Situation.plans_question, Situation.creator_question, Situation.goodbye, Situation.milestone}
)
_NO_PICK_UP_INTENTS = frozenset(
    {Intent.instruction, Intent.impersonation, Intent.contact, Intent.meetup, Intent.other_fans,
     Intent.price_change, Intent.personal_info, Intent.free_content, Intent.ai_question}
)  # fmt: skip
# Specific intents whose answer opens with the fan's own words ("the video you bought won't load...").
_PICK_UP_INTENTS = frozenset({Intent.celebration, Intent.nervous, Intent.complaint, Intent.hard_time})
_UNSAYABLE = re.compile(r"https?://|www\.|@|\d{5,}|\$", re.I)


def _pick_up(text: str, lang: Language, feeling: str, pick: int) -> list[str]:
    """The fan's own words said back in their language: "made lasagna from your grandma's recipe
    tonight?!", "¿la paella de tu abuela?", "die Beförderung?!". Each way of saying it, the one for
    this fan first (empty when nothing clear can be picked up)."""
    text = text.strip()
    said = echo(text) if lang == "en" else None
    if said:
        frames, value, key = ECHO[feeling], said, "echo"
    else:
        phrase = topic(text, lang)
        if not phrase:
            return []
        frames, value, key = TOPIC_ECHO[lang][feeling], phrase, "t"
    ordered = [frames[(pick + n) % len(frames)] for n in range(len(frames))]
    return [f.format(**{key: value}) for f in ordered if not _UNSAYABLE.search(value)]


def _first_word(text: str) -> str:
    words = re.findall(r"[^\W\d_]+", text.lower())
    return words[0] if words else ""


def _with_pick_up(parts: list[str], options: list[str], style: VoiceStyle, *, capital: bool) -> list[str]:
    """The pick-up in front of what answers the fan, as long as the persona's length rules leave room
    (a limit would otherwise drop the answer or the memory that follows it). Not two "oh no"s in a row."""
    if not options or not parts:
        return parts
    said = next((o for o in options if _first_word(o) != _first_word(parts[0])), options[0])
    if _first_word(said) == _first_word(parts[0]):
        return parts
    if capital:
        said = said[0].upper() + said[1:]
    merged = [f"{said} {parts[0]}", *parts[1:]]
    plain = apply_style(parts, style)
    if style.max_chars is not None and len(plain) + len(said) + 1 > style.max_chars:
        return parts
    if style.max_sentences is not None and len(sentences_of(plain)) + 1 > style.max_sentences:
        return parts
    return merged


def _birthday_now(text: str) -> bool:
    """Today or tomorrow ("happy birthday" fits); a date weeks away gets a "noted" instead."""
    return bool(
        re.search(
            r"\b(?:today|tonight|tomorrow)\b|\bit'?s my (?:birthday|bday|b-day)\b|"
            r"\b(?:hoy|mañana|heute|morgen|aujourd'hui|demain|hoje|amanhã)\b|"
            r"\bes mi cumple\b|\bhab(?:e)? (?:heute )?geburtstag\b|\bc'est mon anniversaire\b|"
            r"\bé (?:o )?meu aniversário\b",
            text,
            re.I,
        )
    )


def _relevant_memory(
    memories: list[dict[str, Any]],
    *,
    name: str,
    situation: Situation,
    intents: Sequence[Intent],
    text: str,
    small_talk: bool,
) -> tuple[dict[str, Any], Fact] | None:
    """The memory worth saying: it fits what the fan is talking about (or any, for small talk)."""
    lowered = text.lower()
    wanted = tuple(_RELEVANT_SLOTS.get(situation, ())) + tuple(
        slot for intent in intents for slot in _INTENT_SLOTS.get(intent, ())
    )
    if situation is Situation.good_news or Intent.celebration in intents:
        # Good news brings up their job only when the news is about work (a promotion, not a new PC).
        wanted = tuple(s for s in wanted if s != "job" or _ABOUT_WORK.search(text))
    best: tuple[float, dict[str, Any], Fact] | None = None
    for rank, memory in enumerate(memories):
        if str(memory.get("kind")) in _PRIVATE_MEMORY_KINDS:
            continue
        fact = parse_memory(str(memory.get("text") or ""), name)
        if fact is None:
            continue
        score = float(memory.get("score") or 0) - rank * 0.01
        if fact.slot in wanted:
            score += 1.0
        shared = _shares_words(str(memory.get("text") or "").replace(name, ""), text)
        if fact.value and fact.value.lower() in lowered:
            score += 1.5
        elif shared:
            score += 1.2
        # Small talk may bring up something personal, not a date out of nowhere.
        casual = small_talk and fact.slot in (
            "pet",
            "named",
            "place",
            "job",
            "liking",
            "plan",
            "wish",
            "tenure",
        )
        if not (fact.slot in wanted or shared or casual):
            continue
        if best is None or score > best[0]:
            best = (score, memory, fact)
    return (best[1], best[2]) if best else None


_CAPITAL = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zà-ÿ]{2,}\b")
_CONTENT = re.compile(r"[a-zà-ÿ]{4,}")
_COMMON = frozenset(
    [
        "that",
        "this",
        "with",
        "have",
        "your",
        "what",
        "just",
        "really",
        "about",
        "when",
        "they",
        "them",
        "then",
        "than",
        "there",
        "their",
        "would",
        "could",
        "should",
        "been",
        "were",
        "will",
        "make",
        "made",
        "like",
        "love",
        "know",
        "think",
        "going",
        "want",
        "need",
        "feel",
        "tell",
        "more",
        "some",
        "much",
        "very",
        "good",
        "long",
        "today",
        "night",
        "work",
        "shift",
        "tired",
        "babe",
        "hun",
        "again",
        "from",
        "here",
    ]
)


def _adapt_example(
    example: dict[str, Any],
    *,
    name: str,
    fan_text: str,
    facts: list[Fact],
    lang: Language,
    offer: Decimal | None,
    threshold: float = EXAMPLE_MIN_SIMILARITY,
) -> str | None:
    """The creator's reply to a similar message, made to fit this fan; None if it cannot be."""
    reply = str(example.get("reply") or "").strip()
    if not reply or float(example.get("similarity") or 0) < threshold:
        return None
    if len(reply.split()) >= 4 and detect_language(reply) != lang:
        return None
    if example.get("price") and offer is None:
        return None  # her reply went with an offer this draft does not make
    # Details of the other fan's life (their job, city, pet) must not reach this fan: swap them for
    # this fan's own, or leave the example.
    their_text = str(example.get("fan_text") or "").lower()
    theirs = set(_CONTENT.findall(their_text)) - _COMMON
    ours = fan_text.lower()
    our_job = next((f.value for f in facts if f.slot == "job"), None)
    swaps: dict[str, str] = {}
    for word in sorted(theirs):
        if not re.search(rf"\b{re.escape(word)}\b", reply, re.I) or re.search(
            rf"\b{re.escape(word)}\b", ours
        ):
            continue
        is_job = translate(word, "en") is not None or re.search(
            rf"\b(?:as|being|am|i'?m) an? {re.escape(word)}\b", their_text
        )
        if is_job and our_job:
            swaps[word] = our_job
        else:
            return None
    # A number of theirs (a date, an age, a price) is not this fan's.
    if any(n not in ours for n in re.findall(r"\d+", reply.replace("{name}", "")) if n in their_text):
        return None
    for proper in _CAPITAL.findall(reply):
        if proper.lower() not in ours and all(proper.lower() != f.value.lower() for f in facts):
            return None
    for old, new in swaps.items():
        reply = re.sub(rf"\b{re.escape(old)}\b", new, reply, flags=re.I)
    reply = reply.replace("{name}", name)
    later = re.findall(r"[.!?]\s+([^\W\d_])", reply)
    if reply[:1].islower() and later and all(c.isupper() for c in later):
        reply = reply[0].upper() + reply[1:]  # "sales rep by day, mine by night. Sounds fair."
    if not re.search(r"[.!?…]\s*(?:\W\s*)*$", EMOJI.sub("", reply).strip()):
        # "Dismissed. For now 😈": keep her emoji where it was, but end the sentence.
        reply = EMOJI.sub("", reply).rstrip() + "."
    if offer is not None:
        reply = re.sub(r"\$\s?\d+(?:\.\d{2})?", f"${offer}", reply)
    return reply


# Situations close enough that her reply to one can answer the other (with the same feeling).
_LOOSE = frozenset({Situation.statement, Situation.good_news, Situation.tired, Situation.work})
# What a fan says to her or does for her: her answer to it fits only a message that does the same.
_SAID_TO_HER = frozenset(
    {Intent.compliment, Intent.affection, Intent.tip, Intent.renewal, Intent.purchase_interest,
     Intent.welcome_back, Intent.new_fan, Intent.birthday, Intent.custom_request, Intent.greeting}
)  # fmt: skip
# Her reply to the same kind of message may be adapted at this similarity (the embedder is weak
# outside English: "¡por fin me dieron el ascenso!" and "¡he aprobado el examen!" score ~0.4).
EXAMPLE_MIN_SIMILARITY_SAME_INTENT = 0.4


def _fits(example: dict[str, Any], *, text: str, situation: Situation, feeling: str) -> bool:
    """Her reply answered a message about the same thing, in the same mood: an answer to "vou dormir"
    is no answer to "vou viajar pra salvador", nor a bad day's to a grandmother's cake."""
    theirs = str(example.get("fan_text") or "")
    # Her thanks for a tip or a blush at a compliment answers that, not a car breaking down.
    if set(detect_intents(theirs)) & _SAID_TO_HER - set(detect_intents(text)):
        return False
    their_feeling = feeling_of(theirs)
    if {their_feeling, feeling} == {"good", "bad"}:
        return False
    their_situation = situation_of(theirs)
    if their_situation is situation:
        return True
    return their_situation in _LOOSE and situation in _LOOSE and their_feeling == feeling != "neutral"


def _ranked_examples(
    examples: list[dict[str, Any]],
    *,
    text: str,
    situation: Situation,
    feeling: str,
    wanted: Sequence[Intent],
    pick: int,
) -> list[tuple[dict[str, Any], float]]:
    """Her replies worth adapting, best first, each with the similarity it must reach: answers to a
    message about the same thing first (one that shares the fan's words, then the same kind of
    message), and among equals a different one per fan."""
    ranked: list[tuple[tuple[int, int, float], dict[str, Any], float]] = []
    for example in examples[:5]:
        if not _fits(example, text=text, situation=situation, feeling=feeling):
            continue
        theirs = str(example.get("fan_text") or "")
        same_intent = bool(set(wanted) & set(detect_intents(theirs)) & _EXAMPLE_INTENTS)
        shared = _takes_up(theirs, text)
        # A goodbye for a goodbye, a pet story for a pet story, in the same mood.
        same_moment = (
            situation not in _LOOSE and situation_of(theirs) is situation and feeling_of(theirs) == feeling
        )
        if wanted:
            threshold = EXAMPLE_MIN_SIMILARITY_SAME_INTENT if same_intent else EXAMPLE_MIN_SIMILARITY_SPECIFIC
        elif shared or same_intent or same_moment:
            threshold = EXAMPLE_MIN_SIMILARITY_SAME_INTENT
        else:
            threshold = EXAMPLE_MIN_SIMILARITY
        similarity = float(example.get("similarity") or 0)
        if similarity < threshold:
            continue
        ranked.append(((int(shared), int(same_intent), round(similarity, 1)), example, threshold))
    ranked.sort(key=lambda t: t[0], reverse=True)
    # Equally good answers take turns per fan, so one line does not go to every fan with the same news.
    ties = sum(1 for r in ranked if r[0] == ranked[0][0]) if ranked else 0
    if ties > 1:
        turn = pick % ties
        ranked = [*ranked[turn:ties], *ranked[:turn], *ranked[ties:]]
    return [(example, threshold) for _, example, threshold in ranked]


def _best_adapted(
    examples: list[dict[str, Any]],
    *,
    wanted: Sequence[Intent],
    name: str,
    text: str,
    facts: list[Fact],
    lang: Language,
    offer: Decimal | None,
    situation: Situation,
    feeling: str,
    pick: int,
) -> tuple[str, str] | None:
    """Her best-fitting earlier reply adapted to this fan, with the example's id (None if none fits)."""
    for example, threshold in _ranked_examples(
        examples, text=text, situation=situation, feeling=feeling, wanted=wanted, pick=pick
    ):
        own = _adapt_example(
            example, name=name, fan_text=text, facts=facts, lang=lang, offer=offer, threshold=threshold
        )
        if own:
            return own, str(example.get("id"))
    return None


def _opener(
    style: VoiceStyle, lang: Language, name: str, pick: int, *, greet: bool, first_word: str = ""
) -> str:
    if not greet:
        return ""
    table = OPENERS[lang]
    options = table.get(style.tone) or table.get("sweet") or table["neutral"]
    who = style.pet_names[pick % len(style.pet_names)] if style.pet_names and pick % 3 == 0 else name
    opener = _choose(options, pick // 7).format(n=who)
    if first_word and opener.split()[0].lower().strip(",.!") == first_word:
        opener = options[0].format(n=who) if options[0].split()[0].lower() != first_word else f"{who}"
    if opener.endswith((".", "!")):
        return opener
    return opener + ","


def compose_draft(context: dict[str, Any]) -> DraftReply:
    """A reply from the creator's own voice: a retrieved example of hers or a line that answers what the
    fan said, a memory said naturally, in the fan's language and the persona's style.

    Written in English, Spanish, German, French or Portuguese.
    """
    creator = context.get("creator") or {}
    fan = context.get("fan") or {}
    name = str(fan.get("display_name") or "there").split()[0]
    unanswered = [str(t) for t in context.get("unanswered") or []] or [""]
    text = " ".join(unanswered)
    memories = list(context.get("memories") or [])
    examples = list(context.get("voice_examples") or [])
    rejection = context.get("rejection") or None
    reason = str((rejection or {}).get("reason") or "").lower()
    kind = str(context.get("run_kind") or "reply")
    lang = _language(fan, unanswered)
    # Deterministic per fan name and message (not the row id), so a run can be repeated exactly.
    pick = _pick(str(fan.get("display_name") or name), text, str((rejection or {}).get("draft") or ""))
    signals = set(context.get("safety_signals") or []) | {s.code for s in detect_signals(unanswered)}
    samples = [str(s) for s in context.get("style_samples") or []] + [
        str(e.get("reply") or "") for e in examples
    ]
    style = read_style(str(creator.get("voice") or ""), list(creator.get("rules") or []), samples)
    if "emoji" in reason:
        style = replace(style, max_emoji=0, min_emoji=0)
    if "short" in reason or "too long" in reason:
        style = replace(style, max_sentences=2, max_chars=min(style.max_chars or 200, 160))

    intents = _intents_of(unanswered)
    if situation_of(text) is Situation.creator_question:
        # "do you ever get nervous before a shoot?" asks about her, not about the fan's nerves.
        intents = [i for i in intents if i not in (Intent.nervous, Intent.hard_time, Intent.celebration)]
    specific = [i for i in intents if i not in _SMALL_TALK]
    main = specific or intents[:1]
    facts = [f for f in (parse_memory(str(m.get("text") or ""), name) for m in memories) if f]
    sources: list[str] = []
    used: list[str] = []
    parts: list[str] = []
    offer: Decimal | None = None
    answered: list[str] = []
    confidence = 0.8
    said: list[str] = []  # the fan's own words, ways to pick them up in front of the answer

    if "possible_minor" in signals or "self_harm" in signals:
        code = "possible_minor" if "possible_minor" in signals else "self_harm"
        style = style.without_flirting()
        parts.append(SAFETY_LINES[code][lang])
        answered.append(code)
        confidence = 0.5
        greet = True
    else:
        price_min = Decimal(str(creator.get("ppv_price_min") or "5"))
        price_max = Decimal(str(creator.get("ppv_price_max") or "100"))
        if (
            not _NO_SALE.intersection(main)
            and not _NO_SALE_SIGNALS.intersection(signals)
            and kind != "thank_you"
        ):
            if Intent.free_content in main:
                offer = _money(price_min)
            elif Intent.purchase_interest in main:
                budget = any(on_a_budget(t) for t in unanswered)
                latest = unanswered[-1] if unanswered else ""
                # "money's tight, rent is due" after asking for something new: no offer at all. Only
                # a fan who asks in the same breath ("anything new? money is tight tho") gets the
                # cheapest one.
                if not (on_a_budget(latest) and not wants_to_buy(latest)):
                    offer = _money(price_min if budget else (price_min + price_max) / 2)
        if offer is not None and any(
            w in reason for w in ("no offer", "no ppv", "no sell", "sales", "pushy", "don't sell")
        ):
            offer = None
        if offer is not None and any(w in reason for w in ("cheaper", "lower price", "too expensive")):
            offer = _money(price_min)

        for code in ("harassment", "chargeback_threat", "off_platform_payment"):
            if code in signals:
                parts.append(SAFETY_LINES[code][lang])
                answered.append(code)
        lines = [i for i in specific if not (i in _SALES and offer is None)]
        situation = situation_of(text)
        feeling = feeling_of(text)
        # Saying the fan's own words back suits what they tell, never instructions, contact or meetup
        # requests, price haggling or anything a safety signal was raised on.
        may_pick_up = not signals and not _NO_PICK_UP_INTENTS & set(intents)
        if lines and not answered and set(lines) <= _EXAMPLE_INTENTS:
            adapted = _best_adapted(
                examples, wanted=lines, name=name, text=text, facts=facts, lang=lang, offer=offer,
                situation=situation, feeling=feeling, pick=pick,
            )  # fmt: skip
            if adapted:
                own, source = adapted
                sources.append(source)
                parts.append(own)
                answered.append("voice_example")
                lines = []
                if may_pick_up and not _takes_up(own, text):
                    said = _pick_up(unanswered[-1], lang, feeling, pick)
        if Intent.impersonation in lines and Intent.instruction in lines:
            lines.remove(Intent.instruction)
        if offer is not None and Intent.free_content in lines and Intent.purchase_interest in lines:
            lines.remove(Intent.purchase_interest)
        if "chargeback_threat" in signals and Intent.complaint in lines:
            lines.remove(Intent.complaint)
        if "off_platform_payment" in signals and Intent.contact in lines:
            lines.remove(Intent.contact)
        for n, intent in enumerate(lines[:3]):
            answer = line(intent, lang)
            if intent is Intent.birthday and not _birthday_now(text):
                answer = _choose(BIRTHDAY_SOON[lang], pick)  # "turning 43 on June 2": not today
            parts.append(_first_sentence(answer) if n > 0 and style.max_chars else answer)
            answered.append(intent.value)
            if intent is Intent.free_content and offer is not None:
                parts.append(FREE_ALTERNATIVE[lang])
        if lines and may_pick_up and lines[0] in _PICK_UP_INTENTS:
            said = _pick_up(unanswered[-1], lang, feeling, pick)

        memory: tuple[dict[str, Any], Fact] | None = None
        if not _NO_MEMORY.intersection(main) and not signals.intersection(
            {"harassment", "chargeback_threat"}
        ):
            memory = _relevant_memory(
                memories, name=name, situation=situation, intents=main, text=text, small_talk=not specific
            )
        if not lines and not answered:
            core = None
            adapted = _best_adapted(
                examples, wanted=(), name=name, text=text, facts=facts, lang=lang, offer=offer,
                situation=situation, feeling=feeling, pick=pick,
            )  # fmt: skip
            if adapted:
                core, source = adapted
                sources.append(source)
                if may_pick_up and situation not in _NO_PICK_UP and not _takes_up(core, text):
                    said = _pick_up(unanswered[-1], lang, feeling, pick)
            if (
                core is None
                and kind in KIND_LINES
                and (situation in (Situation.statement, Situation.plans_question) or kind != "reply")
            ):
                core = _choose(KIND_LINES[kind][lang], pick)
                answered.append(kind)
            if core is None:
                if may_pick_up and situation not in _NO_PICK_UP:
                    said = _pick_up(unanswered[-1], lang, feeling, pick)
                core = _situation_line(situation, feeling, lang, pick)
                answered.append(situation.value)
            else:
                answered.append("voice_example" if sources else kind)
            parts.append(core)
        if memory is not None:
            phrase = say_memory(memory[1], lang, pick=pick // 3, feeling=feeling)
            if phrase:
                if not (sources and parts and parts[0][:1].islower()):
                    phrase = phrase[0].upper() + phrase[1:]  # after her own lowercase reply: lowercase too
                # Right after the line that answers the fan: a length limit drops what comes last.
                parts.insert(min(len(parts), 1), phrase if phrase.endswith(("?", ".", "!")) else phrase + ".")
                used.append(str(memory[0].get("id")))
        if offer is not None:
            parts.append(OFFER[lang].format(price=offer))
            if Intent.purchase_interest not in [Intent(a) for a in answered if a in Intent.__members__]:
                answered.append(Intent.purchase_interest.value)
        greet = (
            not any(str(r.get("from")) == "creator" for r in (context.get("recent") or [])[-4:])
            or pick % 4 == 0
        )
        if Intent.free_content in main or Intent.instruction in main or Intent.impersonation in main:
            confidence = 0.5
        elif Intent.complaint in main or Intent.ai_question in main:
            confidence = 0.55
        elif signals:
            confidence = 0.6
        elif sources:
            confidence = 0.85

    # Bad news, complaints and abuse are answered plainly: no pet names, no emoji.
    if signals & {"harassment", "chargeback_threat"} or {Intent.complaint, Intent.hard_time} & set(main):
        style = style.without_flirting()
    # The best recalled memory shapes the draft even when it is not said back (a boundary, a buying
    # pattern): it is reported as used so the reviewer sees what the draft leaned on.
    if memories and not used and str(memories[0].get("kind")) in _PRIVATE_MEMORY_KINDS and not signals:
        used.append(str(memories[0].get("id")))
    if sources:
        greet = False  # her own reply already is how she opens
        own_emoji = [
            e for ex in examples if str(ex.get("id")) in sources for e in EMOJI.findall(str(ex.get("reply")))
        ]
        if own_emoji:
            style = replace(style, emoji=tuple(dict.fromkeys(own_emoji)))  # her emoji for this very reply
    if said and parts:
        # Her own reply keeps her case: the fan's words in front of it follow her first letter.
        parts = _with_pick_up(parts, said, style, capital=bool(sources) and parts[0][:1].isupper())
    first_word = parts[0].split()[0].lower().strip(",.!") if parts and parts[0].split() else ""
    opener = _opener(style, lang, name, pick, greet=greet, first_word=first_word)
    if opener and parts:
        first = parts[0]
        # "Hey Tom, thank you…" but "Hey Tom, I keep…" and "Hey Tom, Toby…".
        if opener.endswith(",") and re.match(r"^[A-Z][a-z]", first) and first.split()[0].lower() in _LOWER_OK:
            first = first[0].lower() + first[1:]
        parts[0] = f"{opener} {first}"
    elif opener:
        parts = [opener]
    reply = apply_style(parts, style, emoji_pick=pick, keep_last=offer is not None, recase=not sources)
    previous = str((rejection or {}).get("draft") or "")
    if rejection and reply.strip() == previous.strip():
        reply = apply_style(parts[1:] or parts, style, emoji_pick=pick + 1, keep_last=offer is not None)

    rationale = f"Offline model ({lang}): answered {', '.join(answered) or 'the message'}"
    if sources:
        rationale += "; adapted from voice example " + ", ".join(sources)
    if used:
        rationale += "; memory: " + "; ".join(
            str(m.get("text")) for m in memories if str(m.get("id")) in used
        )
    if rejection:
        rationale += f"; redrafted after rejection: {(rejection or {}).get('reason')}"
    return DraftReply(
        reply=reply,
        action="send_ppv" if offer is not None else "send_message",
        ppv_price=float(offer) if offer is not None else None,
        memory_ids_used=used,
        confidence=confidence,
        intent=answered[0] if answered else "other",
        rationale=rationale,
        voice_example_ids_used=sources,
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

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # Rules, a few milliseconds of Python holding the GIL either way: LangChain's default runs
        # `_generate` in a thread pool, which only adds the hand-over to a thread and back.
        return self._generate(messages, stop=stop, **kwargs)

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
