"""A hand-made decision history whose every performance figure is known (docs/performance.md).

Two creators of one agency (Mia, Raven), a chatter on Mia, a manager on both, an owner. Times are
relative to now, so `last_7_days` covers all of it. What each decider did:

- chatter (Mia): approves Sam's reply as drafted (20 min after Sam wrote), edits the next one through
  an API token (90 min: an SLA breach), approves a $25 PPV offer (Sam buys it 8 h later; a second
  $25 PPV 20 h later is not credited twice; his $30 tip 3 h after the offer is credited).
- manager: rejects a flagged draft, approves Tyler's reply (30 min; his $10 tip follows), approves
  Rex's reply on Raven (60 min: on the SLA, not over it; a `direct` item, not an AI draft).
- auto-approval: one draft for Quinn. One draft expires undecided.
- Mia herself answers a fan on the platform (5 min, no queue item).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import SYSTEM, ActorKind, Principal, StaffRole
from crm.accounts import service as accounts
from crm.approvals import service as approvals
from crm.approvals.models import HitlAction
from crm.creators.models import CreatorProfile
from crm.enums import ActionType, ApprovalOrigin
from crm.fans import service as fans
from tests.factories import Tenant, make_staff, make_tenant

EDIT_FROM = "Aww you're sweet"
EDIT_TO = "Aww you are so sweet 💕"


@dataclass
class TeamLedger:
    tenant: Tenant
    mia: uuid.UUID
    raven: uuid.UUID
    chatter: uuid.UUID
    manager: uuid.UUID
    owner: uuid.UUID
    creator_login: uuid.UUID
    items: dict[str, uuid.UUID]
    now: datetime

    def staff_principal(self, staff_id: uuid.UUID, role: StaffRole, *creators: uuid.UUID) -> Principal:
        return Principal(
            creator_ids=frozenset(creators or (self.mia, self.raven)),
            agency_id=self.tenant.agency_id,
            actor_id=staff_id,
            actor_kind=ActorKind.staff,
            role=role,
            staff_user_id=staff_id,
        )


async def seed_team_ledger(engine: AsyncEngine) -> TeamLedger:
    tenant = await make_tenant(engine, creators=2)
    mia, raven = tenant.creator_ids
    chatter = await make_staff(engine, tenant, role=StaffRole.chatter, creator_ids=(mia,))
    manager = await make_staff(engine, tenant, role=StaffRole.manager, creator_ids=(mia, raven))
    owner = await make_staff(engine, tenant, role=StaffRole.owner)
    creator_login = await make_staff(engine, tenant, role=StaffRole.creator, creator_id=mia)
    async with tenant_session(SYSTEM, engine=engine) as s:
        token = await accounts.create_api_token(
            s, SYSTEM, name="chatter bot", scopes=["inbox:read", "inbox:write"], staff_user_id=chatter
        )
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = now - timedelta(hours=48)
    t1 = now - timedelta(hours=24)
    ledger = TeamLedger(tenant, mia, raven, chatter, manager, owner, creator_login, {}, now)
    everyone = tenant.principal()
    by_chatter = ledger.staff_principal(chatter, StaffRole.chatter, mia)
    by_token = Principal(
        creator_ids=frozenset({mia}),
        agency_id=tenant.agency_id,
        actor_id=token.token.id,
        actor_kind=ActorKind.api_token,
        role=StaffRole.chatter,
        staff_user_id=chatter,
    )
    by_manager = ledger.staff_principal(manager, StaffRole.manager)

    async with tenant_session(everyone, engine=engine) as s:

        async def fan(creator_id: uuid.UUID, name: str) -> uuid.UUID:
            profile, _, _ = await fans.upsert_fan_from_platform(
                s, everyone, creator_id=creator_id, platform="onlyfans",
                platform_fan_id=f"{name}-{uuid.uuid4().hex[:6]}", display_name=name,
            )  # fmt: skip
            return profile.id

        async def say(
            creator_id: uuid.UUID, fan_id: uuid.UUID, direction: str, at: datetime, **extra: Any
        ) -> None:
            await fans.log_message(
                s, everyone, creator_id=creator_id, fan_id=fan_id, direction=direction,
                sender="fan" if direction == "inbound" else extra.pop("sender", "agent"),
                text=extra.pop("text", "…"), sent_at=at, **extra,
            )  # fmt: skip

        async def pay(creator_id: uuid.UUID, fan_id: uuid.UUID, kind: str, amount: str, at: datetime) -> None:
            await fans.record_transaction(
                s, everyone, creator_id=creator_id, fan_id=fan_id, platform="onlyfans", kind=kind,
                amount=amount, occurred_at=at, external_id=uuid.uuid4().hex,
            )  # fmt: skip

        async def queue(
            key: str,
            creator_id: uuid.UUID,
            fan_id: uuid.UUID,
            action: ActionType,
            args: dict[str, Any],
            *,
            origin: ApprovalOrigin = ApprovalOrigin.reply_run,
            flags: list[dict[str, Any]] | None = None,
        ) -> uuid.UUID:
            item, _ = await approvals.create_item(
                s, everyone, idempotency_key=f"team-{uuid.uuid4()}", creator_id=creator_id,
                fan_id=fan_id, action_type=action, args={"fan_id": str(fan_id), **args}, context={},
                flags=flags or [], origin=origin,
            )  # fmt: skip
            ledger.items[key] = item.id
            return item.id

        async def timed(key: str, created: datetime, decided: datetime | None) -> None:
            values: dict[str, Any] = {"created_at": created}
            if decided is not None:
                values["decided_at"] = decided
            await s.execute(sa.update(HitlAction).where(HitlAction.id == ledger.items[key]).values(**values))

        sam, tyler, quinn = await fan(mia, "Sam"), await fan(mia, "Tyler"), await fan(mia, "Quinn")
        rex = await fan(raven, "Rex")

        await say(mia, sam, "inbound", t0)
        await say(mia, sam, "inbound", t0 + timedelta(minutes=1))  # the same turn
        one = await queue(
            "reply", mia, sam, ActionType.send_message, {"text": "Hey Sam! How was your day? 😘"}
        )
        await approvals.approve_item(s, by_chatter, item_id=one)
        await timed("reply", t0 + timedelta(minutes=2), t0 + timedelta(minutes=20))
        await say(mia, sam, "outbound", t0 + timedelta(minutes=20), hitl_item_id=one)

        await say(mia, sam, "inbound", t0 + timedelta(minutes=60))
        off_platform = {"code": "off_platform_attempt", "severity": "warn", "message": "Asks for Telegram."}
        two = await queue(
            "edited", mia, sam, ActionType.send_message, {"text": EDIT_FROM}, flags=[off_platform]
        )
        await approvals.edit_item(s, by_token, item_id=two, args={"text": EDIT_TO})
        await timed("edited", t0 + timedelta(minutes=61), t0 + timedelta(minutes=150))
        await say(mia, sam, "outbound", t0 + timedelta(minutes=150), hitl_item_id=two, text=EDIT_TO)

        three = await queue(
            "ppv", mia, sam, ActionType.send_ppv, {"text": "A little something for you", "price": 25.0},
            origin=ApprovalOrigin.assistant_thread,
        )  # fmt: skip
        await approvals.approve_item(s, by_chatter, item_id=three)
        await timed("ppv", t0 + timedelta(minutes=155), t0 + timedelta(minutes=160))
        await say(
            mia, sam, "outbound", t0 + timedelta(minutes=160), hitl_item_id=three, price=Decimal("25"),
            is_ppv=True,
        )  # fmt: skip
        await pay(mia, sam, "tip", "30", t0 + timedelta(hours=3))
        await pay(mia, sam, "ppv", "25", t0 + timedelta(hours=8))
        await pay(mia, sam, "ppv", "25", t0 + timedelta(hours=20))  # the offer was already bought

        blocked = {"code": "restricted_word", "severity": "block", "message": "Uses restricted words: paypal"}
        await queue(
            "rejected", mia, sam, ActionType.send_message, {"text": "pay me on paypal"}, flags=[blocked]
        )
        await approvals.reject_item(s, by_manager, item_id=ledger.items["rejected"], reason="off-platform")
        await timed("rejected", t0 + timedelta(hours=3), t0 + timedelta(hours=3, minutes=10))

        await pay(mia, tyler, "tip", "5", now - timedelta(hours=40))  # no message before it: no credit
        await say(mia, tyler, "inbound", t1)
        five = await queue("tyler", mia, tyler, ActionType.send_message, {"text": "Morning Tyler ☀️"})
        await approvals.approve_item(s, by_manager, item_id=five)
        await timed("tyler", t1 + timedelta(minutes=1), t1 + timedelta(minutes=30))
        await say(mia, tyler, "outbound", t1 + timedelta(minutes=30), hitl_item_id=five)
        await pay(mia, tyler, "tip", "10", t1 + timedelta(hours=3))

        await say(mia, tyler, "inbound", now - timedelta(hours=5))
        await say(mia, tyler, "outbound", now - timedelta(hours=4, minutes=55), sender="creator")

        await say(raven, rex, "inbound", now - timedelta(hours=11))
        eight = await queue(
            "rex", raven, rex, ActionType.send_message, {"text": "Hi Rex"}, origin=ApprovalOrigin.direct
        )
        await approvals.approve_item(s, by_manager, item_id=eight)
        await timed("rex", now - timedelta(hours=11), now - timedelta(hours=10))
        await say(raven, rex, "outbound", now - timedelta(hours=10), hitl_item_id=eight)

        creator = await s.get(CreatorProfile, mia)
        assert creator is not None
        creator.auto_approve = {"send_message": True}
        await s.flush()
        await queue("auto", mia, quinn, ActionType.send_message, {"text": "Hi Quinn!"})
        await approvals.auto_approve_if_allowed(s, everyone, item_id=ledger.items["auto"])
        creator.auto_approve = {}

        await queue("expired", mia, quinn, ActionType.send_ppv, {"text": "Peek?", "price": 20.0})
        await s.execute(
            sa.update(HitlAction)
            .where(HitlAction.id == ledger.items["expired"])
            .values(expires_at=now - timedelta(minutes=1))
        )
        await approvals.expire_due_items(s, everyone, now=now)
    return ledger
