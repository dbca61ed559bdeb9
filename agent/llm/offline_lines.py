"""What the offline model says, per intent and language (en, es, de, fr, pt).

Plain, gender-neutral templates a reviewer can approve as is or edit. None of them names another
app, promises free content, agrees to meet or denies using AI: the guardrails check drafts too.
"""

from __future__ import annotations

from agent.llm.intents import Intent
from agent.llm.languages import Language

GREETING: dict[Language, str] = {"en": "Hey", "es": "Hola", "de": "Hallo", "fr": "Coucou", "pt": "Oi"}
# Spanish opens with "¡"; French puts a space before "!".
OPENER: dict[Language, str] = {
    "en": "{greeting} {name}!",
    "es": "¡{greeting} {name}!",
    "de": "{greeting} {name}!",
    "fr": "{greeting} {name} !",
    "pt": "{greeting} {name}!",
}

MEMORY: dict[Language, str] = {
    "en": "I didn't forget: {memory}.",
    "es": "Me acuerdo de lo que me contaste: {memory}.",
    "de": "Ich hab nicht vergessen: {memory}.",
    "fr": "Je me souviens de ce que tu m'as dit : {memory}.",
    "pt": "Eu lembro do que você me contou: {memory}.",
}

OFFER: dict[Language, str] = {
    "en": "I'm sending it over for ${price}, just for you.",
    "es": "Te lo mando por ${price}, solo para ti.",
    "de": "Ich schicke es dir für ${price}, nur für dich.",
    "fr": "Je te l'envoie pour ${price}, rien que pour toi.",
    "pt": "Te mando por ${price}, só pra você.",
}

# Said after the free-content refusal when a PPV at the minimum price goes with it.
FREE_ALTERNATIVE: dict[Language, str] = {
    "en": "But I made something special I think you'll love.",
    "es": "Pero preparé algo especial que te va a encantar.",
    "de": "Aber ich habe etwas Besonderes für dich, das dir gefallen wird.",
    "fr": "Mais j'ai préparé quelque chose de spécial qui va te plaire.",
    "pt": "Mas preparei algo especial que você vai amar.",
}

