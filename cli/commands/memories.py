"""`fanpilot memories search`: what a fan's memory says about a topic, from a shell, as a named staff
member (the same answer, rights and ranking as GET /api/fans/{fan_id}/memories/search)."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from cli.commands._acting import parse_fan_id, staff_principal
from cli.commands.agent import _run

console = Console()
memories_app = typer.Typer(no_args_is_help=True, help="What Fanpilot remembers about fans.")


def register(app: typer.Typer) -> None:
    app.add_typer(memories_app, name="memories")


@memories_app.command("search")
def search(
    fan: str = typer.Argument(..., help="The fan's id."),
    query: str = typer.Argument(..., help="What to look for, e.g. 'birthday' (1-500 characters)."),
    acting: str = typer.Option(
        ..., "--as", help="Email of the staff member asking (their creators and scopes apply)."
    ),
    k: int = typer.Option(8, "-k", min=1, max=50, help="How many memories at most (1-50)."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON (as the API returns it)."),
) -> None:
    """The fan's memories most relevant to QUERY, best first, ranked as the assistant's recall ranks
    them. Only for a staff member who may read that fan in the inbox; any other fan is "not found"."""
    from api.routes.fans import MemorySearch, search_fan_memories
    from core.errors import Forbidden
    from memory.access import ACCESS_LOG

    fan_id = parse_fan_id(fan)

    async def go() -> MemorySearch:
        principal = await staff_principal(acting)
        if "inbox:read" not in principal.scopes:
            raise Forbidden(f"a {principal.role} lacks the 'inbox:read' scope")
        answer = await search_fan_memories(principal, fan_id=fan_id, query=query, k=k)
        await ACCESS_LOG.flush()  # the batch writer of the access counts ends with this process
        return answer

    answer = _run(go)
    if as_json:
        print(json.dumps(answer.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    if not answer.memories:
        console.print(f"nothing in fan {fan_id}'s memory matches {answer.query!r}")
        return
    table = Table("score", "kind", "memory", "since", "id")
    for m in answer.memories:
        since = m.valid_from.date().isoformat() if m.valid_from else ""
        table.add_row(f"{m.score:.3f}", str(m.kind), m.text, since, str(m.id))
    console.print(table)
