"""What a fan's statement is about, so a reply can answer it instead of thanking for it.

Intents (agent/llm/intents.py) say what the fan wants; a situation says what the fan is telling:
a long day at work, good news, a pet, the weather, a trip, a question about the creator's weekend.
Rules over word lists in five languages, plus the feeling (good, bad, neutral) and, in English, the
fan's own words turned to the second person so the reply can pick them up ("brutal day at the
garage?").
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Literal

Feeling = Literal["good", "bad", "neutral"]


class Situation(StrEnum):
    work = "work"
    tired = "tired"
    good_news = "good_news"
    family = "family"
    pet = "pet"
    weather = "weather"
    travel = "travel"
    food = "food"
    fitness = "fitness"
    hobby = "hobby"
    plans_question = "plans_question"
    creator_question = "creator_question"
    relaxing = "relaxing"
    milestone = "milestone"
    goodbye = "goodbye"
    statement = "statement"


def fold(text: str) -> str:
    """Lowercase without accents ("Beförderung" → "beforderung")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


_fold = fold


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.I)


# In order: the first that matches names the situation (a pet at the vet is about the pet).
_RULES: list[tuple[Situation, re.Pattern[str]]] = [
    (
        Situation.goodbye,
        _rx(
            r"\b(?:gotta|going to|off to|need to|heading to) (?:sleep|bed)\b|\bgood ?night\b|\bnight night\b|"
            r"\btalk (?:to you )?tomorrow\b|\bheading out\b|\bgtg\b|\bgotta go\b|\bttyl\b",
            r"\bbuenas noches\b|\bme voy a dormir\b|\bhablamos manana\b|\bgute nacht\b|\bich geh schlafen\b|"
            r"\bbonne nuit\b|\bje vais dormir\b|\bboa noite\b|\bvou dormir\b",
        ),
    ),
    (
        Situation.milestone,
        _rx(
            r"\b(?:\d+|one|two|three|four|five|six|a) (?:years?|months?) (?:with you|together|subscribed|of you)\b|"
            r"\banniversary\b",
            r"\b(?:\d+|un|dos|tres) (?:anos?|meses) (?:contigo|juntos)\b|\b(?:\d+|ein|zwei|drei) (?:jahre?|monate?) "
            r"(?:mit dir|zusammen|dabei)\b|\b(?:\d+|un|deux|trois) (?:ans?|mois) (?:avec toi|ensemble)\b|"
            r"\b(?:\d+|um|dois|tres) (?:anos?|meses) (?:com voce|juntos)\b",
        ),
    ),
    (
        Situation.plans_question,
        _rx(
            r"\bany plans\b|\bwhat (?:are|r) (?:you|u) (?:up to|doing)\b|\bhow (?:was|is) (?:your|ur) (?:day|weekend|night|week)\b|"
            r"\b(?:your|ur) plans\b|\bdoing (?:anything|something) (?:fun|this weekend|tonight)\b",
            r"\bque tal (?:tu|el) (?:fin de semana|dia|finde)\b|\bque (?:haces|vas a hacer)\b|\bcomo (?:fue|va) tu\b",
            r"\bwie war dein\b|\bwas machst du\b|\bwas hast du (?:heute|am wochenende)\b",
            r"\btu fais quoi\b|\bc'etait comment ton\b|\bca s'est passe ton\b|\bton week-?end\b",
            r"\bcomo foi (?:seu|o seu|teu) (?:dia|fim de semana)\b|\bo que (?:voce|vc) (?:vai fazer|ta fazendo)\b",
        ),
    ),
    (
        Situation.creator_question,
        _rx(
            r"\bdo (?:you|u) (?:ever|like|get|have|prefer)\b|\bwhat'?s (?:your|ur) (?:fav|favou?rite)\b|"
            r"\b(?:your|ur) (?:fav|favou?rite)\b|\bhave (?:you|u) ever\b|\bare (?:you|u) (?:into|a fan of)\b",
            r"\bcual es tu\b|\bte gusta\b|\btu (?:pelicula|comida|serie) favorita\b",
            r"\bwas ist dein lieblings\w*\b|\bmagst du\b|\bbist du (?:auch )?(?:manchmal )?nervos\b",
            r"\bc'est quoi ton\b|\btu aimes\b|\bton (?:film|plat) prefere\b",
            r"\bqual (?:e )?(?:o )?seu\b|\bvoce gosta\b|\bseu (?:filme|prato) favorito\b",
        ),
    ),
    (
        Situation.pet,
        _rx(
            r"\b(?:my |the )?(?:dog|pup|puppy|cat|kitten|kitty|parrot|rabbit|bunny|hamster|vet)\b|\brolled over\b|"
            r"\bwalk(?:ing|ed)? (?:the|my) dog\b",
            r"\b(?:perro|perra|perrito|perrita|gato|gata|gatito|veterinario|mascota|cachorros)\b",
            r"\b(?:hund|katze|kater|tierarzt|welpe)\b",
            r"\b(?:chien|chat|chaton|veterinaire|toutou)\b",
            r"\b(?:cachorro|cachorrinho|gata|gato|gatinha|veterinario|pet)\b",
        ),
    ),
    (
        Situation.food,
        _rx(
            r"\b(?:cooked|cooking|made (?:dinner|lunch|breakfast|lasagna|pasta|pizza)|recipe|lasagna|pizza|"
            r"pasta|bbq|barbecue|baked|baking|dinner|tacos|burger|sushi|roast|stew|curry|cake|brownies|cookies)\b",
            r"\b(?:cocine|cocinar|receta|cena|paella|tortilla|asado|tarta|bizcocho|cocido)\b",
            r"\b(?:gekocht|kochen|rezept|abendessen|gebacken|nachgebacken|backen|kuchen|\w*strudel|braten)\b",
            r"\b(?:cuisine|recette|diner|gateau|raclette|blanquette|tarte|crepes|fondue)\b",
            r"\b(?:cozinhei|receita|jantar|churrasco|bolo|feijoada|lasanha|pudim)\b",
        ),
    ),
    (
        Situation.travel,
        _rx(
            r"\b(?:flight|airport|plane|landed|layover|train|trip|road trip|vacation|holiday|hotel|jet lag|"
            r"cancelled|canceled|delayed|camping|festival)\b",
            r"\b(?:vuelo|aeropuerto|viaje|vacaciones|acampada|de camping|me voy a)\b",
            r"\b(?:flug|flughafen|reise|urlaub|zug|bahnhof|fahren (?:wir )?nach)\b",
            r"\b(?:vol|aeroport|voyage|vacances|train|gare|je pars)\b",
            r"\b(?:voo|aeroporto|viagem|ferias|viajar|vou viajar)\b",
        ),
    ),
    (
        Situation.family,
        _rx(
            r"\b(?:my |our )?(?:mum|mom|mother|dad|father|sister|brother|wife|husband|grandma|grandpa|nonna|"
            r"kids?|son|daughter|parents|family)\b",
            r"\b(?:mi|mis) (?:madre|mama|padre|papa|hermana|hermano|mujer|abuela|hijos?|familia)\b|\bse casa\b",
            r"\b(?:meine|mein) (?:mutter|mama|vater|papa|schwester|bruder|frau|oma|kinder|familie)\b",
            r"\b(?:ma|mon|mes) (?:mere|maman|pere|papa|soeur|frere|femme|grand-mere|enfants|famille)\b",
            r"\b(?:minha|meu|meus) (?:mae|pai|irma|irmao|esposa|avo|filhos?|familia)\b",
        ),
    ),
    (
        Situation.fitness,
        _rx(
            r"\b(?:gym|workout|work out|deadlift|squat|bench|leg day|rest day|10k|5k|half marathon|marathon|"
            r"run|ran|running|training|trained|lifting|pr)\b",
            r"\b(?:gimnasio|gym|entreno|entrenamiento|correr|corri|maraton|media maraton)\b",
            r"\b(?:fitnessstudio|training|trainiert|laufen|gelaufen|laufe|halbmarathon|marathon)\b",
            r"\b(?:salle|muscu|entrainement|courir|couru|semi-marathon|marathon)\b",
            r"\b(?:academia|treino|treinei|corrida|musculacao|maratona|meia maratona|corri)\b",
        ),
    ),
    (
        Situation.weather,
        _rx(
            r"\b(?:snow\w*|rain\w*|storm\w*|freezing|heat ?wave|sunny|sunshine|so hot|so cold|weather)\b",
            r"\b(?:nieve|nevando|lluvia|lloviendo|calor|frio|tormenta|hace un dia)\b",
            r"\b(?:schnee|schneit|regen|regnet|gewitter|hitze|kalt|sonne|wetter)\b",
            r"\b(?:neige|pluie|pleut|orage|chaleur|canicule|froid|soleil|temps magnifique|il fait)\b",
            r"\b(?:neve|chuva|chovendo|calor|frio|sol|tempo)\b",
        ),
    ),
    (
        Situation.hobby,
        _rx(
            r"\b(?:gaming|game|games|pc|ps5|xbox|ranked|elden ring|guitar|band|gig|movie|film|series|show|anime|"
            r"book|reading|painting|drawing|fishing|hiking|hike|camping|concert)\b",
            r"\b(?:videojuego|juego|pelicula|serie|guitarra|concierto|libro)\b",
            r"\b(?:zocken|spiel|film|serie|gitarre|konzert|buch)\b",
            r"\b(?:jeu|jeux|film|serie|guitare|concert|livre)\b",
            r"\b(?:jogo|filme|serie|violao|show|livro)\b",
        ),
    ),
    (
        Situation.work,
        _rx(
            r"\b(?:work|shift|boss|office|garage|job|meeting|overtime|clients?|customers?|coworkers?|site|"
            r"night shift|double shift|deadline|engines?|clutch|patients?)\b",
            r"\b(?:trabajo|curro|turno|jefe|oficina|cocina del restaurante|restaurante|horas en)\b",
            r"\b(?:arbeit|schicht|chef|buro|werkstatt|feierabend|kunden|meeting)\b",
            r"\b(?:boulot|travail|taf|bureau|garde|patron|hopital)\b",
            r"\b(?:trabalho|turno|chefe|escritorio|plantao|servico)\b",
        ),
    ),
    (
        Situation.relaxing,
        _rx(
            r"\b(?:couch|sofa|chilling|chillin|lazy day|netflix|bath|bed early|lying in bed|listening to)\b",
            r"\b(?:sofa|descansando|tirado)\b|\b(?:couch|chillen|entspannen)\b|\b(?:canape|je me detends)\b|"
            r"\b(?:sofa|descansando|de boa)\b",
        ),
    ),
]
_TIRED = _rx(
    r"\b(?:tired|exhausted|knackered|wiped|drained|dead|beat|shattered|brutal|long day|long shift|"
    r"killing me|so done|sore)\b",
    r"\b(?:cansad[oa]|agotad[oa]|muert[oa]|reventad[oa]|molid[oa])\b",
    r"\b(?:mude|fertig|kaputt|erledigt|platt|langer tag)\b",
    r"\b(?:creve|epuise|fatigue|mort|journee de fou|naze)\b",
    r"\b(?:cansad[oa]|exaust[oa]|mort[oa]|acabad[oa])\b",
)
_GOOD = _rx(
    r"\b(?:finally|passed|promoted|promotion|got the|won(?!'t)|new pr|pr\b|record|proud|amazing|awesome|love|"
    r"learned|learnt|finished|done|nailed|best|great|happy|excited|can'?t wait|insane|so good|engaged|"
    r"black belt|adopted)\b|!!",
    r"\b(?:por fin|aprobe|he aprobado|ascenso|gane|increible|genial|feliz|orgullos[oa]|buenisim[oa])\b",
    r"\b(?:endlich|bestanden|beforderung|gewonnen|geschafft|mega|toll|super|stolz|himmlisch)\b",
    r"\b(?:enfin|reussi|gagne|genial|trop bien|fier|fiere|libere|promotion)\b",
    r"\b(?:finalmente|passei|ganhei|consegui|promocao|incrivel|feliz|orgulhos[oa])\b",
)
_BAD = _rx(
    r"\b(?:brutal|rough|awful|terrible|sucks|ugh|cancelled|canceled|stuck|sick|broke|lost|bad|worst|"
    r"storm|stressed|annoying|annoyed|pouring|freezing|stolen|delayed|won'?t (?:even )?(?:load|play|open|work)|"
    r"losing my mind|can'?t sleep|crashed|died|broke down|went down|leaking|flooded|(?:has|have)n'?t arrived|"
    r"never arrived|still (?:hasn'?t|not) (?:arrived|come))\b",
    r"\b(?:fatal|horrible|que asco|enfermo|perdi|no carga|no funciona|que rabia|roto|se me ha roto)\b|"
    r"\bestoy muerto\b|\bse (?:me )?(?:ha )?(?:caido|cayo|estropeado|averiado)\b|\bno (?:ha )?llega(?:do)?\b|\baveriad[oa]\b",
    r"\b(?:schrecklich|mist|krank|verloren|nervig|schon wieder|ausgefallen|ladt (?:einfach )?nicht|kaputt|abgesturzt|"
    r"geht nicht|nicht angekommen|eiskalt)\b",
    r"\b(?:nul|horrible|malade|galere|journee de fou|annule|bloque|ne marche pas|je stresse|en panne|plante|"
    r"a lache|pas arrive|toujours pas)\b",
    r"\b(?:horrivel|doente|perdi|chato|atrasou|preso|nao abre|quebrou|caiu|travou|pifou|estragou|"
    r"nao chegou|ainda nao)\b|\bto morto\b",
)
_LOL = re.compile(r"\s*\b(?:lol|lmao|haha+|hehe+|jaja+|jeje+|mdr|kkk+|rsrs)\b\s*", re.I)


