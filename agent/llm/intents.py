"""What a fan message is about, by rules. Used by the offline model (and shown to reviewers).

Every rule understands English, Spanish, German, French and Portuguese. Intents are listed most
important first: refusals (meet-ups, free content, other fans' data, price changes, instructions)
outrank care (complaints, churn, hard times) which outranks sales and small talk.
"""

from __future__ import annotations

import re
from enum import StrEnum

from crm.approvals.guardrails import OTHER_APPS, injection_families


class Intent(StrEnum):
    """In the order a reply answers them."""

    instruction = "instruction"  # the fan tries to instruct the assistant (prompt injection)
    impersonation = "impersonation"  # "OnlyFans support here", "I'm from the agency"
    meetup = "meetup"
    contact = "contact"  # other apps, phone numbers, paying off-platform
    personal_info = "personal_info"  # real name and the like
    free_content = "free_content"
    other_fans = "other_fans"
    price_change = "price_change"
    ai_question = "ai_question"
    complaint = "complaint"
    churn = "churn"
    birthday = "birthday"
    hard_time = "hard_time"
    nervous = "nervous"
    health = "health"
    tip = "tip"
    renewal = "renewal"
    celebration = "celebration"
    welcome_back = "welcome_back"
    new_fan = "new_fan"
    affection = "affection"
    compliment = "compliment"
    custom_request = "custom_request"
    purchase_interest = "purchase_interest"
    posting_schedule = "posting_schedule"
    question = "question"
    greeting = "greeting"
    other = "other"


# Injection families that get their own answer; price, free-content and other-fans attempts are
# answered by those intents.
_INSTRUCTION_FAMILIES = frozenset({"override", "role_markup", "role_play", "authority", "exfiltration"})


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.I)


_APP_NAMES = "|".join(re.escape(a) for a in OTHER_APPS)

