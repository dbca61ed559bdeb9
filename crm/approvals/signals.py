"""Inbound safety signals: what the fan's own message tells a reviewer, in five languages.

Raised on what the fan wrote, whatever the draft says: a possible minor, contact details or other
apps, paying outside the platform, chargeback threats and refund demands, self-harm or crisis
language, harassment and threats. Creators add their own alert keywords per signal
(`creator_profiles.safety_keywords`); those match whole words on the normalised text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from crm.approvals.textnorm import affirmed_hits, any_hits, compile_patterns, normalise

POSSIBLE_MINOR = "possible_minor"
OFF_PLATFORM_ATTEMPT = "off_platform_attempt"
OFF_PLATFORM_PAYMENT = "off_platform_payment"
CHARGEBACK_THREAT = "chargeback_threat"
SELF_HARM = "self_harm"
HARASSMENT = "harassment"
SIGNAL_CODES = (
    POSSIBLE_MINOR,
    OFF_PLATFORM_ATTEMPT,
    OFF_PLATFORM_PAYMENT,
    CHARGEBACK_THREAT,
    SELF_HARM,
    HARASSMENT,
)

# "review": only an owner or admin (or the creator) may decide the item; "urgent": first in the
# queue; "warn": shown to whoever reviews.
SEVERITY: dict[str, str] = {
    POSSIBLE_MINOR: "review",
    OFF_PLATFORM_ATTEMPT: "warn",
    OFF_PLATFORM_PAYMENT: "warn",
    CHARGEBACK_THREAT: "warn",
    SELF_HARM: "urgent",
    HARASSMENT: "warn",
}
MESSAGES: dict[str, str] = {
    POSSIBLE_MINOR: "The fan says or implies they are under 18. No sales, no flirting: an owner or admin "
    "must review this conversation.",
    OFF_PLATFORM_ATTEMPT: "The fan shares contact details or tries to move the chat to another app.",
    OFF_PLATFORM_PAYMENT: "The fan offers to pay outside the platform.",
    CHARGEBACK_THREAT: "The fan demands a refund or threatens a chargeback.",
    SELF_HARM: "The fan's message contains self-harm or crisis language. Answer with care first; no sales.",
    HARASSMENT: "The fan's message is abusive or threatening.",
}

_AGE_WORDS = (
    r"(?:1[0-7]|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|diez|once|doce|trece|"
    r"catorce|quince|dieciseis|diecisiete|zehn|elf|zwolf|dreizehn|vierzehn|funfzehn|sechzehn|siebzehn|dix|"
    r"onze|douze|treize|quatorze|quinze|seize|dix-sept|dez|doze|catorze|dezesseis|dezasseis|dezessete|"
    r"dezassete)"
)
# What a number after "I'm" is when it is not an age.
_NOT_AGE = (
    r"(?!\s*(?:min|mins|minutes?|hours?|hrs?|h\b|km|kms|miles?|mi\b|inch|inches|in\b|cm|ft|feet|lbs?|kg|"
    r"k\b|%|\$|dollars?|bucks|euros?|pounds?|weeks?|days?|months?|th\b|st\b|nd\b|rd\b|times|x\b|"
    r"people|fans|subs|sets|videos|pics))"
)

_PATTERNS: dict[str, re.Pattern[str]] = {
    POSSIBLE_MINOR: compile_patterns(
        rf"\b(?:i'?m|i am|im)\s+(?:only |just |still |barely )?{_AGE_WORDS}\b{_NOT_AGE}(?:\s*(?:years?|yrs?|yo|y/o))?",
        rf"\b(?:just |i )?(?:turned|turning|turn) {_AGE_WORDS}\b{_NOT_AGE}",
        r"\b(?:turn|turning|be) (?:18|eighteen) (?:in|next|this|soon|on)\b|\bwhen i(?:'m| am)? (?:turn )?18\b|"
        r"\bnot (?:18|eighteen) (?:yet|until|till)\b",
        rf"\b{_AGE_WORDS}\s*(?:years? old|yrs? old|yo|y/o)\b",
        r"\b(?:under|not) ?18\b|\bnot (?:18|eighteen|an adult|legal) (?:yet|until)\b|\bunderage\b|"
        r"\bi'?m (?:a )?minor\b|\bi am (?:a )?minor\b",
        r"\b(?:in|at|from|after|before|skip(?:ping|ped)?) (?:high school|middle school|junior high|secondary school)\b|"
        r"\b(?:still in|still at) (?:high )?school\b|\b(?:[6-9]|1[0-2])th grade\b|\b(?:year|yr) (?:[7-9]|1[01])\b|"
        r"\bhigh school (?:sophomore|freshman|junior)\b|\b(?:sophomore|freshman) in high school\b",
        rf"\btengo {_AGE_WORDS} anos\b|\bcumpli {_AGE_WORDS}\b|\bsoy menor\b|\b(?:voy|estoy) (?:al|en el|en la) "
        r"(?:instituto|colegio|secundaria|prepa|liceo)\b",
        rf"(?:^|[,.!?] |\bich )bin (?:erst |nur |noch )?{_AGE_WORDS}\b{_NOT_AGE}(?: jahre)?|\bich werde (?:erst )?{_AGE_WORDS}\b|"
        r"\bminderjahrig\b|\bich (?:gehe|geh) (?:noch )?(?:zur|in die) schule\b|\b(?:[7-9]|1[0-2])\. klasse\b",
        rf"\b(?:j'ai|d'avoir|vais avoir) {_AGE_WORDS} ans\b|\bje suis mineure?\b|\b(?:je suis |je vais )?au (?:lycee|college)\b|"
        r"\ben (?:seconde|troisieme|quatrieme)\b",
        rf"\btenho {_AGE_WORDS} anos\b|\bsou menor\b|\b(?:no|estou no|faco) (?:ensino medio|colegial)\b|"
        r"\bestou no colegio\b",
    ),
    OFF_PLATFORM_PAYMENT: compile_patterns(
        r"\b(?:venmo|zelle|paypal|pay pal|cash ?app|cashtag|apple pay|google pay|revolut|skrill|western union|"
        r"moneygram|wise transfer|bizum|lydia|pix|chave pix)\b",
        r"\b(?:btc|bitcoin|eth|ethereum|crypto|usdt|tether|litecoin|dogecoin|solana|monero)\b",
        r"\b(?:gift ?cards?|amazon card|steam card)\b|\b(?:wire|bank) transfer\b",
        r"\bpay (?:you )?(?:directly|direct|outside|off (?:the )?(?:app|site|platform))\b|"
        r"\b(?:skip|avoid|dodge) (?:the )?(?:fees|platform)\b|\bsend (?:you )?(?:the )?money (?:directly|outside|another way)\b",
        r"\bte (?:pago|transfiero|mando el dinero) (?:por|directamente|fuera)\b|\bpagarte (?:directamente|fuera|por)\b|"
        r"\btransferencia\b",
        r"\b(?:per|uber|via) (?:uberweisung|paypal|crypto|bitcoin)\b|\buberweisung\b|\bdirekt (?:bezahlen|zahlen|schicken|uberweisen)\b|"
        r"\bgeld direkt\b",
        r"\bte payer (?:directement|en dehors|par|en)\b|\bvirement\b|\ben crypto\b",
        r"\bte pagar (?:por|direto|diretamente|fora)\b|\bpagar (?:por fora|direto)\b|\btransferencia\b",
    ),
    CHARGEBACK_THREAT: compile_patterns(
        r"\bcharge ?backs?\b|\bcharge (?:it|this|that) back\b|\bdispute (?:the |this |my |a )?(?:charge|payment|transaction|purchase)\b|"
        r"\b(?:call|contact|report (?:you|this|it) to) (?:my )?(?:bank|card company|credit card|visa|mastercard|amex)\b|"
        r"\brefund\w*\b|\b(?:my|the) money back\b|\b(?:fil(?:e|ing)|open(?:ing)?|start(?:ing)?|raise) a (?:dispute|claim)\b|"
        r"\bdispute (?:it |this |the charge )?(?:with|through) (?:my |the )?(?:bank|card|visa|mastercard|paypal|amex)\b|\breport (?:you|this) to (?:onlyfans|fansly|support)\b",
        r"\breembolso\b|\bdevuelve(?:me)? (?:el|mi) dinero\b|\bdevolucion\b|\banular el (?:cargo|pago)\b|"
        r"\b(?:llamo|llamare|voy a llamar) al banco\b|\bcontracargo\b|\breclamar al banco\b",
        r"\bgeld zuruck\b|\bruckbuch\w*\b|\bzuruckbuch\w*\b|\bruckerstattung\b|\berstatt\w*\b|\bbank anrufen\b",
        r"\brembours\w*\b|\bopposition\b|\blitige\b|\bma banque\b",
        r"\bdinheiro de volta\b|\bestorno\b|\bestornar\b|\bcontestar (?:a compra|a cobranca|no cartao|o pagamento)\b|"
        r"\bchargeback\b|\breembolso\b",
    ),
    SELF_HARM: compile_patterns(
        r"\bkill(?:ed|ing|s)? myself\b|\bend(?:ing)? (?:it all|my life|things)\b|\btake my (?:own )?life\b|"
        r"\bsuicid\w*\b|\b(?:want|wanna|going) to die\b|\bwanna die\b|\bwish i (?:was|were) dead\b|"
        r"\bbetter off dead\b|\bno reason to (?:live|keep going)\b|\bdon'?t want to (?:live|be alive|be here)\b|"
        r"\bdon'?t see the point (?:anymore|of living|in living|of anything)\b|\bdisappear forever\b|"
        r"\bhurt(?:ing)? myself\b|\bself[- ]?harm\w*\b|\bcut(?:ting)? myself\b|\boverdos\w*\b|"
        r"\bcan'?t (?:go on|do this anymore|take it anymore)\b|"
        r"\b(?:took|taken|swallowed) (?:a bunch of|all (?:my|the|of my)|too many|a lot of|a handful of) (?:pills|tablets|meds|sleeping pills)\b|"
        r"\bdon'?t care if i (?:live|die|wake up)\b",
        r"\bquiero morir\w*\b|\bno quiero (?:vivir|seguir viviendo|estar aqui)\b|\bmatarme\b|\bquitarme la vida\b|"
        r"\bacabar con todo\b|\bsuicid\w*\b|\bhacerme dano\b",
        r"\b(?:will|mochte|möchte|kann) nicht mehr (?:leben|weiter)\b|\bnicht mehr leben\b|\bmich umbringen\b|"
        r"\bselbstmord\w*\b|\bsuizid\w*\b|\bmir das leben nehmen\b|\bsterben (?:will|wollen)\b|\bwill sterben\b|\britzen\b",
        r"\ben finir\b|\bme suicider\b|\b(?:veux|ai) plus (?:envie de )?vivre\b|\bsuicid\w*\b|\benvie de mourir\b|\bveux mourir\b|\bplus envie de vivre\b|"
        r"\bme tuer\b|\bme faire du mal\b",
        r"\bquero morrer\b|\bme matar\b|\bsuicid\w*\b|\bnao quero mais viver\b|\bacabar com tudo\b|\btirar (?:a )?minha vida\b|"
        r"\bnao aguento mais viver\b",
    ),
    HARASSMENT: compile_patterns(
        r"\b(?:stupid|dumb|fucking|fat|ugly|worthless|useless|disgusting|pathetic|lying|greedy|filthy)\s+"
        r"(?:bitch|whore|slut|cunt|skank|cow|hoe|ho|idiot|pig)\b|\byou (?:\w+ )?(?:bitch|whore|cunt|skank)\b",
        r"\bi know where you live\b|\bi(?:'ll| will) (?:find|hurt|kill|get|ruin|destroy|expose|dox) you\b|"
        r"\byou(?:'ll| will| are going to|'re going to|'re gonna| gonna) (?:regret|pay for) (?:it|this|that)\b|"
        r"\bwatch your back\b|\b(?:leak|post|share|spread) your (?:pics|nudes|videos|vids|photos|content|address)\b|"
        r"\bi(?:'ll| will) leak\b|\bi'?m going to (?:find|hurt|kill) you\b",
        # "perra" is also a (female) dog: "mi perra Lola ha tenido cachorros" is no insult.
        r"\bzorra\b|\bputa\b|(?<!\bmi )(?<!\bmis )(?<!\btu )(?<!\bsu )(?<!\bla )(?<!\bnuestra )(?<!\btengo una )\bperra\b|\bte vas a (?:enterar|arrepentir)\b|\bse donde vives\b|\bte voy a (?:encontrar|buscar|matar)\b",
        r"\bschlampe\b|\bhure\b|\bfotze\b|\bich weiss,? wo du wohnst\b|\bich finde dich\b|\bpass (?:bloss|bloß|nur) auf\b|"
        r"\bdu wirst es bereuen\b",
        r"\bsalope\b|\bpute\b|\bconnasse\b|\bje sais ou tu habites\b|\bje vais te (?:retrouver|trouver|tuer)\b|"
        r"\btu vas le regretter\b",
        r"\bvadia\b|\bvagabunda\b|\bpiranha\b|\bsei onde (?:voce|vc) mora\b|\bvou te (?:achar|encontrar|pegar|matar)\b|"
        r"\bvai se arrepender\b",
    ),
}
# Signals that a negation in the same clause takes back ("I'm not suicidal", "no refund needed").
_NEGATABLE = frozenset({SELF_HARM, CHARGEBACK_THREAT})

# Contact details and other apps (shared with the outbound check).
OTHER_APPS = (
    "whatsapp", "telegram", "snapchat", "snap", "instagram", "insta", "kik", "discord", "signal", "skype",
    "wickr", "cashapp", "cash app", "venmo", "paypal", "zelle", "line app", "wechat", "tiktok", "facebook",
    "messenger", "twitter", "reddit", "tinder", "bumble", "grindr", "viber", "imessage",
    "facetime", "zap", "zapzap", "wpp",
)  # fmt: skip
_APP_NAMES = "|".join(re.escape(a) for a in OTHER_APPS)
APPS = re.compile(
    rf"\b(?:{_APP_NAMES})\b|\bwhats[ .-]?app\b|\bsnap[ .-]?chat\b|\binsta[ .-]?gram\b|\btele[ .-]?gram\b|\bface[ .-]?book\b|"
    r"\bwa\.me\b|\bt\.me\b|\bfb\b|\bsc\b(?=\s*[:@])|\big\b(?=\s*[:@])",
    re.I,
)
EMAIL = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.-]+|\b[\w.+-]+\s*(?:\(at\)|\[at\]| at )\s*(?:gmail|yahoo|hotmail|outlook|icloud|proton\w*|gmx|web)"
    r"\s*(?:\.|dot|\(dot\)|\[dot\])\s*(?:com|net|de|fr|es|org|me)\b",
    re.I,
)
URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|io|me|ly|co|app|link|xyz|site|page|bio|gg|tv)\b|"
    r"\b[\w-]+\s*(?:dot|\(dot\)|\[dot\])\s*(?:com|net|org|io|me|co)\b|\blink ?tree\b|\blinktr\.ee\b",
    re.I,
)
PHONE = re.compile(r"(?<!\w)(\+?\d[\d\s().-]{7,}\d)(?!\w)")
HANDLE = re.compile(r"(?<![\w@])@[a-z0-9_.]{3,30}\b", re.I)
_CONTACT_ASK = compile_patterns(
    r"\b(?:text|call|ring|message|dm|hit) me (?:up )?(?:at|on|there|via)\b|\b(?:add|follow|find) me (?:on|at)\b|"
    r"\bmy (?:number|cell|phone|email|e-mail|handle|username|snap|insta|ig|whatsapp|telegram|discord)\b|"
    r"\b(?:your|ur) (?:number|cell|phone number|email|e-mail|snap|insta|ig|whatsapp|telegram|discord)\b",
    r"\bmi (?:numero|telefono|correo|insta)\b|\bagregame\b|\bescribeme (?:al|a mi|por)\b|\btu (?:numero|telefono|correo)\b",
    r"\bmeine (?:nummer|handynummer|e-mail|mail)\b|\bschreib mir (?:auf|bei|per|uber)\b|\bdeine (?:nummer|handynummer)\b|"
    r"\bfolge mir auf\b|\badde mich\b",
    r"\bmon (?:numero|mail|insta|snap)\b|\bajoute-moi\b|\becris-moi (?:sur|a|au)\b|\bton (?:numero|mail|insta|snap)\b",
    r"\bmeu (?:numero|telefone|zap|e-mail|insta)\b|\bme chama no\b|\bme adiciona\b|\bseu (?:numero|telefone|zap|insta)\b",
)


def contact_details(text: str) -> list[str]:
    """Which kinds of off-platform contact a text carries (e-mail, link, phone number, other app, handle)."""
    found: list[str] = []
    for variant in (text, normalise(text)):
        for label, rx in (("email", EMAIL), ("link", URL), ("other app", APPS), ("handle", HANDLE)):
            if label not in found and rx.search(variant):
                found.append(label)
    # Prices and dates also contain digits and separators; a phone number has at least nine digits.
    if any(len(re.sub(r"\D", "", m.group(1))) >= 9 for m in PHONE.finditer(text)):
        found.append("phone number")
    return found


@dataclass(frozen=True)
class Signal:
    code: str
    severity: str
    message: str
    evidence: tuple[str, ...]


MAX_KEYWORDS_PER_SIGNAL = 50
_KEYWORD_CHARS = (2, 60)


def validate_safety_keywords(raw: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The creator's alert keywords, cleaned (trimmed, lower-case, de-duplicated); ValueError on bad input."""
    if not isinstance(raw, Mapping):
        raise ValueError("safety_keywords must be an object of signal code → list of words")
    clean: dict[str, list[str]] = {}
    for code, words in raw.items():
        if code not in SIGNAL_CODES:
            raise ValueError(f"unknown safety signal {code!r} (known: {', '.join(SIGNAL_CODES)})")
        if isinstance(words, str) or not isinstance(words, Sequence):
            raise ValueError(f"safety_keywords.{code} must be a list of words")
        if len(words) > MAX_KEYWORDS_PER_SIGNAL:
            raise ValueError(f"safety_keywords.{code}: at most {MAX_KEYWORDS_PER_SIGNAL} keywords")
        kept: list[str] = []
        for word in words:
            if not isinstance(word, str):
                raise ValueError(f"safety_keywords.{code}: every keyword must be text")
            w = " ".join(word.split()).lower()
            low, high = _KEYWORD_CHARS
            if not low <= len(w) <= high or not normalise(w).strip():
                raise ValueError(
                    f"safety_keywords.{code}: keywords must be {low}–{high} characters ({word!r})"
                )
            if any(not c.isprintable() for c in w):
                raise ValueError(f"safety_keywords.{code}: keywords must be printable text")
            if w not in kept:
                kept.append(w)
        if kept:
            clean[code] = kept
    return clean


