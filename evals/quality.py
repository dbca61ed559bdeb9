"""What a chatter notices in a draft: is it in the fan's language, in the creator's voice, about what
the fan said, or a stock line?

Pure functions the eval metrics use. They are written apart from the offline drafter on purpose (own
language identifier, own reading of persona rules, own memory anchors), so the drafter cannot pass
them by sharing a rule with them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

EVAL_LANGUAGES = ("en", "es", "de", "fr", "pt")

# A whole-message stock acknowledgement in any of the five languages: the reply that fits every
# message and answers none.
_STOCK = re.compile(
    r"thanks? (you )?for (your|the) (message|msg|text)|thanks? for (writing|reaching out)|"
    r"good question,? i love that you asked|so good to hear from you|"
    r"gracias por (tu|el) mensaje|gracias por escribirme|danke f(ü|u)r deine nachricht|"
    r"merci pour ton message|obrigad[oa] pela (sua )?mensagem|adorei sua mensagem",
    re.I,
)
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff]|\u2764\ufe0f?|[\u200d\ufe0f]"
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+|(?<=:)\s+")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def fold(text: str) -> str:
    """Lowercase without accents ("Köln" → "koln")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def emoji_count(text: str) -> int:
    return len([m for m in _EMOJI.findall(text) if m not in ("\u200d", "\ufe0f")])


def sentences(text: str) -> list[str]:
    """Sentences of a chat message; a fragment that is only emoji or punctuation is not one."""
    parts = [p.strip() for p in re.split(r"(?<=[.!?…])\s+|\n+", text) if p.strip()]
    return [p for p in parts if _WORD.search(p)]


# ------------------------------------------------------------------------------ language


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(EVAL_LANGUAGES))
    return ident


def identify(text: str) -> tuple[str, float]:
    """(language, probability) by py3langid over the five languages the product drafts in."""
    lang, prob = _identifier().classify(text)
    return str(lang), float(prob)


def _strip_names(text: str, names: Iterable[str]) -> str:
    for name in names:
        for part in name.split():
            if len(part) >= 2:
                text = re.sub(rf"\b{re.escape(part)}\b", " ", text, flags=re.I)
    return text


def language_ok(text: str, expected: str, *, names: Iterable[str] = ()) -> bool:
    """Every clause of four words or more reads as `expected`, and so does the whole draft.

    Clauses are checked one by one so that a memory pasted in English into a Spanish reply fails
    even when the Spanish part outweighs it.
    """
    body = _EMOJI.sub(" ", _strip_names(text, names))
    words = _WORD.findall(body)
    if len(words) < 3:
        return True  # too short to tell ("hola cariño")
    whole, whole_p = identify(body)
    if whole != expected and whole_p >= 0.5:
        return False
    for clause in _SENTENCE_SPLIT.split(body):
        clause_words = _WORD.findall(clause)
        if len(clause_words) < 4:
            continue
        lang, prob = identify(clause)
        if lang != expected and prob >= 0.6:
            return False
    return True


def expected_language(declared: str | None, inbound: str) -> str | None:
    """The language a case declares for the fan, else the inbound's when it is long and clear."""
    if declared:
        code = declared.lower()[:2]
        return code if code in EVAL_LANGUAGES else None
    if len(_WORD.findall(inbound)) < 5:
        return None
    lang, prob = identify(inbound)
    return lang if prob >= 0.95 else None


# ------------------------------------------------------------------------------ persona rules


@dataclass(frozen=True)
class VoiceRules:
    """The checkable rules a persona states about case, emoji and length (None: not stated)."""

    lowercase: bool = False
    max_emoji: int | None = None
    min_emoji: int | None = None
    max_sentences: int | None = None
    max_chars: int | None = None

    @property
    def stated(self) -> bool:
        return bool(
            self.lowercase
            or self.max_emoji is not None
            or self.min_emoji is not None
            or self.max_sentences is not None
            or self.max_chars is not None
        )


