"""The performance page's numbers on a decision history whose every figure is known
(tests/crm/team_ledger.py): per decider and for the AI, per creator, safety flags, and the edit
distance the decision service stores."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.errors import NotFound, ValidationFailed
from core.tenancy import StaffRole
from crm.analytics import service as analytics
from crm.analytics.periods import Period, resolve_window
from crm.analytics.schemas import TeamRow
from crm.approvals.editdistance import edit_distance
from crm.approvals.models import HitlAction
from tests.crm.team_ledger import EDIT_FROM, EDIT_TO, TeamLedger, seed_team_ledger
from tests.factories import make_staff, make_tenant


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def test_edit_distance_agrees_with_the_textbook_table() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("same", "same") == 0
    rng = random.Random(12)
    alphabet = "ab c😘é\n"
    for _ in range(400):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
        assert edit_distance(a, b) == _levenshtein(a, b), (a, b)


@pytest.fixture
async def ledger(engine: AsyncEngine) -> TeamLedger:
    return await seed_team_ledger(engine)


def _row(rows: list[TeamRow], key: str) -> TeamRow:
    return next(r for r in rows if r.key == key)


async def test_team_figures_per_decider_and_for_the_ai(engine: AsyncEngine, ledger: TeamLedger) -> None:
    owner = ledger.staff_principal(ledger.owner, StaffRole.owner)
    window = resolve_window(Period.last_7_days)
    async with tenant_session(owner, engine=engine) as s:
        team = await analytics.team_performance(
            s, owner, creator_ids=[ledger.mia, ledger.raven], window=window, bucket="day"
        )
        stored = await s.scalar(
            sa.select(HitlAction.edit_distance).where(HitlAction.id == ledger.items["edited"])
        )
    changed = _levenshtein(EDIT_FROM, EDIT_TO)
    assert stored == changed

    chatter = _row(team.people, str(ledger.chatter))
    assert (chatter.kind, chatter.role) == ("staff", "chatter")
    assert (chatter.decided, chatter.approved, chatter.approved_as_drafted, chatter.edited, chatter.rejected) == (
        3, 3, 2, 1, 0,
    )  # fmt: skip
    assert chatter.approval_rate_without_edit == pytest.approx(2 / 3, abs=1e-4)
    assert (chatter.chars_changed, chatter.avg_chars_changed, chatter.median_chars_changed) == (
        changed,
        float(changed),
        float(changed),
    )
    assert chatter.edit_share == pytest.approx(changed / max(len(EDIT_FROM), len(EDIT_TO)), abs=1e-4)
    # Two replies: 20 min (from the first of Sam's two messages) and 90 min (over the 60 min SLA).
    assert (chatter.replies, chatter.median_reply_minutes, chatter.sla_breaches) == (2, 55.0, 1)
    assert (chatter.ppv_offers, chatter.ppv_sales, str(chatter.ppv_revenue)) == (1, 1, "25.00")
    assert (chatter.tips_after, str(chatter.tip_revenue), str(chatter.attributed_revenue)) == (
        1,
        "30.00",
        "55.00",
    )

    manager = _row(team.people, str(ledger.manager))
    assert (manager.decided, manager.approved_as_drafted, manager.rejected) == (3, 2, 1)
    assert (manager.replies, manager.median_reply_minutes, manager.sla_breaches) == (2, 45.0, 0)
    assert (manager.tips_after, str(manager.tip_revenue), manager.ppv_offers) == (1, "10.00", 0)

    auto = _row(team.people, "auto")
    assert (auto.kind, auto.decided, auto.approved_as_drafted, auto.replies) == ("auto", 1, 1, 0)
    platform = _row(team.people, "platform")
    assert (platform.decided, platform.replies, platform.median_reply_minutes) == (0, 1, 5.0)
    assert [r.kind for r in team.people][:2] == ["staff", "staff"]

    # The AI: every item the agent queued (the direct item on Raven is not one), whoever decided it.
    ai = team.total
    assert (ai.decided, ai.approved_as_drafted, ai.edited, ai.rejected) == (6, 4, 1, 1)
    assert (ai.replies, ai.median_reply_minutes, ai.sla_breaches) == (3, 30.0, 1)
    assert (ai.ppv_sales, str(ai.ppv_revenue), str(ai.tip_revenue)) == (1, "25.00", "40.00")
    assert team.expired_undecided == 1
    assert team.attribution.ppv_hours == 72 and team.attribution.tip_hours == 24
    assert team.bucket_unit == "day" and len(team.buckets) >= 7
    assert sum(b.approved_as_drafted + b.edited + b.rejected for b in team.buckets) == 7


async def test_one_person_one_creator_and_what_a_principal_may_ask(
    engine: AsyncEngine, ledger: TeamLedger
) -> None:
    window = resolve_window(Period.last_7_days)
    manager = ledger.staff_principal(ledger.manager, StaffRole.manager)
    async with tenant_session(manager, engine=engine) as s:
        only = await analytics.team_performance(
            s, manager, creator_ids=[ledger.mia, ledger.raven], window=window, staff_id=ledger.chatter,
            bucket="day",
        )  # fmt: skip
        assert [r.key for r in only.people] == [str(ledger.chatter)]
        assert sum(b.approved_as_drafted + b.edited for b in only.buckets) == 3
        assert only.total.decided == 6  # the AI row stays the team's
        raven = await analytics.team_performance(s, manager, creator_ids=[ledger.raven], window=window)
        assert [(r.key, r.decided) for r in raven.people] == [(str(ledger.manager), 1)]
        assert raven.total.decided == 0  # the one item on Raven was queued by a person

        outsider = await make_staff(engine, await make_tenant(engine), role=StaffRole.chatter)
        with pytest.raises(NotFound):
            await analytics.team_performance(
                s, manager, creator_ids=[ledger.mia], window=window, staff_id=outsider
            )
        with pytest.raises(ValidationFailed):
            await analytics.team_performance(
                s, manager, creator_ids=[ledger.mia], window=window, sla_minutes=0
            )

    chatter = ledger.staff_principal(ledger.chatter, StaffRole.chatter, ledger.mia)
    async with tenant_session(chatter, engine=engine) as s:
        with pytest.raises(NotFound):
            await analytics.team_performance(s, chatter, creator_ids=[ledger.raven], window=window)
        scope = await analytics.performance_scope(s, chatter)
        assert [c.id for c in scope.creators] == [ledger.mia]

    creator = ledger.staff_principal(ledger.creator_login, StaffRole.creator, ledger.mia)
    async with tenant_session(creator, engine=engine) as s:
        scope = await analytics.performance_scope(s, creator)
        # Who works on Mia: the owner (sees everyone), the chatter and manager assigned, her own login.
        assert {p.id for p in scope.staff} == {
            ledger.owner,
            ledger.chatter,
            ledger.manager,
            ledger.creator_login,
        }
        mine = await analytics.team_performance(s, creator, creator_ids=[ledger.mia], window=window)
        assert mine.total.decided == 6


async def test_per_creator_rows_and_safety_flags(engine: AsyncEngine, ledger: TeamLedger) -> None:
    owner = ledger.staff_principal(ledger.owner, StaffRole.owner)
    window = resolve_window(Period.last_7_days)
    async with tenant_session(owner, engine=engine) as s:
        summary = await analytics.creators_summary(
            s, owner, creator_ids=[ledger.mia, ledger.raven], window=window
        )
        flags = await analytics.safety_flags(s, owner, creator_ids=[ledger.mia, ledger.raven], window=window)
        tz = await analytics.window_timezone(s, owner, creator_ids=[ledger.mia, ledger.raven])
    rows = {r.creator_id: r for r in summary.creators}
    mia, raven = rows[ledger.mia], rows[ledger.raven]
    assert (str(mia.revenue_by_type["ppv"]), str(mia.revenue_by_type["tip"]), str(mia.net)) == (
        "50.00", "45.00", "95.00",
    )  # fmt: skip
    assert (mia.decided, mia.replies, mia.sla_breaches, mia.flagged_items) == (6, 4, 1, 2)
    assert str(mia.attributed_revenue) == "65.00"
    assert (raven.decided, raven.replies, raven.median_reply_minutes, str(raven.net)) == (1, 1, 60.0, "0.00")
    assert tz == "UTC"
    assert flags.flagged_items == 2
    assert {(f.code, f.about, f.items) for f in flags.flags} == {
        ("off_platform_attempt", "fan", 1),
        ("restricted_word", "draft", 1),
    }
    assert {f.label for f in flags.flags} == {"Off-platform contact", "Restricted word"}
