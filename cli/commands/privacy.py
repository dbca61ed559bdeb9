"""`fanpilot fan export | erase`: GDPR requests from a shell, acting as a named owner or admin."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from cli.commands._acting import parse_fan_id, staff_principal
from cli.commands.agent import _run
from core.tenancy import Principal

console = Console()
err = Console(stderr=True)
fan_app = typer.Typer(no_args_is_help=True, help="A fan's personal data: export it, erase it (GDPR).")


async def _staff_principal(email: str) -> Principal:
    """The principal of the owner or admin a command acts as (who the audit log names)."""
    from crm import privacy

    principal = await staff_principal(email)
    privacy.require_data_officer(principal)
    return principal


def register(app: typer.Typer) -> None:
    app.add_typer(fan_app, name="fan")


@fan_app.command("export")
def export(
    fan: str = typer.Argument(..., help="The fan's id."),
    acting: str = typer.Option(..., "--as", help="Email of the owner or admin making the request."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the JSON here (default: stdout)."),
) -> None:
    """Export everything stored about a fan as JSON (audited as the given owner/admin)."""
    from core.db import tenant_session
    from crm import privacy

    fan_id = parse_fan_id(fan)

    async def go() -> dict[str, object]:
        principal = await _staff_principal(acting)
        async with tenant_session(principal) as s:
            return await privacy.export_fan_audited(s, principal, fan_id=fan_id)

    text = json.dumps(_run(go), indent=2, ensure_ascii=False, default=str)
    if output is None:
        print(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        console.print(f"exported fan {fan_id} to {output}")


@fan_app.command("erase")
def erase(
    fan: str = typer.Argument(..., help="The fan's id."),
    acting: str = typer.Option(..., "--as", help="Email of the owner or admin making the request."),
    confirm: str | None = typer.Option(
        None, "--confirm", help="The confirmation the first call printed (valid 10 minutes)."
    ),
) -> None:
    """Erase a fan everywhere (GDPR) in two calls: without --confirm it prints what would go and a
    confirmation; run it again with --confirm CODE to erase. Both calls are audited."""
    from core.db import tenant_session
    from crm import privacy

    fan_id = parse_fan_id(fan)

    async def go() -> tuple[str, dict[str, int]]:
        principal = await _staff_principal(acting)
        async with tenant_session(principal) as s:
            if confirm is None:
                request = await privacy.request_erase(s, principal, fan_id=fan_id)
                return request.confirmation, request.rows
            return "", await privacy.confirm_erase(s, principal, fan_id=fan_id, confirmation=confirm)

    code, rows = _run(go)
    listing = ", ".join(f"{table} {n}" for table, n in sorted(rows.items()))
    if code:
        console.print(f"would erase fan {fan_id}: {listing}")
        console.print(
            f"to erase, within 10 minutes: fanpilot fan erase {fan_id} --as {acting} --confirm {code}"
        )
    else:
        console.print(f"erased fan {fan_id}: {listing}")