def _keyword_hits(text: str, words: Sequence[str]) -> list[str]:
    norm = normalise(text)
    hits = []
    for word in words:
        w = normalise(word).strip()
        if w and re.search(rf"(?<!\w){re.escape(w)}(?!\w)", norm):
            hits.append(word)
    return hits


def detect_signals(
    texts: Iterable[str], *, keywords: Mapping[str, Sequence[str]] | None = None
) -> list[Signal]:
    """Every safety signal in the fan's messages, most serious first; creator keywords included."""
    joined = [t for t in texts if t and t.strip()]
    out: list[Signal] = []
    for code in SIGNAL_CODES:
        evidence: list[str] = []
        for text in joined:
            if code == OFF_PLATFORM_ATTEMPT:
                details = [d for d in contact_details(text)]
                # A payment app alone is a payment signal, not a contact attempt.
                if details == ["other app"] and not any_hits(text, APPS_NOT_PAYMENT):
                    details = []
                evidence += details + any_hits(text, _CONTACT_ASK)
            elif code in _NEGATABLE:
                evidence += affirmed_hits(text, _PATTERNS[code])
            else:
                evidence += any_hits(text, _PATTERNS[code])
            extra = (keywords or {}).get(code) or ()
            evidence += [f"keyword “{w}”" for w in _keyword_hits(text, extra)]
        if evidence:
            unique = tuple(dict.fromkeys(evidence))
            out.append(Signal(code, SEVERITY[code], MESSAGES[code], unique[:4]))
    return out


_PAYMENT_APPS = {"venmo", "paypal", "zelle", "cashapp", "cash app"}
APPS_NOT_PAYMENT = re.compile(
    r"\b(?:" + "|".join(re.escape(a) for a in OTHER_APPS if a not in _PAYMENT_APPS) + r")\b|\bwhats ?app\b|"
    r"\bsnap ?chat\b|\binsta ?gram\b|\btele ?gram\b",
    re.I,
)
