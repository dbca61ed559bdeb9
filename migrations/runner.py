"""Run Alembic programmatically (the `fanpilot migrate` command and the test fixtures)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(owner_url: str, *, app_role: str | None = None, app_password: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["owner_url"] = owner_url
    if app_role:
        cfg.attributes["app_role"] = app_role
    if app_password:
        cfg.attributes["app_password"] = app_password
    return cfg


def upgrade(owner_url: str, revision: str = "head", **kwargs: str) -> None:
    command.upgrade(alembic_config(owner_url, **kwargs), revision)


def downgrade(owner_url: str, revision: str = "base", **kwargs: str) -> None:
    command.downgrade(alembic_config(owner_url, **kwargs), revision)


def owner_is_superuser(owner_url: str) -> bool:
    """A superuser owner would let the SECURITY DEFINER erase function skip row-level security."""
    from sqlalchemy import create_engine, pool, text

    from core.db import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(owner_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
            )
    finally:
        engine.dispose()


def current(owner_url: str) -> str | None:
    from sqlalchemy import create_engine, pool, text

    from core.db import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(owner_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT to_regclass('alembic_version')")).scalar()
            if not exists:
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
