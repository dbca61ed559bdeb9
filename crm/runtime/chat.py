"""Chat threads with the assistant: one per conversation, owned by the staff member who opened it.

The messages themselves live in the LangGraph checkpointer (`chat_threads.thread_id`); this table is
the list a person sees. Row-level security limits rows to the principal's creators and — a second,
restrictive policy — to threads whose `staff_user_id` is the principal's own.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, ValidationFailed
from core.tenancy import Principal
from crm.runtime.models import ChatThread

__all__ = ["DEFAULT_TITLE", "create_thread", "get_thread", "list_threads", "rename_thread", "touch_thread"]

DEFAULT_TITLE = "New chat"
TITLE_CHARS = 60


def _owns(principal: Principal, thread: ChatThread) -> bool:
    if principal.system:
        return True
    return principal.can_see(thread.creator_id) and thread.staff_user_id == principal.staff_user_id


async def create_thread(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID, title: str = DEFAULT_TITLE
) -> ChatThread:
    if not principal.can_see(creator_id):
        raise NotFound("creator not found")
    thread = ChatThread(
        id=uuid.uuid4(),
        creator_id=creator_id,
        staff_user_id=principal.staff_user_id,
        title=(title.strip() or DEFAULT_TITLE)[:200],
        thread_id=f"chat:{uuid.uuid4()}",
    )
    session.add(thread)
    await session.flush()
    return thread


async def get_thread(session: AsyncSession, principal: Principal, *, chat_thread_id: uuid.UUID) -> ChatThread:
    thread = await session.get(ChatThread, chat_thread_id, populate_existing=True)
    if thread is None or not _owns(principal, thread):
        raise NotFound("chat thread not found")
    return thread


async def list_threads(
    session: AsyncSession, principal: Principal, *, creator_id: uuid.UUID | None = None, limit: int = 50
) -> list[ChatThread]:
    """The principal's own threads, most recently used first, optionally for one creator."""
    if creator_id is not None and not principal.can_see(creator_id):
        raise NotFound("creator not found")
    stmt = (
        sa.select(ChatThread)
        .where(ChatThread.staff_user_id.is_not_distinct_from(principal.staff_user_id))
        .order_by(
            sa.func.coalesce(ChatThread.last_message_at, ChatThread.created_at).desc(), ChatThread.id.desc()
        )
        .limit(max(1, min(limit, 200)))
    )
    if creator_id is not None:
        stmt = stmt.where(ChatThread.creator_id == creator_id)
    return list((await session.scalars(stmt)).all())


async def rename_thread(
    session: AsyncSession, principal: Principal, *, chat_thread_id: uuid.UUID, title: str
) -> ChatThread:
    thread = await get_thread(session, principal, chat_thread_id=chat_thread_id)
    if not title.strip():
        raise ValidationFailed("a title cannot be empty")
    thread.title = title.strip()[:200]
    await session.flush()
    return thread


async def touch_thread(session: AsyncSession, principal: Principal, *, thread_id: str, message: str) -> None:
    """After a turn: the thread moves to the top of the list; a new chat takes its first words as title."""
    title = " ".join(message.split())
    title = title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"
    await session.execute(
        sa.update(ChatThread)
        .where(ChatThread.thread_id == thread_id)
        .values(
            last_message_at=datetime.now(UTC),
            updated_at=sa.func.now(),
            title=sa.case((ChatThread.title == DEFAULT_TITLE, title), else_=ChatThread.title),
        )
    )