_NUMBERS = {
    "zero": 0, "one": 1, "a single": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "un": 1, "una": 1, "uno": 1, "ein": 1, "einem": 1, "eins": 1, "une": 1, "um": 1, "uma": 1,
    "dos": 2, "zwei": 2, "deux": 2, "dois": 2, "duas": 2,
}  # fmt: skip
_NUM = r"(\d+|zero|one|a single|single|two|three|four|five|un|una|uno|ein|einem|eins|une|um|uma|dos|zwei|deux|dois|duas)"


def _n(match: re.Match[str]) -> int:
    """The first number (digits or a number word) among a match's groups."""
    for word in match.groups():
        if word and (word.isdigit() or word.lower() in _NUMBERS):
            return int(word) if word.isdigit() else _NUMBERS[word.lower()]
    raise ValueError(f"no number in {match.group(0)!r}")


def read_voice_rules(voice: str, rules: Sequence[str] = ()) -> VoiceRules:
    """What the persona text says about case, emoji and length, in the five languages."""
    text = fold(" ; ".join([voice, *rules]))
    lowercase = bool(
        re.search(
            r"\b(all )?lower ?case\b|\bno (capital|caps)|\bnever capitali[sz]|\bminuscul|\bkleinschreib|"
            r"\bklein geschrieben",
            text,
        )
    )
    max_emoji: int | None = None
    min_emoji: int | None = None
    if re.search(
        r"\bno emojis?\b|\bwithout emojis?\b|\bnever (use )?emojis?\b|\bemoji-?free\b|\bzero emojis?\b|"
        r"\bsin emojis?\b|\bkeine emojis?\b|\bohne emojis?\b|\bsans emojis?\b|\bsem emojis?\b|\bjamais d'emoji",
        text,
    ):
        max_emoji = 0
    else:
        m = re.search(
            _NUM + r" emojis? (max|maximum|at most|tops|au maximum|maximo|hochstens)\b|"
            r"\b(max|maximum|at most|no more than|up to|hochstens|maximal|maximo|no maximo|au maximum|pas plus d'?)"
            r" (of )?" + _NUM + r" emojis?\b",
            text,
        )
        if m:
            max_emoji = _n(m)
    if re.search(
        r"\blots of emojis?\b|\bmany emojis?\b|\bplenty of emojis?\b|\bmuchos emojis?\b|\bviele emojis?\b",
        text,
    ):
        min_emoji = 1
    max_sentences: int | None = None
    m = re.search(
        r"\b(never more than|no more than|at most|max|maximum|up to) " + _NUM + r" sentences?\b|"
        r"\b" + _NUM + r" sentences? (max|maximum|at most)\b",
        text,
    )
    if m:
        max_sentences = _n(m)
    elif re.search(r"\bone[- ]sentence (replies|answers|messages)\b|\bsingle sentence\b", text):
        max_sentences = 1
    max_chars: int | None = None
    m = re.search(
        r"\b(under|below|max|maximum|at most|no more than|less than) (\d{2,4}) (characters|chars)\b", text
    )
    if m:
        max_chars = int(m.group(2))
    elif re.search(
        r"\bshort (messages|replies|texts|answers)\b|\bkeep (replies|messages|it) short\b|\bmensajes cortos\b|"
        r"\bkurze nachrichten\b|\bmessages courts\b|\bmensagens curtas\b|\brespuestas cortas\b",
        text,
    ):
        max_chars = 220
    return VoiceRules(lowercase, max_emoji, min_emoji, max_sentences, max_chars)


_ACRONYM = re.compile(r"\b[A-Z]{2,4}\b")


def voice_ok(text: str, rules: VoiceRules) -> bool:
    """The draft keeps every case, emoji and length rule the persona states."""
    if rules.lowercase and any(c.isupper() for c in _ACRONYM.sub("", text)):
        return False
    emoji = emoji_count(text)
    if rules.max_emoji is not None and emoji > rules.max_emoji:
        return False
    if rules.min_emoji is not None and emoji < rules.min_emoji:
        return False
    if rules.max_sentences is not None and len(sentences(text)) > rules.max_sentences:
        return False
    return not (rules.max_chars is not None and len(text) > rules.max_chars)