_RULES: list[tuple[Intent, re.Pattern[str]]] = [
    (
        Intent.impersonation,
        _rx(
            r"\b(onlyfans|fansly|fanvue)[- ](support|team|staff|admin|security|moderation)\b",
            r"\b(update|message|notice|announcement|warning) from (onlyfans|fansly|fanvue|the agency|"
            r"support|management|the admin)\b",
            r"\b(i'?m|i am|this is|we are|we're) (from |with )?(the |your )?(agency|management|"
            r"support team|moderation team)\b",
            r"\bthis is \w+'?s (manager|agent|assistant|agency)\b",
            r"\b(hier ist|wir sind) das (\w+-)?team\b",
            r"\b(soy|somos) (del|de la) (agencia|equipo de \w+|soporte)\b",
            r"\b(c'est|ici) (l'équipe|le support) (de )?\w+\b",
            r"\b(aqui é|somos) (a equipe|o suporte|da agência)\b",
        ),
    ),
    (
        Intent.meetup,
        _rx(
            r"\b(?:grab|go for|buy you|take you (?:out )?(?:for|to))(?: a| some)? (?:coffee|drinks?|dinner|lunch)\b|"
            r"\b(?:coffee|drinks?|dinner|lunch) (?:with me|together|sometime|with you)\b|"
            r"\b(meet( ?up)?|in person|irl|hang ?out|go out|date|come over|"
            r"your (place|address)|where do you (live|surf|work|stay)|visit you|come find you|"
            r"find you (at|there|this)|see you in person)\b",
            r"\b(tomamos|tomar) (un|una|algo)|\bquedamos\b|\bvernos\b|\bconocernos\b|"
            r"\ben persona\b|\bdónde vives\b|\btu dirección\b|\bvisitarte\b|\bquedar(nos)? (contigo|para|en)\b",
            r"\btreffen\b|\bpersönlich\b|\bwo wohnst du\b|\bdeine adresse\b|\bbesuchen\b|"
            r"\b(auf einen|einen) (kaffee|drink)\b",
            r"\bon se voit\b|\bse voir\b|\bse rencontrer\b|\b(prendre|boire) un verre\b|"
            r"\b(te voir|se voir|rencontrer) en vrai\b|"
            r"\boù (tu habites|habites-tu)\b|\bton adresse\b",
            r"\b(nos|te) encontrar\b|\bencontrar (com )?você\b|\bnos ver\b|\ba gente se (ver|encontrar)\b|"
            r"\bpessoalmente\b|"
            r"\bonde você mora\b|\bseu endereço\b",
        ),
    ),
    (
        Intent.contact,
        _rx(
            rf"\b({_APP_NAMES})\b",
            r"\b(your|ur) (number|phone|email|e-mail|handle|cell)\b|\b(text|email|call|dm) me (at|on)\b",
            r"\b(add|follow) me on\b|\bpay (you )?directly\b|\boutside (of )?(the )?(app|platform|site)\b",
            r"\b(tu|tú) (número|teléfono|correo)\b|\bper (e-mail|mail|überweisung)\b|"
            r"\b(deine|deinen) (nummer|handynummer|e-mail)\b|\bton (numéro|mail|insta)\b|"
            r"\bseu (número|telefone|zap|e-mail)\b|\bpor pix\b|\bsua chave\b",
        ),
    ),
    (
        Intent.personal_info,
        _rx(
            r"\b(your|ur) real name\b|\bwhat'?s your (full|last) name\b",
            r"\btu nombre (real|de verdad)\b|\b(echter|richtiger) name\b|\bton vrai (nom|prénom)\b|"
            r"\bseu nome (verdadeiro|real)\b",
        ),
    ),
    (
        Intent.free_content,
        _rx(
            r"\bfor free\b|\bfree (pics?|content|videos?|vids?|nudes?|stuff|sets?|preview|access|pic)\b|"
            r"\bwithout paying\b|\bsomething free\b|\b(send|give|unlock)\b[^.?!]{0,30}\bfree\b",
            r"\bgratis\b|\bme regalas\b|\bregálame\b|\bsin pagar\b",
            r"\bkostenlos\b|\bumsonst\b|\bschenk(st)? mir\b",
            r"\bgratuit(e|s|ement)?\b|\bsans payer\b",
            r"\bde graça\b|\bgrátis\b|\bsem (pagar|cobrar)\b",
        ),
    ),
    (
        Intent.other_fans,
        _rx(
            r"\b(other|top|biggest|best) (fans|subscribers|spenders|buyers)\b|\bwho else\b|"
            r"\b(biggest|top) spender\b|\bwhat did \w+ (buy|spend|pay|get)\b|\bhow much did \w+ (spend|pay)\b",
            r"\botros (fans|suscriptores)\b|\bcuánto te ha pagado\b|\bqué (compró|te pidió)\b",
            r"\bandere(n)? (fans|abonnenten)\b|\bwas hat \w+ (gekauft|bezahlt)\b",
            r"\bautres? abonnés?\b|\bl'autre abonné\b|\bautres fans\b",
            r"\boutros (fãs|assinantes)\b|\bquanto \w+ (pagou|gastou)\b",
        ),
    ),
    (
        Intent.price_change,
        _rx(
            r"\b(change|lower|drop|set|cut) (your |the |all )?(prices?|ppv)\b|\bdiscount\b|"
            r"\bcheaper\b|\d+ ?% off\b|\bdo it for \$?\d+|\bmatch (it|that|their price)\b|"
            r"\bhalf price\b",
            r"\bdescuento\b|\bmás barato\b|\bbaja(r)? (el|los|tus) precios?\b",
            r"\brabatt\b|\bbilliger\b|\bpreis(e)? senken\b",
            r"\bréduction\b|\bmoins cher\b|\bbaisse(r)? (le|les|tes) prix\b",
            r"\bdesconto\b|\bmais barato\b|\babaixa(r)? o preço\b",
        ),
    ),
    (
        Intent.ai_question,
        _rx(
            r"\b(are (you|u) (an? )?(bot|ai|robot|real|human|chatgpt|automated)|is this (an? )?(bot|ai|real)|"
            r"am i (talking|chatting|speaking) (to|with) (an? )?(bot|ai|real|human)|is (this|it) really you|"
            r"is this an ai)\b",
            r"\beres (un |una )?(bot|robot|ia|persona real)\b|\bhablo con (un |una )?(bot|ia|robot|persona)\b",
            r"\bbist du (ein |eine )?(bot|ki|roboter|echt)\b|\bmit (einer|einem) (ki|bot)\b",
            r"\b(es-tu|t'es|tu es) (un |une )?(bot|robot|ia|vraie? personne)\b|\bje parle à (une ia|un bot|un robot)\b",
            r"\b(você é|vc é) (um |uma )?(robô|bot|ia|pessoa de verdade)\b|"
            r"\bfalando com (uma pessoa|um robô|um bot|uma ia)\b",
        ),
    ),
    (
        Intent.complaint,
        _rx(
            r"\b(disappoint\w*|refund|scam\w*|waste|rip ?off|ripped off|never (got|received)|"
            r"didn'?t (get|receive)|not worth|upset|angry|annoyed|broken|blurry|pixelated)\b",
            r"\b(doesn'?t|does not|won'?t|will not|can'?t|cannot|didn'?t) (work|load|open|play|download|"
            r"show|start)\b|\bnot (working|loading|playing)\b",
            r"\bnever (answer|reply|respond|write back)\w*\b|\bignor(e|es|ing) me\b|"
            r"\bwhy do i (even )?pay\b|\byou promised\b|\bstill (don'?t|haven'?t|didn'?t) (have|get|got|received?)\b|"
            r"\b(way )?shorter than\b|\bnot what i (paid|asked)\b",
            r"\bno me gust(ó|a)\b|\bno (funciona|carga|abre|se ve)\b|\bborros[oa]\b|\bestafa\b|"
            r"\breembolso\b|\bdevolución\b|\bdecepcionad[oa]\b|\bnunca (me )?(contestas|respondes)\b|"
            r"\bno me (llegó|ha llegado)\b",
            r"\benttäuscht\b|\bfunktioniert nicht\b|\b(lädt|startet|geht) nicht\b|\bbetrug\b|\babzocke\b|"
            r"\bgeld zurück\b|\brückerstattung\b|\bunscharf\b|\bantwortest nie\b|\bnie bekommen\b|"
            r"\bnicht bekommen\b",
            r"\bdéçu(e)?\b|\bne (marche|fonctionne|se lance|s'ouvre) pas\b|\barnaque\b|\brembourse\w*\b|"
            r"\bflou(e)?\b|\bjamais reçu\b|\bpas reçu\b|\bne réponds jamais\b",
            r"\bdecepcionad[oa]\b|\bnão (funciona|abre|carrega|gostei)\b|\bgolpe\b|\bdevolve\b|"
            r"\bborrad[oa]\b|\b(nunca|não) recebi\b|\bnunca responde\b",
        ),
    ),
    (
        Intent.churn,
        _rx(
            r"\b(not sure|thinking|might|may|going to|gonna|about to|probably)\b[^.?!]{0,25}"
            r"\b(renew\w*|cancel\w*|unsub\w*|leave|quit)\b",
            r"\b(won'?t|will not|not) (be )?renew\w*\b|\bcancel(l?ing)? my (sub|subscription)\b|"
            r"\bunsubscrib\w*\b|\bmy sub (ends|expires|runs out)\b",
            # Pausing is leaving for now: "might have to pause my sub", "taking a break from this".
            r"\bpaus\w* (my |the )?(sub|subscription|membership)\b|\b(take|taking) a break from (this|here|my sub\w*)\b",
            r"\b(pausar|parar) (mi |la )?suscripci[oó]n\b|\babo pausieren\b|\bmettre (mon abonnement )?en pause\b|"
            r"\bpausar (minha |a )?assinatura\b",
            r"\b(voy a|quiero) (cancelar|darme de baja)\b|\bno (voy a|sé si) renovar\b|\bno sé si renuevo\b",
            r"\bkündig\w*\b|\bnicht verlänger\w*\b|\babo (beenden|auslaufen)\b",
            r"\bme désabonner\b|\brésilier\b|\bpas renouveler\b|\bannuler mon abonnement\b",
            r"\b(vou|acho que vou|quero) cancelar\b|\bnão vou renovar\b|\btá caro\b|\bestá caro\b",
        ),
    ),
    (
        Intent.hard_time,
        _rx(
            r"\brough (day|night|week|weeks|few weeks|time|month|shift|night shift)\b|\bhard time\b|"
            r"\btough (day|week|time|month)\b|\bbad day\b|\bstressed\b|\bsad\b|\blonely\b|\bdepressed\b|"
            r"\bstruggling\b|\bexhausted\b|\bheartbroken\b|\bbreakup\b|\bpassed away\b|\blost my\b|"
            r"\b(nobody|no one|no-one) (remembered|cares|called)\b",
            r"\b(estoy|me siento) (triste|solo|sola|mal|agotad[oa])\b|\bmal día\b|"
            r"\bnadie se (acordó|acuerda)\b",
            r"\b(bin|fühle mich) (traurig|einsam|fertig|erschöpft)\b|\bschlechter tag\b|\bharte woche\b|"
            r"\bniemand hat (daran )?gedacht\b",
            r"\b(je suis|me sens) (triste|seul|seule|épuisé|épuisée)\b|\bsale journée\b|"
            r"\bpersonne ne s'en (est )?souven\w*\b",
            r"\b(estou|tô|to) (triste|sozinh[oa]|cansad[oa]|mal)\b|\bdia difícil\b|\bninguém lembrou\b",
        ),
    ),
    (
        Intent.nervous,
        _rx(
            r"\bnervous\b|\banxious\b|\bscared\b|\bworried\b|\bi can'?t do (this|it)\b|\bwish me luck\b",
            r"\bnervios[oa]\b|\bno puedo con (esto|todo)\b|\bdeséame suerte\b",
            r"\bnervös\b|\bich schaffe das nicht\b|\bschaff das nicht\b|\bprüfung\w*\b|\bdrück mir die daumen\b",
            r"\bstressé(e)?\b|\bje stresse\b|\bj'y arriverai pas\b|\bje n'y arriverai pas\b|\bexamen\b",
            r"\bnervos[oa]\b|\bnão vou conseguir\b|\btorce por mim\b|\bprova\b",
        ),
    ),
    (
        Intent.health,
        _rx(
            r"\bsupplements?\b|\bmedication\b|\bmedicine\b|\bmeds\b|\binjur(y|ed|ies)\b|\bpainkillers?\b|"
            r"\bmy (knee|back|shoulder|ankle|hip|neck) (hurts|is|injury|pain)\b|\bwhat should i take\b",
            r"\bsuplementos?\b|\bmedicamentos?\b|\blesión\b|\bqué debería tomar\b",
            r"\bnahrungsergänzung\w*\b|\bmedikament\w*\b|\bverletzung\b",
            r"\bcompléments?\b|\bmédicaments?\b|\bblessure\b",
            r"\bsuplementos?\b|\bremédios?\b|\blesão\b",
        ),
    ),
    (
        Intent.tip,
        _rx(
            r"\btipped\b|\b(sent|left|gave) (you )?(a |an? \w+ )?tip\b|\btips? for you\b|"
            r"\b(sent|got) you (a little )?(something|a gift)\b|\blittle something\b|"
            r"\bbought you\b|💸",
            r"\bpropina\b|\bte (mandé|envié) (algo|un regalo|un detalle)\b",
            r"\btrinkgeld\b|\bdir (was|etwas) geschickt\b",
            r"\bpourboire\b|\bpetit cadeau\b",
            r"\bgorjeta\b|\bmandei (um|uma) (presente|mimo)\b",
        ),
    ),
    (
        Intent.renewal,
        _rx(
            r"\b(just |i )?(renewed|resubscribed|re-?subbed|subscribed again)\b",
            r"\b(renové|me volví a suscribir)\b|\bverlängert\b|\bréabonné(e)?\b|\brenovei\b",
        ),
    ),
    (
        Intent.birthday,
        _rx(
            r"\bbirthday\b|\bb-?day\b|\bturn(s|ed|ing)? \d{1,2}\b",
            r"\bcumpleaños\b|\bmi cumple\b|\bcumplo \d{1,2}\b",
            r"\bgeburtstag\b|\bwerde ich \d{1,2}\b|\bwerde \d{1,2}\b",
            r"\banniversaire\b|\bj'aurai \d{1,2} ans\b",
            r"\baniversário\b|\bfaço \d{1,2} anos\b",
        ),
    ),
    (
        Intent.celebration,
        _rx(
            r"\bjust (hit|got promoted|won|passed|finished|beat|landed|made it|graduated)\b|"
            r"\bfinally (beat|did it|passed|finished|got)\b|\bpromot(ed|ion)\b|\bnew job\b|\bwe won\b|"
            r"\bgot the job\b|\bi won\b|\bpassed my\b|\bgot engaged\b|\bnew (pr|record)\b",
            r"\b(gané|ganamos|aprobé)\b|\bganó\b|\bascenso\b|\bme ascendieron\b|\bhe aprobado\b|"
            r"\bme han cogido\b",
            r"\b(gewonnen|bestanden|befördert|beförderung)\b",
            r"\b(gagné|réussi|promu)\b|\bma promotion\b|\bj'ai eu (mon|ma)\b",
            r"\b(ganhou|ganhamos|passei|fui promovid[oa])\b|\bpromoção\b",
        ),
    ),
    (
        Intent.custom_request,
        _rx(
            r"\bcustoms?\b|\bpersonali[sz]ed (video|vid|pic|clip)\b|\bmade just for me\b",
            r"\b(video|foto)s? personalizad[oa]s?\b",
            r"\b(individuelle?s?|persönliche?s?) video\b",
            r"\bvidéo personnalisée\b",
            r"\bvídeo personalizado\b",
        ),
    ),
    (
        Intent.posting_schedule,
        _rx(
            r"\b(when|how often) do you (usually |normally )?(post|upload|drop)\b|\bposting schedule\b",
            r"\bcuándo subes\b|\bwann postest du\b|\bquand est-ce que tu postes\b|\bquando você posta\b",
        ),
    ),
    (
        Intent.welcome_back,
        _rx(
            r"\bi'?m back\b|\bi am back\b|\bdid (you|u) miss me\b|\bbeen a while\b|\blong time no\b",
            r"\b(he|ya) vuelto\b|\bme extrañaste\b|\bbin wieder da\b|\bhast du mich vermisst\b",
            r"\bje suis de retour\b|\bje suis revenu(e)?\b|\bvoltei\b|\bsentiu (minha|saudade)\b",
        ),
    ),
    (
        Intent.new_fan,
        _rx(
            r"\bjust subscribed\b|\bnew here\b|\bfirst time (here|buying|subscribing)\b|"
            r"\bnever done this before\b",
            r"\bnuev[oa] aquí\b|\bacabo de suscribirme\b|\bneu hier\b|\bgerade abonniert\b",
            r"\bnouveau ici\b|\bnouvelle ici\b|\bje viens de m'abonner\b",
            r"\bnov[oa] aqui\b|\bacabei de assinar\b",
        ),
    ),
    (
        Intent.affection,
        _rx(
            r"\bbest part of my (day|week|night)\b|\bthinking (of|about) you\b|\btalking to you\b|"
            r"\byou make my (day|week)\b|\bmissed you\b",
            r"\bpensando en ti\b|\bte extraño\b|\bdenke an dich\b|\bvermisse dich\b",
            r"\bje pense à toi\b|\btu me manques\b|\bpensando em você\b|\bsaudade de você\b",
        ),
    ),
    (
        Intent.compliment,
        _rx(
            r"\b(beautiful|gorgeous|stunning|sexy|love (your|you|it)|obsessed|like your (videos|pics|content|photos))\b",
            # Praise that may be about anything ("house smells amazing") is for her only when it is
            # said to her, or is all the message says.
            r"^(?=.*\b(you|u|ur|your|you're|youre)\b).*\b(hot|cute|pretty|amazing|perfect|incredible|so good)\b|"
            r"^\W*(\w+\W+){0,3}(hot|cute|pretty|amazing|perfect|incredible|so good)\W*$",
            r"\b(guapa|guapo|hermosa|preciosa|bella|linda|me encantas)\b",
            r"\b(wunderschön|hübsch|süß|heiß|perfekt)\b",
            r"\b(belle|magnifique|canon|sublime|j'adore)\b",
            r"\b(linda|gostosa|maravilhosa|perfeita)\b",
        ),
    ),
    (
        Intent.greeting,
        _rx(
            r"^\s*(hi+|hey+|hello|yo|good (morning|evening|night)|sup)\b",
            r"^\s*(hola|buenas|buenos días)\b|^\s*(hallo|servus|moin|guten (morgen|tag|abend))\b",
            r"^\s*(bonjour|salut|coucou|bonsoir)\b|^\s*(oi|olá|ola|bom dia|boa noite|boa tarde)\b",
        ),
    ),
]