def situation_of(text: str) -> Situation:
    """The situation a fan message describes (statement when nothing more specific fits)."""
    folded = _fold(text)
    for situation, rx in _RULES:
        if rx.search(folded):
            return situation
    if _TIRED.search(folded):
        return Situation.tired
    if _GOOD.search(folded) and not _BAD.search(folded):
        return Situation.good_news
    return Situation.statement


def feeling_of(text: str) -> Feeling:
    folded = _fold(text)
    bad = bool(_BAD.search(folded) or _TIRED.search(folded))
    good = bool(_GOOD.search(folded))
    if bad and not good:
        return "bad"
    if good and not bad:
        return "good"
    return "neutral"


def is_tired(text: str) -> bool:
    return bool(_TIRED.search(_fold(text)))


_SWAPS = (
    (r"\bi'?m\b", "you're"),
    (r"\bi am\b", "you are"),
    (r"\bi'?ve\b", "you've"),
    (r"\bi'?ll\b", "you'll"),
    (r"\bi was\b", "you were"),
    (r"\bmy\b", "your"),
    (r"\bmine\b", "yours"),
    (r"\bme\b", "you"),
    (r"\bmyself\b", "yourself"),
    (r"\bi\b", "you"),
    (r"\bour\b", "your"),
    (r"\bwe\b", "you"),
)


