"""The demo agency: two creators, their staff, a few hundred fans with believable histories.

Deterministic content (a seeded random generator); times are relative to the moment of seeding so
"days since" rules and the inbox look alive. Rows go in with batched inserts, then the spend rollups
are recomputed through the fan service and the segments refreshed through theirs, so the result is
exactly what the services would have produced one call at a time.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.db import tenant_session
from core.errors import Conflict
from core.passwords import hash_password
from core.settings import get_settings
from core.tenancy import SYSTEM, StaffRole
from crm import models as _all_models  # noqa: F401 - every table known before the first flush
from crm.accounts.models import Agency, StaffCreatorAccess, StaffUser
from crm.creators import service as creator_service
from crm.creators.models import CreatorProfile
from crm.enums import (
    MessageDirection,
    MessageSender,
    Platform,
    SubscriptionEventType,
    SubscriptionStatus,
    TransactionKind,
)
from crm.fans import service as fan_service
from crm.fans import subscriptions as fan_subscriptions
from crm.fans.models import (
    FanIdentityLink,
    FanMessage,
    FanNote,
    FanPlatformAccount,
    FanProfile,
    FanScore,
    FanSubscription,
    FanSubscriptionEvent,
    FanTagValue,
    FanTransaction,
)
from crm.fans.subscriptions import DEFAULT_PERIOD
from crm.messaging import service as template_service
from crm.segments import service as segment_service

__all__ = [
    "DEMO_AGENCY_SLUG",
    "DEMO_CREATOR_LOGIN",
    "DEMO_PASSWORD",
    "DEMO_STAFF",
    "DemoSummary",
    "Progress",
    "demo_creator_ids",
    "seed_demo",
    "seed_if_empty",
]


DEMO_AGENCY_NAME = "Velvet Agency"
DEMO_AGENCY_SLUG = "velvet-agency"
DEMO_PASSWORD = "fanpilot-demo"
DEMO_STAFF: tuple[tuple[str, str, StaffRole], ...] = (
    ("owner@demo.fanpilot.test", "Olivia Owner", StaffRole.owner),
    ("manager@demo.fanpilot.test", "Marcus Manager", StaffRole.manager),
    ("chatter@demo.fanpilot.test", "Chloe Chatter", StaffRole.chatter),
)
# Mia Moon's own login (role creator, bound to her profile): her inbox, chat, rules and numbers only.
DEMO_CREATOR_LOGIN: tuple[str, str, StaffRole] = ("creator@demo.fanpilot.test", "Mia Moon", StaffRole.creator)
SEED = 20261122

# (stage, done, total)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    agency_id: uuid.UUID
    creator_ids: tuple[uuid.UUID, ...]
    staff_emails: tuple[str, ...]
    password: str
    fans: int
    platform_accounts: int
    subscriptions: int
    subscription_events: int
    transactions: int
    messages: int
    tags: int
    scores: int
    notes: int
    segments: dict[str, int] = field(default_factory=dict)  # "creator / segment" -> members


@dataclass(frozen=True)
class Persona:
    display_name: str
    handle: str
    voice: str
    bio: str
    rules: tuple[str, ...]
    restricted_words: tuple[str, ...]
    ppv_min: int
    ppv_max: int
    sub_price: Decimal
    timezone: str
    account_id: str
    platform_user_id: str
    replies: dict[str, tuple[str, ...]]


COMMON_RULES = (
    "Never agree to meet a fan in person.",
    "Never move the conversation off the platform or share other contact details.",
    "Explicit content only as paid PPV, never free.",
    "Never claim to be an AI or a chatter; if asked directly, do not lie about it either — deflect.",
)

MIA = Persona(
    display_name="Mia Moon",
    handle="miamoon",
    voice="Sweet, bubbly and teasing. Calls fans 'babe' or 'hun', short messages, the odd 🥰 or 😘, "
    "asks about their day and remembers the little things.",
    bio="Your favourite girl next door 🌙 cosplay, cozy gaming nights and beach days.",
    rules=(*COMMON_RULES, "Keep it playful and light; no degrading talk."),
    restricted_words=("whatsapp", "paypal", "snapchat"),
    ppv_min=10,
    ppv_max=50,
    sub_price=Decimal("9.99"),
    timezone="America/Los_Angeles",
    account_id="acct_7f3c2a91",
    platform_user_id="318845120",
    replies={
        "greet": (
            "heyy babe 🥰 so happy to see you here, how's your day going?",
            "hi hun! my day just got better 😘 what are you up to?",
            "omg hii 🙈 I was hoping you'd message me",
        ),
        "city": (
            "{city}?? I've always wanted to visit 😍 you'll have to tell me the best spots",
            "aww bundle up babe, wish I could keep you warm in {city} 😘",
            "no way, {city}! what's it like living there?",
        ),
        "job": (
            "a {job}?? that's so cool, you must be exhausted though 🥺",
            "working that hard deserves a little reward, don't you think? 😏",
            "my hardworking {job} 🥰 make sure you rest tonight ok?",
        ),
        "pet": (
            "{pet_name} is the cutest name ever 😭 give them a kiss from me",
            "awww tell {pet_name} I said hi 🐾 I'm jealous they get cuddles all day",
            "omg I need a pic of {pet_name} asap 🥺",
        ),
        "birthday": (
            "wait {birthday}?? I'm writing that down, I have something special planned 🎁",
            "a birthday boy soon 👀 I'll make sure it's a good one",
        ),
        "hobby": (
            "that's honestly so hot 😳 tell me more",
            "ok you're officially my favourite 🥰",
            "haha I love that for you babe 💕",
        ),
        "ppv": (
            "hehe I might have something new just for you 🙈 want a peek?",
            "you always know how to make me blush 😘 I'll send you something special",
        ),
        "compliment": (
            "stoppp you're making me blush 🙈",
            "you're too sweet to me babe 🥰",
        ),
        "tip": (
            "omg thank you babe!! you're the sweetest 😭💕",
            "you spoil me 🥺 thank you so much hun",
        ),
        "custom": (
            "I'd love to make something just for you 😘 tell me exactly what you have in mind",
            "customs are my favourite 🙈 what are you thinking?",
        ),
        "bye": (
            "sweet dreams babe 😘 talk tomorrow",
            "night hun 🌙 don't be a stranger",
        ),
        "news_good": (
            "omg that's huge babe 🥰 i'm so proud of you",
            "wait really?? that's the best thing i've heard all day 🙈",
            "stop that's amazing hun, tell me everything 😘",
        ),
        "news_bad": (
            "nooo that sounds awful hun 🥺 come here, tell me everything",
            "ugh i'm sorry babe, you deserve a break 🥺",
            "poor thing 🥺 put your feet up tonight ok?",
        ),
    },
)

RAVEN = Persona(
    display_name="Raven Black",
    handle="ravenblack",
    voice="Confident, dominant and witty. Dry humour, teasing challenges, never needy or gushing; "
    "short, self-assured sentences; rewards good behaviour with attention.",
    bio="Goth, gym and bad decisions. You're lucky I let you in. 🖤",
    rules=(*COMMON_RULES, "Stay in control of the conversation; never beg for purchases."),
    restricted_words=("telegram", "cashapp", "venmo"),
    ppv_min=15,
    ppv_max=80,
    sub_price=Decimal("14.99"),
    timezone="Europe/London",
    account_id="acct_5b81e0d4",
    platform_user_id="402771963",
    replies={
        "greet": (
            "Look who finally showed up. Took you long enough 🖤",
            "Hello, pet. Entertain me.",
            "You again. Good. I was getting bored.",
        ),
        "city": (
            "{city}. Noted. I'll decide later if that's impressive.",
            "Cold in {city}? Good, it builds character 😈",
            "{city}, hm. Tell me something interesting about it.",
        ),
        "job": (
            "A {job}. So you take orders all day. Interesting 😏",
            "Hard day? Then you've earned a little of my attention. A little.",
            "{job} by day, mine by night. Sounds fair.",
        ),
        "pet": (
            "{pet_name} has better manners than you, I bet 🖤",
            "Tell {pet_name} they're a good pet. Unlike some people.",
        ),
        "birthday": (
            "{birthday}. I'll remember. Behave until then and you might get a present.",
            "Birthday on {birthday}? Then you'd better earn your gift.",
        ),
        "hobby": (
            "Not bad. I'm almost impressed.",
            "Show me you're as good at that as you think you are 😏",
            "Keep talking. You're getting interesting.",
        ),
        "ppv": (
            "Something new? Maybe. If you ask nicely 😈",
            "I made something you're not ready for. Want it anyway?",
        ),
        "compliment": (
            "I know. But keep going, I like hearing it.",
            "Flattery works on me more than it should. Continue 🖤",
        ),
        "tip": (
            "Good boy. That's how you get my attention 🖤",
            "Now that's the kind of devotion I like.",
        ),
        "custom": (
            "A custom? Tell me exactly what you want. Be specific, I don't do guessing.",
            "Customs are for my favourites. Convince me.",
        ),
        "bye": (
            "Go. Dream about me.",
            "Dismissed. For now 😈",
        ),
        "news_good": (
            "Good. I like it when you win.",
            "Look at you. Keep that up and I might be impressed 🖤",
        ),
        "news_bad": (
            "Rough day? Then come here and let me take your mind off it.",
            "Sit down. Breathe. Then tell me about it.",
        ),
    },
)
PERSONAS = (MIA, RAVEN)

FIRST_NAMES = (
    "Jake", "Tyler", "Ryan", "Chris", "Matt", "Josh", "Daniel", "Kevin", "Brandon", "Justin", "Alex",
    "Sam", "Nick", "Jordan", "Ethan", "Liam", "Noah", "Owen", "Connor", "Dylan", "Marcus", "Andre",
    "Luis", "Carlos", "Mateo", "Hiro", "Kenji", "Raj", "Arjun", "Tom", "Harry", "Callum", "Jamie",
    "Declan", "Finn", "Oscar", "Leo", "Max", "Ben", "Zach", "Cody", "Travis", "Derek", "Grant", "Shane",
    "Wes", "Troy", "Aaron", "Eli", "Gabe", "Ian", "Kyle", "Logan", "Mason", "Nate", "Paul", "Reid", "Sean",
)  # fmt: skip
HANDLE_WORDS = (
    "night", "wolf", "storm", "iron", "lucky", "chill", "rogue", "blue", "dark", "wild", "lone", "quiet",
    "pixel", "atlas", "echo", "drift", "ember", "frost", "ghost", "hawk", "jade", "king", "lazy", "moon",
)  # fmt: skip
CITIES = (
    "Boulder", "Austin", "Denver", "Leeds", "Manchester", "Toronto", "Phoenix", "Seattle", "Chicago",
    "Dublin", "Melbourne", "Tampa", "Portland", "Nashville", "Glasgow", "San Diego", "Columbus", "Halifax",
    "Brisbane", "Atlanta", "Cardiff", "Calgary", "Boise", "Sacramento",
)  # fmt: skip
JOBS = (
    "nurse", "truck driver", "software engineer", "electrician", "firefighter", "accountant", "bartender",
    "mechanic", "teacher", "paramedic", "chef", "plumber", "student", "sales rep", "welder", "pilot",
    "security guard", "graphic designer", "carpenter", "lab tech",
)  # fmt: skip
PETS = (
    ("dog", "Biscuit"), ("dog", "Luna"), ("cat", "Milo"), ("cat", "Pepper"), ("dog", "Rocky"),
    ("parrot", "Kiwi"), ("cat", "Shadow"), ("dog", "Bear"), ("cat", "Mochi"), ("dog", "Duke"),
    ("rabbit", "Clover"), ("dog", "Ziggy"),
)  # fmt: skip
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip
HOBBY_TAGS = ("gamer", "cosplay", "fitness", "night-owl", "anime", "music", "travel", "hiking")

FAN_LINES: dict[str, tuple[str, ...]] = {
    "greet": (
        "hey gorgeous, how's your day going?",
        "hiii 😊 just subscribed, been following you for a while",
        "good morning beautiful ☀️",
        "hey you, missed talking to you",
        "finally off work, what are you up to tonight?",
    ),
    "city": (
        "it's freezing here in {city} today lol, wish I was somewhere warm",
        "I'm from {city}, ever been?",
        "just got back home to {city} after a long trip, so tired",
    ),
    "job": (
        "long shift at work today, being a {job} is no joke",
        "I work as a {job} so I'm up at crazy hours",
        "boss made me stay late again. {job} life 🙄",
    ),
    "pet": (
        "my {pet} {pet_name} keeps trying to sit on my phone while I'm texting you",
        "had to take {pet_name} to the vet today, poor little {pet}",
        "{pet_name} says hi 🐾 he's my best buddy",
    ),
    "birthday": (
        "my birthday's on {birthday} btw 👀",
        "turning {age} on {birthday}, feeling old haha",
    ),
    "gamer": (
        "just won 5 games in a row on ranked, I'm on fire 🔥",
        "staying up way too late playing Elden Ring again",
    ),
    "cosplay": (
        "working on my Geralt cosplay for the con next month, the armor is killing me",
        "would you ever do a cosplay set? you'd kill it",
    ),
    "fitness": (
        "hit a new PR on deadlift today 💪 405 lbs",
        "leg day destroyed me lol, can barely walk",
    ),
    "night-owl": (
        "can't sleep again, 3am and I'm just scrolling",
        "night owl crew checking in 🦉",
    ),
    "anime": (
        "binge watched all of Jujutsu Kaisen this weekend, no regrets",
        "you kinda look like Makima from Chainsaw Man, that's a compliment lol",
    ),
    "music": (
        "played a gig with my band last night, crowd was wild",
        "been learning guitar, finally nailed the Blackbird intro",
    ),
    "travel": (
        "booked a trip to Lisbon for the summer, can't wait",
        "just landed in Tokyo, jet lag is brutal",
    ),
    "hiking": (
        "just got back from my hike, legs are dead lol",
        "did a 14 mile trail this morning, views were insane",
    ),
    "ppv": (
        "that last set you posted was unreal 😍",
        "do you have anything new? I'd definitely unlock it",
        "saw the video you sent, worth every penny",
    ),
    "compliment": (
        "your smile literally makes my day",
        "you're honestly the best part of my feed",
    ),
    "tip": (
        "sent you a little tip, treat yourself ❤️",
        "tip for being amazing as always",
    ),
    "custom": ("would you do a custom video? happy to pay whatever",),
    "bye": (
        "gotta sleep, talk tomorrow?",
        "heading out, have a good night ❤️",
    ),
    "news_good": (
        "{pet_name} finally learned to sit today, so proud of my little {pet}",
        "finally got the promotion I was going for!!",
        "made lasagna from my grandma's recipe tonight, house smells amazing",
        "ran my first 10k this morning, legs are jelly",
        "my little sister got engaged today, whole family is celebrating",
    ),
    "news_bad": (
        "brutal day at work, {job} life is no joke. so done",
        "flight got delayed again, stuck at the airport for hours",
        "my car broke down on the way home, what a week",
        "just finished a 12 hour shift, can barely keep my eyes open",
        "it's snowing like crazy in {city}, power went out twice",
    ),
}
PERSONAL_TOPICS = ("city", "job", "pet", "birthday", "hobby")

# Buckets of lifetime spend (weight, low, high): mostly small, a few whales.
SPEND_BUCKETS = ((10, 0, 0), (38, 10, 49), (30, 50, 249), (17, 250, 999), (5, 1000, 4000))
TIPS = (5, 10, 10, 20, 25, 50, 100)


@dataclass
class _FanPlan:
    index: int
    creator: int
    fan_id: uuid.UUID
    account_id: uuid.UUID
    platform: Platform
    platform_fan_id: str
    username: str
    display_name: str
    city: str
    job: str
    pet: tuple[str, str] | None
    birthday: str
    age: int
    hobbies: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class _Seeder:
    def __init__(self, *, fans: int, now: datetime, progress: Progress | None) -> None:
        self.rng = random.Random(SEED)
        self.fans = fans
        self.now = now
        self.progress = progress
        self.rows: dict[type[Any], list[dict[str, Any]]] = {}
        self.txn_seq = 0
        self.msg_seq = 4_100_000_000

    def add(self, model: type[Any], **values: Any) -> dict[str, Any]:
        values.setdefault("id", uuid.uuid4())
        self.rows.setdefault(model, []).append(values)
        return values

    def report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    # --- one fan -------------------------------------------------------------------------------

    def plan_fan(self, i: int, creator_ids: tuple[uuid.UUID, ...]) -> _FanPlan:
        rng = self.rng
        creator = 0 if i % 5 < 3 else 1
        first = rng.choice(FIRST_NAMES)
        platform = Platform.onlyfans if rng.random() < 0.7 else Platform.fansly
        if i == 0:  # the fan of the sample webhooks in docs and tests
            plan_platform, pfid, username, name, city = (
                Platform.onlyfans,
                "99120311",
                "trailrunner_mike",
                "Mike",
                "Boulder",
            )
            hobbies: tuple[str, ...] = ("hiking", "fitness")
        else:
            plan_platform = platform
            pfid = (
                str(rng.randint(10_000_000, 499_999_999))
                if platform is Platform.onlyfans
                else str(rng.randint(10**17, 10**18 - 1))
            )
            username = f"{rng.choice(HANDLE_WORDS)}_{first.lower()}{rng.randint(1, 99)}"
            name = first if rng.random() < 0.6 else f"{first} {rng.choice('ABCDEFGHJKLMNPRSTW')}."
            city = rng.choice(CITIES)
            hobbies = tuple(rng.sample(HOBBY_TAGS, rng.choice((1, 1, 2, 2, 3))))
        first_seen = self.now - timedelta(days=rng.randint(5, 400), hours=rng.randint(0, 23))
        return _FanPlan(
            index=i,
            creator=creator,
            fan_id=uuid.uuid4(),
            account_id=uuid.uuid4(),
            platform=plan_platform,
            platform_fan_id=pfid,
            username=username,
            display_name=name,
            city=city,
            job=rng.choice(JOBS),
            pet=rng.choice(PETS) if rng.random() < 0.6 else None,
            birthday=f"{rng.choice(MONTHS)} {rng.randint(1, 28)}",
            age=rng.randint(21, 58),
            hobbies=hobbies,
            first_seen=first_seen,
            last_seen=first_seen,
        )

    def seed_fan(self, plan: _FanPlan, creator_id: uuid.UUID, staff_id: uuid.UUID) -> None:
        rng = self.rng
        persona = PERSONAS[plan.creator]
        weights = [b[0] for b in SPEND_BUCKETS]
        _, low, high = rng.choices(SPEND_BUCKETS, weights=weights)[0]
        target = Decimal(rng.randint(low, high)) if high else Decimal(0)
        if plan.index == 0:
            target = Decimal(380)
        price = persona.sub_price if target > 0 else Decimal(0)

        # Subscription timeline, in whole 30-day periods from first_seen.
        start = plan.first_seen
        elapsed_periods = int((self.now - start) / DEFAULT_PERIOD)
        roll = rng.random()
        status = SubscriptionStatus.active
        if roll < 0.27 and elapsed_periods >= 1:
            status = SubscriptionStatus.expired
        elif roll < 0.35:
            status = SubscriptionStatus.cancelled
        if plan.index == 0:
            status = SubscriptionStatus.active
        periods = (
            elapsed_periods + 1
            if status is not SubscriptionStatus.expired
            else rng.randint(1, elapsed_periods)
        )
        expires = start + periods * DEFAULT_PERIOD
        events: list[tuple[SubscriptionEventType, datetime]] = [(SubscriptionEventType.new, start)]
        events += [(SubscriptionEventType.renewed, start + k * DEFAULT_PERIOD) for k in range(1, periods)]
        period_start = start + (periods - 1) * DEFAULT_PERIOD
        if status is SubscriptionStatus.cancelled:
            cancel_at = period_start + (min(self.now, expires) - period_start) * rng.uniform(0.2, 0.9)
            events.append((SubscriptionEventType.cancelled, cancel_at))
        elif status is SubscriptionStatus.expired:
            events.append((SubscriptionEventType.expired, expires))
        paid_until = min(self.now, expires)

        # Last contact: recent for most active fans, around the expiry for the lapsed ones.
        if status is SubscriptionStatus.expired:
            last_seen = expires - timedelta(days=rng.uniform(0, 4))
        else:
            quiet = rng.uniform(0.02, 3) if rng.random() < 0.7 else rng.uniform(3, 25)
            last_seen = self.now - timedelta(days=quiet)
        plan.last_seen = max(last_seen, start + timedelta(hours=1))

        self.add(
            FanPlatformAccount,
            id=plan.account_id,
            creator_id=creator_id,
            fan_id=plan.fan_id,
            platform=plan.platform,
            platform_fan_id=plan.platform_fan_id,
            username=plan.username,
            display_name=plan.display_name,
            platform_spend={},
        )
        self.add(
            FanIdentityLink,
            creator_id=creator_id,
            fan_id=plan.fan_id,
            platform_account_id=plan.account_id,
            method="first_seen",
            confidence=1.0,
            created_at=start,
        )
        sub_id = uuid.uuid4()
        self.add(
            FanSubscription,
            id=sub_id,
            creator_id=creator_id,
            fan_id=plan.fan_id,
            platform_account_id=plan.account_id,
            status=status,
            price=price,
            started_at=start,
            expires_at=expires,
            renews_at=expires if status is SubscriptionStatus.active else None,
            auto_renew=status is SubscriptionStatus.active,
            renewal_count=periods - 1,
        )
        ledger: dict[str, Decimal] = {}
        purchases: list[datetime] = []

        def txn(kind: TransactionKind, amount: Decimal, at: datetime, description: str | None = None) -> None:
            self.txn_seq += 1
            self.add(
                FanTransaction,
                creator_id=creator_id,
                fan_id=plan.fan_id,
                platform=plan.platform,
                kind=kind,
                amount=amount,
                occurred_at=at,
                external_id=f"txn_demo_{self.txn_seq:06d}",
                description=description,
            )
            ledger[kind] = ledger.get(kind, Decimal(0)) + amount
            if amount > 0:
                purchases.append(at)

        for event_type, at in events:
            is_charge = event_type in (SubscriptionEventType.new, SubscriptionEventType.renewed)
            self.add(
                FanSubscriptionEvent,
                creator_id=creator_id,
                fan_id=plan.fan_id,
                subscription_id=sub_id,
                event_type=event_type,
                occurred_at=at,
                amount=price if is_charge else None,
                details={"source": "demo"},
            )
            if is_charge and price > 0:
                txn(TransactionKind.subscription, price, at)

        def some_time() -> datetime:
            return start + (paid_until - start) * rng.random()

        while sum(ledger.values(), Decimal(0)) < target:
            roll = rng.random()
            if target >= 1000 and roll < 0.12:
                txn(TransactionKind.custom, Decimal(rng.randrange(150, 601, 25)), some_time(), "custom video")
            elif roll < 0.55:
                amount = Decimal(rng.randrange(persona.ppv_min, persona.ppv_max + 1, 5))
                txn(TransactionKind.ppv, amount, some_time(), "PPV unlock")
            elif roll < 0.9:
                txn(TransactionKind.tip, Decimal(rng.choice(TIPS)), some_time())
            else:
                txn(TransactionKind.message, Decimal(rng.choice((3, 5, 8))), some_time(), "paid message")
        if ledger.get(TransactionKind.ppv) and rng.random() < 0.03:
            txn(TransactionKind.refund, -Decimal(persona.ppv_min), some_time(), "PPV refund")

        # Some accounts report more lifetime spend than we ever saw (history before we connected).
        if plan.index == 0:
            spending = {
                "total": 412.5,
                "messages": 260.0,
                "subscribes": 59.97,
                "posts": 0.0,
                "tips": 92.53,
                "streams": 0.0,
            }
            self.rows[FanPlatformAccount][-1]["platform_spend"] = spending
        elif plan.platform is Platform.onlyfans and rng.random() < 0.4:
            history = Decimal(rng.choice((0, 0, 40, 120, 300)))
            msgs = ledger.get(TransactionKind.ppv, Decimal(0)) + ledger.get(
                TransactionKind.message, Decimal(0)
            )
            spending = {
                "total": float(sum(ledger.values(), Decimal(0)) + history),
                "messages": float(msgs),
                "subscribes": float(ledger.get(TransactionKind.subscription, Decimal(0))),
                "posts": 0.0,
                "tips": float(ledger.get(TransactionKind.tip, Decimal(0)) + history),
                "streams": 0.0,
            }
            self.rows[FanPlatformAccount][-1]["platform_spend"] = spending

        inbound_times, outbound_times = self.conversation(plan, creator_id, persona, bool(purchases))
        last_inbound = max(inbound_times, default=None)
        last_active = max([*inbound_times, *purchases], default=None)
        self.add(
            FanProfile,
            id=plan.fan_id,
            creator_id=creator_id,
            display_name=plan.display_name,
            first_seen_at=start,
            last_active_at=last_active,
            last_inbound_at=last_inbound,
            last_outbound_at=max(outbound_times, default=None),
            timezone=None,
            language="en",
            created_at=start,
        )
        self.tags_scores_notes(plan, creator_id, staff_id, status, ledger, inbound_times)

    def conversation(
        self, plan: _FanPlan, creator_id: uuid.UUID, persona: Persona, buyer: bool
    ) -> tuple[list[datetime], list[datetime]]:
        rng = self.rng
        length = rng.randint(3, 8)
        fan_turns = (length + 1) // 2
        topics = ["greet"]
        personal = [t for t in PERSONAL_TOPICS if t != "pet" or plan.pet is not None]
        rng.shuffle(personal)
        extra = ["ppv", "tip", "custom"] if buyer else ["compliment"]
        pool = [*personal[:3], rng.choice(extra), "compliment"]
        while len(topics) < fan_turns - (1 if fan_turns > 2 else 0):
            topics.append(pool.pop(0) if pool else "compliment")
        if fan_turns > 2:
            # The last thing a fan said is what the inbox answers first: news more often than goodbyes.
            roll = rng.random()
            news = "news_good" if rng.random() < 0.5 else "news_bad"
            topics.append(
                "bye" if roll < 0.1 else news if roll < 0.6 else rng.choice(personal or ["compliment"])
            )
        pet, pet_name = plan.pet or ("dog", "Buddy")
        ctx = {
            "city": plan.city,
            "job": plan.job,
            "pet": pet,
            "pet_name": pet_name,
            "birthday": plan.birthday,
            "age": plan.age,
            "name": plan.display_name.split()[0],
        }
        lines: list[tuple[MessageDirection, str, str]] = []
        for topic in topics:
            if topic == "hobby":
                hobby = rng.choice(plan.hobbies)
                text = rng.choice(FAN_LINES[hobby])
            else:
                text = rng.choice(FAN_LINES[topic])
            lines.append((MessageDirection.inbound, topic, text.format(**ctx)))
            lines.append((MessageDirection.outbound, topic, rng.choice(persona.replies[topic]).format(**ctx)))
        lines = lines[:length]
        # Walk back from the last contact; gaps of minutes to hours.
        times: list[datetime] = []
        at = plan.last_seen
        for _ in lines:
            times.append(at)
            at -= timedelta(minutes=rng.randint(2, 240))
        times.reverse()
        inbound: list[datetime] = []
        outbound: list[datetime] = []
        for (direction, topic, text), sent_at in zip(lines, times, strict=True):
            self.msg_seq += 1
            is_ppv = direction is MessageDirection.outbound and topic == "ppv"
            self.add(
                FanMessage,
                creator_id=creator_id,
                fan_id=plan.fan_id,
                platform_account_id=plan.account_id,
                direction=direction,
                sender=MessageSender.fan if direction is MessageDirection.inbound else MessageSender.creator,
                text=text,
                sent_at=sent_at,
                platform_message_id=str(self.msg_seq),
                price=Decimal(rng.randrange(persona.ppv_min, persona.ppv_max + 1, 5)) if is_ppv else None,
                is_ppv=is_ppv,
                media_count=rng.randint(1, 4) if is_ppv else 0,
                created_at=sent_at,
            )
            (inbound if direction is MessageDirection.inbound else outbound).append(sent_at)
        return inbound, outbound

    def tags_scores_notes(
        self,
        plan: _FanPlan,
        creator_id: uuid.UUID,
        staff_id: uuid.UUID,
        status: SubscriptionStatus,
        ledger: dict[str, Decimal],
        inbound: list[datetime],
    ) -> None:
        rng = self.rng
        tags = set(plan.hobbies)
        if ledger.get(TransactionKind.tip, Decimal(0)) >= 150:
            tags.add("big-tipper")
        if plan.pet is not None and rng.random() < 0.5:
            tags.add("pet-lover")
        if any(t.hour < 5 for t in inbound):
            tags.add("night-owl")
        for tag in sorted(tags):
            self.add(FanTagValue, creator_id=creator_id, fan_id=plan.fan_id, tag=tag, source="import")

        quiet_days = (self.now - plan.last_seen).days
        if status is SubscriptionStatus.expired:
            churn = rng.uniform(0.7, 0.95)
        elif status is SubscriptionStatus.cancelled:
            churn = rng.uniform(0.6, 0.9)
        elif quiet_days > 10:
            churn = rng.uniform(0.45, 0.8)
        else:
            churn = rng.uniform(0.05, 0.45)
        engagement = min(1.0, max(0.0, 1.0 - churn + rng.uniform(-0.15, 0.15)))
        for kind, value in (("churn_risk", churn), ("engagement", engagement)):
            self.add(
                FanScore,
                creator_id=creator_id,
                fan_id=plan.fan_id,
                kind=kind,
                value=round(value, 2),
                computed_at=self.now,
                details={"model": "demo"},
            )

        notes: list[tuple[str, bool]] = []
        if rng.random() < 0.35:
            notes.append((f"From {plan.city}, works as a {plan.job}. Birthday {plan.birthday}.", True))
        if plan.pet is not None and rng.random() < 0.3:
            notes.append((f"Has a {plan.pet[0]} called {plan.pet[1]} — ask about them.", False))
        if ledger.get(TransactionKind.custom):
            notes.append(("Buys customs; quote promptly, he doesn't haggle.", True))
        if status is SubscriptionStatus.expired and rng.random() < 0.4:
            notes.append(("Lapsed — try a win-back discount before the weekend.", False))
        for body, pinned in notes:
            self.add(
                FanNote,
                creator_id=creator_id,
                fan_id=plan.fan_id,
                author_kind="staff",
                author_id=staff_id,
                body=body,
                pinned=pinned,
            )


async def _connect_platform(
    session: AsyncSession, creator_id: uuid.UUID, persona: Persona, webhook_secret: str
) -> uuid.UUID:
    """The creator's OnlyFansAPI connection, the webhook secret sealed in the vault."""
    connection = await creator_service.create_connection(
        session,
        SYSTEM,
        creator_id=creator_id,
        platform=Platform.onlyfans,
        account_id=persona.account_id,
        platform_user_id=persona.platform_user_id,
        webhook_secret=webhook_secret,
    )
    return connection.id


SEGMENTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("Whales", "Lifetime spend of $1,000 or more.", {"field": "spend_tier", "op": "eq", "value": "whale"}),
    (
        "At risk",
        "Still subscribed (incl. auto-renew off) with churn risk of 0.6 or more.",
        {
            "all": [
                {"field": "score:churn_risk", "op": "gte", "value": 0.6},
                {"field": "subscription_status", "op": "in", "value": ["active", "cancelled"]},
            ]
        },
    ),
    (
        "Expired in the last 30 days",
        "Win-back candidates: their subscription ended within the last month.",
        {
            "all": [
                {"field": "subscription_status", "op": "eq", "value": "expired"},
                {"field": "days_until_expiry", "op": "between", "value": [-30, 0]},
            ]
        },
    ),
)

TEMPLATES: tuple[tuple[str, str, str, Decimal | None], ...] = (
    ("Welcome", "welcome", "Hey {fan_name}! So happy you're here 🥰 tell me a little about yourself?", None),
    ("Win-back", "win_back", "I miss you {fan_name}… come back this week and I'll make it worth it 😘", None),
    ("PPV teaser", "ppv", "I just made something I think you'll love. Want a peek? 🙈", Decimal("25")),
    (
        "Tip thank-you",
        "thank_you",
        "You're the sweetest, {fan_name|babe} 🥰 thank you so much for the {tip_amount} tip!",
        None,
    ),
)

