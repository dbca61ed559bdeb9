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
