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


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.I | re.M)


# Outbound checks understand English, Spanish, German, French and Portuguese, because reviewers
# edit drafts in the fan's language and the edit is re-checked.
_MEETUP = _rx(
    r"\b(meet (up|you|me|irl|in person)|meet-?up|in person|irl|come over|my place|your place|"
    r"hotel|my address|your address|grab (a )?(drink|coffee|dinner)|go on a date|hang out)\b",
    r"\bnos vemos (en|el|la|mañana|este)\b|\bquedamos (en|el|a las)\b|\btomamos (un|una|algo)\b|"
    r"\bte veo (en|el|mañana)\b|\ben persona\b|\bmi casa\b|\bmi dirección\b",
    r"\b(treffen wir uns|uns treffen|treffe dich|sehen uns) (in|im|am|bei|um|morgen)\b|"
    r"\bpersönlich\b|\bzu mir nach hause\b|\bmeine adresse\b",
    r"\bon se voit (à|au|chez|samedi|ce|demain)\b|\bse retrouver (à|au)\b|\bchez moi\b|"
    r"\bmon adresse\b|\ben vrai\b.{0,20}\b(voir|rencontrer)\b",
    r"\bnos vemos (no|na|em|amanhã|sábado)\b|\bte vejo (no|na|em|amanhã)\b|\bvamos nos encontrar\b|"
    r"\ba gente se (encontra|vê)\b|\bpessoalmente\b|\bminha casa\b|\bmeu endereço\b",
)
_NEGATION = _rx(
    r"\b(can't|cannot|can not|don't|do not|never|won't|will not|not|no)\b",
    r"\b(no|nunca|jamás)\b",
    r"\b(nicht|nie|niemals|kein|keine|keinen|leider nein)\b",
    r"\b(pas|jamais|ne)\b|\bn'",
    r"\b(não|nunca|jamais)\b",
)
_FREE = _rx(
    r"\b(for free|free (pics?|videos?|content|sets?|nudes?|stuff|preview of everything))\b",
    r"\bgratis\b|\bregalad[oa]\b",
    r"\bkostenlos\b|\bgeschenkt\b",
    r"\bgratuit(e|s|ement)?\b",
    r"\bde graça\b|\bgrátis\b|\bsem (custo|pagar|cobrar)\b",
)
_OTHER_FAN = re.compile(
    r"\b(another|other|my (top|biggest|best)) (fan|subscriber|sub|spender)s?\b.{0,40}\b"
    r"(spent|paid|bought|said|told|sent|is|are|named|called)\b",
    re.I,
)
_ASKS_AI = _rx(
    r"\b(are (you|u) (an? )?(bot|ai|robot|real|human|a real person|chatgpt|automated)|"
    r"is this (an? )?(bot|ai|real person|automated)|am i (talking|chatting|speaking) (to|with) "
    r"(an? )?(bot|ai|real|human|person)|is (this|it) really you)\b",
    r"\beres (un |una )?(bot|robot|ia|persona real)\b|\bhablo con (un |una )?(bot|ia|robot|persona)\b",
    r"\bbist du (ein |eine )?(bot|ki|roboter|echt)\b|\bmit (einer|einem) (ki|bot)\b",
    r"\b(es-tu|t'es|tu es) (un |une )?(bot|robot|ia|vraie? personne)\b|"
    r"\bje parle à (une ia|un bot|un robot)\b",
    r"\b(você é|vc é) (um |uma )?(robô|bot|ia|pessoa de verdade)\b|"
    r"\bfalando com (uma pessoa|um robô|um bot|uma ia)\b",
)
_DENIES_AI = _rx(
    r"\b(not an? (bot|ai|robot)|i'?m (a )?(real|human)( person| human)?|i am (a )?(real|human)|"
    r"no bots? here|100% real|definitely (real|human|me)|it'?s really me|no ai)\b",
    r"\bno soy (un |una )?(bot|robot|ia)\b|\bsoy (real|humana?|una persona real)\b",
    r"\b(kein|keine) (bot|ki|roboter)\b|\bich bin (wirklich |doch )?(echt|real)(?=\s*([.!,?]|$))|"
    r"\bich bin ein (echter )?mensch\b|\bich bin es wirklich\b",
    r"\bje ne suis pas (un |une )?(bot|robot|ia)\b|\bje suis (réelle?|humaine?|une vraie personne)\b",
    r"\bnão sou (um |uma )?(robô|bot|ia)\b|\bsou (real|humana?|eu mesma|eu mesmo)\b",
)