# The demo's three rules (docs/automation.md): a welcome within a minute, a win-back for lapsed fans
# who spent over $50, a thank-you on tips. None auto-approves: every draft waits in the inbox.
RULES: tuple[dict[str, Any], ...] = (
    {
        "name": "Welcome new subscribers",
        "description": "Greets every new subscriber by name, half a minute after they subscribe.",
        "trigger": {"type": "subscriptions.new", "delay": "30s"},
        "actions": [{"type": "send_message", "template": "Welcome"}, {"type": "tag", "tag": "welcomed"}],
        "cooldown": "30d",
    },
    {
        "name": "Win back big spenders",
        "description": "Three days after a subscription expires, a win-back draft for fans who spent over $50.",
        "trigger": {"type": "schedule.after_expiry", "days": 3},
        "conditions": {"field": "lifetime_spend", "op": "gt", "value": 50},
        "actions": [{"type": "draft_by_agent"}, {"type": "tag", "tag": "win-back"}],
        "cooldown": "30d",
    },
    {
        "name": "Thank tippers",
        "description": "A thank-you that names the tip.",
        "trigger": {"type": "tips.received"},
        "actions": [{"type": "send_message", "template": "Tip thank-you"}],
        "cooldown": "1h",
    },
)


# Two of Mia's fans whose subscription lapsed three days ago, so the win-back rule has work on the
# first start: Leo spent over $50 (the rule drafts for him), Ivy did not (it records why not).
LAPSED: tuple[tuple[str, str, str, tuple[tuple[TransactionKind, str], ...], tuple[str, ...]], ...] = (
    (
        "Leo R.",
        "99130422",
        "leo_rides",
        ((TransactionKind.ppv, "45"), (TransactionKind.ppv, "35"), (TransactionKind.tip, "50")),
        (
            "your cosplay sets are the best thing on my feed, seriously",
            "the Zelda one last month 😍 any more of those coming?",
            "money's tight this month, might have to pause my sub for a bit",
        ),
    ),
    (
        "Ivy",
        "99130533",
        "ivy_reads",
        ((TransactionKind.tip, "5"),),
        ("hiii just checking out your page", "cute pics! not sure I'll stay subscribed though"),
    ),
)


