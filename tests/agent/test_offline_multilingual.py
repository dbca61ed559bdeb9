"""The offline model understands and answers fans in English, Spanish, German, French and Portuguese."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.llm.intents import Intent, detect_intents, wants_to_buy
from agent.llm.languages import LANGUAGES, Language, detect_language
from agent.llm.offline import compose_draft
from agent.llm.offline_lines import FREE_ALTERNATIVE, LINES, OFFER
from agent.state import DraftReply
from crm.approvals.guardrails import GuardrailPolicy, check_text

POLICY = GuardrailPolicy(ppv_price_min=Decimal(10), ppv_price_max=Decimal(50))


def draft(text: str, *, memories: tuple[str, ...] = (), voice: str = "warm") -> DraftReply:
    context = {
        "creator": {"voice": voice, "ppv_price_min": "10", "ppv_price_max": "50"},
        "fan": {"display_name": "Sam Doe"},
        "unanswered": [text],
        "memories": [{"id": f"m{n}", "text": m} for n, m in enumerate(memories)],
    }
    return compose_draft(context)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("how was your weekend? mine was pretty chill", "en"),
        ("¿qué tal tu semana? yo estoy muy cansado del trabajo", "es"),
        ("Wie war dein Wochenende? Ich war mit Freunden wandern", "de"),
        ("tu as passé un bon week-end ? moi je suis resté chez moi", "fr"),
        ("como foi seu fim de semana? eu fiquei em casa vendo filme", "pt"),
        ("hey", "en"),
        ("lol ok", "en"),
    ],
)
def test_language_is_detected(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "intent", "opener"),
    [
        ("me gustaría quedar contigo en persona algún día", Intent.meetup, "¡Hola Sam!"),
        ("Lust, dich nächste Woche zu treffen?", Intent.meetup, "Hallo Sam!"),
        ("on pourrait se voir à Lyon un de ces jours ?", Intent.meetup, "Coucou Sam !"),
        ("queria muito te encontrar pessoalmente", Intent.meetup, "Oi Sam!"),
        ("el video no carga y ya lo pagué", Intent.complaint, "¡Hola Sam!"),
        ("Das Video funktioniert nicht, ich bin echt enttäuscht", Intent.complaint, "Hallo Sam!"),
        ("la vidéo ne marche pas, je suis déçu", Intent.complaint, "Coucou Sam !"),
        ("o vídeo não abre, que golpe", Intent.complaint, "Oi Sam!"),
        ("¿eres un bot o una persona real?", Intent.ai_question, "¡Hola Sam!"),
        ("Bist du ein Bot?", Intent.ai_question, "Hallo Sam!"),
        ("es-tu un robot ?", Intent.ai_question, "Coucou Sam !"),
        ("você é um robô?", Intent.ai_question, "Oi Sam!"),
    ],
)
def test_intents_are_recognised_and_answered_in_the_fans_language(
    text: str, intent: Intent, opener: str
) -> None:
    assert intent in detect_intents(text)
    reply = draft(text)
    language = detect_language(text)
    assert reply.reply.startswith(opener.split()[0].strip("¡!")) or "Sam" in reply.reply
    assert LINES[intent][language].split(".")[0][1:] in reply.reply
    assert reply.action == "send_message" and reply.ppv_price is None
    assert reply.intent == intent.value


@pytest.mark.parametrize(
    "text",
    [
        "got any new pics this week? I'll buy them",
        "quiero comprar tu set nuevo, ¿cuánto cuesta?",
        "Ich würde dein neues Set sofort kaufen",
        "je voudrais acheter ta nouvelle vidéo",
        "quero comprar o vídeo novo",
        "anything special for me tonight?",
        "what's new on your page?",
    ],
)
def test_purchase_interest_gets_a_ppv_in_bounds_in_the_fans_language(text: str) -> None:
    reply = draft(text)
    assert reply.action == "send_ppv" and reply.ppv_price == 30.0
    assert OFFER[detect_language(text)].format(price=30) in reply.reply


def test_a_fan_on_a_budget_is_offered_the_minimum_price() -> None:
    reply = draft("what's the cheapest set you have? money is tight, I'm broke")
    assert reply.action == "send_ppv" and reply.ppv_price == 10.0


@pytest.mark.parametrize(
    "text",
    [
        "the clip I bought won't play and I paid $40 for it",  # complaint with money in it
        "can you make me a custom? how much would it cost",  # customs are quoted, not sold as PPV
        "sent you a tip, buy yourself something nice",  # a tip is thanked, not upsold
        "thinking about cancelling, not sure I'll renew",  # churn
        "had a really rough week, feeling lonely",  # hard times
        "let's grab dinner, I'll pay",  # meet-up: money talk is about the date
        "when do you usually post new videos?",
    ],
)
def test_no_sales_offer_where_one_would_be_wrong(text: str) -> None:
    reply = draft(text)
    assert reply.action == "send_message" and reply.ppv_price is None
    assert LINES[Intent.purchase_interest]["en"] not in reply.reply


def test_a_custom_and_a_ready_made_set_in_one_message() -> None:
    assert wants_to_buy("how much for a custom? also I want to buy your new set")
    assert not wants_to_buy("I'd like a custom clip. what's your price?")


@pytest.mark.parametrize(
    ("text", "language", "forbidden"),
    [
        ("¿me mandas un video gratis?", "es", ("gratis",)),
        ("schick mir doch ein Bild kostenlos", "de", ("gratis", "kostenlos", "geschenkt")),
        ("envoie-moi une photo gratuitement", "fr", ("gratuit",)),
        ("me manda uma foto de graça", "pt", ("de graça", "grátis")),
    ],
)
def test_free_content_is_declined_without_promising_anything_free(
    text: str, language: Language, forbidden: tuple[str, ...]
) -> None:
    reply = draft(text)
    assert LINES[Intent.free_content][language][1:] in reply.reply
    assert reply.ppv_price == 10.0 and OFFER[language].format(price=10) in reply.reply
    assert not any(word in reply.reply.lower() for word in forbidden)
    assert not check_text(reply.reply, policy=POLICY, inbound_texts=[text])


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("just tipped you, have a coffee on me", Intent.tip),
        ("guess who turns 35 tomorrow", Intent.birthday),
        ("I'm so nervous about my job interview", Intent.nervous),
        ("just got promoted at work!!", Intent.celebration),
        ("should I take supplements for my back pain", Intent.health),
        ("did you miss me? I'm back", Intent.welcome_back),
        ("acabo de suscribirme, soy nuevo aquí", Intent.new_fan),
        ("not sure I'll renew next month", Intent.churn),
        ("ganamos el partido hoy!!", Intent.celebration),
        ("mandei uma gorjeta pra você", Intent.tip),
    ],
)
def test_everyday_moments_are_recognised(text: str, intent: Intent) -> None:
    assert intent in detect_intents(text)
    line = LINES[intent][detect_language(text)]
    assert _first(line) in draft(text).reply


@pytest.mark.parametrize(
    "text",
    [
        "how was your day?",
        "¿cómo estuvo tu día?",
        "Wie war dein Tag?",
        "ta journée s'est bien passée ?",
        "como foi seu dia?",
    ],
)
def test_ordinary_small_talk_gets_no_offer_and_no_refusal(text: str) -> None:
    intents = detect_intents(text)
    assert not {Intent.purchase_interest, Intent.instruction, Intent.meetup, Intent.complaint} & set(intents)
    assert draft(text).action == "send_message"


def _first(line: str) -> str:
    """A line's first sentence without its first letter (the draft may lower-case it after a greeting)."""
    return line.split(". ")[0].split("! ")[0][1:].rstrip(".!")


def test_a_memory_in_the_fans_language_is_said_not_quoted() -> None:
    reply = draft("hola, ¿qué tal?", memories=("Sam tiene un gato que se llama Miso",))
    assert "Miso" in reply.reply and "tiene un gato que se llama" not in reply.reply
    assert reply.memory_ids_used == ["m0"]


def test_a_short_voice_keeps_the_offer() -> None:
    reply = draft(
        "hey gorgeous, do you have new pics? I'd buy them",
        voice="short sentences",
        memories=("Sam likes red",),
    )
    assert reply.action == "send_ppv" and OFFER["en"].format(price=30) in reply.reply


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_template_trips_a_guardrail(language: Language) -> None:
    """The offline model's own lines never promise free content, meet-ups, contact or deny AI."""
    asked = ["are you a bot?", "¿eres un bot?", "bist du ein Bot?", "es-tu un robot ?", "você é um robô?"]
    texts = [lines[language] for lines in LINES.values()]
    texts += [FREE_ALTERNATIVE[language], OFFER[language].format(price=20)]
    for text in texts:
        assert not check_text(text, policy=POLICY, inbound_texts=asked), text
