"""Write tools: CRM bookkeeping that runs immediately and is recorded (notes, tags, memories)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enums import MemoryKind
from crm.fans import service as fan_service
from tools.base import RiskLevel, ToolContext, tool


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddNoteArgs(_Args):
    fan_id: uuid.UUID = Field(description="The fan the note is about.")
    body: str = Field(min_length=1, max_length=2000, description="The note, for the creator's team.")
    pinned: bool = Field(default=False, description="Pin it to the top of the fan's notes.")


class TagFanArgs(_Args):
    fan_id: uuid.UUID = Field(description="The fan to tag.")
    tag: str = Field(min_length=1, max_length=80, description="A short lower-case tag, e.g. 'cosplay'.")
    value: str | None = Field(default=None, max_length=200, description="An optional value for the tag.")


class RememberArgs(_Args):
    fan_id: uuid.UUID = Field(description="The fan the fact is about.")
    text: str = Field(
        min_length=3, max_length=500, description="One durable fact, e.g. 'Birthday is 12 May'."
    )
    kind: MemoryKind = Field(default=MemoryKind.conversation_fact, description="What kind of fact it is.")
    importance: float = Field(default=0.5, ge=0, le=1, description="How much it matters, 0..1.")

    @field_validator("text")
    @classmethod
    def _a_statement(cls, text: str) -> str:
        # "What do you remember about Tyler?" is a question to answer, never a fact to store.
        if text.strip().strip("\"'”’").endswith("?"):
            raise ValueError(
                "a memory states a fact; this is a question (answer it with fan_memories instead)"
            )
        return text


@tool(risk=RiskLevel.write, args=AddNoteArgs)
async def add_note(session: AsyncSession, ctx: ToolContext, args: AddNoteArgs) -> dict[str, Any]:
    """Add a note about the fan for the creator's team (not visible to the fan)."""
    note = await fan_service.add_note(
        session, ctx.principal, fan_id=args.fan_id, body=args.body, pinned=args.pinned, author_kind="agent"
    )
    return {"id": str(note.id)}


@tool(risk=RiskLevel.write, args=TagFanArgs)
async def tag_fan(session: AsyncSession, ctx: ToolContext, args: TagFanArgs) -> dict[str, Any]:
    """Tag the fan (tags drive segments and automation rules)."""
    tag = await fan_service.add_tag(
        session, ctx.principal, fan_id=args.fan_id, tag=args.tag, value=args.value, source="agent"
    )
    return {"tag": tag.tag, "value": tag.value}


@tool(risk=RiskLevel.write, args=RememberArgs)
async def remember_fact(session: AsyncSession, ctx: ToolContext, args: RememberArgs) -> dict[str, Any]:
    """Remember a durable fact the user TOLD you about the fan ("remember that Tom's birthday is May 12");
    a contradiction supersedes the old fact, history is kept. Never call it for a question ("do you
    remember…?", "what do you know about…?"): answer those with fan_memories, which only reads."""
    from memory import service as memory_service

    outcome = await memory_service.remember(
        session,
        ctx.principal,
        creator_id=ctx.creator_id,
        fan_id=args.fan_id,
        text=args.text,
        kind=args.kind,
        importance=args.importance,
    )
    return outcome.model_dump(mode="json") if hasattr(outcome, "model_dump") else {"result": str(outcome)}