async def _stage_lapsed_fans(session: AsyncSession, creator_id: uuid.UUID, now: datetime) -> None:
    """Fans whose subscription expired three days and an hour ago, through the fan services."""
    for name, platform_fan_id, username, purchases, lines in LAPSED:
        fan, account, _ = await fan_service.upsert_fan_from_platform(
            session, SYSTEM, creator_id=creator_id, platform=Platform.onlyfans,
            platform_fan_id=platform_fan_id, username=username, display_name=name,
        )  # fmt: skip
        expired = now - timedelta(days=3, hours=1)
        start = expired - 4 * DEFAULT_PERIOD
        for k, event in enumerate(
            (SubscriptionEventType.new, *([SubscriptionEventType.renewed] * 3), SubscriptionEventType.expired)
        ):
            await fan_subscriptions.apply_subscription_event(
                session, SYSTEM, creator_id=creator_id, fan_id=fan.id, platform_account_id=account.id,
                event_type=event, occurred_at=start + k * DEFAULT_PERIOD, price=MIA.sub_price,
            )  # fmt: skip
        for n, (kind, amount) in enumerate(purchases):
            await fan_service.record_transaction(
                session, SYSTEM, creator_id=creator_id, fan_id=fan.id, platform=Platform.onlyfans, kind=kind,
                amount=Decimal(amount), occurred_at=start + (n + 1) * timedelta(days=20),
                external_id=f"txn_demo_lapsed_{platform_fan_id}_{n}",
            )  # fmt: skip
        for n, text in enumerate(lines):
            await fan_service.log_message(
                session, SYSTEM, creator_id=creator_id, fan_id=fan.id, direction=MessageDirection.inbound,
                sender=MessageSender.fan, text=text, sent_at=expired - timedelta(days=len(lines) - n),
                platform_message_id=f"demo-lapsed-{platform_fan_id}-{n}", platform_account_id=account.id,
            )  # fmt: skip


