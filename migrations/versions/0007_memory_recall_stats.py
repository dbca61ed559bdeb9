"""Recall in one statement: stored BM25 document lengths and per-fan corpus statistics; search
words apart from the embedded text; a halfvec HNSW index for cross-fan search.

- `fan_memories.search_text`: the words a memory is found by when they are more than what is
  embedded (an imported turn adds its reply and its relative times as dates); `search` is now
  `to_tsvector(coalesce(search_text, context_text, text))`.

- `fan_memories.doc_length`: the number of word positions in the full-text document (the BM25 |d|),
  a stored generated column, so recall never unnests a tsvector to measure it.
- `fan_memory_stats`: per fan, how many active documents have words and their total length (BM25's
  N and avgdl), kept by statement-level triggers on `fan_memories` (transition tables: a COPY of a
  million rows updates each fan's row once). Creator-owned: FORCE ROW LEVEL SECURITY.
- The cross-fan HNSW index is built on `embedding::halfvec(384)`: half the size and a faster build,
  while the column keeps full precision for the exact per-fan scan and reconciliation.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import context, op

from core.settings import get_settings

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

VISIBLE = "fanpilot_is_system() OR creator_id = ANY (fanpilot_visible_creators())"


def _app_role() -> str:
    return str(context.config.attributes.get("app_role") or get_settings().app_db_role)


def upgrade() -> None:
    role = _app_role()
    op.execute(
        """
        CREATE FUNCTION fanpilot_tsvector_length(tsvector) RETURNS integer
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
          SELECT coalesce(sum(coalesce(array_length(u.positions, 1), 1)), 0)::integer FROM unnest($1) u
        $$;
        -- Imported turns are found by more words than they are embedded with (their reply, their
        -- relative times as dates): `search` reads search_text first.
        ALTER TABLE fan_memories ADD COLUMN search_text text;
        DROP INDEX ix_fan_memories_search;
        ALTER TABLE fan_memories DROP COLUMN search;
        ALTER TABLE fan_memories ADD COLUMN search tsvector NOT NULL GENERATED ALWAYS AS
          (to_tsvector('english', coalesce(search_text, context_text, text))) STORED;
        CREATE INDEX ix_fan_memories_search ON fan_memories USING gin (search);
        ALTER TABLE fan_memories ADD COLUMN doc_length integer NOT NULL GENERATED ALWAYS AS
          (fanpilot_tsvector_length(to_tsvector('english', coalesce(search_text, context_text, text)))) STORED;

        CREATE TABLE fan_memory_stats (
          fan_id uuid PRIMARY KEY REFERENCES fan_profiles (id) ON DELETE CASCADE,
          creator_id uuid NOT NULL REFERENCES creator_profiles (id) ON DELETE CASCADE,
          doc_count integer NOT NULL DEFAULT 0,
          total_length bigint NOT NULL DEFAULT 0,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX ix_fan_memory_stats_creator_id ON fan_memory_stats (creator_id);
        """
    )
    op.execute("ALTER TABLE fan_memory_stats ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE fan_memory_stats FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON fan_memory_stats USING ({VISIBLE}) WITH CHECK ({VISIBLE})")
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON fan_memory_stats TO "{role}"')
    op.execute(
        """
        -- One signed delta per fan, applied in fan order (two statements never lock in opposite orders).
        CREATE FUNCTION fanpilot_apply_memory_stats(deltas jsonb) RETURNS void
        LANGUAGE sql AS $$
          INSERT INTO fan_memory_stats AS s (fan_id, creator_id, doc_count, total_length)
          SELECT (d->>'fan_id')::uuid, (d->>'creator_id')::uuid, (d->>'docs')::integer, (d->>'len')::bigint
            FROM jsonb_array_elements(deltas) d
           ORDER BY 1
          ON CONFLICT (fan_id) DO UPDATE
            SET doc_count = s.doc_count + excluded.doc_count,
                total_length = s.total_length + excluded.total_length,
                updated_at = now()
        $$;

        CREATE FUNCTION fanpilot_memory_stats_trigger() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
          deltas jsonb;
        BEGIN
          -- Only active rows with words count (BM25's N and avgdl over what recall can find).
          IF TG_OP = 'INSERT' THEN
            SELECT jsonb_agg(jsonb_build_object('fan_id', fan_id, 'creator_id', creator_id,
                                                'docs', docs, 'len', len))
              INTO deltas
              FROM (SELECT fan_id, min(creator_id::text) AS creator_id, count(*) AS docs,
                           sum(doc_length) AS len
                      FROM new_rows WHERE invalid_at IS NULL AND doc_length > 0 GROUP BY fan_id) t;
          ELSIF TG_OP = 'DELETE' THEN
            SELECT jsonb_agg(jsonb_build_object('fan_id', fan_id, 'creator_id', creator_id,
                                                'docs', -docs, 'len', -len))
              INTO deltas
              FROM (SELECT fan_id, min(creator_id::text) AS creator_id, count(*) AS docs,
                           sum(doc_length) AS len
                      FROM old_rows WHERE invalid_at IS NULL AND doc_length > 0 GROUP BY fan_id) t;
          ELSE
            SELECT jsonb_agg(jsonb_build_object('fan_id', fan_id, 'creator_id', creator_id,
                                                'docs', docs, 'len', len))
              INTO deltas
              FROM (SELECT fan_id, min(creator_id) AS creator_id, sum(docs) AS docs, sum(len) AS len
                      FROM (SELECT fan_id, creator_id::text AS creator_id, 1 AS docs, doc_length AS len
                              FROM new_rows WHERE invalid_at IS NULL AND doc_length > 0
                            UNION ALL
                            SELECT fan_id, creator_id::text, -1, -doc_length
                              FROM old_rows WHERE invalid_at IS NULL AND doc_length > 0) u
                     GROUP BY fan_id
                    HAVING sum(docs) <> 0 OR sum(len) <> 0) t;
          END IF;
          IF deltas IS NOT NULL THEN
            PERFORM fanpilot_apply_memory_stats(deltas);
          END IF;
          RETURN NULL;
        END $$;

        CREATE TRIGGER memory_stats_insert AFTER INSERT ON fan_memories
          REFERENCING NEW TABLE AS new_rows
          FOR EACH STATEMENT EXECUTE FUNCTION fanpilot_memory_stats_trigger();
        CREATE TRIGGER memory_stats_update AFTER UPDATE ON fan_memories
          REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
          FOR EACH STATEMENT EXECUTE FUNCTION fanpilot_memory_stats_trigger();
        CREATE TRIGGER memory_stats_delete AFTER DELETE ON fan_memories
          REFERENCING OLD TABLE AS old_rows
          FOR EACH STATEMENT EXECUTE FUNCTION fanpilot_memory_stats_trigger();

        INSERT INTO fan_memory_stats (fan_id, creator_id, doc_count, total_length)
        SELECT fan_id, min(creator_id::text)::uuid, count(*), sum(doc_length)
          FROM fan_memories WHERE invalid_at IS NULL AND doc_length > 0 GROUP BY fan_id;

        DROP INDEX ix_fan_memories_embedding_hnsw;
        CREATE INDEX ix_fan_memories_embedding_hnsw ON fan_memories
          USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 64);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX ix_fan_memories_embedding_hnsw;
        CREATE INDEX ix_fan_memories_embedding_hnsw ON fan_memories
          USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
        DROP TRIGGER memory_stats_insert ON fan_memories;
        DROP TRIGGER memory_stats_update ON fan_memories;
        DROP TRIGGER memory_stats_delete ON fan_memories;
        DROP FUNCTION fanpilot_memory_stats_trigger();
        DROP FUNCTION fanpilot_apply_memory_stats(jsonb);
        DROP TABLE fan_memory_stats;
        ALTER TABLE fan_memories DROP COLUMN doc_length;
        DROP FUNCTION fanpilot_tsvector_length(tsvector);
        DROP INDEX ix_fan_memories_search;
        ALTER TABLE fan_memories DROP COLUMN search;
        ALTER TABLE fan_memories DROP COLUMN search_text;
        ALTER TABLE fan_memories ADD COLUMN search tsvector NOT NULL GENERATED ALWAYS AS
          (to_tsvector('english', coalesce(context_text, text))) STORED;
        CREATE INDEX ix_fan_memories_search ON fan_memories USING gin (search);
        """
    )
