"""Creators, personas and platform connections as the API sees them. Secrets are write-only."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from crm.approvals.signals import validate_safety_keywords
from crm.creators.models import CreatorProfile, PlatformConnection
from crm.enums import Platform


class ConnectionHealth(StrEnum):
    unknown = "unknown"
    healthy = "healthy"
    degraded = "degraded"
    failing = "failing"


def _check_bounds(low: Decimal | None, high: Decimal | None) -> None:
    if low is not None and low < 0:
        raise ValueError("ppv_price_min must be ≥ 0")
    if low is not None and high is not None and high < low:
        raise ValueError("ppv_price_max must be ≥ ppv_price_min")


class CreatorCreate(BaseModel):
    agency_id: uuid.UUID
    display_name: str = Field(min_length=1, max_length=200)
    handle: str = Field(min_length=1, max_length=120)
    voice: str = ""
    rules: list[str] = Field(default_factory=list)
    restricted_words: list[str] = Field(default_factory=list)
    ppv_price_min: Decimal = Decimal("5")
    ppv_price_max: Decimal = Decimal("100")
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _price_bounds(self) -> Self:
        _check_bounds(self.ppv_price_min, self.ppv_price_max)
        return self


class PersonaUpdate(BaseModel):
    """Only the fields that are set change."""

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    voice: str | None = None
    bio: str | None = None
    rules: list[str] | None = None
    restricted_words: list[str] | None = None
    ppv_price_min: Decimal | None = None
    ppv_price_max: Decimal | None = None
    timezone: str | None = None
    safety_keywords: dict[str, list[str]] | None = None

    @model_validator(mode="after")
    def _price_bounds(self) -> Self:
        _check_bounds(self.ppv_price_min, self.ppv_price_max)
        return self

    @field_validator("safety_keywords")
    @classmethod
    def _keywords(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        return None if value is None else validate_safety_keywords(value)


class Creator(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    agency_id: uuid.UUID
    display_name: str
    handle: str
    voice: str
    bio: str
    rules: list[str]
    restricted_words: list[str]
    ppv_price_min: Decimal
    ppv_price_max: Decimal
    timezone: str
    safety_keywords: dict[str, list[str]] = Field(default_factory=dict)
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, creator: CreatorProfile) -> Creator:
        return cls.model_validate(creator)


class ConnectionCreate(BaseModel):
    platform: Platform
    account_id: str = Field(min_length=1, max_length=120)
    platform_user_id: str | None = Field(default=None, max_length=120)
    api_base_url: str | None = Field(default=None, max_length=500)
    api_key: SecretStr | None = None
    webhook_secret: SecretStr | None = None


class Connection(BaseModel):
    """A platform connection. Never carries the API key or webhook secret, only whether they are set."""

    id: uuid.UUID
    creator_id: uuid.UUID
    platform: Platform
    provider: str
    account_id: str
    platform_user_id: str | None
    api_base_url: str | None
    has_api_key: bool
    has_webhook_secret: bool
    health: str
    last_checked_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, connection: PlatformConnection) -> Connection:
        return cls(
            id=connection.id,
            creator_id=connection.creator_id,
            platform=connection.platform,
            provider=connection.provider,
            account_id=connection.account_id,
            platform_user_id=connection.platform_user_id,
            api_base_url=connection.api_base_url,
            has_api_key=connection.api_key_encrypted is not None,
            has_webhook_secret=connection.webhook_secret_encrypted is not None,
            health=connection.health,
            last_checked_at=connection.last_checked_at,
            last_error=connection.last_error,
            created_at=connection.created_at,
            updated_at=connection.updated_at,
        )