# Buying signals. Strong ones name the wish to buy or unlock; weak ones (price questions) only count
# when the message is not about a custom, whose price the creator quotes herself.
_PURCHASE_STRONG = _rx(
    r"\b(buy|purchase|ppv|unlock|bundle|exclusive|sell)\b|\bi'?(d|ll| would| will) (pay|buy|take)\b|"
    r"\bhappy to (pay|unlock|buy)\b|\bpay for (it|that|this)\b|\bnew (sets?|content|pics|videos?|vids?|photos?)\b|"
    r"\bmore (pics|content|videos|vids|photos|from)\b|\b(got|have) anything\b|\banything (special|new|like)\b|"
    r"\bwhat'?s new\b|\bwhat (else )?do you have\b|\bnot on your (wall|feed|page)\b|\bis it out( yet)?\b|"
    r"\bdo you have (any|more|anything|something|a|the)?\s?(\w+ ){0,3}(sets?|pics?|photos?|videos?|vids?|"
    r"content|clips?|shoots?)\b|\b(sexiest|hottest|darkest|spiciest|newest|latest|cheapest|best) "
    r"(thing|set|video|one|stuff)\b|\bsend me your (most|best|newest|latest|hottest)\b|\bsurf vids\b",
    r"\b(comprar|compro|compraría|desbloquear)\b|\blo quiero\b|\bme lo llevo\b|"
    r"\btienes (algo|fotos|videos?|contenido) (nuevo|nuevas|nuevos|más)?\b|\bcontenido nuevo\b",
    r"\b(kaufen|kaufe|kauf|freischalten)\b|\bnehme ich\b|\bhast du (wieder |noch )?(etwas|was) (neues|in|für mich|mit)\b|"
    r"\bhast du neue\b|"
    r"\bneue (bilder|fotos|videos|sachen|sets?)\b",
    r"\b(acheter|achète|achèterais|débloquer)\b|\bprêt(e)? à payer\b|\bje (la|le|les) prends\b|"
    r"\btu as (des|une|un) (nouvelles?|nouveaux?|autres?)\b|\bnouvelles? (photos|vidéos?)\b",
    r"\b(comprar|compro|desbloquear)\b|\beu pego\b|\btem (algum|alguma|algo|vídeo|foto|fotos|novo|nova)\b|"
    r"\bvídeo novo\b|\bfotos novas\b",
)
_PURCHASE_WEAK = _rx(
    r"\bhow much\b|\bprice\b|\bcost\b",
    r"\bcuánto cuesta\b|\bprecio\b|\bwas kostet\b|\bwie viel\b|\bpreis\b|\bcombien\b|\bprix\b|"
    r"\bquanto custa\b|\bpreço\b",
)
_BUDGET = _rx(
    r"\bcheap(est)?\b|\bbudget\b|\bbroke\b|\bno money\b|\btight on money\b",
    r"\bmoney('?s| is) (tight|short|an issue|a problem)\b|\b(cash|funds) (is |are )?(tight|low)\b|"
    r"\b(short|low) on (cash|money|funds)\b|\bcan'?t afford\b|\bcutting back\b|\bsaving (up|money)\b|"
    r"\brent is due\b|\bbills? (to pay|piling up)\b",
    r"\bbarat[oa]\b|\bno tengo dinero\b|\bgünstig\w*\b|\bpleite\b|\bpas cher\b|\bfauché(e)?\b|"
    r"\bsem dinheiro\b|\bduro\b",
    r"\bno me alcanza\b|\bando (mal|corto) de (dinero|plata)\b|\bknapp bei kasse\b|\bkein geld\b|"
    r"\bpas les moyens\b|\bà sec\b|\bsem grana\b|\bgrana (curta|apertada)\b|\bapertad[oa]\b",
)
_QUESTION = re.compile(
    r"\?\s*\W*$|^\s*¿|^\s*(what|when|where|why|how|who|which|do|does|did|can|could|will|would)\b", re.I
)
_SENTENCE = re.compile(r"(?<=[.!?¿¡\n])\s+")


