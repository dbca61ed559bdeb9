"""Guardrails: deterministic checks on what would reach a fan (and on what the fan wrote).

Pure functions, so the drafting graph and the decision service (edits are re-validated) share them.
Each hit is a `Flag`; `block` flags stop the action, `warn` flags are shown to the reviewer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from crm.approvals import signals
from crm.approvals.schemas import Flag
from crm.approvals.signals import OTHER_APPS, contact_details
from crm.approvals.textnorm import affirmed_hits, compile_patterns, strip_accents
from crm.enums import ActionType

__all__ = [
    "INBOUND_CODES",
    "INJECTION_PATTERNS",
    "OTHER_APPS",
    "GuardrailPolicy",
    "check_action",
    "check_inbound",
    "check_price",
    "check_text",
    "dump",
    "injection_families",
    "injection_hits",
]

# Outbound checks read normalised text (case, accents, leetspeak, spacing undone) clause by clause,
# in English, Spanish, German, French and Portuguese, because reviewers edit drafts in the fan's
# language and the edit is re-checked. A negation counts only where it governs the phrase.
_MEETUP = compile_patterns(
    r"\bmeet(?:ing)? (?:up|you|me|irl|in person|face to face|tonight|tomorrow|at|for|after|somewhere|halfway|"
    r"sometime|soon|there)\b|\bmeet-?ups?\b|\blet'?s meet\b|\b(?:link|hook) up\b|\bmeet (?:each other|in real life)\b",
    r"\bin person\b|\birl\b|\bface to face\b|\bin real life\b",
    r"\bcome (?:over|round|around|by|visit|see me|to (?:my|mine|me|our|the hotel)|up to my|say hi|find me|get me|"
    r"stay)\b|\b(?:swing|stop|drop|pop) (?:by|round|over)\b|\bstay (?:over|the night|with me)\b|\bsleep ?over\b|"
    r"\bpick (?:you|me) up\b|\bcome (?:and|&) (?:see|get|find) me\b",
    r"\b(?:my|your|ur) (?:place|apartment|apt|flat|address|hotel(?: room)?|hotel)\b|\bmotel\b|\bhotel room\b|"
    r"\broom \d{2,4}\b|\bdoor'?s (?:open|unlocked)\b|\bmy address\b",
    r"\bgrab (?:a |some )?(?:drinks?|coffee|dinner|lunch|a bite|bite|food|breakfast|brunch)\b|"
    r"\b(?:drinks?|coffee|dinner|lunch|a bite) (?:together|with me|sometime)\b|\bgo (?:on a date|out (?:with me|together))\b|"
    r"\b(?:take|taking) you out\b|\bdate night\b|\bhang ?out\b",
    r"\bsee (?:you|ya|u) (?:at|in person|irl|there|face to face|at midnight)\b|\bsee you (?:in|at) (?:the|my|your)\b",
    r"\bat (?:the )?(?:[a-z]+ )?(?:bar|pub|club|hotel|lounge|cafe|coffee shop|starbucks|restaurant|diner|motel)\b",
    r"\bnext time (?:you'?re|you are|i'?m|i am) in\b|\b(?:when|while) (?:you'?re|you are|i'?m|i am) in (?:town|the city|"
    r"my city|your city|the area)\b|\bi'?m in your (?:city|town|area)\b|\bi'?ll be in (?:town|your city|your area)\b",
    r"\bnos vemos (?:en|el|la|manana|este|esta|hoy|luego|a las)\b|\bquedamos (?:en|el|a las|para|esta|manana|hoy)\b|"
    r"\bquedar (?:contigo|conmigo|en persona)\b|\btomamos (?:un|una|algo)\b|\b(?:tomar|tomemos) (?:algo|un cafe|una copa)\b|"
    r"\bte (?:veo|espero|recojo|busco) (?:en|el|esta|manana|a las|hoy)\b|\ben persona\b|\bcara a cara\b|"
    r"\bmi (?:piso|depa|departamento|apartamento|hotel|direccion)\b|\bven(?:te)? a (?:mi|casa|verme)\b|\bpasate por\b",
    r"\b(?:treffen wir uns|uns treffen|treffe dich|triff mich|sehen uns|wir sehen uns) (?:in|im|am|bei|um|morgen|heute|"
    r"nachher|vor)\b|\bpersonlich\b|\bzu mir(?: nach hause)?\b|\bkomm (?:vorbei|rum|ruber|zu mir)\b|"
    r"\bmeine (?:adresse|wohnung)\b|\bbei mir (?:zu hause|daheim|zuhause)\b|\bauf einen (?:kaffee|drink)\b|"
    r"\bich hol dich ab\b|\bim echten leben\b",
    r"\bon se voit\b|\bse (?:retrouver|voir|rejoindre) (?:a|au|chez|ce|demain|en vrai|ce soir)\b|\brejoins-?moi\b|"
    r"\bretrouve-?moi\b|\bchez (?:moi|toi)\b|\bmon (?:adresse|appart|appartement)\b|\ben vrai\b|\ben personne\b|"
    r"\bboire un (?:verre|cafe|coup)\b|\bviens (?:chez|me voir|a la maison)\b|\bje passe te (?:prendre|chercher)\b",
    r"\bnos vemos (?:no|na|em|amanha|sabado|hoje|mais tarde)\b|\bte (?:vejo|espero|busco|pego) (?:no|na|em|amanha|hoje|as)\b|"
    r"\bvamos nos (?:encontrar|ver)\b|\ba gente se (?:encontra|ve)\b|\bpessoalmente\b|\bmeu (?:endereco|apartamento|ape)\b|"
    r"\bpassa (?:aqui|la em casa|em casa|na minha casa)\b|\bvem (?:aqui|pra ca|pra minha casa|na minha casa)\b|"
    r"\bum (?:cafe|drink|chope) juntos\b",
)
_FREE = compile_patterns(
    r"\bfor free\b|\bfree (?:of charge|for you|pics?|vids?|videos?|content|sets?|nudes?|stuff|preview|peek|access|"
    r"sample|gift|unlock|of cost|custom)\b|\b(?:it'?s|its|it is|this is|that'?s|they'?re|all|totally|100%) free\b",
    r"\bon the house\b|\bno (?:charge|cost|fee)\b|\bat no (?:cost|charge)\b|\bcomplimentary\b|\bfreebies?\b",
    r"\b(?:won'?t|will not|don'?t|do not|never|wont) (?:have to |need to |ever )?pay\b|\bno need to pay\b|"
    r"\bdon'?t worry about (?:paying|the price|money)\b|\bwithout paying\b|\bpay (?:nothing|zero|a cent|a dime)\b|"
    r"\b(?:won'?t|will not) (?:cost|charge) (?:you )?(?:a thing|anything|a cent|a dime)\b|\bnot (?:a )?(?:cent|penny|dime)\b",
    r"\bconsider it a gift\b|\bmy (?:treat|gift to you)\b|\bgift(?:ing)? (?:you|it to you) (?:this|the|my|a)\b",
    r"\$0\b|\bzero dollars\b|\bfor nothing\b",
    r"\bgratis\b|\bregalad[oa]s?\b|\bte (?:lo|la|los|las) regalo\b|\bregalarte\b|\bde regalo\b|"
    r"\bsin (?:costo|coste|cargo|pagar)\b|\bno (?:me )?debes nada\b|\bno tienes que pagar\b|\binvita la casa\b|"
    r"\bcorre por mi cuenta\b",
    r"\bkostenlos\b|\bumsonst\b|\bgeschenkt\b|\bschenk(?:e)? (?:ich )?dir\b|\bgeht aufs haus\b|"
    r"\bmusst (?:du )?nichts (?:be)?zahlen\b|\bohne (?:zu )?(?:bezahlen|zahlen)\b",
    r"\bgratuit\w*\b|\bgratos\b|\bje te l'?offre\b|\boffert\b|\bc'?est cadeau\b|\ben cadeau\b|\bsans payer\b|"
    r"\btu (?:n'?as|n'?auras) (?:rien|pas) a payer\b",
    r"\bde graca\b|\bsem (?:custo|pagar|cobrar|cobranca)\b|\bpor minha conta\b|\bnao precisa pagar\b|"
    r"\bde presente\b|\bte dou (?:de presente|esse|essa)\b|\bcortesia\b",
)
_OTHER_FAN = re.compile(
    r"\b(another|other|my (top|biggest|best)) (fan|subscriber|sub|spender)s?\b.{0,40}\b"
    r"(spent|paid|bought|said|told|sent|is|are|named|called)\b",
    re.I,
)


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.I | re.M)


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


# The same families compiled for normalised text ("1gn0re y0ur rul3s", "olvidate de las reglas").
_INJECTION_NORMALISED: dict[str, re.Pattern[str]] = {
    name: re.compile(strip_accents(rx.pattern), rx.flags) for name, rx in INJECTION_PATTERNS.items()
}


def _injection_matches(text: str) -> dict[str, list[str]]:
    from crm.approvals.textnorm import normalise

    found: dict[str, list[str]] = {}
    normalised = normalise(text)
    for name, rx in INJECTION_PATTERNS.items():
        hits = [m.group(0).strip().lower() for m in rx.finditer(text) if m.group(0).strip()]
        hits += [m.group(0).strip() for m in _INJECTION_NORMALISED[name].finditer(normalised)]
        if hits:
            found[name] = list(dict.fromkeys(hits))
    return found


def injection_hits(text: str) -> list[str]:
    """The phrases in a fan message that try to instruct the assistant (empty when none)."""
    return [hit for hits in _injection_matches(text).values() for hit in hits]


def injection_families(text: str) -> set[str]:
    """Which kinds of instruction a fan message contains (keys of `INJECTION_PATTERNS`)."""
    return set(_injection_matches(text))


@dataclass(frozen=True)
class GuardrailPolicy:
    """The creator's persona rules that guardrails enforce, and their own alert keywords."""

    restricted_words: tuple[str, ...] = ()
    ppv_price_min: Decimal = Decimal("5")
    ppv_price_max: Decimal = Decimal("100")
    rules: tuple[str, ...] = field(default_factory=tuple)
    # Extra words per inbound signal code ("possible_minor": ["prom", "homeroom"]).
    safety_keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# Flags about the fan's own message: they stay on an item when a reviewer edits the draft.