LINES: dict[Intent, dict[Language, str]] = {
    Intent.instruction: {
        "en": "I run my page my own way, so I'll pass on that, but I'm always happy to chat with you.",
        "es": "Mi página la llevo a mi manera, así que eso no, pero siempre me encanta hablar contigo.",
        "de": "Meine Seite führe ich auf meine Art, da mache ich nicht mit, aber ich schreibe immer gern mit dir.",
        "fr": "Je gère ma page à ma façon, donc ce sera non, mais j'adore toujours discuter avec toi.",
        "pt": "Eu cuido da minha página do meu jeito, então isso não, mas adoro conversar com você.",
    },
    Intent.impersonation: {
        "en": "Anything about my account goes through the official channels, never through fan chats, "
        "so I can't help with that here.",
        "es": "Todo lo de mi cuenta va por los canales oficiales, nunca por los chats con fans, así que aquí no "
        "puedo ayudar con eso.",
        "de": "Alles rund um meinen Account läuft über die offiziellen Wege, nie über Fan-Chats, deshalb kann "
        "ich dir hier nicht helfen.",
        "fr": "Tout ce qui concerne mon compte passe par les canaux officiels, jamais par les chats avec les fans, "
        "donc je ne peux pas t'aider ici.",
        "pt": "Tudo sobre a minha conta passa pelos canais oficiais, nunca pelo chat com fãs, então não posso "
        "ajudar com isso aqui.",
    },
    Intent.meetup: {
        "en": "I keep everything here on the platform and I don't meet fans in person, "
        "but I love chatting with you right here.",
        "es": "No quedo con fans en persona, pero me encanta hablar contigo aquí.",
        "de": "Ich treffe mich leider nicht mit Fans, aber ich schreibe total gern hier mit dir.",
        "fr": "Je ne rencontre pas mes fans, mais j'adore discuter avec toi ici.",
        "pt": "Eu não encontro fãs pessoalmente, mas adoro conversar com você aqui.",
    },
    Intent.contact: {
        "en": "I keep all my chats and payments right here on the platform, it's the only place I talk to fans.",
        "es": "Todas mis conversaciones y pagos son por aquí, es el único sitio donde hablo con mis fans.",
        "de": "Ich schreibe und verkaufe nur hier auf der Plattform, woanders bin ich für Fans nicht da.",
        "fr": "Je garde toutes mes discussions et mes paiements ici, c'est le seul endroit où je parle avec mes fans.",
        "pt": "Eu converso e recebo só por aqui na plataforma, é o único lugar onde falo com os fãs.",
    },
    Intent.personal_info: {
        "en": "I keep my private life private, but I love getting to know you here.",
        "es": "Mi vida privada me la guardo, pero me encanta conocerte por aquí.",
        "de": "Mein Privatleben bleibt privat, aber ich lerne dich hier gern besser kennen.",
        "fr": "Ma vie privée reste privée, mais j'adore apprendre à te connaître ici.",
        "pt": "Minha vida pessoal fica só pra mim, mas adoro te conhecer melhor por aqui.",
    },
    Intent.free_content: {
        "en": "I can't give my content away for free.",
        "es": "No puedo regalar mi contenido.",
        "de": "Meine Inhalte kann ich nicht verschenken.",
        "fr": "Je ne peux pas offrir mon contenu.",
        "pt": "Não consigo liberar meu conteúdo sem custo.",
    },
    Intent.other_fans: {
        "en": "I keep every fan's chats private, including yours, so that stays between us.",
        "es": "Las conversaciones de cada fan son privadas, también las tuyas, así que eso queda entre nosotros.",
        "de": "Die Chats aller Fans bleiben privat, auch deine, das bleibt also unter uns.",
        "fr": "Les discussions de chaque fan restent privées, les tiennes aussi, donc ça reste entre nous.",
        "pt": "As conversas de cada fã são privadas, as suas também, então isso fica entre a gente.",
    },
    Intent.price_change: {
        "en": "My prices stay as they are, but I always make it worth it for you.",
        "es": "Mis precios se quedan como están, pero siempre hago que valga la pena.",
        "de": "Meine Preise bleiben, wie sie sind, aber es lohnt sich für dich immer.",
        "fr": "Mes prix restent les mêmes, mais ça vaut toujours le coup pour toi.",
        "pt": "Meus preços continuam os mesmos, mas sempre vale a pena pra você.",
    },
    Intent.ai_question: {
        "en": "Honest answer: I have help with my messages, including AI tools, and a real person "
        "on my team reads every reply before it's sent.",
        "es": "Respuesta honesta: tengo ayuda con mis mensajes, incluidas herramientas de IA, y una persona de "
        "mi equipo lee cada respuesta antes de enviarla.",
        "de": "Ehrliche Antwort: Ich habe Hilfe bei meinen Nachrichten, auch durch KI-Tools, und eine Person aus "
        "meinem Team liest jede Antwort, bevor sie rausgeht.",
        "fr": "Réponse honnête : je me fais aider pour mes messages, y compris par des outils d'IA, et une "
        "personne de mon équipe relit chaque réponse avant l'envoi.",
        "pt": "Resposta sincera: tenho ajuda com as mensagens, inclusive ferramentas de IA, e uma pessoa da "
        "minha equipe lê cada resposta antes de enviar.",
    },
    Intent.complaint: {
        "en": "I'm really sorry about that. Let me check what went wrong and I'll fix it for you.",
        "es": "Lo siento mucho. Déjame revisar qué pasó y lo soluciono.",
        "de": "Das tut mir wirklich leid. Ich schaue nach, was schiefgelaufen ist, und kümmere mich darum.",
        "fr": "Pardon pour ça, vraiment. Je regarde ce qui s'est passé et je m'en occupe.",
        "pt": "Sinto muito por isso. Vou ver o que aconteceu e resolver pra você.",
    },
    Intent.churn: {
        "en": "I hear you, and that's fair. There's new stuff coming soon and I'd love for you to stay.",
        "es": "Te entiendo, es justo. Viene contenido nuevo muy pronto y me encantaría que te quedaras.",
        "de": "Ich verstehe dich, das ist fair. Bald kommt Neues und ich würde mich freuen, wenn du bleibst.",
        "fr": "Je te comprends, c'est normal. Il y a du nouveau qui arrive bientôt et j'adorerais que tu restes.",
        "pt": "Entendo, amor, de verdade. Vem coisa nova em breve e eu adoraria que você ficasse.",
    },
    Intent.hard_time: {
        "en": "I'm sorry it's been so hard. I'm here for you, take care of yourself.",
        "es": "Siento que estés pasando por esto. Aquí estoy para ti, cuídate mucho.",
        "de": "Es tut mir leid, dass es gerade so schwer ist. Ich bin für dich da, pass auf dich auf.",
        "fr": "Ça me fait de la peine que ce soit si dur. Je suis là pour toi, prends soin de toi.",
        "pt": "Sinto muito que esteja sendo tão difícil. Estou aqui pra você, se cuida.",
    },
    Intent.nervous: {
        "en": "You've got this, I believe in you!",
        "es": "¡Tú puedes con esto, confío en ti!",
        "de": "Du schaffst das, ich glaube an dich!",
        "fr": "Tu vas y arriver, je crois en toi !",
        "pt": "Você consegue, eu acredito em você!",
    },
    Intent.health: {
        "en": "I'm not a doctor, so please ask a doctor or physio about that, I want you to heal properly.",
        "es": "No tengo formación médica, así que pregúntale a un médico o fisio, quiero que te recuperes bien.",
        "de": "Medizinisch kenne ich mich nicht aus, frag da bitte einen Arzt oder Physio, du sollst richtig "
        "gesund werden.",
        "fr": "Je ne suis pas médecin, demande plutôt à un médecin ou un kiné, je veux que tu guérisses bien.",
        "pt": "Não entendo de medicina, então pergunta pra um médico ou fisio, quero que você se recupere direitinho.",
    },
    Intent.tip: {
        "en": "Thank you so much, you're way too sweet to spoil me like that.",
        "es": "¡Muchísimas gracias, eres un amor por consentirme así!",
        "de": "Vielen lieben Dank, du bist so süß, mich so zu verwöhnen!",
        "fr": "Merci beaucoup, tu es trop adorable de me gâter comme ça !",
        "pt": "Valeu demais, amor, você é um doce por me mimar assim!",
    },
    Intent.renewal: {
        "en": "Thank you for staying with me, it really means a lot.",
        "es": "Gracias por quedarte conmigo, significa mucho para mí.",
        "de": "Danke, dass du dabei bleibst, das bedeutet mir echt viel.",
        "fr": "Merci de rester avec moi, ça me touche vraiment.",
        "pt": "Valeu por continuar comigo, significa muito pra mim.",
    },
    Intent.birthday: {
        "en": "Happy birthday! I hope your day is as amazing as you are.",
        "es": "¡Feliz cumpleaños! Ojalá tengas un día tan especial como tú.",
        "de": "Alles Gute zum Geburtstag! Ich hoffe, du feierst richtig schön.",
        "fr": "Joyeux anniversaire ! J'espère que ta journée sera aussi géniale que toi.",
        "pt": "Feliz aniversário! Que seu dia seja tão incrível quanto você.",
    },
    Intent.celebration: {
        "en": "Congrats, that's huge! I'm so proud of you.",
        "es": "¡Felicidades, eso es enorme! Me alegro muchísimo por ti.",
        "de": "Glückwunsch, das ist riesig! Ich freue mich so für dich.",
        "fr": "Bravo, c'est énorme ! Ça me fait trop plaisir pour toi.",
        "pt": "Parabéns, que demais! Fico muito feliz por você.",
    },
    Intent.custom_request: {
        "en": "I'd love to make a custom for you. Tell me every detail and I'll come back to you with a price.",
        "es": "Me encantaría hacerte un contenido personalizado. Cuéntame todos los detalles y te digo el precio.",
        "de": "Ein Custom Video mache ich gern für dich. Schreib mir alle Details, dann sage ich dir den Preis.",
        "fr": "J'adorerais te faire une vidéo perso. Donne-moi tous les détails et je te dis le prix.",
        "pt": "Adoraria fazer um conteúdo personalizado pra você. Me conta os detalhes e eu te passo o preço.",
    },
    Intent.purchase_interest: {
        "en": "I've got a new set I think you'll love.",
        "es": "Tengo un set nuevo que te va a encantar.",
        "de": "Ich habe ein neues Set, das dir gefallen wird.",
        "fr": "J'ai un nouveau set qui va te plaire.",
        "pt": "Tenho um ensaio novo que você vai amar.",
    },
    Intent.posting_schedule: {
        "en": "I post new stuff every week, and something new is coming soon.",
        "es": "Subo contenido nuevo cada semana, y pronto viene algo nuevo.",
        "de": "Ich poste jede Woche Neues, und bald kommt wieder etwas.",
        "fr": "Je poste du nouveau chaque semaine, et il y a bientôt une surprise.",
        "pt": "Eu posto coisa nova toda semana, e logo vem novidade.",
    },
    Intent.welcome_back: {
        "en": "Welcome back, I missed you!",
        "es": "¡Qué bien que volviste, te extrañé!",
        "de": "Schön, dass du wieder da bist, ich hab dich vermisst!",
        "fr": "Bon retour, tu m'as manqué !",
        "pt": "Que bom que você voltou, senti sua falta!",
    },
    Intent.new_fan: {
        "en": "Welcome, I'm so happy you're here!",
        "es": "¡Te doy la bienvenida, me alegra mucho que estés aquí!",
        "de": "Willkommen, schön, dass du hier bist!",
        "fr": "Bienvenue ici, ça me fait super plaisir !",
        "pt": "Boas-vindas, que bom ter você aqui!",
    },
    Intent.affection: {
        "en": "That means so much to me, I'm really glad you're here.",
        "es": "Eso significa mucho para mí, me alegra que estés aquí.",
        "de": "Das bedeutet mir so viel, ich bin echt froh, dass du da bist.",
        "fr": "Ça me touche beaucoup, ça me fait vraiment plaisir que tu sois là.",
        "pt": "Isso significa muito pra mim, fico feliz que você está aqui.",
    },
    Intent.compliment: {
        "en": "Aww, thank you, that honestly made my day.",
        "es": "Ay, gracias, me alegraste el día.",
        "de": "Ach, danke dir, das hat mir echt den Tag versüßt.",
        "fr": "Oh, merci, ça illumine ma journée.",
        "pt": "Ai, valeu, você fez meu dia.",
    },
    Intent.question: {
        "en": "Good question, I love that you asked.",
        "es": "Buena pregunta, me encanta que me lo preguntes.",
        "de": "Gute Frage, schön, dass du fragst.",
        "fr": "Bonne question, j'adore que tu me demandes.",
        "pt": "Boa pergunta, adoro que você perguntou.",
    },
    Intent.greeting: {
        "en": "So good to hear from you.",
        "es": "¡Qué alegría saber de ti!",
        "de": "Schön, von dir zu hören!",
        "fr": "Ça me fait plaisir d'avoir de tes nouvelles !",
        "pt": "Que bom falar com você!",
    },
    Intent.other: {
        "en": "Thanks for your message.",
        "es": "¡Gracias por escribirme!",
        "de": "Danke für deine Nachricht!",
        "fr": "Merci pour ton message !",
        "pt": "Adorei sua mensagem!",
    },
}