def wants_to_buy(text: str) -> bool:
    """A buying signal outside any sentence about a custom (customs are quoted, not offered as PPV)."""
    custom = next(rx for intent, rx in _RULES if intent is Intent.custom_request)
    for sentence in _SENTENCE.split(text):
        if custom.search(sentence):
            continue
        if _PURCHASE_STRONG.search(sentence):
            return True
    return bool(_PURCHASE_WEAK.search(text)) and not custom.search(text)


def on_a_budget(text: str) -> bool:
    """The fan says money is tight or asks for the cheapest option."""
    return bool(_BUDGET.search(text))


def detect_intents(text: str) -> list[Intent]:
    """Every intent found in one message, most important first; [other] if none."""
    found: list[Intent] = []
    if injection_families(text) & _INSTRUCTION_FAMILIES:
        found.append(Intent.instruction)
    for intent, rx in _RULES:
        if rx.search(text):
            found.append(intent)
        if intent is Intent.custom_request and wants_to_buy(text):
            found.append(Intent.purchase_interest)
    if _QUESTION.search(text) and Intent.question not in found:
        found.append(Intent.question)
    if Intent.celebration in found and Intent.nervous in found and not _NERVES.search(text):
        found.remove(Intent.nervous)  # "hab die Prüfung bestanden": the exam is behind them
    return found or [Intent.other]


_NERVES = _rx(
    r"\bnervous\b|\banxious\b|\bscared\b|\bworried\b|\bwish me luck\b",
    r"\bnervios[oa]\b|\bnervös\b|\bstress\w*\b|\bangst\b|\btrac\b|\bnervos[oa]\b|\bansios[oa]\b",
)
