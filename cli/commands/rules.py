"""`fanpilot rules list | show | create --file rule.yaml | pause | resume | dry-run`: automation rules
from a shell (acting as the system, audited like any other change)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from cli.commands.agent import _run

console = Console()
err = Console(stderr=True)
rules_app = typer.Typer(
    no_args_is_help=True, help="Automation rules: list, show, create, pause, resume, dry-run."
)


async def _creator_id(ref: str | None) -> uuid.UUID | None:
    """A creator by id, handle or display name (None: every creator)."""
    from core.db import get_engine, tenant_session
    from core.errors import NotFound
    from core.tenancy import SYSTEM
    from crm.creators import service as creator_service

    if ref is None:
        return None
    try:
        return uuid.UUID(ref)
    except ValueError:
        pass
    async with tenant_session(SYSTEM, engine=get_engine()) as session:
        wanted = ref.lstrip("@").lower()
        found = [
            c
            for c in await creator_service.list_creators(session, SYSTEM)
            if wanted in (c.handle.lower(), c.display_name.lower())
        ]
    if len(found) != 1:
        raise NotFound(f"creator {ref!r}: {len(found)} matches")
    return found[0].id


def _spec_from_file(path: Path) -> tuple[dict[str, Any], Any]:
    from core.errors import ValidationFailed
    from crm.automation.schemas import RuleSpec

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationFailed(f"{path}: a rule file is a mapping (name, trigger, actions …)")
    creator = data.pop("creator", None)
    try:
        spec = RuleSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ValidationFailed(f"{path}: {where}: {first.get('msg')}") from exc
    return {"creator": creator}, spec


def _print_dry_run(result: Any) -> None:
    console.print(f"[bold]{result.matching}[/] fan(s) match the conditions now", end="")
    console.print(f", {result.in_cooldown} held back by the cooldown" if result.in_cooldown else "")
    if result.due_now is not None:
        console.print(f"[bold]{result.due_now}[/] at the rule's moment right now")
    console.print(f"[dim]{result.note}[/]")
    console.print(f"steps: {' → '.join(result.steps)}")
    for fan in result.sample[:10]:
        console.print(f"  - {fan['name']} ({fan['spend_tier']}, ${fan['lifetime_spend']})")


@rules_app.command("list")
def list_rules(creator: str = typer.Option(None, "--creator", help="Creator id, handle or name.")) -> None:
    """The rules, in evaluation order per creator, with their last 7 days."""

    async def go() -> list[tuple[Any, Any, str]]:
        from core.db import get_engine, tenant_session
        from core.tenancy import SYSTEM
        from crm.automation import service as automation
        from crm.automation.schemas import describe_trigger

        creator_id = await _creator_id(creator)
        async with tenant_session(SYSTEM, engine=get_engine()) as session:
            found = await automation.list_rules(
                session, SYSTEM, creator_ids=[creator_id] if creator_id else None
            )
            stats = await automation.rule_stats(session, SYSTEM, rule_ids=[r.id for r in found])
            return [(r, stats[r.id], describe_trigger(automation.spec_for(r).trigger)) for r in found]

    table = Table(title="Automation rules")
    for column in ("id", "name", "when", "state", "priority", "7 days"):
        table.add_column(column)
    for rule, stats, when in _run(go):
        table.add_row(
            str(rule.id)[:8], rule.name, when, "on" if rule.is_enabled else "paused", str(rule.priority),
            f"{stats.matches_7d}/{stats.evaluations_7d} matched",
        )  # fmt: skip
    console.print(table)


@rules_app.command("show")
def show(
    rule: str = typer.Argument(..., help="The rule's id or name."),
    creator: str = typer.Option(None, "--creator", help="Creator id, handle or name (when names repeat)."),
) -> None:
    """A rule as YAML (the form `create --file` takes) and its last runs."""

    async def go() -> tuple[dict[str, Any], list[Any]]:
        from core.db import get_engine, tenant_session
        from core.tenancy import SYSTEM
        from crm.automation import service as automation

        creator_id = await _creator_id(creator)
        async with tenant_session(SYSTEM, engine=get_engine()) as session:
            found = await automation.find_rule(session, SYSTEM, ref=rule, creator_id=creator_id)
            spec = automation.spec_for(found).model_dump(mode="json", exclude_defaults=True)
            runs = await automation.recent_runs(session, SYSTEM, rule_id=found.id, limit=10)
            return {"id": str(found.id), "creator_id": str(found.creator_id), **spec}, runs

    spec, runs = _run(go)
    console.print(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True).rstrip())
    console.print(f"\n[bold]last runs[/] ({len(runs)})")
    for run in runs:
        steps = ", ".join(f"{s['type']} {s['status']}" for s in run.steps)
        console.print(
            f"  {run.created_at:%Y-%m-%d %H:%M} {run.fan_name or '—'}: {run.outcome}"
            + (f" — {run.details.get('why')}" if not run.matched else "")
            + (f" [{steps}]" if steps else "")
        )


@rules_app.command("create")
def create(
    file: Path = typer.Option(..., "--file", exists=True, dir_okay=False, help="The rule as YAML."),
    creator: str = typer.Option(
        None, "--creator", help="Creator id, handle or name (else `creator:` in the file)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say which fans would match now."),
) -> None:
    """Create a rule from a YAML file (validated whole; templates and segments by name)."""

    async def go() -> Any:
        from agent.automation import check_rule
        from core.db import get_engine, tenant_session
        from core.errors import ValidationFailed
        from core.tenancy import SYSTEM
        from crm.automation import service as automation

        extra, spec = _spec_from_file(file)
        creator_id = await _creator_id(creator or extra["creator"])
        if creator_id is None:
            raise ValidationFailed("say which creator: --creator, or `creator:` in the file")
        check_rule(spec)
        async with tenant_session(SYSTEM, engine=get_engine()) as session:
            if dry_run:
                return await automation.dry_run(session, SYSTEM, creator_id=creator_id, spec=spec)
            return await automation.create_rule(session, SYSTEM, creator_id=creator_id, spec=spec)

    result = _run(go)
    if dry_run:
        _print_dry_run(result)
        return
    console.print(
        f"created rule [bold]{result.name}[/] ({result.id}), {'on' if result.is_enabled else 'paused'}"
    )


def _set_enabled(rule: str, creator: str | None, enabled: bool) -> None:
    async def go() -> Any:
        from core.db import get_engine, tenant_session
        from core.tenancy import SYSTEM
        from crm.automation import service as automation

        creator_id = await _creator_id(creator)
        async with tenant_session(SYSTEM, engine=get_engine()) as session:
            found = await automation.find_rule(session, SYSTEM, ref=rule, creator_id=creator_id)
            return await automation.set_enabled(session, SYSTEM, rule_id=found.id, enabled=enabled)

    done = _run(go)
    console.print(f"rule [bold]{done.name}[/] is {'on' if done.is_enabled else 'paused'}")


@rules_app.command("pause")
def pause(
    rule: str = typer.Argument(..., help="The rule's id or name."),
    creator: str = typer.Option(None, "--creator", help="Creator id, handle or name."),
) -> None:
    """Pause a rule: it is no longer evaluated; its pending timers are cancelled."""
    _set_enabled(rule, creator, False)


@rules_app.command("resume")
def resume(
    rule: str = typer.Argument(..., help="The rule's id or name."),
    creator: str = typer.Option(None, "--creator", help="Creator id, handle or name."),
) -> None:
    """Resume a paused rule."""
    _set_enabled(rule, creator, True)


@rules_app.command("dry-run")
def dry_run_command(
    rule: str = typer.Argument(None, help="The rule's id or name (or use --file)."),
    file: Path = typer.Option(None, "--file", exists=True, dir_okay=False, help="An unsaved rule as YAML."),
    creator: str = typer.Option(None, "--creator", help="Creator id, handle or name."),
) -> None:
    """Which fans a rule would match now; nothing is stored or sent."""
    if (rule is None) == (file is None):
        err.print("[bold red]error:[/] give a rule or --file")
        raise typer.Exit(code=2)

    async def go() -> Any:
        from agent.automation import check_rule
        from core.db import get_engine, tenant_session
        from core.errors import ValidationFailed
        from core.tenancy import SYSTEM
        from crm.automation import service as automation

        creator_id = await _creator_id(creator)
        async with tenant_session(SYSTEM, engine=get_engine()) as session:
            if file is not None:
                extra, spec = _spec_from_file(file)
                creator_id = creator_id or await _creator_id(extra["creator"])
                if creator_id is None:
                    raise ValidationFailed("say which creator: --creator, or `creator:` in the file")
                return await automation.dry_run(session, SYSTEM, creator_id=creator_id, spec=check_rule(spec))
            found = await automation.find_rule(session, SYSTEM, ref=rule, creator_id=creator_id)
            return await automation.dry_run(
                session,
                SYSTEM,
                creator_id=found.creator_id,
                spec=automation.spec_for(found),
                rule_id=found.id,
            )

    _print_dry_run(_run(go))


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
