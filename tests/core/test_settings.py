"""Settings: one object, and production refuses the documented development defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import Settings


def test_production_refuses_default_secrets() -> None:
    with pytest.raises(ValidationError, match="default secrets: FANPILOT_SECRET_KEY"):
        Settings(env="production", database_url="postgresql://x/y", redis_url="redis://x")


def test_production_starts_with_real_secrets_and_external_servers() -> None:
    settings = Settings(
        env="production",
        database_url="postgresql://owner@db/fanpilot",
        redis_url="redis://cache:6379/0",
        secret_key="s" * 40,
        vault_keys="prod1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU=",
        app_db_password="a-real-password",
        demo_webhook_secret="another-real-secret",
    )
    assert settings.env == "production"


def test_production_needs_external_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "FANPILOT_DATABASE_URL", "FANPILOT_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValidationError, match="DATABASE_URL and REDIS_URL"):
        Settings(
            env="production",
            secret_key="s" * 40,
            vault_keys="prod1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU=",
            app_db_password="a-real-password",
            demo_webhook_secret="another-real-secret",
        )


def test_per_task_provider_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANPILOT_LLM_PROVIDER", "openai")
    monkeypatch.setenv("FANPILOT_EXTRACTION_PROVIDER", "offline")
    settings = Settings()
    assert settings.provider_for("drafting") == "openai"
    assert settings.provider_for("extraction") == "offline"


def test_database_url_env_name_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://o@h:5/db")
    monkeypatch.setenv("REDIS_URL", "redis://h:6/1")
    settings = Settings()
    assert settings.database_url == "postgresql://o@h:5/db"
    assert settings.redis_url == "redis://h:6/1"