def echo(text: str, *, max_words: int = 9) -> str | None:
    """The fan's first clause said back to them (English only): "brutal day at the garage"."""
    first = re.split(r"[,.!?;:\n]|\s[-–—]\s|\b(?:and|but|so)\b", _LOL.sub(" ", text).strip(), maxsplit=1)[0]
    first = re.sub(r"\s+", " ", first).strip()
    first = first[:1].lower() + first[1:]
    words = first.split()
    if not 2 <= len(words) <= max_words:
        return None
    if re.match(
        r"^(?:what|when|where|why|how|who|do|does|did|can|could|will|would|are|is)\b(?!['’])", first, re.I
    ):
        return None
    said = first
    for pattern, replacement in _SWAPS:
        said = re.sub(pattern, replacement, said, flags=re.I)
    said = re.sub(r"\bhere\b", "there", said)
    if re.search(r"\b(?:you|your)\b.*\b(?:is|was)\b", said) and "you're" not in said:
        return None
    return said


# ------------------------------------------------------------------------------ the fan's topic
# What the fan is telling about, in their own words and turned to "you": the phrase a reply picks up
# ("¿la paella de tu abuela?", "die Beförderung?!", "ton entretien d'embauche ?"). No tagger: a noun
# phrase starts at a determiner, a possessive or a place preposition and runs over content words
# (German: capitalised nouns) and "of" complements, stopping at verbs, pronouns and punctuation.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_POSSESSIVE: dict[str, dict[str, str]] = {
    "es": {"mi": "tu", "mis": "tus"},
    "de": {"mein": "dein", "meine": "deine", "meinen": "deinen", "meinem": "deinem", "meiner": "deiner",
           "meines": "deines"},
    "fr": {"mon": "ton", "ma": "ta", "mes": "tes"},
    "pt": {"meu": "seu", "minha": "sua", "meus": "seus", "minhas": "suas"},
    "en": {"my": "your", "our": "your"},
}  # fmt: skip
_DETERMINERS: dict[str, frozenset[str]] = {
    "es": _words("el la los las un una mi mis"),
    "de": _words("der die das den dem des ein eine einen einem einer mein meine meinen meinem meiner"),
    "fr": _words("le la les un une mon ma mes du"),
    "pt": _words("o a os as um uma meu minha meus minhas"),
    "en": _words("the a an my our"),
}
# Prepositions a place or an outing follows ("pra salvador", "de acampada", "nach Italien").
_PLACE_PREPOSITIONS: dict[str, frozenset[str]] = {
    "es": _words("de a en"),
    "de": _words("nach in an"),
    "fr": _words("en à au"),
    "pt": _words("pra pro para no na em"),
    "en": frozenset(["to"]),
}
# Inside a phrase: "la paella de mi abuela", "o bolo de cenoura da minha avó", "la finale du tournoi".
_CONNECTORS: dict[str, frozenset[str]] = {
    "es": _words("de del"),
    "de": frozenset(["von"]),
    "fr": _words("de du des"),
    "pt": _words("de do da dos das"),
    "en": frozenset(["of"]),
}
# Words no topic is made of: pronouns, verbs of being and having, adverbs, times of day, fillers.
NOT_TOPIC = frozenset(
    _fold(w)
    for w in _words(
        """
    que qui quoi qué quién y o pero porque cuando como muy más ya hoy ayer mañana noche tarde semana finde
    fin vez veces día año hora horas me te se le lo nos ha he has han hay es era fue soy eres está estoy
    estás tengo tiene tienen voy vas va otra otro todo toda nada algo aquí allí ese esa este esta esto eso
    dieron salió buenísima ayer ya con sin para por sobre entre hasta desde
    und oder aber weil wenn dass ist bin bist sind war hab habe hat haben hast ich du er sie es wir ihr mir
    mich dir dich schon wieder noch heute morgen gestern abend woche wochenende tag jahr mal einfach echt
    endlich gerade sehr so nicht kein keine auch nur ganz dann jetzt nächste nächsten letzte mit ohne für
    bei zu vom zum zur im am um
    et ou mais parce quand comme très plus déjà encore aujourd'hui hier demain soir matin semaine journée
    jour fois année ce cet cette je tu il elle on nous vous ai as a ont suis es est sont était été fait
    pas ne rien tout toute enfin vraiment trop bien avec sans pour par chez dans sur sous
    e ou mas porque quando como muito mais já hoje ontem amanhã noite semana dia vez ano eu você ele ela
    nós tô tá é era foi sou está estou tenho tem vou vai de novo nada tudo aqui isso esse essa este esta
    finalmente que quem feriado com sem para por pelo pela consegui conseguir conseguiu conseguido
    and or but because when so very really just today yesterday tomorrow tonight morning night week weekend
    day year time again finally i you he she we they me it is was am are have has had got get do did
    with without for at in on by from into
    uno dos tres cuatro cinco seis diez cien mil zwei drei vier fünf sechs zehn hundert tausend deux trois
    quatre cinq dix cent mille dois duas três quatro cinco dez cem two three four five six ten hundred
    thousand todavía aún still yet toujours noch immer ainda"""
    )
)
_TIME_HEADS = frozenset(
    _fold(w)
    for w in _words(
        "noche semana finde tarde mañana día woche wochenende abend morgen tag soir semaine matin "
        "journée week-end noite semana dia feriado week weekend night morning mes meses mois monat monate "
        "month months mês meses hora horas heure heures stunde stunden hour hours minuto minutos minute minutes"
    )
)
_GENERIC_HEADS = frozenset(
    _fold(w)
    for w in _words(
        "amigos amigas chicos gente friends boys guys people freunde leute jungs amis potes gens "
        "galera pessoal familia família family familie famille cosas things sachen choses coisas"
    )
)
_TOPIC_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|[^\w\s]", re.UNICODE)
# Finite verbs a phrase must not run into ("seu cachorro thor aprendeu", "mon chat filou a").
_VERBISH: dict[str, re.Pattern[str]] = {
    "pt": re.compile(r"..(?:eu|ou|iu|aram|eram|ava)$"),
    "es": re.compile(r"..(?:ó|aba|aron|ieron|ían)$"),
    "fr": re.compile(r"..(?:ait|aient|èrent)$"),
}
_ELIDED = re.compile(r"^([ldjmtsn]|qu)['’](.+)$", re.I)


