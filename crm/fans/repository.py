"""Every query of the fans domain, so the topic services read as business steps.

Built from the caller's session (`FanRepository.from_session(session)`); it never commits, and it
flushes only in `create(..., flush=True)`. Row-level security applies to every statement: a row of
another creator is simply not returned. Reads that come before a change (or under a row lock) use
`populate_existing`, so an object already in the session is refreshed from the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Self, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TypedReturnsRows

from core.db import pipelined
from crm.base import Base
from crm.enums import (
    CustomRequestStatus,
    MessageDirection,
    Platform,
    SpendTier,
    SubscriptionEventType,
    TransactionKind,
)
from crm.fans.models import (
    FanCustomRequest,
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

__all__ = ["FanRepository"]

M = TypeVar("M", bound=Base)
T = TypeVar("T")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# What a reply draft needs of the fan (psycopg parameters: it also runs in a pipeline with other
# statements, `core.db.pipelined`).
REPLY_PROFILE_SQL = """
    SELECT f.id, f.display_name, f.language, f.spend_tier, f.lifetime_spend,
        (SELECT jsonb_build_object('status', s.status, 'expires_at', s.expires_at)
           FROM fan_subscriptions s WHERE s.fan_id = f.id
          ORDER BY s.status IN ('active', 'trial', 'cancelled') DESC, coalesce(s.expires_at, s.started_at) DESC
          LIMIT 1) AS subscription,
        ARRAY(SELECT t.tag FROM fan_tag_values t WHERE t.fan_id = f.id ORDER BY t.tag) AS tags,
        ARRAY(SELECT n.body FROM fan_notes n WHERE n.fan_id = f.id AND n.pinned
               ORDER BY n.created_at DESC LIMIT %(pinned)s) AS pinned_notes
    FROM fan_profiles f WHERE f.id = %(fan_id)s