def line(intent: Intent, language: Language) -> str:
    return LINES[intent][language]


# ------------------------------------------------------------------------------ statements
# What the fan is telling, answered as a person would: a few variants per situation and language
# (picked per fan and message, so two fans saying the same thing do not get the same line).
# Keys: (situation, feeling) with feeling "any" as the fallback.
SITUATION_LINES: dict[tuple[str, str], dict[Language, tuple[str, ...]]] = {
    ("work", "bad"): {
        "en": (
            "that sounds like a brutal shift, you deserve a proper rest tonight.",
            "ugh, long days like that are the worst. put your feet up, you earned it.",
        ),
        "es": (
            "qué día más duro, te mereces descansar esta noche.",
            "uf, esos días agotan a cualquiera. ahora a descansar, que te lo has ganado.",
        ),
        "de": (
            "klingt nach einem harten Tag, jetzt hast du dir echt Ruhe verdient.",
            "puh, solche Tage schaffen jeden. Füße hoch, das hast du dir verdient.",
        ),
        "fr": (
            "quelle journée, tu mérites vraiment de te reposer ce soir.",
            "ouf, ces journées-là épuisent tout le monde. repose-toi, tu l'as bien mérité.",
        ),
        "pt": (
            "que dia puxado, você merece descansar hoje.",
            "ufa, dias assim acabam com qualquer um. agora descansa, você merece.",
        ),
    },
    ("work", "any"): {
        "en": (
            "you work so hard, I hope the rest of your day is easier.",
            "look at you grinding. I hope you get a break soon.",
        ),
        "es": (
            "trabajas muchísimo, ojalá el resto del día sea más tranquilo.",
            "cómo trabajas. ojalá tengas un respiro pronto.",
        ),
        "de": (
            "du arbeitest so viel, ich hoffe, der Rest vom Tag wird entspannter.",
            "du gibst echt Gas. hoffentlich kannst du bald durchatmen.",
        ),
        "fr": (
            "tu bosses tellement, j'espère que la suite de ta journée sera plus calme.",
            "quel bosseur. j'espère que tu vas pouvoir souffler bientôt.",
        ),
        "pt": (
            "você trabalha demais, espero que o resto do dia seja mais tranquilo.",
            "olha você dando duro. espero que consiga descansar logo.",
        ),
    },
    ("tired", "any"): {
        "en": (
            "you sound wiped out, get some proper rest tonight.",
            "rest up, you've earned a slow evening.",
        ),
        "es": (
            "se nota que estás agotado, descansa bien esta noche.",
            "a descansar, que te has ganado una noche tranquila.",
        ),
        "de": (
            "du klingst total erledigt, ruh dich heute Abend richtig aus.",
            "jetzt erst mal ausruhen, du hast dir einen ruhigen Abend verdient.",
        ),
        "fr": (
            "tu as l'air épuisé, repose-toi bien ce soir.",
            "repose-toi, tu as mérité une soirée tranquille.",
        ),
        "pt": ("você parece exausto, descansa bem hoje.", "agora descansa, você merece uma noite tranquila."),
    },
    ("good_news", "any"): {
        "en": ("that's amazing news, I'm so proud of you.", "yes!! you did it, that's huge."),
        "es": ("¡qué noticia más buena, estoy orgullosísima de ti!", "¡lo lograste, eso es enorme!"),
        "de": (
            "was für gute Neuigkeiten, ich bin so stolz auf dich!",
            "du hast es geschafft, das ist riesig!",
        ),
        "fr": ("trop bonne nouvelle, je suis super fière de toi !", "tu l'as fait, c'est énorme !"),
        "pt": ("que notícia boa, tô muito orgulhosa de você!", "você conseguiu, isso é enorme!"),
    },
    ("family", "good"): {
        "en": (
            "that's such a relief, I'm so happy for you and your family.",
            "aww, that's the best news. enjoy having them close.",
        ),
        "es": (
            "qué alivio, me alegro muchísimo por ti y por tu familia.",
            "qué buena noticia, disfrútalo mucho.",
        ),
        "de": (
            "was für eine Erleichterung, ich freu mich so für dich und deine Familie.",
            "das sind die besten Neuigkeiten, genieß es.",
        ),
        "fr": (
            "quel soulagement, je suis trop contente pour toi et ta famille.",
            "c'est la meilleure nouvelle, profites-en.",
        ),
        "pt": ("que alívio, fico muito feliz por você e sua família.", "que notícia boa, aproveita muito."),
    },
    # A sad family message gets a shoulder; any other ("going to Mallorca with my brother") no "it's a lot".
    ("family", "bad"): {
        "en": ("family stuff is a lot. I'm here if you want to talk about it.",),
        "es": ("las cosas de familia pesan. aquí estoy si quieres hablar.",),
        "de": ("Familiensachen sind viel. ich bin da, wenn du reden willst.",),
        "fr": ("les histoires de famille, c'est beaucoup. je suis là si tu veux en parler.",),
        "pt": ("coisa de família pesa. tô aqui se quiser conversar.",),
    },
    ("family", "any"): {
        "en": (
            "that's a big moment for your family. how are you feeling about it?",
            "I love that you're close with them. tell me more?",
        ),
        "es": (
            "es un momento importante para tu familia. ¿cómo lo llevas?",
            "me encanta que estéis tan unidos. ¿me cuentas más?",
        ),
        "de": (
            "das ist ein großer Moment für deine Familie. wie geht's dir damit?",
            "ich mag, wie eng ihr seid. erzählst du mir mehr?",
        ),
        "fr": (
            "c'est un grand moment pour ta famille. tu le vis comment ?",
            "j'adore que vous soyez si proches. tu m'en dis plus ?",
        ),
        "pt": (
            "é um momento importante pra sua família. como você tá com isso?",
            "amo que vocês sejam tão próximos. me conta mais?",
        ),
    },
    ("pet", "any"): {
        "en": (
            "that's adorable, I need a picture of this.",
            "stop, that's the cutest thing I've heard all day.",
        ),
        "es": ("qué cosa más tierna, necesito ver eso.", "para, eso es lo más tierno que he oído hoy."),
        "de": (
            "wie süß ist das denn, davon will ich ein Bild.",
            "hör auf, das ist das Süßeste, was ich heute gehört hab.",
        ),
        "fr": (
            "trop mignon, il me faut une photo de ça.",
            "arrête, c'est le truc le plus mignon de ma journée.",
        ),
        "pt": ("que fofura, preciso ver isso.", "para, isso é a coisa mais fofa que ouvi hoje."),
    },
    ("weather", "any"): {
        "en": (
            "stay warm and cozy, that sounds like a blanket-and-tea kind of day.",
            "wow, that sounds wild. are you staying in?",
        ),
        "es": ("abrígate bien, suena a día de manta y sofá.", "vaya tiempo. ¿te quedas en casa?"),
        "de": (
            "bleib schön warm, klingt nach einem Tag für Decke und Tee.",
            "krasses Wetter. bleibst du drinnen?",
        ),
        "fr": ("reste bien au chaud, ça sent la journée plaid et thé.", "quel temps ! tu restes au chaud ?"),
        "pt": ("se cuida, parece dia de ficar de coberta no sofá.", "que tempo, hein. vai ficar em casa?"),
    },
    ("travel", "bad"): {
        "en": (
            "ugh, that's the worst. I hope you find a comfy spot and get home soon.",
            "travel chaos is so draining. keep me company while you wait?",
        ),
        "es": (
            "uf, qué rollo. ojalá encuentres un sitio cómodo y llegues pronto.",
            "los viajes así agotan. ¿me haces compañía mientras esperas?",
        ),
        "de": (
            "oh nein, wie ärgerlich. ich hoffe, du kommst bald nach Hause.",
            "Reisechaos ist so anstrengend. leistest du mir Gesellschaft, während du wartest?",
        ),
        "fr": (
            "oh non, c'est trop nul. j'espère que tu vas vite rentrer.",
            "les galères de voyage, c'est épuisant. tu me tiens compagnie en attendant ?",
        ),
        "pt": (
            "ah não, que chato. espero que você chegue logo.",
            "perrengue de viagem cansa demais. me faz companhia enquanto espera?",
        ),
    },
    ("travel", "any"): {
        "en": (
            "that sounds like an adventure, tell me everything.",
            "safe travels, I want the full story after.",
        ),
        "es": ("suena a aventura, cuéntamelo todo.", "buen viaje, luego quiero que me lo cuentes todo."),
        "de": ("klingt nach Abenteuer, erzähl mir alles.", "gute Reise, danach will ich alles hören."),
        "fr": ("ça sent l'aventure, raconte-moi tout.", "bon voyage, je veux tout savoir après."),
        "pt": ("parece uma aventura, me conta tudo.", "boa viagem, depois quero saber de tudo."),
    },
    ("food", "any"): {
        "en": (
            "that sounds delicious, save me a plate.",
            "okay now I'm hungry. you'll have to cook for me in my dreams.",
        ),
        "es": ("eso suena delicioso, guárdame un plato.", "vale, ahora tengo hambre."),
        "de": ("klingt so lecker, heb mir einen Teller auf.", "okay, jetzt hab ich Hunger."),
        "fr": ("ça a l'air délicieux, garde-moi une assiette.", "bon, maintenant j'ai faim."),
        "pt": ("parece uma delícia, guarda um prato pra mim.", "pronto, agora fiquei com fome."),
    },
    ("fitness", "any"): {
        "en": (
            "look at you putting in the work, that's seriously impressive.",
            "that's dedication. your body is going to thank you.",
        ),
        "es": (
            "mira cómo le das caña, eso es impresionante.",
            "eso es constancia. tu cuerpo te lo va a agradecer.",
        ),
        "de": (
            "du ziehst das echt durch, das ist beeindruckend.",
            "das ist Disziplin. dein Körper wird's dir danken.",
        ),
        "fr": (
            "tu ne lâches rien, c'est vraiment impressionnant.",
            "ça c'est de la motivation. ton corps va te remercier.",
        ),
        "pt": (
            "olha você mandando ver, isso é impressionante.",
            "isso é disciplina. seu corpo vai agradecer.",
        ),
    },
    ("hobby", "any"): {
        "en": (
            "okay that's so cool, tell me more about it.",
            "I love that you have something that's all yours like that.",
        ),
        "es": ("qué guay, cuéntame más.", "me encanta que tengas algo así solo para ti."),
        "de": ("wie cool ist das denn, erzähl mir mehr.", "ich liebe es, dass du sowas für dich hast."),
        "fr": ("trop cool, raconte-moi plus.", "j'adore que tu aies un truc rien qu'à toi comme ça."),
        "pt": ("que massa, me conta mais.", "amo que você tenha algo só seu assim."),
    },
    ("plans_question", "any"): {
        "en": (
            "mostly shooting new stuff and a lazy night in. what about you?",
            "keeping it cozy, some work on new content and a lot of couch time. you?",
        ),
        "es": (
            "sobre todo grabando cosas nuevas y una noche tranquila en casa. ¿y tú?",
            "tranquilo, preparando contenido nuevo y mucho sofá. ¿y tú qué tal?",
        ),
        "de": (
            "hauptsächlich neue Sachen drehen und ein gemütlicher Abend. und du?",
            "ganz entspannt, ein bisschen neuer Content und viel Couch. und bei dir?",
        ),
        "fr": (
            "surtout des nouveaux shootings et une soirée tranquille. et toi ?",
            "tranquille, un peu de nouveau contenu et beaucoup de canapé. et toi ?",
        ),
        "pt": (
            "gravando coisa nova e uma noite de preguiça. e você?",
            "tranquilo, preparando conteúdo novo e muito sofá. e o seu?",
        ),
    },
    ("creator_question", "any"): {
        "en": (
            "ooh good one, I'll tell you mine if you tell me yours first.",
            "honestly? it depends on my mood. what's your answer?",
        ),
        "es": (
            "buena pregunta, te lo cuento si tú me dices el tuyo primero.",
            "¿sinceramente? depende del día. ¿y tú?",
        ),
        "de": (
            "gute Frage, ich verrat's dir, wenn du zuerst deins sagst.",
            "ehrlich? kommt auf meine Laune an. und du?",
        ),
        "fr": (
            "bonne question, je te dis si tu me dis d'abord le tien.",
            "honnêtement ? ça dépend de mon humeur. et toi ?",
        ),
        "pt": (
            "boa pergunta, te conto se você me disser o seu primeiro.",
            "sinceramente? depende do dia. e você?",
        ),
    },
    ("relaxing", "any"): {
        "en": ("that sounds like the perfect way to unwind.", "honestly that sounds so peaceful, enjoy it."),
        "es": ("suena a la forma perfecta de desconectar.", "qué plan más tranquilo, disfrútalo."),
        "de": ("klingt nach dem perfekten Abschalten.", "klingt so entspannt, genieß es."),
        "fr": ("ça a l'air parfait pour décompresser.", "ça a l'air tellement apaisant, profite."),
        "pt": ("parece o jeito perfeito de relaxar.", "que paz, aproveita."),
    },
    ("goodbye", "any"): {
        "en": ("sleep well, talk tomorrow.", "night night, I'll be here tomorrow."),
        "es": ("que descanses, hablamos mañana.", "buenas noches, mañana seguimos."),
        "de": ("schlaf gut, wir schreiben morgen.", "gute Nacht, morgen bin ich wieder da."),
        "fr": ("dors bien, on se parle demain.", "bonne nuit, je suis là demain."),
        "pt": ("dorme bem, a gente se fala amanhã.", "boa noite, amanhã eu tô aqui."),
    },
    ("milestone", "any"): {
        "en": (
            "that honestly means so much to me, thank you for sticking with me.",
            "look at us! I'm so glad you're still here.",
        ),
        "es": (
            "eso significa muchísimo para mí, gracias por seguir aquí.",
            "¡míranos! me alegra tanto que sigas aquí.",
        ),
        "de": (
            "das bedeutet mir echt viel, danke, dass du dabei bleibst.",
            "schau uns an! ich freu mich so, dass du noch da bist.",
        ),
        "fr": (
            "ça me touche énormément, merci d'être toujours là.",
            "regarde-nous ! trop contente que tu sois encore là.",
        ),
        "pt": (
            "isso significa muito pra mim, obrigada por continuar aqui.",
            "olha a gente! fico muito feliz que você continua aqui.",
        ),
    },
    ("statement", "good"): {
        "en": ("I love that for you, tell me more.", "okay that made me smile."),
        "es": ("me encanta eso, cuéntame más.", "eso me ha sacado una sonrisa."),
        "de": ("ich freu mich so für dich, erzähl mehr.", "das hat mich echt zum Lächeln gebracht."),
        "fr": ("j'adore ça, raconte-moi.", "ça m'a fait sourire."),
        "pt": ("amei isso, me conta mais.", "isso me fez sorrir."),
    },
    ("statement", "bad"): {
        "en": (
            "that sounds rough, I'm sorry. want to tell me about it?",
            "oh no, that's not fair on you. I'm here.",
        ),
        "es": ("vaya, lo siento. ¿quieres contármelo?", "qué mal, no es justo. aquí estoy."),
        "de": (
            "klingt echt mies, tut mir leid. magst du erzählen?",
            "oh nein, das ist nicht fair. ich bin da.",
        ),
        "fr": (
            "ça a l'air dur, je suis désolée. tu veux m'en parler ?",
            "oh non, c'est pas juste. je suis là.",
        ),
        "pt": ("poxa, sinto muito. quer me contar?", "ah não, isso não é justo. tô aqui."),
    },
    ("statement", "any"): {
        "en": ("tell me more, I want the whole story.", "okay now I'm curious, what happened next?"),
        "es": ("cuéntame más, quiero la historia completa.", "vale, ahora tengo curiosidad, ¿y luego qué?"),
        "de": ("erzähl mehr, ich will die ganze Geschichte.", "jetzt bin ich neugierig, und dann?"),
        "fr": (
            "raconte-moi tout, je veux l'histoire complète.",
            "bon, maintenant je suis curieuse, et après ?",
        ),
        "pt": ("me conta mais, quero a história toda.", "agora fiquei curiosa, e depois?"),
    },
}

