"""`fanpilot vault …`: new keys and key rotation for the secrets vault."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)
vault_app = typer.Typer(no_args_is_help=True, help="The secrets vault (AES-256-GCM, FANPILOT_VAULT_KEYS).")


async def _rotate() -> tuple[int, str]:
    from core.crypto import Vault
    from core.db import get_engine, tenant_session
    from core.settings import get_settings
    from core.tenancy import SYSTEM
    from crm.accounts import audit, two_factor
    from crm.creators import service as creator_service

    vault = Vault.from_settings(get_settings())
    engine = get_engine()
    try:
        async with tenant_session(SYSTEM, engine=engine) as session:
            count = await creator_service.rotate_connection_secrets(session, vault)
            count += await two_factor.rotate_secrets(session, vault)
            if count:
                await audit.record(
                    session,
                    SYSTEM,
                    action="vault.rotated",
                    target_type="vault_key",
                    target_id=vault.active_key_id,
                    details={"reencrypted": count},
                )
    finally:
        await engine.dispose()
    return count, vault.active_key_id


@vault_app.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored secret that is not under the first key of FANPILOT_VAULT_KEYS."""
    from core.crypto import VaultError
    from core.embedded import EmbeddedServiceError

    try:
        count, active = asyncio.run(_rotate())
    except (VaultError, EmbeddedServiceError) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc
    console.print(f"re-encrypted {count} secret(s); every secret is now under key '{active}'.")
    console.print("The keys after the first one in FANPILOT_VAULT_KEYS can now be removed.")


@vault_app.command("new-key")
def new_key() -> None:
    """Print a fresh vault key and how to start using it."""
    from core.crypto import Vault, VaultError, generate_key
    from core.settings import get_settings

    line = generate_key()
    try:
        current = ",".join(Vault.from_settings(get_settings()).key_ids)
    except VaultError:
        current = ""
    print(line)
    kid = line.split(":", 1)[0]
    err.print(
        f"\nPut it FIRST in FANPILOT_VAULT_KEYS and keep the old keys after it, e.g.\n"
        f"  FANPILOT_VAULT_KEYS={kid}:<the key above>{',' if current else ''}"
        f"{'<keys ' + current + '>' if current else ''}\n"
        "restart the API and workers, run `fanpilot vault rotate`, and remove the old keys once it "
        "reports 0 secrets left to re-encrypt. Store the key in your secrets manager; it is not saved."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(vault_app, name="vault")