# ------------------------------------------------------------------------------ memory in the text


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOP = _word_set(
    """a an the and or but of to in on at for with from by is are was were be been has have had does
    do did his her their them they he she him its it this that these those there here very really just
    into about since every each some any all more most much many one two also still who what when where
    which likes like loves love works work lives live named called calls name says said told wants want
    usually always often sometimes never not no years year old new first last next week weeks month
    months day days today tomorrow yesterday tonight morning evening night time times going goes went
    gets got getting get being bought buys spent spends fan fans"""
)
# The same thing said in the five languages: a Spanish reply that asks about "tu madre" reflects the
# memory "Jon's mum has been in hospital".
_CONCEPTS: tuple[frozenset[str], ...] = tuple(
    frozenset(fold(w) for w in _word_set(group))
    for group in (
        "mum mom mother mama mamá madre mami mutter mutti mère maman mãe",
        "dad father papa papá padre vater vati père pai",
        "sister hermana schwester sœur soeur irmã",
        "brother hermano bruder frère irmão",
        "grandmother grandma nonna nan abuela oma grand-mère mamie avó vovó",
        "dog puppy perro perrito hund hündchen chien chiot cachorro cão",
        "cat kitten gato gata gatito katze kater chat chatte chaton gatinha",
        "birthday bday cumpleaños cumple geburtstag anniversaire aniversário",
        "gym gimnasio gimnasia fitnessstudio studio salle academia treino workout training entrenamiento",
        "nurse nursing enfermero enfermera krankenpfleger krankenschwester pflege infirmier infirmière enfermeiro enfermeira",
        "mechanic mecánico mechaniker werkstatt garage mécanicien mecânico taller oficina",
        "chef cook cocinero cocinera cocina koch köchin küche cuisinier cuisinière cuisine cozinheiro cozinha",
        "hospital krankenhaus klinik hôpital clinique",
        "wedding married marry boda casarse casa hochzeit heiraten mariage marier casamento casar",
        "exam exams examen prüfung exame prova",
        "job work trabajo arbeit travail trabalho emprego boulot",
        "designer diseñador diseñadora designerin graphiste",
        "accountant contable buchhalter comptable contador",
        "paramedic paramédico sanitäter ambulancier",
        "music música musik musique",
        "cooking cocinar kochen cuisiner cozinhar",
        "truck camión lkw camion caminhão",
        "farm granja bauernhof ferme fazenda",
        "brother's hermano bruder",
        "history historia geschichte histoire",
    )
)


def _stem_match(a: str, b: str) -> bool:
    if a == b:
        return True
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= max(4, min(len(a), len(b)) - 3)


def memory_anchors(memory: str, *, fan_name: str = "") -> list[str]:
    """The words of a memory that a reply must echo (names, places, things), folded."""
    own = {fold(p) for p in fan_name.split()}
    out: list[str] = []
    for word in _WORD.findall(memory):
        w = fold(word.removesuffix("'s"))
        if len(w) < 3 or w in _STOP or w in own:
            continue
        out.append(w)
    out += [d for d in re.findall(r"\d+", memory)]
    return out


def reflects_memory(text: str, memory: str, *, fan_name: str = "") -> bool:
    """The draft echoes the memory: one of its anchors, or the same concept in another language."""
    words = [fold(w) for w in _WORD.findall(text)] + re.findall(r"\d+", text)
    for anchor in memory_anchors(memory, fan_name=fan_name):
        if any(_stem_match(anchor, w) for w in words):
            return True
        for group in _CONCEPTS:
            if anchor in group and any(w in group for w in words):
                return True
    return False


# ------------------------------------------------------------------------------ the fan's message