def _swap(word: str, lang: str) -> str:
    """ "mi" → "tu"; determiners and prepositions in lower case (a phrase from the start of the fan's
    sentence lands in the middle of hers)."""
    low = word.lower()
    swapped = _POSSESSIVE.get(lang, {}).get(low)
    if swapped is not None:
        return swapped
    if low in _DETERMINERS.get(lang, ()) or low in _PLACE_PREPOSITIONS.get(lang, ()):
        return low
    return word


def _content(word: str, lang: str) -> bool:
    folded = _fold(word)
    if not re.match(r"^[^\W\d_]", word) or folded in NOT_TOPIC or len(folded) < 3:
        return False
    verbish = _VERBISH.get(lang)
    return not (verbish is not None and verbish.search(word.lower()))


def topic(text: str, lang: str) -> str | None:
    """The fan's subject as a phrase to say back, possessives turned to "your" (None if none is clear)."""
    tokens: list[str] = []
    for raw in _TOPIC_WORD.findall(_LOL.sub(" ", text)):
        elided = _ELIDED.match(raw)
        if elided and lang == "fr" and elided.group(1).lower() == "l":
            tokens += [raw[: len(elided.group(1)) + 1], elided.group(2)]  # "l'entretien"
        else:
            tokens.append(raw)
    dets, preps, links = (
        _DETERMINERS.get(lang, frozenset()),
        _PLACE_PREPOSITIONS.get(lang, frozenset()),
        (_CONNECTORS.get(lang, frozenset())),
    )
    best: tuple[int, str] | None = None
    for i, token in enumerate(tokens):
        low = token.lower()
        start = i
        if low in dets or low in ("l'", "l’"):
            j = i + 1
        elif low in preps and i + 1 < len(tokens) and tokens[i + 1].lower() in dets:
            j = i + 2  # "a la sierra", "an den Gardasee"
        elif low in preps:
            j = i + 1  # "de acampada", "pra salvador", "nach Italien"
        elif lang == "de" and i > 0 and token[:1].isupper() and _content(token, lang):
            j = i  # German nouns are capitalised: "Omas Apfelstrudel"
        else:
            continue
        words: list[str] = []
        while j < len(tokens) and len(words) < 3 and _content(tokens[j], lang):
            if lang == "de" and not tokens[j][:1].isupper() and words:
                break
            words.append(tokens[j])
            j += 1
        if not words or _fold(words[-1]) in _TIME_HEADS:
            continue
        # "de mi abuela", "d'embauche", "du tournoi": one complement
        tail: list[str] = []
        if j < len(tokens) and tokens[j].lower() in links:
            k = j + 1
            extra = [tokens[j]]
            if k < len(tokens) and tokens[k].lower() in dets:
                extra.append(tokens[k])
                k += 1
            if k < len(tokens) and _content(tokens[k], lang):
                tail = [*extra, tokens[k]]
        lead = tokens[i : j - len(words)] if (low in dets or low in preps or low in ("l'", "l’")) else []
        phrase_tokens = [*lead, *words, *tail]
        said = " ".join(_swap(t, lang) for t in phrase_tokens).replace("l' ", "l'").replace("l’ ", "l’")
        weight = sum(len(_fold(w)) for w in words) + (3 if tail else 0) - (2 if low in preps else 0)
        weight += 1 if low in dets else 0
        if _fold(words[-1]) in _GENERIC_HEADS:
            weight -= 4  # "tus amigos" says less than "de acampada"
        if lang == "de" and start == i and low not in dets and low not in preps:
            weight -= 3  # a bare German noun is often inside a prepositional phrase ("am Bahnhof")
        if best is None:
            weight += 2  # the first phrase after the verb is most often what the message is about
        if best is None or weight > best[0]:
            best = (weight, said)
    if best is None:
        return None
    said = best[1]
    return said if 1 <= len(said.split()) <= 7 else None
