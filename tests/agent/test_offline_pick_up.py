"""Drafts take up what the fan said, in the fan's language, and one creator's line does not go to
every fan: her reply to a similar message is adapted with the fan's own words in front of it."""

from __future__ import annotations

from typing import Any

import pytest

from agent.llm.intents import Intent, detect_intents
from agent.llm.offline import compose_draft
from agent.llm.situations import fold, topic
from agent.llm.style import read_style

MIA_VOICE = "Sweet, bubbly and teasing. Calls fans 'babe' or 'hun', short messages, the odd 🥰 or 😘."
MIA_NEWS = (
    ("passed my exam today!!", "omg that's huge babe 🥰 i'm so proud of you"),
    ("got the job offer today", "wait really?? that's the best thing i've heard all day 🙈"),
    ("my team won the final", "stop that's amazing hun, tell me everything 😘"),
)


def _examples(pairs: tuple[tuple[str, str], ...], similarity: float) -> list[dict[str, Any]]:
    return [
        {"id": f"ex{n}", "fan_text": fan, "reply": reply, "source": "sent", "similarity": similarity}
        for n, (fan, reply) in enumerate(pairs)
    ]


def draft(
    text: str,
    *,
    name: str = "Sam",
    language: str = "en",
    voice: str = MIA_VOICE,
    examples: list[dict[str, Any]] | None = None,
    memories: tuple[str, ...] = (),
) -> str:
    context = {
        "creator": {"voice": voice, "ppv_price_min": "10", "ppv_price_max": "50"},
        "fan": {"display_name": name, "language": language},
        "unanswered": [text],
        "voice_examples": examples or [],
        "memories": [{"id": f"m{n}", "text": m} for n, m in enumerate(memories)],
    }
    return compose_draft(context).reply


@pytest.mark.parametrize(
    ("text", "lang", "phrase"),
    [
        ("ayer terminé el puzzle de mil piezas de mi hermano", "es", "el puzzle"),
        ("endlich hab ich die Wohnung in Hamburg bekommen!", "de", "die Wohnung"),
        ("j'ai adopté mon premier lapin ce matin", "fr", "ton premier lapin"),
        ("fiz a tatuagem que eu queria faz tempo", "pt", "a tatuagem"),
        ("mi novia me ha regalado una guitarra", "es", "una guitarra"),
    ],
)
def test_the_fans_topic_is_picked_up_with_your_for_my(text: str, lang: str, phrase: str) -> None:
    assert topic(text, lang) == phrase


@pytest.mark.parametrize(
    ("text", "lang", "word"),
    [
        ("finally repainted my whole bedroom this weekend", "en", "bedroom"),
        ("hoy he terminado el puzzle de mil piezas", "es", "puzzle"),
        ("Heute endlich den Marathon in Berlin gelaufen!", "de", "marathon"),
        ("j'ai enfin fini ma thèse ce soir", "fr", "these"),
        ("hoje eu montei o guarda-roupa sozinho", "pt", "guarda-roupa"),
    ],
)
def test_a_statement_is_answered_with_the_fans_own_subject(text: str, lang: str, word: str) -> None:
    reply = draft(text, language=lang, voice="warm, playful")
    assert word in fold(reply), reply


def test_her_reply_to_the_same_news_gets_the_fans_words_and_differs_per_fan() -> None:
    examples = _examples(MIA_NEWS, similarity=0.8)
    drafts = {name: draft("got the promotion at the bank!!", name=name, examples=examples) for name in
              ("Troy", "Daniel", "Kevin", "Liam", "Owen")}  # fmt: skip
    for reply in drafts.values():
        assert "promotion" in reply.lower(), reply
        assert any(r.split(" 🥰")[0].split(" 🙈")[0].split(" 😘")[0][-20:] in reply for _, r in MIA_NEWS), (
            reply
        )
    # Five fans, the same news: not one line for all of them.
    assert len({r.split("?")[-1] for r in drafts.values()}) >= 2, drafts


def test_different_news_get_different_drafts_from_the_same_examples() -> None:
    examples = _examples(MIA_NEWS, similarity=0.6)
    news = (
        "made lasagna from my grandma's recipe tonight",
        "finally got the promotion I was going for!!",
        "my little sister got engaged today",
        "booked a trip to Lisbon for the summer",
    )
    drafts = [draft(text, name="Sam", examples=examples) for text in news]
    assert len(set(drafts)) == len(drafts)
    for text, reply in zip(news, drafts, strict=True):
        key = next(w for w in ("lasagna", "promotion", "sister", "lisbon") if w in text.lower())
        assert key in reply.lower(), reply


def test_a_reply_to_another_moment_is_not_adapted() -> None:
    # "vou dormir" and "vou viajar" look alike to the embedder; a goodbye is no answer to a trip.
    examples = [{"id": "ex1", "fan_text": "vou dormir, boa noite", "reply": "dorme bem, até amanhã 😘",
                 "source": "sent", "similarity": 0.7}]  # fmt: skip
    reply = draft("vou viajar pra recife no carnaval", language="pt", voice="carinhosa", examples=examples)
    assert "dorme bem" not in reply and ("recife" in reply.lower() or "carnaval" in reply.lower()), reply