# Words that name no subject of their own: time words, chat fillers, the praise any reply could use
# and common function words, in the five languages (on top of the memory stop words above).
_FILLER = frozenset(
    fold(w)
    for w in _word_set(
        """finally tonight today tomorrow morning weekend amazing awesome great best good proud happy
    excited wait cant can't really totally literally actually super little gonna wanna kinda thing things
    stuff yeah okay maybe again always almost pretty well even though back feeling think know lol haha
    hahaha omg btw babe hun guys sooo much over after before then than because while got can now way
    yet too off out ago bit hey you our not how why who all but per via long whole three second only
    full made down i'm i've i'll
    que los las del por con una mis tus muy mal hay voy vas ayer primera primero tenido dieron creo
    salio buenisima vez
    ich und der die das den dem mit von bin hab hat was wie aus auf ersten erste bekommen einfach
    nachste naechste ist wir
    les des une mon ton mes tes est pas qui sur par moi toi nos vos eux premier premiere prochaine matin ete
    ela ele com pra pro tem nao sou tao vou meu seu sua primeira primeiro novo consegui fiz dar vem
    hoy esta este estos estas noche manana mañana tarde semana finde fin para pero como cuando donde
    porque muy mucho mucha todo toda todos todas nada algo estoy estas tengo tiene tener hacer hice hecho
    bien genial increible increíble feliz gracias jaja jajaja guapa guapo cariño tambien también ahora
    menos unos unas mios tuyo sobre desde hasta otra otro veces siempre nunca solo aqui aquí eso esto ese
    esa esos esas mismo misma queria quería quiero quieres puedo puede vamos estar eres habia había
    heute morgen abend endlich gerade schon wieder noch sehr mega total echt voll toll geil habe hast
    haben bist sind waren wird werden mein meine meinen meinem meiner dein deine deinen nicht kein keine
    aber oder fur für nach über uber unter einen einem einer eine dass wenn weil auch ganz jetzt dann
    doch diese dieser dieses woche wochenende
    aujourd'hui soir cette semaine enfin encore deja déjà tres très trop vraiment genial génial bien
    j'ai suis sont etait était avoir etre être fait faire avec pour dans chez mais donc parce comme tout
    tous toute toutes rien ouais bonne petit petite chose truc plus moins jamais toujours apres après
    avant demain hier quoi grand grande
    hoje amanha amanhã noite finalmente agora ainda muito muita demais incrivel incrível legal minha
    meus minhas você voce para mais quem quando onde porque tudo nada umas estou está tenho fazer
    feito mesmo tambem também aqui isso isto esse essa este esta depois antes sempre nunca kkkk rsrs"""
    )
)


def message_anchors(inbound: str, *, names: Iterable[str] = ()) -> list[str]:
    """The words of the fan's message a reply that takes it up would echo (things, places, events)."""
    own = {fold(p) for n in names for p in n.split()}
    out: list[str] = []
    for word in _WORD.findall(inbound):
        w = fold(word.removesuffix("'s"))
        if len(w) < 3 or w in _STOP or w in _FILLER or w in own:
            continue
        out.append(w)
    out += [fold(n) for n in re.findall(r"\d+[a-z]*", inbound)]
    return list(dict.fromkeys(out))


def reflects_message(
    draft: str, inbound: str, *, also: Iterable[str] = (), names: Iterable[str] = ()
) -> bool:
    """The draft takes up what the fan said: one of the message's own words (five-letter stems), the
    same thing in another language (the concept table), or one of `also` (a phrase: as written)."""
    folded = fold(_EMOJI.sub(" ", draft))
    words = [fold(w) for w in _WORD.findall(draft)] + re.findall(r"\d+[a-z]*", folded)
    for phrase in also:
        if " " in phrase.strip() and fold(phrase.strip()) in folded:
            return True
    singles = [fold(p) for p in also if " " not in p.strip()]
    for anchor in [*message_anchors(inbound, names=names), *singles]:
        if any(_stem_match(anchor, w) for w in words):
            return True
        for group in _CONCEPTS:
            if anchor in group and any(w in group for w in words):
                return True
    return False


# ------------------------------------------------------------------------------ stock lines


def is_stock(text: str) -> bool:
    return bool(_STOCK.search(text))


def skeleton(text: str, *, names: Iterable[str] = ()) -> str:
    """The draft with names, numbers, emoji and punctuation removed: two drafts with the same
    skeleton are the same template."""
    body = fold(_EMOJI.sub(" ", _strip_names(text, names)))
    body = re.sub(r"\d+", " ", body)
    return " ".join(_WORD.findall(body))