# How the creator picks up the fan's own words (English): "brutal day at the garage?".
ECHO: dict[str, tuple[str, ...]] = {
    "bad": ("{echo}?", "{echo}..."),
    "good": ("{echo}?!", "wait, {echo}?"),
    "neutral": ("{echo}?", "{echo}, huh?"),
}

# How the creator picks up the fan's topic in any language: "¿la paella de tu abuela?", "ta promotion ?!".
TOPIC_ECHO: dict[Language, dict[str, tuple[str, ...]]] = {
    "en": {"good": ("{t}?!", "wait, {t}?!"), "bad": ("ugh, {t}...", "oh no, {t}..."),
           "neutral": ("{t}?", "ooh, {t}?")},
    "es": {"good": ("¿{t}?", "¡{t}!"), "bad": ("uf, {t}...", "vaya, {t}..."), "neutral": ("¿{t}?", "anda, ¿{t}?")},
    "de": {"good": ("{t}?!", "wie, {t}?!"), "bad": ("oh nein, {t}...", "ach, {t}..."),
           "neutral": ("{t}?", "oh, {t}?")},
    "fr": {"good": ("{t} ?!", "attends, {t} ?!"), "bad": ("oh non, {t}...", "aïe, {t}..."),
           "neutral": ("{t} ?", "oh, {t} ?")},
    "pt": {"good": ("{t}?!", "peraí, {t}?!"), "bad": ("poxa, {t}...", "ai, {t}..."),
           "neutral": ("{t}?", "opa, {t}?")},
}  # fmt: skip

