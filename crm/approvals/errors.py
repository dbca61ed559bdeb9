"""Decision errors: every surface (inbox API, chat, CLI) maps them through AppError."""

from __future__ import annotations

from core.errors import Conflict, ValidationFailed


class ApprovalAlreadyDecided(Conflict):
    """A decision arrived for an item that is no longer pending (first decision wins)."""

    def __init__(self, item_id: object, status: str) -> None:
        super().__init__(f"item {item_id} was already decided: {status}")
        self.status = status


class ApprovalExpired(ApprovalAlreadyDecided):
    """The item's TTL passed: it fails closed and can no longer be approved."""

    def __init__(self, item_id: object) -> None:
        super().__init__(item_id, "expired")


class EditChangesAction(ValidationFailed):
    """An edit may change arguments, never the action type or its target."""


class BlockedByGuardrails(ValidationFailed):
    """The item (or the edited arguments) carries a blocking guardrail flag."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__("blocked by guardrails: " + ", ".join(codes))
        self.codes = codes
