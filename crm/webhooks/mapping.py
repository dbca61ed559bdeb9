"""Platform events → CRM updates, and the agent run each event asks for.

OnlyFansAPI shapes (see the sample fixtures): `payload.user_id` is the CREATOR; the fan is
`fromUser` (messages.received), `toUser` (messages.sent), `user` or `fan`. `fanData.spending` is the
fan's lifetime spend by type. Message text is HTML. Fansly events from the same provider are
`fansly.<category>.<name>` with amounts in thousandths of a dollar.

Every update here is idempotent (messages by platform message id, money by a derived external id,
subscription events by type + time), so a redelivered or re-processed event changes nothing twice.

Each outcome also says what happened in a form automation can use: `event_key` names the event
stably (the same platform event under a new delivery key gets the same one, so a rule evaluates it
once) and `facts` carries what a draft or a template needs (the tip and its note, the unlocked PPV,
how long an expired fan was subscribed and what they spent).
"""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationFailed
from core.tenancy import Principal
from crm.enums import (
    MessageDirection,
    MessageSender,
    Platform,
    SubscriptionEventType,
    TransactionKind,
)
from crm.fans import service as fans
from crm.fans import subscriptions
from crm.messaging import broadcasts

RunKind = Literal["reply", "welcome", "winback", "thank_you"]


@dataclass(frozen=True)
class RunRequest:
    kind: RunKind
    creator_id: uuid.UUID
    fan_id: uuid.UUID
    inbound_message_id: uuid.UUID | None = None
    # What the moment is about (tip amount and note, unlocked PPV, months subscribed …), JSON-able:
    # it reaches the run's state and the drafter's context.
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MappingOutcome:
    fan_id: uuid.UUID | None
    run: RunRequest | None
    handled: bool  # False: an event type we store but do not act on
    # The platform event's stable identity (None: the payload has none; use the delivery's) and its
    # facts, for the rules that listen to it.
    event_key: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)


# Which payload key holds the fan, per event (after the `fansly.` prefix is stripped).
_FAN_KEYS: dict[str, tuple[str, ...]] = {
    "messages.received": ("fromUser", "user", "fan"),
    "messages.sent": ("toUser", "user", "fan"),
}
_DEFAULT_FAN_KEYS = ("user", "fan", "fromUser")

_TRANSACTION_KINDS: dict[str, TransactionKind] = {
    "tip": TransactionKind.tip,
    "tips": TransactionKind.tip,
    "subscription": TransactionKind.subscription,
    "subscribe": TransactionKind.subscription,
    "subscribes": TransactionKind.subscription,
    "new_subscription": TransactionKind.subscription,
    "recurring_subscription": TransactionKind.subscription,
    "message": TransactionKind.ppv,
    "messages": TransactionKind.ppv,
    "chat_message": TransactionKind.ppv,
    "paid_message": TransactionKind.ppv,
    "ppv": TransactionKind.ppv,
    "post": TransactionKind.post,
    "posts": TransactionKind.post,
    "stream": TransactionKind.stream,
    "streams": TransactionKind.stream,
    "refund": TransactionKind.refund,
    "chargeback": TransactionKind.refund,
}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "div", "li"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(value: str) -> str:
    """Platform message HTML (`<p>…</p>`, `<br>`, entities) as the plain text a person reads."""
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    text = html.unescape("".join(parser.parts))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000 if value > 10**11 else value, tz=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _money(value: Any, *, thousandths: bool) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.replace("$", "").replace(",", "").strip()
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if thousandths:
        amount = amount / 1000
    return amount.quantize(Decimal("0.01"))


def _replace_pair(payload: dict[str, Any], name: str) -> Any:
    pairs = payload.get("replacePairs")
    return pairs.get(name) if isinstance(pairs, dict) else None


_FIRST_ID = re.compile(r"[?&]firstId=(\d+)")


