"""A week of decided AI drafts on the demo agency, for the performance page's demo and its bench.

The demo seed (crm/demo.py) writes fans, money and messages; this adds what only the approval queue
makes: drafts decided by the demo chatter (Mia's inbox) and manager (both creators) through the
approvals service (approved as drafted, edited, rejected), each sent reply logged 5–150 minutes after
the fan wrote. Deterministic (a seeded generator); running it twice adds nothing.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.errors import Conflict
from core.tenancy import SYSTEM, ActorKind, Principal, StaffRole
from crm import demo
from crm.accounts.models import Agency, StaffUser
from crm.approvals import service as approvals
from crm.approvals.models import HitlAction
from crm.creators.models import CreatorProfile
from crm.enums import ActionType, ApprovalOrigin
from crm.fans import service as fans
from crm.fans.models import FanProfile

__all__ = ["seed_demo_decisions"]

EDITS = ("Hey babe, how was your day? 💕", "Heyy babe!! how did today go? 💕")


async def _demo_agency(engine: AsyncEngine, *, fan_count: int) -> uuid.UUID:
    """The demo agency, seeded first if the database has none."""
    with contextlib.suppress(Conflict):  # seeded already
        await demo.seed_demo(engine, fans=fan_count)
    async with tenant_session(SYSTEM, engine=engine) as s:
        agency = await s.scalar(sa.select(Agency.id).where(Agency.slug == demo.DEMO_AGENCY_SLUG))
    assert agency is not None
    return agency


async def seed_demo_decisions(engine: AsyncEngine, *, fan_count: int = 200) -> dict[str, uuid.UUID]:
    """A week of AI drafts on the demo creators, decided by the chatter (Mia) and the manager (both):
    approved as drafted, edited, rejected; each approved reply is sent 5–150 minutes after the fan."""
    agency = await _demo_agency(engine, fan_count=fan_count)
    async with tenant_session(SYSTEM, engine=engine) as s:
        staff = {
            u.role: u
            for u in (await s.scalars(sa.select(StaffUser).where(StaffUser.agency_id == agency))).all()
        }
        creators = (
            await s.scalars(
                sa.select(CreatorProfile.id)
                .where(CreatorProfile.agency_id == agency)
                .order_by(CreatorProfile.display_name)
            )
        ).all()
        mia = await s.scalar(
            sa.select(StaffUser.creator_id).where(StaffUser.email == demo.DEMO_CREATOR_LOGIN[0])
        )
        if mia is None:
            raise Conflict("the demo agency has no creator login (seeded by another version?)")
        raven = next(c for c in creators if c != mia)
        fans_of = {
            c: (await s.scalars(sa.select(FanProfile.id).where(FanProfile.creator_id == c).limit(12))).all()
            for c in (mia, raven)
        }
        already = await s.scalar(
            sa.select(sa.func.count()).where(
                HitlAction.creator_id == mia, HitlAction.idempotency_key.like("demo-decision-%")
            )
        )
    ids = {
        "mia": mia,
        "raven": raven,
        "chatter": staff[StaffRole.chatter].id,
        "manager": staff[StaffRole.manager].id,
    }
    if already:
        return ids
    everyone = Principal(
        creator_ids=frozenset((mia, raven)), agency_id=agency, actor_id=None, actor_kind=ActorKind.system
    )

    def decider(role: StaffRole, *creators: uuid.UUID) -> Principal:
        user = staff[role]
        return Principal(
            creator_ids=frozenset(creators), agency_id=agency, actor_id=user.id, actor_kind=ActorKind.staff,
            role=role, staff_user_id=user.id,
        )  # fmt: skip

    rng = random.Random(12)
    now = datetime.now(UTC).replace(microsecond=0)
    plan = [(mia, StaffRole.chatter)] * 14 + [(mia, StaffRole.manager)] * 5 + [(raven, StaffRole.manager)] * 9
    async with tenant_session(everyone, engine=engine) as s:
        for n, (creator, role) in enumerate(plan):
            fan_id = fans_of[creator][n % len(fans_of[creator])]
            wrote = now - timedelta(days=rng.uniform(0.2, 6.5))
            await fans.log_message(
                s, everyone, creator_id=creator, fan_id=fan_id, direction="inbound", sender="fan",
                text="hey you 👀", sent_at=wrote,
            )  # fmt: skip
            item, _ = await approvals.create_item(
                s, everyone, idempotency_key=f"demo-decision-{uuid.uuid4()}", creator_id=creator, fan_id=fan_id,
                action_type=ActionType.send_message, args={"fan_id": str(fan_id), "text": EDITS[0]},
                context={}, flags=[], origin=ApprovalOrigin.reply_run,
            )  # fmt: skip
            who = decider(role, creator)
            outcome = rng.choices(("approve", "edit", "reject"), weights=(6, 3, 1))[0]
            if outcome == "approve":
                await approvals.approve_item(s, who, item_id=item.id)
            elif outcome == "edit":
                await approvals.edit_item(s, who, item_id=item.id, args={"text": EDITS[1]})
            else:
                await approvals.reject_item(s, who, item_id=item.id, reason="not her voice")
            decided = wrote + timedelta(minutes=rng.choice((5, 12, 25, 40, 75, 150)))
            await s.execute(
                sa.update(HitlAction)
                .where(HitlAction.id == item.id)
                .values(created_at=wrote + timedelta(minutes=1), decided_at=decided)
            )
            if outcome != "reject":
                await fans.log_message(
                    s, everyone, creator_id=creator, fan_id=fan_id, direction="outbound", sender="agent",
                    text=EDITS[outcome == "edit"], sent_at=decided, hitl_item_id=item.id,
                )  # fmt: skip
    return ids
