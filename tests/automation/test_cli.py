"""`fanpilot rules list | show | create --file | pause | resume | dry-run` against the test database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import tenant_session
from core.tenancy import SYSTEM
from crm.creators.models import CreatorProfile
from tests.agent.test_cli import _cli
from tests.automation import support
from tests.factories import make_tenant

RULE_YAML = """
name: Win back big spenders
trigger: {type: schedule.after_expiry, days: 3}
conditions: {field: lifetime_spend, op: gt, value: 50}
actions:
  - {type: send_message, template: Miss you}
  - {type: tag, tag: win-back}
cooldown: 30d
"""


async def test_rules_from_the_cli(engine: AsyncEngine, test_db: Any, tmp_path: Path) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    async with tenant_session(SYSTEM, engine=engine) as s:
        creator = await s.get(CreatorProfile, cid)
        assert creator is not None
        handle = creator.handle
    await support.template(engine, cid, "Miss you", "I miss you {fan_name} 🥺")
    await support.fan(engine, cid, "Big", spend="80")
    await support.fan(engine, cid, "Small", spend="10")
    rule_file = tmp_path / "rule.yaml"
    rule_file.write_text(RULE_YAML)

    dry = _cli(test_db, "rules", "create", "--file", str(rule_file), "--creator", handle, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "1 fan(s) match the conditions now" in dry.stdout and "Big" in dry.stdout
    created = _cli(test_db, "rules", "create", "--file", str(rule_file), "--creator", handle)
    assert created.returncode == 0, created.stderr
    assert "created rule Win back big spenders" in created.stdout and "on" in created.stdout

    listed = _cli(test_db, "rules", "list", "--creator", handle)
    assert "Win back big spenders" in listed.stdout and "3 days after a subscription expired" in listed.stdout
    shown = _cli(test_db, "rules", "show", "Win back big spenders", "--creator", handle)
    assert shown.returncode == 0, shown.stderr
    assert "type: schedule.after_expiry" in shown.stdout and "template: Miss you" in shown.stdout
    assert "cooldown: 2592000" in shown.stdout

    paused = _cli(test_db, "rules", "pause", "Win back big spenders", "--creator", handle)
    assert "is paused" in paused.stdout
    assert (await support.get_rule(engine, (await _rule_id(engine, cid)))).is_enabled is False
    resumed = _cli(test_db, "rules", "resume", "Win back big spenders", "--creator", handle)
    assert "is on" in resumed.stdout
    dry_saved = _cli(test_db, "rules", "dry-run", "Win back big spenders", "--creator", handle)
    assert (
        "1 fan(s) match the conditions now" in dry_saved.stdout and "at the rule's moment" in dry_saved.stdout
    )


async def test_the_cli_refuses_bad_rules_clearly(engine: AsyncEngine, test_db: Any, tmp_path: Path) -> None:
    tenant = await make_tenant(engine)
    cid = tenant.creator_id
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\ntrigger: {type: subscriptions.new}\nactions:\n  - {type: send_message, template: Nope}\n"
    )
    out = _cli(test_db, "rules", "create", "--file", str(bad), "--creator", str(cid))
    assert out.returncode == 1 and "no template named 'Nope'" in out.stderr
    bad.write_text(
        "name: x\ntrigger: {type: subscriptions.new, delay: soon}\nactions: [{type: tag, tag: a}]\n"
    )
    out = _cli(test_db, "rules", "create", "--file", str(bad), "--creator", str(cid))
    assert out.returncode == 1 and "trigger.delay" in out.stderr and "not a duration" in out.stderr
    bad.write_text("- just\n- a list\n")
    out = _cli(test_db, "rules", "create", "--file", str(bad), "--creator", str(cid))
    assert out.returncode == 1 and "a rule file is a mapping" in out.stderr
    assert _cli(test_db, "rules", "pause", "no such rule").returncode == 1


async def _rule_id(engine: AsyncEngine, cid: Any) -> Any:
    import sqlalchemy as sa

    from crm.automation.models import AutomationRule

    async with tenant_session(SYSTEM, engine=engine) as s:
        return (await s.scalars(sa.select(AutomationRule.id).where(AutomationRule.creator_id == cid))).one()