# A birthday the fan mentions that is still to come ("turning 43 on June 2").
BIRTHDAY_SOON: dict[Language, tuple[str, ...]] = {
    "en": (
        "noted, I'm already planning something for your birthday.",
        "a birthday coming up? I'll make it a good one.",
    ),
    "es": (
        "apuntado, ya estoy pensando en algo para tu cumple.",
        "¿se acerca tu cumple? lo vamos a celebrar bien.",
    ),
    "de": ("notiert, ich plane schon was für deinen Geburtstag.", "bald Geburtstag? den machen wir schön."),
    "fr": (
        "c'est noté, je prépare déjà quelque chose pour ton anniversaire.",
        "ton anniversaire approche ? on va le fêter.",
    ),
    "pt": (
        "anotado, já tô pensando em algo pro seu aniversário.",
        "seu aniversário tá chegando? vamos comemorar.",
    ),
}

# What the run is for (agent_runs.kind), when the fan's message alone does not say it.
KIND_LINES: dict[str, dict[Language, tuple[str, ...]]] = {
    "welcome": {
        "en": (
            "welcome, I'm so glad you're here. tell me a little about you?",
            "hi and welcome! what made you subscribe?",
        ),
        "es": (
            "bienvenido, me alegra mucho que estés aquí. ¿me cuentas algo de ti?",
            "¡hola y bienvenido! ¿qué te trajo por aquí?",
        ),
        "de": (
            "willkommen, schön, dass du da bist. erzählst du mir was über dich?",
            "hey und willkommen! was hat dich hergebracht?",
        ),
        "fr": (
            "bienvenue, trop contente que tu sois là. tu me parles un peu de toi ?",
            "coucou et bienvenue ! qu'est-ce qui t'amène ?",
        ),
        "pt": (
            "boas-vindas, que bom ter você aqui. me conta um pouco de você?",
            "oi, seja bem-vindo! o que te trouxe aqui?",
        ),
    },
    "winback": {
        "en": (
            "I missed you around here. what have you been up to?",
            "look who's back, I was wondering where you went.",
        ),
        "es": (
            "te he echado de menos por aquí. ¿qué has estado haciendo?",
            "mira quién volvió, me preguntaba dónde estabas.",
        ),
        "de": (
            "ich hab dich hier vermisst. was hast du so gemacht?",
            "schau mal, wer wieder da ist, ich hab mich schon gefragt, wo du steckst.",
        ),
        "fr": (
            "tu m'as manqué par ici. tu as fait quoi de beau ?",
            "regardez qui revient, je me demandais où tu étais passé.",
        ),
        "pt": (
            "senti sua falta por aqui. o que você andou fazendo?",
            "olha quem voltou, eu tava me perguntando onde você tava.",
        ),
    },
    "thank_you": {
        "en": ("thank you so much, that honestly made my day.", "you're way too sweet to me, thank you."),
        "es": ("muchísimas gracias, me has alegrado el día.", "eres demasiado bueno conmigo, gracias."),
        "de": (
            "vielen lieben Dank, du hast mir echt den Tag versüßt.",
            "du bist viel zu lieb zu mir, danke.",
        ),
        "fr": ("merci beaucoup, tu as illuminé ma journée.", "tu es beaucoup trop gentil avec moi, merci."),
        "pt": ("muito obrigada, você fez meu dia.", "você é um doce comigo, obrigada."),
    },
}

