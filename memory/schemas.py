"""Read and write shapes of the memory service (apart from the ORM model)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from crm.enums import MemoryKind


class ExchangeMessage(BaseModel):
    """One message of a fan ↔ creator exchange handed to extraction."""

    sender: Literal["fan", "creator", "agent", "staff"]
    text: str
    sent_at: datetime | None = None
    message_id: uuid.UUID | None = None


class RecalledMemory(BaseModel):
    id: uuid.UUID
    kind: MemoryKind
    text: str
    importance: float
    score: float
    valid_from: datetime | None = None


class ReconcileAction(StrEnum):
    added = "added"
    duplicate = "duplicate"  # a near-identical active memory exists: no new row
    superseded = "superseded"  # a new row replaced an active one (which keeps its history)


class ReconcileOutcome(BaseModel):
    action: ReconcileAction
    memory_id: uuid.UUID = Field(description="The active memory that now holds the fact.")
    text: str
    kind: MemoryKind
    superseded_id: uuid.UUID | None = None
    similarity: float | None = None


class FanSearchHit(BaseModel):
    fan_id: uuid.UUID
    display_name: str | None
    score: float
    memories: list[RecalledMemory]


class MemoryRecord(BaseModel):
    """A memory with its history fields (for the dossier, export and tests)."""

    id: uuid.UUID
    fan_id: uuid.UUID
    kind: MemoryKind
    text: str
    importance: float
    confidence: float
    valid_from: datetime | None
    invalid_at: datetime | None
    superseded_by: uuid.UUID | None
    embedding_model: str | None
    access_count: int
    created_at: datetime


class TranscriptTurn(BaseModel):
    """One turn of an imported conversation history."""

    speaker: str
    text: str
    sent_at: datetime | None = None
    session_label: str | None = Field(None, description="e.g. the session's date as written")
    ref: str | None = Field(None, description="An external id for the turn, kept in details.ref")
