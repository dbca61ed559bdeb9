"""The fan CRM service: fans from platform accounts, messages, money, tags, notes, scores, requests.

Every function takes the session and the acting principal first; row-level security limits what the
principal sees, so a fan of another creator is simply not found. Functions flush, never commit.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, ValidationFailed
from core.tenancy import Principal
from crm.enums import (
    CustomRequestStatus,
    MessageDirection,
    MessageSender,
    Platform,
    SpendTier,
    SubscriptionStatus,
    TransactionKind,
)
from crm.fans import spend
from crm.fans.models import (
    FanCustomRequest,
    FanIdentityLink,
    FanMessage,
    FanNote,
    FanPlatformAccount,
    FanProfile,
    FanScore,
    FanSubscription,
    FanTagValue,
    FanTransaction,
)
from crm.fans.schemas import (
    CustomRequestInfo,
    FanDossier,
    NoteInfo,
    PlatformAccountInfo,
    SubscriptionInfo,
    TagInfo,
)

__all__ = [
    "OPEN_REQUEST_STATUSES",
    "add_note",
    "add_tag",
    "create_custom_request",
    "get_dossier",
    "get_fan",
    "get_fan_by_platform_id",
    "get_platform_account",
    "list_fans",
    "list_notes",
    "list_transactions",
    "log_message",
    "recent_messages",
    "recompute_spend_rollups",
    "record_transaction",
    "remove_tag",
    "search_fans_by_name",
    "set_score",
    "sync_platform_spend",
    "update_custom_request_price",
    "upsert_fan_from_platform",
]

OPEN_REQUEST_STATUSES = (
    CustomRequestStatus.requested,
    CustomRequestStatus.quoted,
    CustomRequestStatus.accepted,
    CustomRequestStatus.in_progress,
)
E = TypeVar("E", bound=StrEnum)


def _now() -> datetime:
    return datetime.now(UTC)


def _enum(enum: type[E], value: E | str, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValidationFailed(f"unknown {what} {value!r} (expected one of: {allowed})") from None


def _amount(value: Decimal | float | int | str, what: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed(f"{what} must be a number, got {value!r}") from None
    if not amount.is_finite():
        raise ValidationFailed(f"{what} must be a finite number")
    return spend.money(amount)


def _require_creator(principal: Principal, creator_id: uuid.UUID) -> None:
    if not principal.can_see(creator_id):
        raise NotFound("creator not found")


def _placeholder_name(platform_fan_id: str) -> str:
    return f"Fan {platform_fan_id}"


async def _load_fan(session: AsyncSession, fan_id: uuid.UUID, *, lock: bool = False) -> FanProfile:
    stmt = sa.select(FanProfile).where(FanProfile.id == fan_id).execution_options(populate_existing=True)
    if lock:
        stmt = stmt.with_for_update()
    fan = (await session.execute(stmt)).scalar_one_or_none()
    if fan is None:
        raise NotFound("fan not found")
    return fan


async def get_fan(session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID) -> FanProfile:
    return await _load_fan(session, fan_id)


async def get_fan_by_platform_id(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    platform: Platform | str,
    platform_fan_id: str,
) -> FanProfile | None:
    stmt = (
        sa.select(FanProfile)
        .join(FanPlatformAccount, FanPlatformAccount.fan_id == FanProfile.id)
        .where(
            FanPlatformAccount.creator_id == creator_id,
            FanPlatformAccount.platform == _enum(Platform, platform, "platform"),
            FanPlatformAccount.platform_fan_id == str(platform_fan_id),
        )
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_platform_account(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID
) -> FanPlatformAccount | None:
    """The fan's first platform account (the one outbound messages go to), or None."""
    stmt = (
        sa.select(FanPlatformAccount)
        .where(FanPlatformAccount.fan_id == fan_id)
        .order_by(FanPlatformAccount.created_at)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def upsert_fan_from_platform(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    platform: Platform | str,
    platform_fan_id: str,
    username: str | None = None,
    display_name: str | None = None,
    platform_spend: Mapping[str, Any] | None = None,
) -> tuple[FanProfile, FanPlatformAccount, bool]:
    """The fan behind a platform account, created on first sight. Safe under concurrent calls."""
    _require_creator(principal, creator_id)
    platform = _enum(Platform, platform, "platform")
    platform_fan_id = str(platform_fan_id).strip()
    if not platform_fan_id:
        raise ValidationFailed("platform_fan_id must not be empty")
    key = (
        FanPlatformAccount.creator_id == creator_id,
        FanPlatformAccount.platform == platform,
        FanPlatformAccount.platform_fan_id == platform_fan_id,
    )
    created = False
    account = (
        await session.execute(
            sa.select(FanPlatformAccount).where(*key).execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if account is None:
        fan_id = uuid.uuid4()
        await session.execute(
            sa.insert(FanProfile).values(
                id=fan_id,
                creator_id=creator_id,
                display_name=(display_name or username or _placeholder_name(platform_fan_id))[:200],
            )
        )
        account_id = (
            await session.execute(
                pg_insert(FanPlatformAccount)
                .values(
                    id=uuid.uuid4(),
                    creator_id=creator_id,
                    fan_id=fan_id,
                    platform=platform,
                    platform_fan_id=platform_fan_id,
                    username=username,
                    display_name=display_name,
                )
                .on_conflict_do_nothing(index_elements=["creator_id", "platform", "platform_fan_id"])
                .returning(FanPlatformAccount.id)
            )
        ).scalar_one_or_none()
        if account_id is None:
            # Another transaction created this account first: ours is an orphan profile.
            await session.execute(sa.delete(FanProfile).where(FanProfile.id == fan_id))
        else:
            created = True
            await session.execute(
                sa.insert(FanIdentityLink).values(
                    creator_id=creator_id,
                    fan_id=fan_id,
                    platform_account_id=account_id,
                    method="first_seen",
                    confidence=1.0,
                )
            )
        account = (
            await session.execute(
                sa.select(FanPlatformAccount).where(*key).execution_options(populate_existing=True)
            )
        ).scalar_one()
    fan = await _load_fan(session, account.fan_id)
    if not created:
        if username and account.username != username:
            account.username = username
        if display_name and account.display_name != display_name:
            account.display_name = display_name
        better_name = display_name or username
        if better_name and fan.display_name == _placeholder_name(platform_fan_id):
            fan.display_name = better_name[:200]
        await session.flush()
    if platform_spend:
        fan = await sync_platform_spend(
            session, principal, fan_id=fan.id, platform_account_id=account.id, spending=platform_spend
        )
    return fan, account, created


async def log_message(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    direction: MessageDirection | str,
    sender: MessageSender | str,
    text: str,
    sent_at: datetime | None = None,
    platform_message_id: str | None = None,
    platform_account_id: uuid.UUID | None = None,
    price: Decimal | float | None = None,
    is_ppv: bool = False,
    hitl_item_id: uuid.UUID | None = None,
    media_count: int = 0,
    media_ids: Sequence[str] = (),
) -> FanMessage:
    """Store a message once (a repeated platform_message_id returns the first) and bump activity."""
    direction = _enum(MessageDirection, direction, "message direction")
    sender = _enum(MessageSender, sender, "message sender")
    fan = await _load_fan(session, fan_id, lock=True)
    if fan.creator_id != creator_id:
        raise ValidationFailed("the fan does not belong to this creator")
    sent_at = sent_at or _now()
    values: dict[str, Any] = {
        "creator_id": creator_id,
        "fan_id": fan_id,
        "platform_account_id": platform_account_id,
        "direction": direction,
        "sender": sender,
        "text": text,
        "sent_at": sent_at,
        "platform_message_id": platform_message_id,
        "price": None if price is None else _amount(price, "price"),
        "is_ppv": is_ppv,
        "media_count": media_count or len(media_ids),
        "media_ids": list(media_ids),
        "hitl_item_id": hitl_item_id,
    }
    if platform_message_id is not None:
        new_id = (
            await session.execute(
                pg_insert(FanMessage)
                .values(id=uuid.uuid4(), **values)
                .on_conflict_do_nothing(index_elements=["creator_id", "platform_message_id"])
                .returning(FanMessage.id)
            )
        ).scalar_one_or_none()
        if new_id is None:
            existing = (
                await session.execute(
                    sa.select(FanMessage).where(
                        FanMessage.creator_id == creator_id,
                        FanMessage.platform_message_id == platform_message_id,
                    )
                )
            ).scalar_one()
            return existing
        message = (
            await session.execute(
                sa.select(FanMessage).where(FanMessage.id == new_id).execution_options(populate_existing=True)
            )
        ).scalar_one()
    else:
        message = FanMessage(id=uuid.uuid4(), **values)
        session.add(message)
    if direction is MessageDirection.inbound:
        fan.last_inbound_at = _latest(fan.last_inbound_at, sent_at)
        fan.last_active_at = _latest(fan.last_active_at, sent_at)
    else:
        fan.last_outbound_at = _latest(fan.last_outbound_at, sent_at)
    await session.flush()
    return message


def _latest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


async def record_transaction(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    fan_id: uuid.UUID,
    platform: Platform | str,
    kind: TransactionKind | str,
    amount: Decimal | float | int | str,
    occurred_at: datetime | None = None,
    external_id: str | None = None,
    description: str | None = None,
    currency: str = "USD",
) -> FanTransaction | None:
    """Add a transaction to the ledger and update the fan's spend rollups.

    Returns None when `external_id` was already recorded (a webhook retry): nothing changes.
    A refund is stored as a negative amount whatever sign it is given with.
    """
    platform = _enum(Platform, platform, "platform")
    kind = _enum(TransactionKind, kind, "transaction kind")
    value = _amount(amount)
    if kind is TransactionKind.refund:
        value = -abs(value)
    elif value < 0:
        raise ValidationFailed(f"a {kind} transaction cannot be negative; record a refund instead")
    fan = await _load_fan(session, fan_id, lock=True)
    if fan.creator_id != creator_id:
        raise ValidationFailed("the fan does not belong to this creator")
    occurred_at = occurred_at or _now()
    values: dict[str, Any] = {
        "creator_id": creator_id,
        "fan_id": fan_id,
        "platform": platform,
        "kind": kind,
        "amount": value,
        "currency": currency,
        "occurred_at": occurred_at,
        "external_id": external_id,
        "description": description,
    }
    if external_id is not None:
        new_id = (
            await session.execute(
                pg_insert(FanTransaction)
                .values(id=uuid.uuid4(), **values)
                .on_conflict_do_nothing(index_elements=["creator_id", "platform", "external_id"])
                .returning(FanTransaction.id)
            )
        ).scalar_one_or_none()
        if new_id is None:
            return None
        txn = (
            await session.execute(
                sa.select(FanTransaction)
                .where(FanTransaction.id == new_id)
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
    else:
        txn = FanTransaction(id=uuid.uuid4(), **values)
        session.add(txn)
        await session.flush()
    if value > 0:
        fan.last_active_at = _latest(fan.last_active_at, occurred_at)
    await _apply_rollups(session, [fan])
    return txn


async def sync_platform_spend(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    platform_account_id: uuid.UUID,
    spending: Mapping[str, Any],
) -> FanProfile:
    """Store the platform's lifetime spend figures (fanData.spending) and reconcile the rollups."""
    fan = await _load_fan(session, fan_id, lock=True)
    account = (
        await session.execute(
            sa.select(FanPlatformAccount)
            .where(FanPlatformAccount.id == platform_account_id, FanPlatformAccount.fan_id == fan_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if account is None:
        raise NotFound("platform account not found for this fan")
    account.platform_spend = spend.normalize_spending(spending)
    await session.flush()
    await _apply_rollups(session, [fan])
    return fan


async def recompute_spend_rollups(
    session: AsyncSession, principal: Principal, *, fan_ids: Sequence[uuid.UUID]
) -> int:
    """Recompute lifetime_spend / spend_by_kind / spend_tier / last_purchase_at for many fans."""
    if not fan_ids:
        return 0
    rollups = await _compute_rollups(session, list(fan_ids))
    if rollups:
        await session.execute(
            sa.update(FanProfile), [{"id": fid, **values} for fid, values in rollups.items()]
        )
    return len(rollups)


async def _apply_rollups(session: AsyncSession, fans: Sequence[FanProfile]) -> None:
    rollups = await _compute_rollups(session, [f.id for f in fans])
    for fan in fans:
        for attr, value in rollups.get(fan.id, {}).items():
            setattr(fan, attr, value)
    await session.flush()


async def _compute_rollups(
    session: AsyncSession, fan_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    ledger: dict[uuid.UUID, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    last_purchase: dict[uuid.UUID, datetime] = {}
    rows = await session.execute(
        sa.select(
            FanTransaction.fan_id,
            FanTransaction.platform,
            FanTransaction.kind,
            sa.func.sum(FanTransaction.amount),
            sa.func.max(FanTransaction.occurred_at).filter(FanTransaction.amount > 0),
        )
        .where(FanTransaction.fan_id.in_(fan_ids))
        .group_by(FanTransaction.fan_id, FanTransaction.platform, FanTransaction.kind)
    )
    for fan_id, platform, kind, total, latest in rows:
        ledger[fan_id][str(platform)][str(kind)] = Decimal(total)
        if latest is not None and (fan_id not in last_purchase or latest > last_purchase[fan_id]):
            last_purchase[fan_id] = latest
    reported: dict[uuid.UUID, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    accounts = await session.execute(
        sa.select(
            FanPlatformAccount.fan_id, FanPlatformAccount.platform, FanPlatformAccount.platform_spend
        ).where(FanPlatformAccount.fan_id.in_(fan_ids))
    )
    for fan_id, platform, spending in accounts:
        merged = reported[fan_id][str(platform)]
        for key, value in spend.normalize_spending(spending or {}).items():
            merged[key] = merged.get(key, 0.0) + value
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for fan_id in fan_ids:
        platforms = set(ledger.get(fan_id, {})) | set(reported.get(fan_id, {}))
        by_kind = spend.combine(
            spend.reconcile_account(ledger[fan_id].get(p, {}), reported[fan_id].get(p)) for p in platforms
        )
        lifetime = spend.money(sum(by_kind.values(), Decimal(0)))
        out[fan_id] = {
            "lifetime_spend": lifetime,
            "spend_by_kind": {k: float(v) for k, v in by_kind.items()},
            "spend_tier": spend.tier_for(lifetime),
            "last_purchase_at": last_purchase.get(fan_id),
        }
    return out


async def get_dossier(session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID) -> FanDossier:
    fan = await _load_fan(session, fan_id)
    accounts = (
        await session.scalars(
            sa.select(FanPlatformAccount)
            .where(FanPlatformAccount.fan_id == fan_id)
            .order_by(FanPlatformAccount.created_at)
        )
    ).all()
    subs = (await session.scalars(sa.select(FanSubscription).where(FanSubscription.fan_id == fan_id))).all()
    tags = (
        await session.scalars(
            sa.select(FanTagValue).where(FanTagValue.fan_id == fan_id).order_by(FanTagValue.tag)
        )
    ).all()
    scores = (
        await session.execute(sa.select(FanScore.kind, FanScore.value).where(FanScore.fan_id == fan_id))
    ).all()
    pinned = (
        await session.scalars(
            sa.select(FanNote)
            .where(FanNote.fan_id == fan_id, FanNote.pinned.is_(True))
            .order_by(FanNote.created_at.desc())
            .limit(10)
        )
    ).all()
    recent = (
        await session.scalars(
            sa.select(FanNote)
            .where(FanNote.fan_id == fan_id, FanNote.pinned.is_(False))
            .order_by(FanNote.created_at.desc())
            .limit(5)
        )
    ).all()
    requests = (
        await session.scalars(
            sa.select(FanCustomRequest)
            .where(FanCustomRequest.fan_id == fan_id, FanCustomRequest.status.in_(OPEN_REQUEST_STATUSES))
            .order_by(FanCustomRequest.created_at)
        )
    ).all()
    sub_infos = sorted(
        (SubscriptionInfo.model_validate(s) for s in subs), key=_subscription_relevance, reverse=True
    )
    return FanDossier(
        id=fan.id,
        creator_id=fan.creator_id,
        display_name=fan.display_name,
        lifetime_spend=fan.lifetime_spend,
        spend_tier=fan.spend_tier,
        spend_by_kind={k: spend.money(v) for k, v in (fan.spend_by_kind or {}).items()},
        subscription=sub_infos[0] if sub_infos else None,
        subscriptions=sub_infos,
        platform_accounts=[PlatformAccountInfo.model_validate(a) for a in accounts],
        tags=[TagInfo.model_validate(t) for t in tags],
        scores={kind: value for kind, value in scores},
        pinned_notes=[NoteInfo.model_validate(n) for n in pinned],
        recent_notes=[NoteInfo.model_validate(n) for n in recent],
        open_custom_requests=[CustomRequestInfo.model_validate(r) for r in requests],
        first_seen_at=fan.first_seen_at,
        last_active_at=fan.last_active_at,
        last_inbound_at=fan.last_inbound_at,
        last_outbound_at=fan.last_outbound_at,
        last_purchase_at=fan.last_purchase_at,
        timezone=fan.timezone,
        language=fan.language,
    )


def _subscription_relevance(sub: SubscriptionInfo) -> tuple[int, datetime]:
    live = sub.status in (SubscriptionStatus.active, SubscriptionStatus.trial, SubscriptionStatus.cancelled)
    return (1 if live else 0, sub.expires_at or sub.started_at)


async def recent_messages(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID, limit: int = 20
) -> list[FanMessage]:
    """The fan's last `limit` messages, oldest first."""
    rows = (
        await session.scalars(
            sa.select(FanMessage)
            .where(FanMessage.fan_id == fan_id)
            .order_by(FanMessage.sent_at.desc(), FanMessage.created_at.desc())
            .limit(limit)
        )
    ).all()
    return list(reversed(rows))


async def list_transactions(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID, limit: int = 50
) -> list[FanTransaction]:
    """The fan's transactions, newest first."""
    return list(
        (
            await session.scalars(
                sa.select(FanTransaction)
                .where(FanTransaction.fan_id == fan_id)
                .order_by(FanTransaction.occurred_at.desc())
                .limit(limit)
            )
        ).all()
    )


def _normalize_tag(tag: str) -> str:
    cleaned = "-".join(tag.strip().lower().split())
    if not cleaned:
        raise ValidationFailed("a tag must not be empty")
    if len(cleaned) > 80:
        raise ValidationFailed("a tag is at most 80 characters")
    return cleaned


async def add_tag(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    tag: str,
    value: str | None = None,
    source: str = "staff",
) -> FanTagValue:
    """Tag a fan (tags are lower-case; tagging twice updates the value and source)."""
    if source not in ("staff", "agent", "rule", "import"):
        raise ValidationFailed(f"unknown tag source {source!r} (expected staff, agent, rule or import)")
    fan = await _load_fan(session, fan_id)
    name = _normalize_tag(tag)
    tag_id = (
        await session.execute(
            pg_insert(FanTagValue)
            .values(
                id=uuid.uuid4(),
                creator_id=fan.creator_id,
                fan_id=fan_id,
                tag=name,
                value=value,
                source=source,
            )
            .on_conflict_do_update(index_elements=["fan_id", "tag"], set_={"value": value, "source": source})
            .returning(FanTagValue.id)
        )
    ).scalar_one()
    return (
        await session.execute(
            sa.select(FanTagValue).where(FanTagValue.id == tag_id).execution_options(populate_existing=True)
        )
    ).scalar_one()


async def remove_tag(session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID, tag: str) -> bool:
    await _load_fan(session, fan_id)
    result = await session.execute(
        sa.delete(FanTagValue)
        .where(FanTagValue.fan_id == fan_id, FanTagValue.tag == _normalize_tag(tag))
        .returning(FanTagValue.id)
    )
    return result.first() is not None


async def add_note(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    body: str,
    pinned: bool = False,
    author_kind: str = "staff",
    author_id: uuid.UUID | None = None,
) -> FanNote:
    if not body.strip():
        raise ValidationFailed("a note must not be empty")
    if author_kind not in ("staff", "agent"):
        raise ValidationFailed(f"unknown note author kind {author_kind!r} (expected staff or agent)")
    fan = await _load_fan(session, fan_id)
    note = FanNote(
        id=uuid.uuid4(),
        creator_id=fan.creator_id,
        fan_id=fan_id,
        body=body.strip(),
        pinned=pinned,
        author_kind=author_kind,
        author_id=author_id if author_id is not None else principal.actor_id,
    )
    session.add(note)
    await session.flush()
    return note


async def list_notes(
    session: AsyncSession, principal: Principal, *, fan_id: uuid.UUID, limit: int = 50
) -> list[FanNote]:
    """Pinned notes first, then newest first."""
    return list(
        (
            await session.scalars(
                sa.select(FanNote)
                .where(FanNote.fan_id == fan_id)
                .order_by(FanNote.pinned.desc(), FanNote.created_at.desc())
                .limit(limit)
            )
        ).all()
    )


async def set_score(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    kind: str,
    value: float,
    details: Mapping[str, Any] | None = None,
) -> FanScore:
    """Set the latest value (0..1) of one score kind for a fan."""
    kind = kind.strip().lower()
    if not kind or len(kind) > 40:
        raise ValidationFailed("a score kind is 1 to 40 characters")
    if not 0.0 <= float(value) <= 1.0:
        raise ValidationFailed(f"score {kind} must be between 0 and 1, got {value}")
    fan = await _load_fan(session, fan_id)
    now = _now()
    score_id = (
        await session.execute(
            pg_insert(FanScore)
            .values(
                id=uuid.uuid4(),
                creator_id=fan.creator_id,
                fan_id=fan_id,
                kind=kind,
                value=float(value),
                computed_at=now,
                details=dict(details or {}),
            )
            .on_conflict_do_update(
                index_elements=["fan_id", "kind"],
                set_={
                    "value": float(value),
                    "computed_at": now,
                    "details": dict(details or {}),
                    "updated_at": now,
                },
            )
            .returning(FanScore.id)
        )
    ).scalar_one()
    return (
        await session.execute(
            sa.select(FanScore).where(FanScore.id == score_id).execution_options(populate_existing=True)
        )
    ).scalar_one()


async def create_custom_request(
    session: AsyncSession,
    principal: Principal,
    *,
    fan_id: uuid.UUID,
    description: str,
    price: Decimal | float | None = None,
    due_at: datetime | None = None,
) -> FanCustomRequest:
    if not description.strip():
        raise ValidationFailed("a custom request needs a description")
    fan = await _load_fan(session, fan_id)
    value = None if price is None else _amount(price, "price")
    if value is not None and value < 0:
        raise ValidationFailed("a price cannot be negative")
    request = FanCustomRequest(
        id=uuid.uuid4(),
        creator_id=fan.creator_id,
        fan_id=fan_id,
        description=description.strip(),
        status=CustomRequestStatus.quoted if value is not None else CustomRequestStatus.requested,
        price=value,
        due_at=due_at,
    )
    session.add(request)
    await session.flush()
    return request


async def update_custom_request_price(
    session: AsyncSession, principal: Principal, *, request_id: uuid.UUID, price: Decimal | float | str
) -> FanCustomRequest:
    """Quote (or re-quote) an open custom request; a requested one becomes quoted."""
    request = (
        await session.execute(
            sa.select(FanCustomRequest)
            .where(FanCustomRequest.id == request_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if request is None:
        raise NotFound("custom request not found")
    value = _amount(price, "price")
    if value < 0:
        raise ValidationFailed("a price cannot be negative")
    if request.status not in OPEN_REQUEST_STATUSES:
        raise ValidationFailed(f"the custom request is {request.status}; its price can no longer change")
    request.price = value
    if request.status is CustomRequestStatus.requested:
        request.status = CustomRequestStatus.quoted
    await session.flush()
    return request


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search_fans_by_name(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID, query: str, limit: int = 20
) -> list[FanProfile]:
    """Fans whose name or platform username contains `query` (case-insensitive), top spenders first."""
    query = query.strip()
    if not query:
        return []
    pattern = f"%{_escape_like(query)}%"
    account_match = sa.exists().where(
        FanPlatformAccount.fan_id == FanProfile.id,
        sa.or_(
            FanPlatformAccount.username.ilike(pattern, escape="\\"),
            FanPlatformAccount.display_name.ilike(pattern, escape="\\"),
        ),
    )
    stmt = (
        sa.select(FanProfile)
        .where(
            FanProfile.creator_id == creator_id,
            sa.or_(FanProfile.display_name.ilike(pattern, escape="\\"), account_match),
        )
        .order_by(FanProfile.lifetime_spend.desc(), FanProfile.display_name)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def list_fans(
    session: AsyncSession,
    principal: Principal,
    *,
    creator_id: uuid.UUID,
    tier: SpendTier | str | None = None,
    tag: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[FanProfile]:
    """A creator's fans, top spenders first, optionally of one spend tier and/or with one tag."""
    stmt = sa.select(FanProfile).where(FanProfile.creator_id == creator_id)
    if tier is not None:
        stmt = stmt.where(FanProfile.spend_tier == _enum(SpendTier, tier, "spend tier"))
    if tag is not None:
        stmt = stmt.where(
            sa.exists().where(FanTagValue.fan_id == FanProfile.id, FanTagValue.tag == _normalize_tag(tag))
        )
    stmt = stmt.order_by(FanProfile.lifetime_spend.desc(), FanProfile.display_name, FanProfile.id)
    return list((await session.scalars(stmt.limit(limit).offset(offset))).all())
