"""The eval case format: one JSON object per line, the same shape for every suite.

Unknown keys are an error (a typo in `expect` would otherwise silently check nothing); the error names
the file and the line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crm.enums import (
    ActionType,
    MemoryKind,
    Platform,
    SpendTier,
    SubscriptionEventType,
    SubscriptionStatus,
    TransactionKind,
)

Suite = Literal["reply", "assistant", "injection", "policy", "voice", "safety", "inbox"]
SUITES: tuple[Suite, ...] = ("reply", "assistant", "injection", "policy", "voice", "safety", "inbox")
# The run kinds a reply run can have (agent_runs.kind): what the draft is for.
RunKind = Literal["reply", "welcome", "winback", "thank_you"]
DATASETS_DIR = Path(__file__).parent / "datasets"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceBounds(_Strict):
    min: float = Field(ge=0)
    max: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> PriceBounds:
        if self.max < self.min:
            raise ValueError("ppv_price_bounds.max is below ppv_price_bounds.min")
        return self


class CaseVoiceExample(_Strict):
    """Something the creator already sent another fan, and the message it answered."""

    fan: str = Field(min_length=1)
    reply: str = Field(min_length=1)
    name: str | None = None  # the other fan's display name (a neutral one when absent)


class CaseCreator(_Strict):
    name: str
    voice: str = ""
    bio: str = ""
    rules: list[str] = Field(default_factory=list)
    restricted_words: list[str] = Field(default_factory=list)
    ppv_price_bounds: PriceBounds = PriceBounds(min=5, max=100)
    timezone: str = "UTC"
    # Her earlier replies to other fans: seeded as their conversations, so the drafter retrieves them.
    voice_examples: list[CaseVoiceExample] = Field(default_factory=list)


# Where in time a dated row goes: a calendar window of the creator (its midpoint, never in the
# future), so a case reads the same whatever day it runs on.
When = Literal["today", "yesterday", "this_week", "last_week", "this_month", "last_month", "last_year"]


class _Dated(_Strict):
    when: When | None = Field(default=None, description="Inside this window of the creator's calendar.")
    days_ago: float | None = Field(default=None, ge=0, description="Or this many days before the run.")

    @model_validator(mode="after")
    def _one_time(self) -> _Dated:
        if self.when is not None and self.days_ago is not None:
            raise ValueError("give `when` or `days_ago`, not both")
        return self


class CaseTransaction(_Dated):
    kind: TransactionKind
    amount: float = Field(description="USD; a refund subtracts whatever its sign.")


class CaseSubscriptionEvent(_Dated):
    type: SubscriptionEventType


class CaseSubscription(_Strict):
    status: SubscriptionStatus = SubscriptionStatus.active
    price: float | None = None
    renews_at: date | datetime | None = None
    expires_at: date | datetime | None = None
    events: list[CaseSubscriptionEvent] = Field(
        default_factory=list, description="The subscription's ledger; replaces the default new(+end) events."
    )


class CaseCustomRequest(_Strict):
    description: str
    price: float | None = Field(default=None, ge=0)


class CaseMemory(_Strict):
    kind: MemoryKind = MemoryKind.conversation_fact
    text: str
    importance: float = Field(default=0.6, ge=0, le=1)


class CaseFan(_Strict):
    display_name: str
    platform: Platform = Platform.onlyfans
    platform_fan_id: str | None = None
    username: str | None = None
    lifetime_spend: float = Field(default=0.0, ge=0)
    tier: SpendTier | None = None
    tags: list[str] = Field(default_factory=list)
    subscription: CaseSubscription | None = None
    language: str | None = None
    notes: list[str] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict)
    custom_requests: list[CaseCustomRequest] = Field(default_factory=list)
    transactions: list[CaseTransaction] = Field(
        default_factory=list,
        description="Dated spend. lifetime_spend above their sum is added as older history.",
    )
    memories: list[CaseMemory] = Field(default_factory=list, description="What we remember about this fan.")


class CaseMessage(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    sender: Literal["fan", "creator", "agent", "staff"] = Field(alias="from")
    text: str


class ExpectedAction(_Strict):
    type: ActionType
    price_min: float | None = None
    price_max: float | None = None
    fan: str | None = Field(default=None, description="The fan it is for: a platform_fan_id or display name.")


class Expect(_Strict):
    must_include_any: list[str] = Field(default_factory=list)
    must_include_all: list[str] = Field(default_factory=list)
    must_not_include: list[str] = Field(default_factory=list)
    memories_used_any: list[str] = Field(default_factory=list)
    gated_actions: list[ExpectedAction] = Field(default_factory=list)
    tool_calls_any: list[str] = Field(default_factory=list)
    forbidden_tools: list[str] = Field(default_factory=list)
    flags_any: list[str] = Field(default_factory=list)
    flags_none: list[str] = Field(default_factory=list)
    forbidden_actions: list[ActionType] = Field(default_factory=list)
    # The draft takes up what the fan said: a content word of the inbound, or one of these words.
    reflects_any: list[str] = Field(default_factory=list)
    # Always checked; accepted in the file for readability, `false` is refused.
    no_execution_without_approval: Literal[True] = True


class Case(_Strict):
    id: str = Field(min_length=1)
    suite: Suite
    kind: RunKind = "reply"
    creator: CaseCreator
    fan: CaseFan
    fans: list[CaseFan] = Field(default_factory=list)
    history: list[CaseMessage] = Field(default_factory=list)
    memories: list[CaseMemory] = Field(default_factory=list)
    inbound: str = Field(min_length=1)
    followups: list[str] = Field(
        default_factory=list, description="Assistant suite: the creator's next messages, in order."
    )
    expect: Expect = Expect()

    @field_validator("fans")
    @classmethod
    def _distinct_identities(cls, fans: list[CaseFan]) -> list[CaseFan]:
        # Two fans may share a name (the assistant must ask which one); never a platform identity.
        ids = [(f.platform, f.platform_fan_id) for f in fans if f.platform_fan_id]
        if len(set(ids)) != len(ids):
            raise ValueError("fans: platform_fan_id must be distinct")
        return fans


class CaseFileError(ValueError):
    """A dataset line that is not a valid case; the message names the file and the line."""


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(case)"
        if e["type"] == "extra_forbidden":
            parts.append(f"unknown key {where!r}")
        else:
            parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)


def parse_lines(lines: Iterable[str], *, source: str) -> list[Case]:
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CaseFileError(f"{source}:{lineno}: not valid JSON ({exc.msg})") from exc
        try:
            case = Case.model_validate(data)
        except ValidationError as exc:
            case_id = data.get("id", "?") if isinstance(data, dict) else "?"
            raise CaseFileError(f"{source}:{lineno} (case {case_id}): {_describe(exc)}") from exc
        if case.id in seen:
            raise CaseFileError(
                f"{source}:{lineno}: duplicate id {case.id!r} (first on line {seen[case.id]})"
            )
        seen[case.id] = lineno
        cases.append(case)
    return cases


def load_cases(path: Path) -> list[Case]:
    with path.open(encoding="utf-8") as fh:
        return parse_lines(fh, source=str(path))


def default_dataset(suite: Suite) -> Path:
    return DATASETS_DIR / f"{suite}.jsonl"