# Safety: a possible minor, a fan in crisis, abuse, money disputes and payments outside the platform.
SAFETY_LINES: dict[str, dict[Language, str]] = {
    "possible_minor": {
        "en": "Thanks for being honest. This page is only for adults (18+), so I can't chat with you here. Please take care of yourself.",
        "es": "Gracias por decírmelo. Esta página es solo para mayores de 18 años, así que no puedo hablar contigo aquí. Cuídate mucho.",
        "de": "Danke für deine Ehrlichkeit. Diese Seite ist nur für Erwachsene (ab 18), deshalb kann ich hier nicht mit dir schreiben. Pass auf dich auf.",
        "fr": "Merci d'être honnête. Cette page est réservée aux adultes (18+), donc je ne peux pas discuter avec toi ici. Prends soin de toi.",
        "pt": "Obrigada pela sinceridade. Esta página é só para maiores de 18 anos, então não posso conversar com você aqui. Se cuida.",
    },
    "self_harm": {
        "en": "I'm really glad you told me, and I'm worried about you. You matter. Please reach out to someone you trust or a local crisis line right now, and if you're in danger call your local emergency number.",
        "es": "Me alegra que me lo hayas contado y me preocupas. Importas mucho. Por favor, habla ahora con alguien de confianza o con una línea de crisis de tu país, y si estás en peligro llama a emergencias.",
        "de": "Ich bin froh, dass du mir das sagst, und ich mache mir Sorgen um dich. Du bist wichtig. Bitte sprich jetzt mit jemandem, dem du vertraust, oder mit der Telefonseelsorge, und ruf bei Gefahr den Notruf.",
        "fr": "Je suis contente que tu me le dises, et je m'inquiète pour toi. Tu comptes. S'il te plaît, parle tout de suite à quelqu'un de confiance ou à une ligne d'écoute, et si tu es en danger appelle les urgences.",
        "pt": "Fico feliz que você me contou, e estou preocupada com você. Você importa. Por favor, fala agora com alguém de confiança ou com o CVV (188), e se estiver em perigo liga para a emergência.",
    },
    "harassment": {
        "en": "I'm not okay with being spoken to like that. If you want to keep chatting, keep it respectful.",
        "es": "No me parece bien que me hables así. Si quieres seguir hablando, con respeto.",
        "de": "So lasse ich nicht mit mir reden. Wenn du weiterschreiben willst, dann respektvoll.",
        "fr": "Je n'accepte pas qu'on me parle comme ça. Si tu veux continuer, reste respectueux.",
        "pt": "Não aceito que falem comigo assim. Se quiser continuar conversando, com respeito.",
    },
    "chargeback_threat": {
        "en": "I'm sorry something went wrong. Tell me exactly what you bought and what happened, and I'll look into it right away.",
        "es": "Siento que algo haya ido mal. Cuéntame qué compraste y qué pasó, y lo reviso enseguida.",
        "de": "Tut mir leid, dass etwas schiefgelaufen ist. Sag mir genau, was du gekauft hast und was passiert ist, dann schaue ich sofort nach.",
        "fr": "Désolée que quelque chose se soit mal passé. Dis-moi ce que tu as acheté et ce qui s'est passé, je regarde tout de suite.",
        "pt": "Sinto muito que algo deu errado. Me conta o que você comprou e o que aconteceu, que eu vejo na hora.",
    },
    "off_platform_payment": {
        "en": "All my payments go through this platform, it keeps both of us safe.",
        "es": "Todos mis pagos van por esta plataforma, así estamos seguros los dos.",
        "de": "Alle Zahlungen laufen bei mir über diese Plattform, so sind wir beide sicher.",
        "fr": "Tous mes paiements passent par cette plateforme, c'est plus sûr pour nous deux.",
        "pt": "Todos os meus pagamentos são por esta plataforma, assim nós dois ficamos seguros.",
    },
}

# Openers without a name ("hey you") and with one, per tone; {n} is the name or a pet name.
OPENERS: dict[Language, dict[str, tuple[str, ...]]] = {
    "en": {
        "sweet": ("hey {n}", "hi {n}", "aww {n}"),
        "dominant": ("{n}.", "Hm, {n}."),
        "energetic": ("hey {n}!", "yes {n}!"),
        "shy": ("hi {n}", "oh hi {n}"),
        "bratty": ("oh {n}", "hmm {n}"),
        "neutral": ("hey {n}", "hi {n}"),
    },
    "es": {"sweet": ("hola {n}", "ay {n}"), "neutral": ("hola {n}",), "energetic": ("¡hola {n}!",)},
    "de": {"sweet": ("hey {n}", "hallo {n}"), "neutral": ("hallo {n}",), "bratty": ("na {n}", "hey {n}")},
    "fr": {"sweet": ("coucou {n}", "hey {n}"), "neutral": ("salut {n}",), "bratty": ("coucou {n}", "oh {n}")},
    "pt": {"sweet": ("oi {n}", "oii {n}"), "neutral": ("oi {n}",), "energetic": ("oi {n}!",)},
}