# Prompt injection: a fan message that tries to instruct the assistant. Each family is a separate
# pattern so the reviewer sees which kind of attempt it was.
_TOOL_NAMES = (
    r"\b(send_ppv|send_message|create_broadcast|schedule_post|update_custom_request_price|"
    r"draftreply|tool_call|function_call)\b"
)
INJECTION_PATTERNS: dict[str, re.Pattern[str]] = {
    "override": _rx(
        r"\b(ignore|disregard|forget|override|bypass|skip) (all |any |of |your |the |my |these |those |"
        r"previous |prior |earlier |above |creator'?s? |system |current )*(rules|instructions?|guidelines|"
        r"prompt|policies|polic(y|ies)|price list|persona|limits|restrictions|settings|directives|above)\b",
        r"\bforget (that )?(you('re| are)|ur) (an? )?(assistant|ai|bot|model|chatbot)\b",
        r"\b(follow|obey) (my|these|the following|new) (rules|instructions|orders|commands)\b",
        r"\b(the )?(real|actual|true) instructions?\b|\bprevious message was a test\b",
        r"\b(ignora|olvida|olvídate de) (todas |tus |las |mis )*(instrucciones|reglas|normas|indicaciones)\b",
        r"\b(ignorier\w*|vergiss|missachte) (alle |deine |die |meine )*(vorherigen |bisherigen )?"
        r"(anweisungen|regeln|instruktionen|vorgaben)\b",
        r"\b(ignore|oublie) (toutes |tes |les |vos |mes )*(instructions|règles|consignes)\b",
        r"\b(ignore|ignora|esqueça|esquece) (todas |as |suas |tuas |minhas )*(instruções|regras)\b",
    ),
    "role_markup": _rx(
        r"^\s*(system|assistant|developer|admin|creator|instructions?)\s*:",
        r"(?:^|\s)#{2,}\s*(instructions?|system|prompt)\b",
        r"</?\s*(system|creator|assistant|fan_message|user|instructions?|im_start|im_end|secret)\s*>",
        r"\[\[?\s*(tool_call|function|system|instruction)",
        r"<\|[a-z_]+\|>",
        _TOOL_NAMES,
        r"\b(respond|reply|answer|output) (only )?(with|in|as) (json|xml|code|yaml)\b",
        r"\b(price|amount)\s*=\s*\d",
    ),
    "role_play": _rx(
        r"\byou('re| are) now (an? |in |the )?(\w+ ){0,2}(bot|ai|assistant|model|mode|gpt|dan)\b",
        r"\byou('re| are) now [A-Z]\w*(bot|gpt|ai)\b",
        r"\bfrom now on,? you (are|will|must|have to)\b",
        r"\b(developer|dev|admin|administrator|maintenance|debug|god|jailbreak|unrestricted|dan) mode\b",
        r"\bpretend (you('re| are)|to be) (an? )?(in |an? )?(\w+ )?(mode|ai|assistant|bot|unrestricted|"
        r"without)\b",
        r"\b(no|without (any )?)(rules|restrictions|filters|limits)\b.{0,20}\b(assistant|ai|bot|mode)\b",
        r"\bjailbreak\w*\b|\bignore your persona\b",
        r"\ba partir de ahora (eres|serás|vas a)\b|\bmodo (desarrollador|administrador|dios|mantenimiento)\b|"
        r"\bsin (reglas|restricciones)\b",
        r"\b(du bist|ab jetzt bist du) (jetzt )?(im|ein|eine)\b.{0,20}(modus|bot|ki|assistent)|"
        r"\b(entwickler|wartungs|admin|administrator|debug)modus\b",
        r"\bà partir de maintenant,? tu (es|seras|dois)\b|\bmode (développeur|administrateur|admin|"
        r"maintenance|debug)\b",
        r"\ba partir de agora,? (você é|vc é|tu és)\b|\bmodo (desenvolvedor|admin|manutenção)\b",
    ),
    "authority": _rx(
        r"\b(update|message|notice|announcement|order) from (onlyfans|fansly|fanvue|the agency|"
        r"your (developer|admin|creator|agency)|support|management|the admin)\b",
        r"\b(onlyfans|fansly|fanvue)[- ](support|team|staff|admin|security)\b",
        r"\bnew (rule|instruction|instructions|directive|policy) (from|by)\b",
        r"\bas (the|an|your) (admin|administrator|developer|operator|moderator)\b",
        r"\b(note|message) to (the |any )?(ai|bot|assistant|model|chatbot)\b|\bai reading this\b",
        r"\byour (ai|bot|assistant) (must|should|has to|will)\b",
        r"^\s*(assistant|ai|bot|chatgpt)\s*,",
        r"\b(i'?m|i am) from the agency\b|\bthis is \w+'?s manager\b",
        r"\bhier ist das (\w+-)?team\b|\bnueva (regla|instrucción|orden) (de|del)\b|\bnouvelle "
        r"(règle|consigne|instruction) (du|de)\b|\bnova (regra|instrução) (do|da)\b",
    ),
    "exfiltration": _rx(
        r"\bsystem prompt\b|\b(hidden|secret|initial|original|internal) (instructions|prompt|rules)\b",
        r"\b(print|reveal|repeat|output|dump|show me) (me )?(your|the) (instructions|prompt|rules|"
        r"guidelines)\b",
        r"\brepeat after me\b|\bword for word\b",
    ),
    "actions": _rx(
        r"\b(change|lower|drop|set|make) (your |the |all )?(prices?|ppv)\b|\bmake it free\b",
        r"\bapprove (it )?automatically\b|\bauto-?approve\b|\bapproved all pending\b",
        r"\bmark [^.?!]{0,40} as paid\b|\bbroadcast [^.?!]{0,40}\b(every|all) (fan|fans|subscribers)\b",
        r"\bmy price for [^.?!]{0,30} is\b|\bthe minimum is now\b|\bel mínimo ahora es\b|"
        r"\bdas minimum ist jetzt\b|\ble minimum (est|c'est) maintenant\b|\bo mínimo agora é\b",
    ),
    "free_content": _rx(
        r"\b(send|give) (me )?(it |everything |all |your )?(content |pics |videos |sets )?for free\b",
        r"\bfree content\b|\b(send|give|unlock)\b[^.?!]{0,30}\b(vault|everything|all)\b[^.?!]{0,20}\bfree\b",
        r"\b(send|give) (me )?the [^.?!]{0,20}\bfree\b",
        r"\b(mándame|envíame|dame|pásame)\b[^.?!]{0,40}\bgratis\b",
        r"\b(schick|sende|gib)\w*\b[^.?!]{0,40}\b(kostenlos|gratis|umsonst)\b",
        r"\b(envoie|donne|file)\w*(-moi)?\b[^.?!]{0,40}\b(gratuitement|gratuit|gratos)\b|"
        r"\btout gratuitement\b",
        r"\b(mande|manda|envie|envia|me dá)\b[^.?!]{0,40}\b(de graça|grátis|sem cobrar|sem pagar)\b",
    ),
    "other_fans": _rx(
        r"\b(tell|show) me (about )?(your )?other (fans|subscribers)\b|"
        r"\b(who|what) (are|is|do|did) (your )?(other|top|biggest) (fans|subscribers|spenders)\b|"
        r"\blist (all |the )?(last \d+ |\d+ )?(your )?(fans|subscribers|buyers)\b|\bother fans'?\b",
        r"\b(fans|subscribers) who (bought|paid|spent)\b",
        r"\b(los nombres|la lista) de (tus |los )?(fans|suscriptores)\b",
        r"\bliste (der|aller) fans\b|\bnotizen (über|zu) (anderen|allen) fans\b",
        r"\bnoms des (autres )?abonnés\b",
        r"\b(lista|nomes) (de|dos) (fãs|assinantes)\b",
    ),
}


def injection_hits(text: str) -> list[str]:
    """The phrases in a fan message that try to instruct the assistant (empty when none)."""
    hits: list[str] = []
    for rx in INJECTION_PATTERNS.values():
        hits += [m.group(0).strip().lower() for m in rx.finditer(text) if m.group(0).strip()]
    return hits


def injection_families(text: str) -> set[str]:
    """Which kinds of instruction a fan message contains (keys of `INJECTION_PATTERNS`)."""
    return {name for name, rx in INJECTION_PATTERNS.items() if rx.search(text)}


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
    hits = sorted({hit for t in texts for hit in injection_hits(t)})
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