INBOUND_CODES = frozenset({"prompt_injection", *signals.SIGNAL_CODES})


def check_inbound(texts: Iterable[str], *, policy: GuardrailPolicy | None = None) -> list[Flag]:
    """Flags on what the fan wrote: safety signals (most serious first) and instructions in it."""
    texts = [t for t in texts if t]
    flags = [
        Flag(
            code=signal.code,
            severity=signal.severity,  # type: ignore[arg-type]
            message=f"{signal.message} ({'; '.join(signal.evidence)})",
        )
        for signal in signals.detect_signals(texts, keywords=policy.safety_keywords if policy else None)
    ]
    hits = sorted({hit for t in texts for hit in injection_hits(t)})
    if hits:
        flags.append(
            Flag(
                code="prompt_injection",
                severity="warn",
                message="The fan's message tries to instruct the assistant ("
                + "; ".join(hits[:3])
                + "). Treated as data: nothing was changed because of it.",
            )
        )
    return flags


def check_text(
    text: str,
    *,
    policy: GuardrailPolicy,
    other_fan_names: Sequence[str] = (),
    inbound_texts: Sequence[str] = (),
) -> list[Flag]:
    """Every check on one outbound text (a draft, or a reviewer's edit of it)."""
    from crm.approvals.textnorm import normalise

    flags: list[Flag] = []
    lowered = text.lower()
    normalised = normalise(text)
    words = [
        w
        for w in policy.restricted_words
        if w
        and (
            re.search(rf"\b{re.escape(w.lower())}\b", lowered)
            or re.search(rf"(?<!\w){re.escape(normalise(w))}(?!\w)", normalised)
        )
    ]
    if words:
        flags.append(
            Flag(
                code="restricted_word", severity="block", message="Uses restricted words: " + ", ".join(words)
            )
        )
    contact = contact_details(text)
    if contact:
        flags.append(
            Flag(
                code="off_platform_contact",
                severity="block",
                message="Moves the fan off the platform: " + ", ".join(contact),
            )
        )
    meetup = affirmed_hits(text, _MEETUP)
    if meetup:
        flags.append(
            Flag(
                code="meetup",
                severity="block",
                message=f"Agrees to or proposes meeting in person (“{meetup[0]}”).",
            )
        )
    free = affirmed_hits(text, _FREE)
    if free:
        flags.append(
            Flag(code="free_content", severity="block", message=f"Promises content for free (“{free[0]}”).")
        )
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
