"""The fan CRM service: the fans domain's one way in, for every caller outside `crm/fans/`.

Callers write `from crm.fans import service as fan_service`; the logic lives by topic beside this file
(`profiles`, `dossier`, `messages`, `money`, `annotations`, `custom_requests`; subscriptions in
`subscriptions`), and every query in `repository`. Every function takes the session and the acting
principal first; row-level security limits what the principal sees, so a fan of another creator is
simply not found. Functions flush, never commit.
"""

from __future__ import annotations

from crm.fans.annotations import add_note, add_tag, list_notes, remove_tag, set_score
from crm.fans.common import OPEN_REQUEST_STATUSES
from crm.fans.custom_requests import create_custom_request, update_custom_request_price
from crm.fans.dossier import ReplyProfile, get_dossier, get_reply_profile
from crm.fans.messages import log_message, mark_ppv_unlocked, recent_messages
from crm.fans.money import list_transactions, recompute_spend_rollups, record_transaction, sync_platform_spend
from crm.fans.profiles import (
    get_fan,
    get_fan_by_platform_id,
    get_platform_account,
    list_fans,
    search_fans_by_name,
    upsert_fan_from_platform,
)

__all__ = [
    "OPEN_REQUEST_STATUSES",
    "ReplyProfile",
    "add_note",
    "add_tag",
    "create_custom_request",
    "get_dossier",
    "get_fan",
    "get_fan_by_platform_id",
    "get_platform_account",
    "get_reply_profile",
    "list_fans",
    "list_notes",
    "list_transactions",
    "log_message",
    "mark_ppv_unlocked",
    "recent_messages",
    "recompute_spend_rollups",
    "record_transaction",
    "remove_tag",
    "search_fans_by_name",
    "set_score",
    "sync_platform_spend",
    "update_custom_request_price",
    "upsert_fan_from_platform",
]
