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


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


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
            r"\b(?:perro|perrito|gato|gatito|veterinario|mascota)\b",
            r"\b(?:hund|katze|kater|tierarzt|welpe)\b",
            r"\b(?:chien|chat|chaton|veterinaire|toutou)\b",
            r"\b(?:cachorro|cachorrinho|gata|gato|gatinha|veterinario|pet)\b",
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
            r"\b(?:gimnasio|gym|entreno|entrenamiento|correr|corri)\b",
            r"\b(?:fitnessstudio|training|trainiert|laufen|gelaufen)\b",
            r"\b(?:salle|muscu|entrainement|courir|couru)\b",
            r"\b(?:academia|treino|treinei|corrida|musculacao)\b",
        ),
    ),
    (
        Situation.travel,
        _rx(
            r"\b(?:flight|airport|plane|landed|layover|train|trip|road trip|vacation|holiday|hotel|jet lag|"
            r"cancelled|canceled|delayed)\b",
            r"\b(?:vuelo|aeropuerto|viaje|vacaciones)\b",
            r"\b(?:flug|flughafen|reise|urlaub)\b",
            r"\b(?:vol|aeroport|voyage|vacances)\b",
            r"\b(?:voo|aeroporto|viagem|ferias)\b",
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
        Situation.food,
        _rx(
            r"\b(?:cooked|cooking|made (?:dinner|lunch|breakfast|lasagna|pasta|pizza)|recipe|lasagna|pizza|"
            r"pasta|bbq|barbecue|baked|dinner|tacos|burger|sushi)\b",
            r"\b(?:cocine|cocinar|receta|cena|paella|tortilla)\b",
            r"\b(?:gekocht|kochen|rezept|abendessen|gebacken)\b",
            r"\b(?:cuisine|recette|diner|gateau|raclette)\b",
            r"\b(?:cozinhei|receita|jantar|churrasco|bolo)\b",
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
    r"\b(?:finally|passed|promoted|promotion|got the|won|new pr|pr\b|record|proud|amazing|awesome|love|"
    r"learned|learnt|finished|done|nailed|best|great|happy|excited|can'?t wait|insane|so good)\b|!!",
    r"\b(?:por fin|aprobe|gane|increible|genial|feliz|orgullos[oa])\b",
    r"\b(?:endlich|bestanden|gewonnen|geschafft|mega|toll|super|stolz)\b",
    r"\b(?:enfin|reussi|gagne|genial|trop bien|fier|fiere|libere)\b",
    r"\b(?:finalmente|passei|ganhei|incrivel|feliz|orgulhos[oa])\b",
)
_BAD = _rx(
    r"\b(?:brutal|rough|awful|terrible|sucks|ugh|cancelled|canceled|stuck|sick|broke|lost|bad|worst|"
    r"storm|stressed|annoying|pouring|freezing)\b",
    r"\b(?:fatal|horrible|que asco|enfermo|perdi)\b|\bestoy muerto\b",
    r"\b(?:schrecklich|mist|krank|verloren|nervig|schon wieder)\b",
    r"\b(?:nul|horrible|malade|galere|journee de fou)\b",
    r"\b(?:horrivel|doente|perdi|chato)\b|\bto morto\b",
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
    if re.match(r"^(?:what|when|where|why|how|who|do|does|did|can|could|will|would|are|is)\b", first, re.I):
        return None
    said = first
    for pattern, replacement in _SWAPS:
        said = re.sub(pattern, replacement, said, flags=re.I)
    said = re.sub(r"\bhere\b", "there", said)
    if re.search(r"\b(?:you|your)\b.*\b(?:is|was)\b", said) and "you're" not in said:
        return None
    return said