def _unlocked_message_id(payload: dict[str, Any]) -> str | None:
    """The platform id of the unlocked PPV message: explicit, or in the chat link's `firstId`."""
    for key in ("messageId", "message_id"):
        if payload.get(key) not in (None, ""):
            return str(payload[key])
    message = payload.get("message")
    if isinstance(message, dict) and message.get("id") not in (None, ""):
        return str(message["id"])
    link = _replace_pair(payload, "{MESSAGE_LINK}")
    match = _FIRST_ID.search(link) if isinstance(link, str) else None
    return match.group(1) if match else None


def _note(payload: dict[str, Any]) -> str | None:
    for key in ("message", "text", "note", "comment"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return html_to_text(value)[:500] or None
    return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _amount(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None


class EventMapper:
    """Applies one stored event to the CRM for the creator that owns its connection."""

    def __init__(
        self, session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID, event_type: str
    ) -> None:
        self.session = session
        self.principal = principal
        self.creator_id = creator_id
        self.fansly = event_type.startswith("fansly.")
        self.platform = Platform.fansly if self.fansly else Platform.onlyfans
        self.event = event_type.removeprefix("fansly.")

    def money(self, value: Any) -> Decimal | None:
        return _money(value, thousandths=self.fansly)

    async def apply(self, payload: dict[str, Any]) -> MappingOutcome:
        handler = {
            "messages.received": self._message_received,
            "messages.sent": self._message_sent,
            "messages.ppv.unlocked": self._ppv_unlocked,
            "tips.received": self._tip_received,
            "transactions.new": self._transaction,
            "subscriptions.new": self._subscription,
            "subscriptions.renewed": self._subscription,
            "subscriptions.expired": self._subscription,
        }.get(self.event)
        if handler is None:
            return MappingOutcome(fan_id=None, run=None, handled=False)
        return await handler(payload)

    async def _fan(self, payload: dict[str, Any]) -> tuple[uuid.UUID, uuid.UUID]:
        """Upsert the fan (de-duplicated by platform_fan_id) and sync fanData.spending."""
        person: dict[str, Any] | None = None
        for key in _FAN_KEYS.get(self.event, _DEFAULT_FAN_KEYS):
            candidate = payload.get(key)
            if isinstance(candidate, dict) and candidate.get("id") not in (None, ""):
                person = candidate
                break
        if person is None:
            raise ValidationFailed(f"{self.event}: no fan in the payload")
        fan, account, _ = await fans.upsert_fan_from_platform(
            self.session,
            self.principal,
            creator_id=self.creator_id,
            platform=self.platform,
            platform_fan_id=str(person["id"]),
            username=person.get("username") or None,
            display_name=person.get("displayName")
            or person.get("display_name")
            or person.get("name")
            or None,
        )
        fan_data = payload.get("fanData")
        spending = fan_data.get("spending") if isinstance(fan_data, dict) else None
        if isinstance(spending, dict):
            amounts = {k: self.money(v) for k, v in spending.items()}
            await fans.sync_platform_spend(
                self.session,
                self.principal,
                fan_id=fan.id,
                platform_account_id=account.id,
                spending={k: float(v) for k, v in amounts.items() if v is not None},
            )
        return fan.id, account.id

    async def _message_received(self, payload: dict[str, Any]) -> MappingOutcome:
        fan_id, account_id = await self._fan(payload)
        message = await fans.log_message(
            self.session,
            self.principal,
            creator_id=self.creator_id,
            fan_id=fan_id,
            direction=MessageDirection.inbound,
            sender=MessageSender.fan,
            text=html_to_text(str(payload.get("text") or "")),
            sent_at=_timestamp(payload.get("createdAt")),
            platform_message_id=str(payload["id"]) if payload.get("id") is not None else None,
            platform_account_id=account_id,
            price=self.money(payload.get("price")),
            media_count=int(payload.get("mediaCount") or 0),
        )
        run = RunRequest("reply", self.creator_id, fan_id, inbound_message_id=message.id)
        facts = {
            "event": "messages.received",
            "message_id": str(message.id),
            "message_at": _iso(message.sent_at),
        }
        return MappingOutcome(
            fan_id=fan_id, run=run, handled=True, event_key=f"message:{message.id}", facts=facts
        )

    async def _message_sent(self, payload: dict[str, Any]) -> MappingOutcome:
        fan_id, account_id = await self._fan(payload)
        price = self.money(payload.get("price"))
        message = await fans.log_message(
            self.session,
            self.principal,
            creator_id=self.creator_id,
            fan_id=fan_id,
            direction=MessageDirection.outbound,
            sender=MessageSender.creator,
            text=html_to_text(str(payload.get("text") or "")),
            sent_at=_timestamp(payload.get("createdAt")),
            platform_message_id=str(payload["id"]) if payload.get("id") is not None else None,
            platform_account_id=account_id,
            price=price,
            is_ppv=bool(price and price > 0),
            media_count=int(payload.get("mediaCount") or 0),
        )
        facts = {"event": "messages.sent", "message_at": _iso(message.sent_at)}
        return MappingOutcome(
            fan_id=fan_id, run=None, handled=True, event_key=f"message:{message.id}", facts=facts
        )

    def _event_key(self, payload: dict[str, Any], fan_id: uuid.UUID, *, at: Any = None) -> str | None:
        """The platform event's identity: its id, else its time; None when the payload has neither."""
        stable = payload.get("id") if payload.get("id") not in (None, "") else _timestamp(at)
        if stable is None:
            return None
        stamp = stable.isoformat() if isinstance(stable, datetime) else str(stable)
        return f"{self.platform}:{self.event}:{fan_id}:{stamp}"

    async def _money_event(
        self, payload: dict[str, Any], *, kind: TransactionKind, amount: Decimal | None
    ) -> uuid.UUID:
        fan_id, _ = await self._fan(payload)
        occurred = _timestamp(payload.get("createdAt")) or datetime.now(UTC)
        if amount is not None and amount > 0:
            # tips.received and transactions.new report the same tip: one key for both, so it counts once.
            await fans.record_transaction(
                self.session,
                self.principal,
                creator_id=self.creator_id,
                fan_id=fan_id,
                platform=self.platform,
                kind=kind,
                amount=amount,
                occurred_at=occurred,
                external_id=f"{self.platform}:{kind}:{fan_id}:{occurred.isoformat()}:{amount}",
            )
        return fan_id

    async def _ppv_unlocked(self, payload: dict[str, Any]) -> MappingOutcome:
        amount = self.money(
            _replace_pair(payload, "{AMOUNT}") or payload.get("price") or payload.get("amount")
        )
        fan_id = await self._money_event(payload, kind=TransactionKind.ppv, amount=amount)
        unlocked_at = _timestamp(payload.get("createdAt")) or datetime.now(UTC)
        message = await fans.mark_ppv_unlocked(
            self.session,
            self.principal,
            fan_id=fan_id,
            unlocked_at=unlocked_at,
            platform_message_id=_unlocked_message_id(payload),
            price=amount,
        )
        ppv: dict[str, Any] | None = None
        if message is not None:
            # A broadcast's PPV counts as purchased on its delivery.
            await broadcasts.mark_purchased(
                self.session, self.principal, fan_message_id=message.id, at=unlocked_at
            )
            ppv = {
                "message_id": str(message.id),
                "text": message.text,
                "price": _amount(message.price),
                "media_ids": list(message.media_ids or []),
                "sent_at": _iso(message.sent_at),
            }
        facts = {
            "event": "messages.ppv.unlocked",
            "ppv_amount": _amount(amount),
            "unlocked_at": _iso(unlocked_at),
            "ppv": ppv,
        }
        return MappingOutcome(
            fan_id=fan_id,
            run=RunRequest("thank_you", self.creator_id, fan_id, facts=facts),
            handled=True,
            event_key=self._event_key(payload, fan_id, at=payload.get("createdAt")),
            facts=facts,
        )

    async def _tip_received(self, payload: dict[str, Any]) -> MappingOutcome:
        amount = self.money(payload.get("amountGross", payload.get("amount")))
        fan_id = await self._money_event(payload, kind=TransactionKind.tip, amount=amount)
        facts = {
            "event": "tips.received",
            "tip_amount": _amount(amount),
            "tip_note": _note(payload),
            "tipped_at": _iso(_timestamp(payload.get("createdAt"))),
        }
        return MappingOutcome(
            fan_id=fan_id,
            run=RunRequest("thank_you", self.creator_id, fan_id, facts=facts),
            handled=True,
            event_key=self._event_key(payload, fan_id, at=payload.get("createdAt")),
            facts=facts,
        )

    async def _transaction(self, payload: dict[str, Any]) -> MappingOutcome:
        kind = _TRANSACTION_KINDS.get(str(payload.get("type") or "").lower(), TransactionKind.other)
        amount = self.money(payload.get("amount"))
        if str(payload.get("status") or "done").lower() not in ("done", "completed", "success", "paid"):
            fan_id, _ = await self._fan(payload)
            return MappingOutcome(fan_id=fan_id, run=None, handled=True)
        fan_id = await self._money_event(payload, kind=kind, amount=amount)
        return MappingOutcome(fan_id=fan_id, run=None, handled=True)

    async def _subscription(self, payload: dict[str, Any]) -> MappingOutcome:
        fan_id, account_id = await self._fan(payload)
        name = self.event.split(".", 1)[1]
        event_type = {
            "new": SubscriptionEventType.new,
            "renewed": SubscriptionEventType.renewed,
            "expired": SubscriptionEventType.expired,
        }[name]
        occurred = (
            _timestamp(payload.get("expiredAt") if name == "expired" else None)
            or _timestamp(payload.get("createdAt"))
            or datetime.now(UTC)
        )
        price = self.money(_replace_pair(payload, "{PRICE}") or payload.get("price"))
        sub = await subscriptions.apply_subscription_event(
            self.session,
            self.principal,
            creator_id=self.creator_id,
            fan_id=fan_id,
            platform_account_id=account_id,
            event_type=event_type,
            occurred_at=occurred,
            price=price,
            expires_at=occurred if name == "expired" else _timestamp(payload.get("expiresAt")),
            renews_at=_timestamp(payload.get("renewsAt")),
            details={"source_event": self.event},
        )
        fan = await fans.get_fan(self.session, self.principal, fan_id=fan_id)
        facts: dict[str, Any] = {
            "event": self.event,
            "subscription_price": _amount(price if price is not None else sub.price),
            "lifetime_spend": _amount(fan.lifetime_spend),
        }
        run: RunRequest | None = None
        if name == "new":
            facts.update(new_subscriber=True, subscribed_at=_iso(occurred))
            run = RunRequest("welcome", self.creator_id, fan_id, facts=facts)
        elif name == "renewed":
            facts.update(renewal_count=sub.renewal_count, renewed_at=_iso(occurred))
        elif name == "expired":
            months = max(1, round((occurred - sub.started_at).total_seconds() / (30 * 86400)))
            facts.update(
                expired_at=_iso(occurred), subscribed_since=_iso(sub.started_at), months_subscribed=months
            )
            run = RunRequest("winback", self.creator_id, fan_id, facts=facts)
        stamp = _timestamp(payload.get("expiredAt") if name == "expired" else payload.get("createdAt"))
        key = f"{self.platform}:{self.event}:{account_id}:{stamp.isoformat()}" if stamp else None
        return MappingOutcome(fan_id=fan_id, run=run, handled=True, event_key=key, facts=facts)