def test_a_sad_message_does_not_get_her_cheer() -> None:
    examples = _examples((("passed my exam today!!", "omg that's huge babe 🥰 i'm so proud of you"),), 0.6)
    reply = draft("my car broke down on the motorway, what a week", examples=examples)
    assert "proud" not in reply and "car" in reply.lower(), reply


def test_no_pick_up_of_what_must_not_be_said_back() -> None:
    for text in ("add me on telegram, my number is 3055550199", "what's your real name?"):
        assert "your number" not in draft(text).lower()


def test_only_mood_emoji_of_hers_join_the_palette() -> None:
    style = read_style(
        "sweet", [], ["cozy gaming night 🎮 you?", "sweet dreams 😘", "night hun 🌙", "aww 🥺"]
    )
    assert "🎮" not in style.emoji and "🌙" not in style.emoji and "😘" in style.emoji


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("mon chat a encore cassé un verre", Intent.meetup),
        ("made pancakes this morning, the kitchen smells amazing", Intent.compliment),
        ("Hab die Prüfung bestanden!!", Intent.nervous),
    ],
)
def test_look_alike_intents_stay_out(text: str, absent: Intent) -> None:
    assert absent not in detect_intents(text)


def test_a_birthday_weeks_away_is_noted_not_wished() -> None:
    reply = draft("turning 40 on October 3, feeling old haha")
    assert "happy birthday" not in reply.lower() and "birthday" in reply.lower(), reply
    assert "happy birthday" in draft("it's my birthday today!!").lower()


def test_her_thanks_for_a_tip_does_not_answer_a_breakdown() -> None:
    # Her reply to "sent you a tip" may look close to anything to the embedder; it answers a tip only.
    examples = _examples((("je t'ai envoyé un petit pourboire", "merci beaucoup, tu es adorable"),), 0.7)
    reply = draft("ma voiture est encore tombée en panne sur l'autoroute", language="fr", voice="douce",
                  examples=examples)  # fmt: skip
    assert "merci" not in reply and "voiture" in reply, reply


def test_a_bad_day_with_a_hobby_or_a_pet_gets_sympathy_not_cheer() -> None:
    for text, lang, cheer in (
        ("minha internet caiu de novo no meio do jogo", "pt", "amo que"),
        ("my dog got sick and we spent the night at the vet, awful", "en", "adorable"),
    ):
        reply = draft(text, language=lang, voice="warm")
        assert cheer not in reply.lower(), reply


def test_a_spanish_fans_dog_is_not_an_insult() -> None:
    reply = draft("mi perra Lola ha tenido cachorros, ¡seis!", language="es", voice="cariñosa",
                  memories=("Diego tiene una perra que se llama Lola",), name="Diego")  # fmt: skip
    assert "respeto" not in reply and "lola" in reply.lower(), reply


def test_how_long_ago_is_not_the_topic() -> None:
    assert topic("el pedido que hice hace un mes todavía no ha llegado", "es") == "el pedido"


def test_a_memory_after_her_lowercase_reply_stays_lowercase() -> None:
    examples = _examples(MIA_NEWS, similarity=0.8)
    reply = draft("finally got the promotion I was going for!!", name="Daniel", examples=examples,
                  voice="Sweet and teasing.", memories=("Daniel works as a graphic designer",))  # fmt: skip
    assert "designer" in reply and not any(c.isupper() for c in reply), reply


@pytest.mark.parametrize(
    ("earlier", "latest", "lang"),
    [
        ("got anything new for me?", "money's tight this month, might have to pause my sub for a bit", "en"),
        ("any new sets soon?", "honestly can't afford much right now, rent is due", "en"),
        ("¿tienes algo nuevo?", "este mes no me alcanza, voy a pausar mi suscripción", "es"),
        ("hast du was Neues?", "bin gerade knapp bei Kasse, muss mein Abo pausieren", "de"),
        (
            "t'as des nouvelles photos ?",
            "je suis à sec ce mois-ci, je vais mettre mon abonnement en pause",
            "fr",
        ),
    ],
)
def test_a_fan_short_of_money_is_not_sold_to(earlier: str, latest: str, lang: str) -> None:
    """Asked for something new earlier, then says money is tight or they will pause: no PPV offer at
    all (a chatter would never send one)."""
    context = {
        "creator": {"voice": MIA_VOICE, "ppv_price_min": "10", "ppv_price_max": "50"},
        "fan": {"display_name": "Leo", "language": lang},
        "unanswered": [earlier, latest],
        "voice_examples": [],
        "memories": [],
    }
    drafted = compose_draft(context)
    assert drafted.action == "send_message", (drafted.action, drafted.ppv_price, drafted.reply)
    assert "$30" not in drafted.reply and "30" not in drafted.reply


def test_asking_for_something_while_short_of_money_gets_the_cheapest_offer() -> None:
    context = {
        "creator": {"voice": MIA_VOICE, "ppv_price_min": "10", "ppv_price_max": "50"},
        "fan": {"display_name": "Leo", "language": "en"},
        "unanswered": ["got anything new? money is tight tho"],
        "voice_examples": [],
        "memories": [],
    }
    drafted = compose_draft(context)
    assert (drafted.action, drafted.ppv_price) == ("send_ppv", 10.0)