"""


class FanRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @classmethod
    def from_session(cls, session: AsyncSession) -> Self:
        return cls(session)

    async def create(self, row: M, *, flush: bool = False) -> M:
        self.session.add(row)
        if flush:
            await self.session.flush()
        return row

    async def _one(self, stmt: TypedReturnsRows[T]) -> T:
        return (await self.session.execute(stmt)).scalar_one()

    async def _one_or_none(self, stmt: TypedReturnsRows[T]) -> T | None:
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def _all(self, stmt: sa.Select[T]) -> list[T]:
        return list((await self.session.scalars(stmt)).all())

    # Profiles

    async def get_fan(self, fan_id: uuid.UUID, *, lock: bool = False) -> FanProfile | None:
        stmt = sa.select(FanProfile).where(FanProfile.id == fan_id).execution_options(populate_existing=True)
        if lock:
            stmt = stmt.with_for_update()
        return await self._one_or_none(stmt)

    async def get_fan_by_platform_id(
        self, *, creator_id: uuid.UUID, platform: Platform, platform_fan_id: str
    ) -> FanProfile | None:
        stmt = (
            sa.select(FanProfile)
            .join(FanPlatformAccount, FanPlatformAccount.fan_id == FanProfile.id)
            .where(
                FanPlatformAccount.creator_id == creator_id,
                FanPlatformAccount.platform == platform,
                FanPlatformAccount.platform_fan_id == platform_fan_id,
            )
        )
        return await self._one_or_none(stmt)

    async def insert_fan(self, *, fan_id: uuid.UUID, creator_id: uuid.UUID, display_name: str) -> None:
        await self.session.execute(
            sa.insert(FanProfile).values(id=fan_id, creator_id=creator_id, display_name=display_name)
        )

    async def delete_fan(self, fan_id: uuid.UUID) -> None:
        await self.session.execute(sa.delete(FanProfile).where(FanProfile.id == fan_id))

    async def update_fans(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Bulk update by primary key: each row holds `id` and the columns to set."""
        await self.session.execute(sa.update(FanProfile), list(rows))

    async def search_fans_by_name(self, *, creator_id: uuid.UUID, text: str, limit: int) -> list[FanProfile]:
        """Fans whose name or platform username/display name contains `text`, top spenders first."""
        pattern = f"%{_escape_like(text)}%"
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
        return await self._all(stmt)

    async def list_fans(
        self,
        *,
        creator_id: uuid.UUID,
        tier: SpendTier | None,
        tag: str | None,
        limit: int,
        offset: int,
    ) -> list[FanProfile]:
        stmt = sa.select(FanProfile).where(FanProfile.creator_id == creator_id)
        if tier is not None:
            stmt = stmt.where(FanProfile.spend_tier == tier)
        if tag is not None:
            stmt = stmt.where(sa.exists().where(FanTagValue.fan_id == FanProfile.id, FanTagValue.tag == tag))
        stmt = stmt.order_by(FanProfile.lifetime_spend.desc(), FanProfile.display_name, FanProfile.id)
        return await self._all(stmt.limit(limit).offset(offset))

    # Platform accounts and identity links

    async def get_account_by_platform_id(
        self, *, creator_id: uuid.UUID, platform: Platform, platform_fan_id: str
    ) -> FanPlatformAccount | None:
        stmt = (
            sa.select(FanPlatformAccount)
            .where(
                FanPlatformAccount.creator_id == creator_id,
                FanPlatformAccount.platform == platform,
                FanPlatformAccount.platform_fan_id == platform_fan_id,
            )
            .execution_options(populate_existing=True)
        )
        return await self._one_or_none(stmt)

    async def insert_account_if_absent(
        self,
        *,
        creator_id: uuid.UUID,
        fan_id: uuid.UUID,
        platform: Platform,
        platform_fan_id: str,
        username: str | None,
        display_name: str | None,
    ) -> uuid.UUID | None:
        """The new account's id, or None when another transaction created this account first."""
        stmt = (
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
        return await self._one_or_none(stmt)

    async def insert_identity_link(
        self,
        *,
        creator_id: uuid.UUID,
        fan_id: uuid.UUID,
        platform_account_id: uuid.UUID,
        method: str,
        confidence: float,
    ) -> None:
        await self.session.execute(
            sa.insert(FanIdentityLink).values(
                creator_id=creator_id,
                fan_id=fan_id,
                platform_account_id=platform_account_id,
                method=method,
                confidence=confidence,
            )
        )

    async def get_fan_account(
        self, *, fan_id: uuid.UUID, platform_account_id: uuid.UUID
    ) -> FanPlatformAccount | None:
        """The platform account, only if it belongs to this fan."""
        stmt = (
            sa.select(FanPlatformAccount)
            .where(FanPlatformAccount.id == platform_account_id, FanPlatformAccount.fan_id == fan_id)
            .execution_options(populate_existing=True)
        )
        return await self._one_or_none(stmt)

    def _accounts_of(self, fan_id: uuid.UUID) -> sa.Select[FanPlatformAccount]:
        return (
            sa.select(FanPlatformAccount)
            .where(FanPlatformAccount.fan_id == fan_id)
            .order_by(FanPlatformAccount.created_at)
        )

    async def list_platform_accounts(self, fan_id: uuid.UUID) -> list[FanPlatformAccount]:
        """Oldest first."""
        return await self._all(self._accounts_of(fan_id))

    async def first_platform_account(self, fan_id: uuid.UUID) -> FanPlatformAccount | None:
        return (await self.session.scalars(self._accounts_of(fan_id).limit(1))).first()

    async def reported_spend(self, fan_ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, Platform, Any]]:
        """(fan id, platform, stored fanData.spending) for every account of these fans."""
        rows = await self.session.execute(
            sa.select(
                FanPlatformAccount.fan_id, FanPlatformAccount.platform, FanPlatformAccount.platform_spend
            ).where(FanPlatformAccount.fan_id.in_(fan_ids))
        )
        return [(fan_id, platform, spending) for fan_id, platform, spending in rows]

    # Messages

    async def insert_message_if_new(self, values: Mapping[str, Any]) -> FanMessage | None:
        """The new message (one round trip), or None when its platform_message_id is already stored."""
        stmt = (
            pg_insert(FanMessage)
            .values(id=uuid.uuid4(), **values)
            .on_conflict_do_nothing(index_elements=["creator_id", "platform_message_id"])
            .returning(FanMessage)
            .execution_options(populate_existing=True)
        )
        return await self._one_or_none(stmt)

    async def lock_fan_owner(self, fan_id: uuid.UUID) -> uuid.UUID | None:
        """Lock the fan's row for the transaction and return its creator id (None: not visible)."""
        stmt = sa.select(FanProfile.creator_id).where(FanProfile.id == fan_id).with_for_update()
        return await self._one_or_none(stmt)

    async def bump_activity(self, fan_id: uuid.UUID, *, inbound: bool, at: datetime) -> None:
        """Move the fan's activity times forward to `at`, never back."""

        def later_of(column: Any) -> Any:
            return sa.func.greatest(sa.func.coalesce(column, at), at)

        columns = (
            (FanProfile.last_inbound_at, FanProfile.last_active_at)
            if inbound
            else (FanProfile.last_outbound_at,)
        )
        values = {column.key: later_of(column) for column in columns}
        stmt = (
            sa.update(FanProfile)
            .where(FanProfile.id == fan_id)
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )
        await self.session.execute(stmt)

    async def get_message(self, message_id: uuid.UUID) -> FanMessage:
        stmt = (
            sa.select(FanMessage).where(FanMessage.id == message_id).execution_options(populate_existing=True)
        )
        return await self._one(stmt)

    async def get_message_by_platform_id(
        self, *, creator_id: uuid.UUID, platform_message_id: str
    ) -> FanMessage:
        stmt = sa.select(FanMessage).where(
            FanMessage.creator_id == creator_id, FanMessage.platform_message_id == platform_message_id
        )
        return await self._one(stmt)

    async def unlockable_ppv(
        self, *, fan_id: uuid.UUID, platform_message_id: str | None, price: Decimal | None, before: datetime
    ) -> FanMessage | None:
        """The outbound PPV a `messages.ppv.unlocked` event is about: by its platform id, else the
        fan's newest still-locked PPV sent before the unlock (at the paid price, when it is known)."""
        base = sa.select(FanMessage).where(
            FanMessage.fan_id == fan_id,
            FanMessage.direction == MessageDirection.outbound,
            FanMessage.is_ppv.is_(True),
        )
        if platform_message_id:
            found = (
                await self.session.execute(base.where(FanMessage.platform_message_id == platform_message_id))
            ).scalar_one_or_none()
            if found is not None:
                return found
        stmt = base.where(FanMessage.unlocked_at.is_(None), FanMessage.sent_at <= before)
        if price is not None:
            stmt = stmt.where(FanMessage.price == price)
        stmt = stmt.order_by(FanMessage.sent_at.desc()).limit(1)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def latest_messages(self, fan_id: uuid.UUID, *, limit: int) -> list[FanMessage]:
        """Newest first."""
        stmt = (
            sa.select(FanMessage)
            .where(FanMessage.fan_id == fan_id)
            .order_by(FanMessage.sent_at.desc(), FanMessage.created_at.desc())
            .limit(limit)
        )
        return await self._all(stmt)

    # Transactions

    async def insert_transaction_if_new(self, values: Mapping[str, Any]) -> uuid.UUID | None:
        """The new transaction's id, or None when its (platform, external_id) is already stored."""
        stmt = (
            pg_insert(FanTransaction)
            .values(id=uuid.uuid4(), **values)
            .on_conflict_do_nothing(index_elements=["creator_id", "platform", "external_id"])
            .returning(FanTransaction.id)
        )
        return await self._one_or_none(stmt)

    async def get_transaction(self, transaction_id: uuid.UUID) -> FanTransaction:
        stmt = (
            sa.select(FanTransaction)
            .where(FanTransaction.id == transaction_id)
            .execution_options(populate_existing=True)
        )
        return await self._one(stmt)

    async def ledger_totals(
        self, fan_ids: Sequence[uuid.UUID]
    ) -> list[tuple[uuid.UUID, Platform, TransactionKind, Decimal, datetime | None]]:
        """(fan id, platform, kind, sum of amounts, latest purchase time) per ledger group.

        The latest purchase counts positive amounts only: a refund is not a purchase.
        """
        rows = await self.session.execute(
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
        return [(fan_id, platform, kind, total, latest) for fan_id, platform, kind, total, latest in rows]

    async def list_transactions(self, fan_id: uuid.UUID, *, limit: int) -> list[FanTransaction]:
        """Newest first."""
        stmt = (
            sa.select(FanTransaction)
            .where(FanTransaction.fan_id == fan_id)
            .order_by(FanTransaction.occurred_at.desc())
            .limit(limit)
        )
        return await self._all(stmt)

    # Tags, notes, scores

    async def upsert_tag(
        self,
        *,
        creator_id: uuid.UUID,
        fan_id: uuid.UUID,
        tag: str,
        value: str | None,
        source: str,
    ) -> FanTagValue:
        """Insert the tag, or overwrite the value and source of the fan's tag of that name."""
        tag_id = (
            await self.session.execute(
                pg_insert(FanTagValue)
                .values(
                    id=uuid.uuid4(), creator_id=creator_id, fan_id=fan_id, tag=tag, value=value, source=source
                )
                .on_conflict_do_update(
                    index_elements=["fan_id", "tag"], set_={"value": value, "source": source}
                )
                .returning(FanTagValue.id)
            )
        ).scalar_one()
        stmt = (
            sa.select(FanTagValue).where(FanTagValue.id == tag_id).execution_options(populate_existing=True)
        )
        return await self._one(stmt)

    async def delete_tag(self, *, fan_id: uuid.UUID, tag: str) -> bool:
        """Whether there was such a tag."""
        result = await self.session.execute(
            sa.delete(FanTagValue)
            .where(FanTagValue.fan_id == fan_id, FanTagValue.tag == tag)
            .returning(FanTagValue.id)
        )
        return result.first() is not None

    async def list_tags(self, fan_id: uuid.UUID) -> list[FanTagValue]:
        """By tag name."""
        stmt = sa.select(FanTagValue).where(FanTagValue.fan_id == fan_id).order_by(FanTagValue.tag)
        return await self._all(stmt)

    async def list_notes(self, fan_id: uuid.UUID, *, limit: int) -> list[FanNote]:
        """Pinned notes first, then newest first."""
        stmt = (
            sa.select(FanNote)
            .where(FanNote.fan_id == fan_id)
            .order_by(FanNote.pinned.desc(), FanNote.created_at.desc())
            .limit(limit)
        )
        return await self._all(stmt)

    async def latest_notes(self, fan_id: uuid.UUID, *, pinned: bool, limit: int) -> list[FanNote]:
        """The newest pinned (or unpinned) notes, newest first."""
        stmt = (
            sa.select(FanNote)
            .where(FanNote.fan_id == fan_id, FanNote.pinned.is_(pinned))
            .order_by(FanNote.created_at.desc())
            .limit(limit)
        )
        return await self._all(stmt)

    async def upsert_score(
        self,
        *,
        creator_id: uuid.UUID,
        fan_id: uuid.UUID,
        kind: str,
        value: float,
        details: dict[str, Any],
        computed_at: datetime,
    ) -> FanScore:
        """Insert the score, or overwrite the fan's score of that kind."""
        score_id = (
            await self.session.execute(
                pg_insert(FanScore)
                .values(
                    id=uuid.uuid4(),
                    creator_id=creator_id,
                    fan_id=fan_id,
                    kind=kind,
                    value=value,
                    computed_at=computed_at,
                    details=details,
                )
                .on_conflict_do_update(
                    index_elements=["fan_id", "kind"],
                    set_={
                        "value": value,
                        "computed_at": computed_at,
                        "details": details,
                        "updated_at": computed_at,
                    },
                )
                .returning(FanScore.id)
            )
        ).scalar_one()
        stmt = sa.select(FanScore).where(FanScore.id == score_id).execution_options(populate_existing=True)
        return await self._one(stmt)

    async def score_values(self, fan_id: uuid.UUID) -> dict[str, float]:
        """The fan's latest value of each score kind."""
        rows = await self.session.execute(
            sa.select(FanScore.kind, FanScore.value).where(FanScore.fan_id == fan_id)
        )
        return {kind: value for kind, value in rows}

    # Custom requests

    async def lock_custom_request(self, request_id: uuid.UUID) -> FanCustomRequest | None:
        stmt = (
            sa.select(FanCustomRequest)
            .where(FanCustomRequest.id == request_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return await self._one_or_none(stmt)

    async def list_custom_requests(
        self, fan_id: uuid.UUID, *, statuses: Sequence[CustomRequestStatus]
    ) -> list[FanCustomRequest]:
        """The fan's requests in one of `statuses`, oldest first."""
        stmt = (
            sa.select(FanCustomRequest)
            .where(FanCustomRequest.fan_id == fan_id, FanCustomRequest.status.in_(statuses))
            .order_by(FanCustomRequest.created_at)
        )
        return await self._all(stmt)

    # Subscriptions and their event ledger

    async def get_subscription(self, platform_account_id: uuid.UUID) -> FanSubscription | None:
        stmt = sa.select(FanSubscription).where(FanSubscription.platform_account_id == platform_account_id)
        return await self._one_or_none(stmt)

    async def reply_profile_row(self, fan_id: uuid.UUID, *, pinned_notes: int) -> Any | None:
        """What a reply draft needs of the fan, in one statement: the profile, the most relevant
        subscription (live first, then the latest, as the dossier picks it), tag names and the newest
        pinned notes."""
        (rows,) = await pipelined(
            self.session, [(REPLY_PROFILE_SQL, {"fan_id": fan_id, "pinned": pinned_notes})]
        )
        return rows[0] if rows else None

    async def list_subscriptions(self, fan_id: uuid.UUID) -> list[FanSubscription]:
        stmt = sa.select(FanSubscription).where(FanSubscription.fan_id == fan_id)
        return await self._all(stmt)

    async def insert_subscription_if_absent(self, values: Mapping[str, Any]) -> None:
        """One row per platform account: a second insert for the same account does nothing."""
        await self.session.execute(
            pg_insert(FanSubscription)
            .values(id=uuid.uuid4(), **values)
            .on_conflict_do_nothing(index_elements=["platform_account_id"])
        )

    async def lock_subscription(self, platform_account_id: uuid.UUID) -> FanSubscription:
        stmt = (
            sa.select(FanSubscription)
            .where(FanSubscription.platform_account_id == platform_account_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return await self._one(stmt)

    async def has_subscription_event(
        self, *, subscription_id: uuid.UUID, event_type: SubscriptionEventType, occurred_at: datetime
    ) -> bool:
        stmt = sa.select(FanSubscriptionEvent.id).where(
            FanSubscriptionEvent.subscription_id == subscription_id,
            FanSubscriptionEvent.event_type == event_type,
            FanSubscriptionEvent.occurred_at == occurred_at,
        )
        return (await self.session.execute(stmt)).first() is not None

    async def latest_subscription_event_at(self, subscription_id: uuid.UUID) -> datetime | None:
        stmt = sa.select(sa.func.max(FanSubscriptionEvent.occurred_at)).where(
            FanSubscriptionEvent.subscription_id == subscription_id
        )
        return await self._one(stmt)

    async def list_subscription_events(self, fan_id: uuid.UUID, *, limit: int) -> list[FanSubscriptionEvent]:
        """Oldest first."""
        stmt = (
            sa.select(FanSubscriptionEvent)
            .where(FanSubscriptionEvent.fan_id == fan_id)
            .order_by(FanSubscriptionEvent.occurred_at, FanSubscriptionEvent.created_at)
            .limit(limit)
        )
        return await self._all(stmt)
