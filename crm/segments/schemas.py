"""Segment API shapes: create/update payloads (rules validated) and the read model."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crm.segments.rules import parse_rule, rule_to_json


class SegmentCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    rules: dict[str, Any] = Field(description="A segment rule set: all/any/not of field/op/value leaves.")

    @field_validator("rules")
    @classmethod
    def _valid_rules(cls, value: dict[str, Any]) -> dict[str, Any]:
        return rule_to_json(parse_rule(value))


class SegmentUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = None
    rules: dict[str, Any] | None = None

    @field_validator("rules")
    @classmethod
    def _valid_rules(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else rule_to_json(parse_rule(value))


class Segment(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    creator_id: uuid.UUID
    name: str
    description: str
    rules: dict[str, Any]
    member_count: int
    refreshed_at: datetime | None = None
