"""Creator logins, staff invitations, chat threads owned by the person who opened them.

- `staff_users.role` may be `creator`: a creator's own login, bound to exactly one creator profile
  by `staff_users.creator_id` (a CHECK makes the binding and the role go together; deleting the
  creator profile deletes its login).
- `staff_users.invite_token_hash` / `invite_expires_at`: an invitation waiting to be accepted (the
  invitee sets their own password); only the token's SHA-256 is stored.
- `chat_threads`: on top of the creator policy, a RESTRICTIVE policy limits each thread to the staff
  member who opened it (`fanpilot.staff_user_id`, set per transaction with the principal). A thread
  opened without a staff member (scripts, evals) is visible only to principals without one.
- Indexes for the numbers service (`crm/analytics`): money, subscription events and messages by
  creator and time, so a window is a range scan instead of a per-fan walk.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD_ROLES = ("owner", "admin", "manager", "chatter")
NEW_ROLES = (*OLD_ROLES, "creator")
THREAD_OWNER = (
    "fanpilot_is_system() OR staff_user_id IS NOT DISTINCT FROM "
    "nullif(current_setting('fanpilot.staff_user_id', true), '')::uuid"
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_staff_users_staffrole"), "staff_users", type_="check")
    op.create_check_constraint("staffrole", "staff_users", _in("role", NEW_ROLES))
    op.add_column("staff_users", sa.Column("creator_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_staff_users_creator_id_creator_profiles"),
        "staff_users",
        "creator_profiles",
        ["creator_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(op.f("ix_staff_users_creator_id"), "staff_users", ["creator_id"])
    op.create_check_constraint(
        "creator_binding", "staff_users", "(role = 'creator') = (creator_id IS NOT NULL)"
    )
    op.add_column("staff_users", sa.Column("invite_token_hash", sa.String(length=64), nullable=True))
    op.add_column("staff_users", sa.Column("invite_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_unique_constraint(
        op.f("uq_staff_users_invite_token_hash"), "staff_users", ["invite_token_hash"]
    )

    op.execute(
        f"CREATE POLICY owner_only ON chat_threads AS RESTRICTIVE USING ({THREAD_OWNER}) "
        f"WITH CHECK ({THREAD_OWNER})"
    )
    op.create_index(
        "ix_chat_threads_owner_recent",
        "chat_threads",
        ["creator_id", "staff_user_id", sa.text("last_message_at DESC NULLS LAST")],
    )

    op.create_index("ix_fan_transactions_creator_occurred", "fan_transactions", ["creator_id", "occurred_at"])
    op.create_index(
        "ix_fan_subscription_events_creator_occurred",
        "fan_subscription_events",
        ["creator_id", "occurred_at"],
    )
    op.create_index("ix_fan_messages_creator_sent", "fan_messages", ["creator_id", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_fan_messages_creator_sent", table_name="fan_messages")
    op.drop_index("ix_fan_subscription_events_creator_occurred", table_name="fan_subscription_events")
    op.drop_index("ix_fan_transactions_creator_occurred", table_name="fan_transactions")
    op.drop_index("ix_chat_threads_owner_recent", table_name="chat_threads")
    op.execute("DROP POLICY owner_only ON chat_threads")
    op.drop_constraint(op.f("uq_staff_users_invite_token_hash"), "staff_users", type_="unique")
    op.drop_column("staff_users", "invite_expires_at")
    op.drop_column("staff_users", "invite_token_hash")
    op.drop_constraint(op.f("ck_staff_users_creator_binding"), "staff_users", type_="check")
    # Creator logins cannot exist under the old role set; their sessions and tokens go with them.
    op.execute("DELETE FROM staff_users WHERE role = 'creator'")
    op.drop_index(op.f("ix_staff_users_creator_id"), table_name="staff_users")
    op.drop_constraint(op.f("fk_staff_users_creator_id_creator_profiles"), "staff_users", type_="foreignkey")
    op.drop_column("staff_users", "creator_id")
    op.drop_constraint(op.f("ck_staff_users_staffrole"), "staff_users", type_="check")
    op.create_check_constraint("staffrole", "staff_users", _in("role", OLD_ROLES))