async def _seed_rules(session: AsyncSession, creator_id: uuid.UUID) -> None:
    """The demo creator's automation rules, saved through the rules service like any other."""
    from crm.automation import service as automation
    from crm.automation.schemas import RuleSpec

    for rule in RULES:
        await automation.create_rule(
            session, SYSTEM, creator_id=creator_id, spec=RuleSpec.model_validate(rule)
        )


async def _seed(
    session: AsyncSession, *, fans: int, progress: Progress | None, now: datetime | None = None
) -> DemoSummary:
    if fans < 0:
        raise ValueError("fans must be >= 0")
    exists = await session.scalar(sa.select(sa.exists().where(Agency.slug == DEMO_AGENCY_SLUG)))
    if exists:
        raise Conflict("the demo agency already exists")
    settings = get_settings()
    seeder = _Seeder(fans=fans, now=now or datetime.now(UTC), progress=progress)
    seeder.report("agency and creators", 0, 1)

    agency = Agency(id=uuid.uuid4(), name=DEMO_AGENCY_NAME, slug=DEMO_AGENCY_SLUG)
    session.add(agency)
    await session.flush()
    creators = [
        CreatorProfile(
            id=uuid.uuid4(),
            agency_id=agency.id,
            display_name=p.display_name,
            handle=p.handle,
            voice=p.voice,
            bio=p.bio,
            rules=list(p.rules),
            restricted_words=list(p.restricted_words),
            ppv_price_min=Decimal(p.ppv_min),
            ppv_price_max=Decimal(p.ppv_max),
            timezone=p.timezone,
        )
        for p in PERSONAS
    ]
    session.add_all(creators)
    await session.flush()
    creator_ids = tuple(c.id for c in creators)
    password_hash = hash_password(DEMO_PASSWORD)
    staff: dict[StaffRole, StaffUser] = {}
    for email, name, role in DEMO_STAFF:
        staff[role] = StaffUser(
            id=uuid.uuid4(),
            agency_id=agency.id,
            email=email,
            display_name=name,
            role=role,
            password_hash=password_hash,
        )
    session.add_all(staff.values())
    await session.flush()
    access = [(staff[StaffRole.owner].id, c) for c in creator_ids]
    access += [(staff[StaffRole.manager].id, c) for c in creator_ids]
    access += [(staff[StaffRole.chatter].id, creator_ids[0])]  # the chatter works Mia's inbox only
    session.add_all(StaffCreatorAccess(staff_user_id=u, creator_id=c) for u, c in access)
    creator_email, creator_name, _ = DEMO_CREATOR_LOGIN
    session.add(
        StaffUser(
            id=uuid.uuid4(),
            agency_id=agency.id,
            email=creator_email,
            display_name=creator_name,
            role=StaffRole.creator,
            creator_id=creator_ids[0],
            password_hash=password_hash,
        )
    )
    await session.flush()
    for creator, persona in zip(creators, PERSONAS, strict=True):
        await _connect_platform(session, creator.id, persona, settings.demo_webhook_secret.get_secret_value())
        for name, category, body, price in TEMPLATES:
            await template_service.create_template(
                session, SYSTEM, creator_id=creator.id, name=name, category=category, body=body, price=price
            )
        await _seed_rules(session, creator.id)
    seeder.report("agency and creators", 1, 1)

    manager_id = staff[StaffRole.manager].id
    for i in range(fans):
        plan = seeder.plan_fan(i, creator_ids)
        seeder.seed_fan(plan, creator_ids[plan.creator], manager_id)
        if i % 25 == 24 or i == fans - 1:
            seeder.report("fans", i + 1, fans)

    order = (
        FanProfile,
        FanPlatformAccount,
        FanIdentityLink,
        FanSubscription,
        FanSubscriptionEvent,
        FanTransaction,
        FanMessage,
        FanTagValue,
        FanScore,
        FanNote,
    )
    total_rows = sum(len(seeder.rows.get(m, [])) for m in order)
    written = 0
    for model in order:
        rows = seeder.rows.get(model, [])
        for chunk_start in range(0, len(rows), 1000):
            chunk = rows[chunk_start : chunk_start + 1000]
            await session.execute(sa.insert(model), chunk)
            written += len(chunk)
            seeder.report("writing", written, total_rows)

    await _stage_lapsed_fans(session, creators[0].id, seeder.now)
    fan_ids = [row["id"] for row in seeder.rows.get(FanProfile, [])]
    seeder.report("spend rollups", 0, 1)
    await fan_service.recompute_spend_rollups(session, SYSTEM, fan_ids=fan_ids)
    seeder.report("spend rollups", 1, 1)

    segment_counts: dict[str, int] = {}
    total_segments = len(SEGMENTS) * len(creators)
    done = 0
    for creator in creators:
        for name, description, rules in SEGMENTS:
            segment = await segment_service.create_segment(
                session, SYSTEM, creator_id=creator.id, name=name, description=description, rules=rules
            )
            count = await segment_service.refresh_segment(
                session, SYSTEM, segment_id=segment.id, now=seeder.now
            )
            segment_counts[f"{creator.display_name} / {name}"] = count
            done += 1
            seeder.report("segments", done, total_segments)

    def n(model: type[Any]) -> int:
        return len(seeder.rows.get(model, []))

    return DemoSummary(
        agency_id=agency.id,
        creator_ids=creator_ids,
        staff_emails=(*(email for email, _, _ in DEMO_STAFF), DEMO_CREATOR_LOGIN[0]),
        password=DEMO_PASSWORD,
        fans=n(FanProfile),
        platform_accounts=n(FanPlatformAccount),
        subscriptions=n(FanSubscription),
        subscription_events=n(FanSubscriptionEvent),
        transactions=n(FanTransaction),
        messages=n(FanMessage),
        tags=n(FanTagValue),
        scores=n(FanScore),
        notes=n(FanNote),
        segments=segment_counts,
    )


