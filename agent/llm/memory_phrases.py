"""A recalled memory as something the creator would say, in the fan's language.

Memories are notes in the third person ("Luis has a golden retriever called Toby", "Works as a car
mechanic"). Pasting them into a reply reads like a file note, and in English inside a Spanish reply.
Here a note becomes a fact with a slot (pet, job, place, relative, plan, liking, date) and a value,
and each slot has short, natural phrasings per language that carry the value over (names and places
as they are; common words such as jobs, pets and relatives through a small lexicon).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.llm.languages import Language

# Common memory words in the five languages: [en, es, de, fr, pt].
_LEXICON: dict[str, tuple[str, str, str, str, str]] = {
    "mechanic": ("mechanic", "mecánico", "Mechaniker", "mécano", "mecânico"),
    "car mechanic": ("car mechanic", "mecánico", "Kfz-Mechaniker", "mécano", "mecânico"),
    "nurse": ("nurse", "enfermero", "Krankenpfleger", "infirmier", "enfermeiro"),
    "chef": ("chef", "chef", "Koch", "chef", "chef"),
    "cook": ("cook", "cocinero", "Koch", "cuisinier", "cozinheiro"),
    "teacher": ("teacher", "profe", "Lehrer", "prof", "professor"),
    "paramedic": ("paramedic", "paramédico", "Sanitäter", "ambulancier", "socorrista"),
    "accountant": ("accountant", "contable", "Buchhalter", "comptable", "contador"),
    "software engineer": (
        "software engineer",
        "ingeniero de software",
        "Softwareentwickler",
        "ingé logiciel",
        "engenheiro de software",
    ),
    "engineer": ("engineer", "ingeniero", "Ingenieur", "ingénieur", "engenheiro"),
    "electrician": ("electrician", "electricista", "Elektriker", "électricien", "eletricista"),
    "firefighter": ("firefighter", "bombero", "Feuerwehrmann", "pompier", "bombeiro"),
    "bartender": ("bartender", "camarero", "Barkeeper", "barman", "barman"),
    "truck driver": ("truck driver", "camionero", "LKW-Fahrer", "routier", "caminhoneiro"),
    "pilot": ("pilot", "piloto", "Pilot", "pilote", "piloto"),
    "plumber": ("plumber", "fontanero", "Klempner", "plombier", "encanador"),
    "student": ("student", "estudiante", "Student", "étudiant", "estudante"),
    "graphic designer": (
        "graphic designer",
        "diseñador gráfico",
        "Grafikdesigner",
        "graphiste",
        "designer gráfico",
    ),
    "designer": ("designer", "diseñador", "Designer", "designer", "designer"),
    "dog": ("dog", "perro", "Hund", "chien", "cachorro"),
    "golden retriever": ("golden retriever", "golden", "Golden Retriever", "golden", "golden"),
    "puppy": ("puppy", "cachorro", "Welpe", "chiot", "filhote"),
    "cat": ("cat", "gato", "Katze", "chat", "gato"),
    "kitten": ("kitten", "gatito", "Kätzchen", "chaton", "gatinho"),
    "parrot": ("parrot", "loro", "Papagei", "perroquet", "papagaio"),
    "rabbit": ("rabbit", "conejo", "Kaninchen", "lapin", "coelho"),
    "mum": ("mum", "madre", "Mama", "maman", "mãe"),
    "mom": ("mom", "madre", "Mama", "maman", "mãe"),
    "mother": ("mum", "madre", "Mama", "maman", "mãe"),
    "dad": ("dad", "padre", "Papa", "père", "pai"),
    "father": ("dad", "padre", "Papa", "père", "pai"),
    "sister": ("sister", "hermana", "Schwester", "sœur", "irmã"),
    "brother": ("brother", "hermano", "Bruder", "frère", "irmão"),
    "wife": ("wife", "mujer", "Frau", "femme", "esposa"),
    "husband": ("husband", "marido", "Mann", "mari", "marido"),
    "girlfriend": ("girlfriend", "novia", "Freundin", "copine", "namorada"),
    "boyfriend": ("boyfriend", "novio", "Freund", "copain", "namorado"),
    "son": ("son", "hijo", "Sohn", "fils", "filho"),
    "daughter": ("daughter", "hija", "Tochter", "fille", "filha"),
    "grandmother": ("grandma", "abuela", "Oma", "mamie", "avó"),
    "grandma": ("grandma", "abuela", "Oma", "mamie", "avó"),
    "best friend": ("best friend", "mejor amigo", "bester Freund", "meilleur pote", "melhor amigo"),
    "marathon": ("marathon", "maratón", "Marathon", "marathon", "maratona"),
    "gym": ("gym", "gimnasio", "Fitnessstudio", "salle", "academia"),
    "master's degree": ("master's", "máster", "Master", "master", "mestrado"),
    "degree": ("degree", "carrera", "Studium", "diplôme", "faculdade"),
    "university": ("uni", "universidad", "Uni", "fac", "faculdade"),
    "hospital": ("hospital", "hospital", "Krankenhaus", "hôpital", "hospital"),
    "truck": ("truck", "camioneta", "Truck", "camion", "caminhonete"),
    "farm": ("farm", "granja", "Hof", "ferme", "fazenda"),
    "taxi driver": ("taxi driver", "taxista", "Taxifahrer", "chauffeur de taxi", "taxista"),
    "baker": ("baker", "panadero", "Bäcker", "boulanger", "padeiro"),
    "police officer": ("police officer", "policía", "Polizist", "policier", "policial"),
    "doctor": ("doctor", "médico", "Arzt", "médecin", "médico"),
    "lawyer": ("lawyer", "abogado", "Anwalt", "avocat", "advogado"),
    "red": ("red", "rojo", "Rot", "rouge", "vermelho"),
    "black": ("black", "negro", "Schwarz", "noir", "preto"),
    "beach": ("beach", "playa", "Strand", "plage", "praia"),
    "lingerie": ("lingerie", "lencería", "Dessous", "lingerie", "lingerie"),
    "cosplay": ("cosplay", "cosplay", "Cosplay", "cosplay", "cosplay"),
    "half marathon": ("half marathon", "media maratón", "Halbmarathon", "semi-marathon", "meia maratona"),
}
_ORDER: dict[Language, int] = {"en": 0, "es": 1, "de": 2, "fr": 3, "pt": 4}


def translate(word: str, lang: Language) -> str | None:
    """A common memory word in `lang` (None when the lexicon does not know it)."""
    entry = _LEXICON.get(word.lower().strip())
    return entry[_ORDER[lang]] if entry else None


@dataclass(frozen=True)
class Fact:
    """One memory as a slot and its value: ("pet", "Toby", "golden retriever")."""

    slot: (
        str  # pet | named | job | place | relative | loss | plan | liking | wish | health | tenure | birthday
    )
    value: str
    detail: str = ""
    source: str = ""
    language: Language = "en"  # the note's own language: its words can be said as they are in it


_NAME = r"[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?"
_PETS = r"dog|cat|puppy|kitten|parrot|bird|rabbit|bunny|hamster|horse|golden retriever|retriever|labrador|husky|pug"
_RELATIVES = (
    r"mum|mom|mother|dad|father|sister|brother|wife|husband|girlfriend|boyfriend|son|daughter|"
    r"grandmother|grandma|grandfather|grandpa|best friend|partner"
)


def _strip_subject(note: str, fan_name: str) -> str:
    text = note.strip().rstrip(".")
    first = re.escape(fan_name.split()[0]) if fan_name.strip() else r"\x00"
    return re.sub(rf"^(?:{first}(?:'s)?|he|she|they|the fan)\s+", "", text, flags=re.I)


def _parse_english(note: str, body: str, possessive: bool) -> Fact | None:
    m = re.search(rf"\b(?:has|owns|got) an? (?:\w+ )?({_PETS})(?:,)? (?:called|named) ({_NAME})", body, re.I)
    if m:
        return Fact("pet", m.group(2), m.group(1).lower(), note)
    m = re.search(rf"\b(?:has|owns) an? ([a-z ]{{3,30}}?)(?:,)? (?:called|named) ({_NAME})", body)
    if m:
        return Fact("named", m.group(2), m.group(1).lower(), note)
    m = re.search(rf"^(?:pet|dog|cat)(?:'s name)? is ({_NAME})", body, re.I)
    if m:
        return Fact("pet", m.group(1), "", note)
    m = re.search(
        r"^(half marathon|marathon|race|exam|interview|trip|wedding|surgery)\b.*?\b(?:is )?on (.+)$",
        body,
        re.I,
    )
    if m:
        return Fact("plan", m.group(1).lower(), "on " + m.group(2).strip(), note)
    m = re.search(rf"\blost (?:his|her|their) ({_RELATIVES})\b", body, re.I)
    if m:
        return Fact("loss", m.group(1).lower(), "", note)
    m = re.search(rf"^(?:their |his |her )?({_RELATIVES})(?: ({_NAME}))?\b(.*)$", body, re.I)
    if m and (possessive or body.lower().startswith(("their ", "his ", "her "))):
        return Fact("relative", m.group(1).lower(), (m.group(3) or "").strip(), note)
    m = re.search(
        r"^(half marathon|marathon|race|exam|interview|trip|wedding|surgery)\b.*?\b(?:is )?on (.+)$",
        body,
        re.I,
    )
    if m:
        return Fact("plan", m.group(1).lower(), "on " + m.group(2).strip(), note)
    m = re.search(rf"\b(?:sister|brother|mum|mom|mother|dad|wife|daughter|son) ({_NAME})", body)
    if m:
        rel = re.search(_RELATIVES, body, re.I)
        return Fact("relative", rel.group(0).lower() if rel else "family", body, note)
    m = re.search(
        r"\bworks? (?:night shifts |nights |shifts )?as an? ([a-z][a-z -]{2,30}?)(?: at | in | for | so | and | but |$|,)",
        body + " ",
        re.I,
    ) or re.search(
        r"^(?:is )?an? ([a-z][a-z -]{2,30}?)(?: at | in |,|$| by trade| by profession)", body + " ", re.I
    )
    if m:
        place = re.search(rf"\b(?:in|at) ({_NAME})", body)
        return Fact("job", m.group(1).strip().lower(), place.group(1) if place else "", note)
    m = re.search(
        rf"\b(?:lives|is based|stays)(?: on a \w+| in a \w+)?(?: (?:in|outside|near))? ({_NAME})", body
    )
    if m:
        return Fact("place", m.group(1), "farm" if "farm" in body.lower() else "", note)
    m = re.search(rf"\b(?:is from|moved to|lives near) ({_NAME})", body)
    if m:
        return Fact("place", m.group(1), "", note)
    m = re.search(r"\bbirthday is (?:on )?([A-Z][a-z]+ \d{1,2}|today|tomorrow)", body, re.I)
    if m:
        return Fact("birthday", m.group(1), "", note)
    m = re.search(r"\bhas been (?:subscribed|a (?:fan|subscriber)) for (.+)$", body, re.I)
    if m:
        return Fact("tenure", m.group(1).strip(), "", note)
    m = re.search(r"\b(?:is )?recovering from (?:an? )?(.+)$", body, re.I)
    if m:
        return Fact("health", m.group(1).strip(), "", note)
    m = re.search(r"^(?:really )?(?:wants|would love|asked for) ((?:an? |some )?.+)$", body, re.I)
    if m:
        return Fact("wish", m.group(1).strip(), "", note)
    m = re.search(
        r"\b(?:is )?(training for|studying|finishing|saving for|looking for|preparing for|doing|planning|"
        r"flying to|travelling in|traveling in|was travelling in|was traveling in|goes to|trains at)\s+(.+)$",
        body,
        re.I,
    )
    if m:
        return Fact("plan", m.group(2).strip(), m.group(1).lower(), note)
    m = re.search(
        r"^(?:does|practi[cs]es|trains in)\s+(.+?)(?:\s+(?:\d+|once|twice|three|four|five|every|each|on)\b.*)?$",
        body,
        re.I,
    )
    if m:
        return Fact("liking", m.group(1).strip(), "does", note)
    m = re.search(
        r"^(?:really )?(likes|loves|enjoys|adores|plays|listens to|watches|is into|prefers|supports|surfs)\s*(.*)$",
        body,
        re.I,
    )
    if m:
        return Fact("liking", (m.group(2) or "").strip() or m.group(1).lower(), m.group(1).lower(), note)
    return None


# Notes written in another language (memories extracted from a Spanish chat are in Spanish).
_OTHER_LANGUAGE: dict[Language, tuple[tuple[str, str], ...]] = {
    "es": (
        (
            r"\btiene un[ao]? (?:perr[oa]|gat[oa]|perrit[oa]|gatit[oa]|mascota)(?: que se llama| llamad[oa])? ({name})",
            "pet",
        ),
        (r"\b(?:le encanta[n]?|le gusta[n]?|adora|ama)\s+(.+)$", "liking"),
        (r"\b(?:trabaja de|trabaja como|es) ([a-zñáéíóú]+(?: [a-zñáéíóú]+)?) en ({name})", "job"),
        (r"\btrabaja (?:de|como) ([a-zñáéíóú]+(?: [a-zñáéíóú]+)?)$", "job"),
        (r"\bestudia (.+)$", "plan"),
        (r"\bvive en ({name})", "place"),
    ),
    "de": (
        (
            r"\bhat (?:einen|eine|ein) (?:Hund|Katze|Kater|Hündin)(?: namens| der| die)? (?:heißt )?({name})",
            "pet",
        ),
        (r"\b(?:mag|liebt|steht auf)\s+(.+)$", "liking"),
        (r"\bstudiert (.+)$", "plan"),
        (r"\b(?:arbeitet als|ist) ([A-ZÄÖÜ][a-zäöüß]+) in ({name})", "job"),
        (r"\barbeitet als ([A-ZÄÖÜ][a-zäöüß]+)$", "job"),
        (r"\bwohnt in ({name})", "place"),
    ),
    "fr": (
        (
            r"\ba un(?:e)? (?:chien|chat|chienne|chatte|chaton)(?: qui s'appelle| nommée?| appelée?)? ({name})",
            "pet",
        ),
        (r"\b(?:adore|aime)\s+(.+)$", "liking"),
        (r"\best ([a-zéèêàç]+) à ({name})", "job"),
        (
            r"\b(?:est|travaille comme) (infirmier|infirmière|mécanicien|mécano|cuisinier|prof|professeur|comptable|"
            r"pompier|plombier|électricien|ingénieur|serveur|serveuse|barman|étudiant|étudiante|médecin|avocat)$",
            "job",
        ),
        # Most French job names end like these ("boulanger" aside): "est pharmacienne", "est vendeur".
        (r"\b(?:est|travaille comme) ([a-zéèêàç]+(?:ier|ière|ien|ienne|eur|euse|iste|ant|ante|ier))$", "job"),
        (r"\bétudie (?:le |la |les |l')?(.+)$", "plan"),
        (r"\bhabite (?:à|a) ({name})", "place"),
    ),
    "pt": (
        (
            r"\btem um[a]? (?:cachorr[oa]|gat[oa]|gatinh[oa]|cachorrinh[oa])(?: que se chama| chamad[oa])? ({name})",
            "pet",
        ),
        (r"\b(?:gosta de|ama|adora|torce (?:para|pelo|pela))\s+(?:o |a )?(.+)$", "liking"),
        (r"\b(?:trabalha como|é) ([a-zçãõáéíóú]+) em ({name})", "job"),
        (r"\btrabalha (?:como|de) ([a-zçãõáéíóú]+)$", "job"),
        (r"\bestuda (.+)$", "plan"),
        (r"\bmora em ({name})", "place"),
    ),
}


def parse_memory(note: str, fan_name: str = "") -> Fact | None:
    """The slot a memory note fills, or None when it fits no slot (it is then not said back)."""
    from agent.llm.languages import detect_language

    body = _strip_subject(note, fan_name)
    own = fan_name.split()[0] if fan_name.strip() else ""
    possessive = bool(own) and bool(re.match(rf"^{re.escape(own)}'s\b", note.strip(), re.I))
    detected = detect_language(note)
    if detected == "en":
        found = _parse_english(note, body, possessive)
        if found is not None:
            return found
    # Short notes are hard to place: try the detected language first, then the others.
    order = [detected, *(lang for lang in _OTHER_LANGUAGE if lang != detected)]
    for language in order:
        for pattern, slot in _OTHER_LANGUAGE.get(language, ()):
            m = re.search(pattern.format(name=_NAME), body)
            if m:
                value = m.group(1).strip().rstrip(".")
                detail = m.group(2) if m.lastindex and m.lastindex >= 2 else ""
                return Fact(slot, value, detail or "", note, language)
    return None if detected == "en" else _parse_english(note, body, possessive)


# One or two phrasings per slot and language. {v} is the value (translated where the lexicon knows
# it), {d} the detail; phrasings that need a translation the lexicon lacks are skipped.
_PHRASES: dict[str, dict[Language, tuple[str, ...]]] = {
    "pet": {
        "en": ("give {v} a cuddle from me", "how's {v} doing?"),
        "es": ("dale un achuchón a {v} de mi parte", "¿y cómo está {v}?"),
        "de": ("knuddel {v} von mir", "wie geht's {v}?"),
        "fr": ("fais un câlin à {v} de ma part", "et {v}, il va bien ?"),
        "pt": ("dá um cheiro no {v} por mim", "e o {v}, tá bem?"),
    },
    "job": {
        "en": ("being a {v} is no joke", "{v} life never stops, huh"),
        "es": ("ser {v} es durísimo", "la vida de {v} no para, ¿eh?"),
        "de": ("als {v} hast du's echt nicht leicht", "das {v}-Leben hört nie auf, oder?"),
        "fr": ("être {v}, c'est pas de tout repos", "la vie de {v} ne s'arrête jamais, hein"),
        "pt": ("ser {v} não é fácil", "vida de {v} não para, né?"),
    },
    "place": {
        "en": ("how's {v} treating you?", "what's it like in {v} today?"),
        "es": ("¿qué tal todo por {v}?", "¿cómo está {v} hoy?"),
        "de": ("wie ist es gerade in {v}?", "was macht {v}?"),
        "fr": ("comment ça se passe à {v} ?", "il fait quel temps à {v} ?"),
        "pt": ("como tá aí em {v}?", "e {v}, como tá?"),
    },
    "relative": {
        "en": ("how's your {v} doing?", "give your {v} my love"),
        "es": ("¿cómo está tu {v}?", "dale cariños a tu {v}"),
        "de": ("wie geht's deiner {v}?", "grüß deine {v} von mir"),
        "fr": ("comment va ta {v} ?", "embrasse ta {v} pour moi"),
        "pt": ("como tá sua {v}?", "manda um beijo pra sua {v}"),
    },
    "named": {
        "en": ("how's {v}?", "say hi to {v} for me"),
        "es": ("¿y qué tal {v}?",),
        "de": ("und wie geht's {v}?",),
        "fr": ("et {v}, ça va ?",),
        "pt": ("e {v}, como tá?",),
    },
    "loss": {
        "en": ("I know it's been so hard since you lost your {v}.",),
        "es": ("sé lo duro que ha sido desde que perdiste a tu {v}.",),
        "de": ("ich weiß, wie schwer es ist, seit du deine {v} verloren hast.",),
        "fr": ("je sais que c'est dur depuis que tu as perdu ta {v}.",),
        "pt": ("sei como tem sido difícil desde que você perdeu sua {v}.",),
    },
    "tenure": {
        "en": ("{v} together, that honestly means so much to me.",),
        "es": ("{v} juntos, eso significa muchísimo para mí.",),
        "de": ("{v} zusammen, das bedeutet mir echt viel.",),
        "fr": ("{v} ensemble, ça me touche vraiment.",),
        "pt": ("{v} juntos, isso significa muito pra mim.",),
    },
    "health": {
        "en": ("I hope the {v} is healing well.",),
        "es": ("espero que lo de {v} vaya mejorando.",),
        "de": ("ich hoffe, {v} heilt gut.",),
        "fr": ("j'espère que ta {v} guérit bien.",),
        "pt": ("espero que a {v} esteja melhorando.",),
    },
    "wish": {
        "en": ("and I haven't forgotten you wanted {v}.",),
        "es": ("y no me olvido de que querías {v}.",),
        "de": ("und ich hab nicht vergessen, dass du dir {v} gewünscht hast.",),
        "fr": ("et je n'oublie pas que tu voulais {v}.",),
        "pt": ("e não esqueci que você queria {v}.",),
    },
    "liking": {
        "en": ("and I know how much you love {v}.",),
        "es": ("y ya sé cuánto te gusta {v}.",),
        "de": ("und ich weiß doch, wie sehr du {v} magst.",),
        "fr": ("et je sais à quel point tu aimes {v}.",),
        "pt": ("e eu sei o quanto você gosta de {v}.",),
    },
    "birthday": {
        "en": ("and I haven't forgotten your birthday's on {v}",),
        "es": ("y no me olvido de que tu cumple es el {v}",),
        "de": ("und ich weiß, dass am {v} dein Geburtstag ist",),
        "fr": ("et je n'oublie pas ton anniversaire le {v}",),
        "pt": ("e não esqueci que seu aniversário é {v}",),
    },
}
# Relatives whose German/French/Portuguese article is masculine.
_MASCULINE = {
    "dad",
    "father",
    "brother",
    "husband",
    "boyfriend",
    "son",
    "grandfather",
    "grandpa",
    "best friend",
}


def _gendered(template: str, lang: Language, relative: str) -> str:
    if relative not in _MASCULINE:
        return template
    swaps = {
        "de": (("deiner", "deinem"), ("deine", "deinen")),
        "fr": (("ta ", "ton "),),
        "pt": (("sua ", "seu "),),
    }.get(lang, ())
    for a, b in swaps:
        template = template.replace(a, b)
    return template


_MONTHS = {
    "january": ("enero", "Januar", "janvier", "janeiro"), "february": ("febrero", "Februar", "février", "fevereiro"),
    "march": ("marzo", "März", "mars", "março"), "april": ("abril", "April", "avril", "abril"),
    "may": ("mayo", "Mai", "mai", "maio"), "june": ("junio", "Juni", "juin", "junho"),
    "july": ("julio", "Juli", "juillet", "julho"), "august": ("agosto", "August", "août", "agosto"),
    "september": ("septiembre", "September", "septembre", "setembro"),
    "october": ("octubre", "Oktober", "octobre", "outubro"), "november": ("noviembre", "November", "novembre", "novembro"),
    "december": ("diciembre", "Dezember", "décembre", "dezembro"),
}  # fmt: skip


def date_in(when: str, lang: Language) -> str:
    """ "October 12" in `lang`: "12 de octubre", "12. Oktober", "12 octobre", "12 de outubro"."""
    m = re.fullmatch(r"([A-Za-z]+) (\d{1,2})", when.strip())
    if lang == "en" or not m or m.group(1).lower() not in _MONTHS:
        return when
    es, de, fr, pt = _MONTHS[m.group(1).lower()]
    day = m.group(2)
    return {"es": f"{day} de {es}", "de": f"{day}. {de}", "fr": f"{day} {fr}", "pt": f"{day} de {pt}"}[lang]


def _in_language(fact: Fact, value: str, lang: Language) -> str | None:
    """The value said in `lang`: as it is when the note is in that language or the value is a name,
    else through the lexicon (whole value, or the one known word in it)."""
    if fact.language == lang or re.fullmatch(r"(?:[A-Z][\w'’-]*\s?)+", value.strip()):
        return value
    whole = translate(value, lang)
    if whole:
        return whole
    known = next(
        (
            w
            for w in sorted(_LEXICON, key=len, reverse=True)
            if re.search(rf"\b{re.escape(w)}\b", value, re.I)
        ),
        None,
    )
    proper = " ".join(p for p in re.findall(r"\b[A-Z][\w'’-]+", value) if p.lower() not in _MONTHS)
    word = translate(known, lang) if known else None
    joined = " ".join(x for x in (word, proper) if x)
    return joined or None


def _plan_phrase(fact: Fact, lang: Language, pick: int) -> str | None:
    thing = re.sub(r"^(?:his|her|their)\s+", "", fact.value, flags=re.I)
    thing = re.sub(r"\s+(?:every|each) .*$", "", thing)
    if lang != "en" or fact.language != "en":
        thing = re.sub(r"^(?:the|a|an)\s+", "", thing, flags=re.I)
        thing = re.sub(r"\s+in (?:" + "|".join(_MONTHS) + r")\b.*$", "", thing, flags=re.I)
    verb = fact.detail
    if verb.startswith("on "):
        when = date_in(verb[3:], lang)
        said = _in_language(fact, thing, lang)
        if said is None:
            return None
        return {
            "en": f"the {said} is {when}, right? you've got this.",
            "es": f"la {said} es el {when}, ¿verdad? tú puedes.",
            "de": f"{said} ist am {when}, oder? du schaffst das.",
            "fr": f"{said}, c'est le {when}, non ? tu vas assurer.",
            "pt": f"{said} é dia {when}, né? você consegue.",
        }[lang]
    if lang == "en" and fact.language == "en":
        if verb.startswith(("was travelling", "was traveling", "travelling", "traveling")):
            return f"how was {thing}? I want to hear everything"
        if verb == "flying to":
            return f"are you still heading to {thing}?"
        if verb in ("goes to", "trains at"):
            place = thing if re.match(r"^(?:the|a|an)\s", thing, re.I) else f"the {thing}"
            return f"I know you never skip {place}" if pick % 2 else f"{place} again today?"
        if verb == "doing":
            return f"how's {re.sub(r'^an? ', 'the ', thing)} going?"
        if verb in ("studying", "finishing"):
            return f"how's {thing} going?"
        return f"still {verb} {thing}?"
    subject = _in_language(fact, thing, lang)
    if subject is None:
        return None
    return {
        "en": f"how's {subject} going?",
        "es": f"¿cómo va lo de {subject}?",
        "de": f"wie läuft's mit {subject}?",
        "fr": f"ça avance, {subject} ?",
        "pt": f"como tá indo {subject}?",
    }[lang]


_ING = {"listens to": "listening to", "plays": "playing", "watches": "watching", "surfs": "surfing"}


# A job brought up with good news: the work paid off, not "being a nurse is no joke".
_JOB_GOOD: dict[Language, tuple[str, ...]] = {
    "en": ("you've earned it, {a} {v} like you works so hard", "all that hard work as {a} {v} paid off"),
    "es": ("te lo has ganado, ser {v} no es nada fácil",),
    "de": ("hast du dir verdient, als {v} gibst du echt alles",),
    "fr": ("tu l'as mérité, être {v} c'est pas de tout repos",),
    "pt": ("você mereceu, ser {v} não é nada fácil",),
}


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def say_memory(fact: Fact, lang: Language, *, pick: int = 0, feeling: str = "neutral") -> str | None:
    """A short phrase that brings the memory up naturally in `lang`, or None if it cannot be said.

    `feeling` is the fan's message's: a job is said differently next to good news."""
    if fact.slot == "plan":
        return _plan_phrase(fact, lang, pick)
    if fact.slot == "liking" and lang == "en" and fact.language == "en" and fact.detail in _ING:
        return f"still {_ING[fact.detail]} {fact.value}?" if fact.value != fact.detail else None
    options = _PHRASES.get(fact.slot, {}).get(lang)
    if fact.slot == "job" and feeling == "good":
        options = _JOB_GOOD[lang]
    if not options:
        return None
    template = options[pick % len(options)]
    value: str | None = fact.value
    if fact.slot in ("job", "relative", "loss"):
        value = translate(fact.value, lang) or (fact.value if fact.language == lang else None)
    elif fact.slot in ("liking", "wish", "health", "tenure"):
        value = _in_language(fact, fact.value, lang)
        if value is not None and fact.language != lang and value != fact.value and fact.slot != "tenure":
            # Only a word of the note is known in this language: say just that word.
            return {"en": "{v}, right?", "es": "{v}, ¿verdad?", "de": "{v}, oder?", "fr": "{v}, hein ?",
                    "pt": "{v}, né?"}[lang].format(v=value)  # fmt: skip
    if value is None:
        return None
    if fact.slot in ("relative", "loss"):
        template = _gendered(template, lang, fact.value)
    if lang == "en":
        template = template.replace("a {v}", "{a} {v}")
    if lang == "fr" and re.match(r"[aeiouéèêh]", value, re.I):
        template = template.replace("de {v}", "d'{v}")
    return template.format(v=value, d=fact.detail, a=_article(value))
