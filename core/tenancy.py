"""Who is acting: the principal every database session is opened for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class StaffRole(StrEnum):
    owner = "owner"
    admin = "admin"
    manager = "manager"
    chatter = "chatter"
    # A creator's own login: bound to exactly one creator profile (staff_users.creator_id).
    creator = "creator"


class ActorKind(StrEnum):
    staff = "staff"
    api_token = "api_token"
    system = "system"


@dataclass(frozen=True)
class Principal:
    """The creators an actor may see. Postgres RLS reads them from a transaction-local setting."""

    creator_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    agency_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    actor_kind: ActorKind = ActorKind.system
    role: StaffRole | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # The signed-in person (for an API token: the staff member it acts as). What owns chat threads.
    staff_user_id: uuid.UUID | None = None
    # Workers and sweepers that must see every creator (expiry, webhook sweeps). Never a request.
    system: bool = False

    @classmethod
    def for_creators(cls, *creator_ids: uuid.UUID, agency_id: uuid.UUID | None = None) -> Principal:
        return cls(creator_ids=frozenset(creator_ids), agency_id=agency_id)

    def can_see(self, creator_id: uuid.UUID) -> bool:
        return self.system or creator_id in self.creator_ids

    @property
    def audit_actor(self) -> str:
        return f"{self.actor_kind}:{self.actor_id}" if self.actor_id else str(self.actor_kind)


NOBODY = Principal()
SYSTEM = Principal(system=True)