async def seed_demo(engine: AsyncEngine, *, fans: int = 200, progress: Progress | None = None) -> DemoSummary:
    """Create the demo agency in one transaction; Conflict if it already exists."""
    async with tenant_session(SYSTEM, engine=engine) as session:
        return await _seed(session, fans=fans, progress=progress)


async def seed_if_empty(
    engine: AsyncEngine, *, fans: int = 200, progress: Progress | None = None
) -> DemoSummary | None:
    """Seed the demo only when the database has no agency at all (first start). None when skipped."""
    async with tenant_session(SYSTEM, engine=engine) as session:
        # Two processes starting at once: the second waits here, then sees the first one's agency.
        await session.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("fanpilot-demo-seed")))
        )
        if await session.scalar(sa.select(sa.exists().where(Agency.id.is_not(None)))):
            return None
        return await _seed(session, fans=fans, progress=progress)


async def demo_creator_ids(engine: AsyncEngine) -> tuple[uuid.UUID, ...]:
    """The demo agency's creators, oldest first (empty when there is no demo agency)."""
    async with tenant_session(SYSTEM, engine=engine) as session:
        rows = await session.scalars(
            sa.select(CreatorProfile.id)
            .join(Agency, Agency.id == CreatorProfile.agency_id)
            .where(Agency.slug == DEMO_AGENCY_SLUG)
            .order_by(CreatorProfile.created_at, CreatorProfile.id)
        )
        return tuple(rows)
