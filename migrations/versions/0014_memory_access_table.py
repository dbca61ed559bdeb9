"""Recall's access counts move out of `fan_memories` into a narrow table of their own.

`memory.access` wrote `access_count` / `last_accessed_at` with an UPDATE of the recalled rows. A
`fan_memories` row is ≈ 1.8 KB (the 384-d vector) and four fill a page, so the new version never
fits on its page: every such update was a non-HOT update, a new heap tuple plus an insert into
every index of the table — the HNSW graph (a greedy search over the graph per row), the GIN
index, three B-trees — and a dead tuple. At 1M memories one batch of ≈ 30 recalled rows took
0.4–0.9 s of a backend and read 10–19k pages through `shared_buffers` (docs/memory.md, "Issue 14,
1M"). `fan_memory_access` holds (memory id, creator, count, last access) in ≈ 70-byte rows with
one index: the batch is an upsert of small rows, HOT where the page has room.

Existing counts are copied over; the two columns leave `fan_memories`. Creator-owned: FORCE RLS.
A memory's deletion (and the fan's erase, which deletes its memories) takes its row with it
(`ON DELETE CASCADE`).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import context, op

from core.settings import get_settings

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

VISIBLE = "fanpilot_is_system() OR creator_id = ANY (fanpilot_visible_creators())"


def _app_role() -> str:
    return str(context.config.attributes.get("app_role") or get_settings().app_db_role)


def upgrade() -> None:
    role = _app_role()
    op.execute(
        """
        CREATE TABLE fan_memory_access (
          memory_id uuid PRIMARY KEY REFERENCES fan_memories (id) ON DELETE CASCADE,
          creator_id uuid NOT NULL REFERENCES creator_profiles (id) ON DELETE CASCADE,
          access_count integer NOT NULL DEFAULT 0,
          last_accessed_at timestamptz
        );
        CREATE INDEX ix_fan_memory_access_creator_id ON fan_memory_access (creator_id);
        INSERT INTO fan_memory_access (memory_id, creator_id, access_count, last_accessed_at)
        SELECT id, creator_id, access_count, last_accessed_at FROM fan_memories
         WHERE access_count > 0 OR last_accessed_at IS NOT NULL;
        ALTER TABLE fan_memories DROP COLUMN access_count;
        ALTER TABLE fan_memories DROP COLUMN last_accessed_at;
        """
    )
    op.execute("ALTER TABLE fan_memory_access ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE fan_memory_access FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON fan_memory_access USING ({VISIBLE}) WITH CHECK ({VISIBLE})"
    )
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON fan_memory_access TO "{role}"')


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE fan_memories ADD COLUMN access_count integer NOT NULL DEFAULT 0;
        ALTER TABLE fan_memories ADD COLUMN last_accessed_at timestamptz;
        UPDATE fan_memories m SET access_count = a.access_count, last_accessed_at = a.last_accessed_at
          FROM fan_memory_access a WHERE a.memory_id = m.id;
        DROP TABLE fan_memory_access;
        """
    )
