"""A rule as written by a person (API body, `rule.yaml`): trigger, conditions, action chain, limits.

    name: Win-back big spenders
    trigger: {type: schedule.after_expiry, days: 3}
    conditions: {field: lifetime_spend, op: gt, value: 50}      # the segment grammar, optional
    actions:
      - {type: draft_by_agent}
      - {type: tag, tag: win-back}
    priority: 100            # higher runs first among rules on the same trigger; ties: older first
    cooldown: 30d            # per fan: a fan who matched within this long does not match again
    enabled: true
    auto_approve:            # opt-in per action type, with limits; empty: a person decides
      send_ppv: {max_price: 20, per_fan_per_day: 1}

Durations are seconds or `30s`, `10m`, `2h`, `3d`. Everything is validated here, before anything is
stored; a bad rule is a 422 naming the field.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from crm.enums import SpendTier
from crm.segments.rules import parse_rule, rule_to_json

TriggerType = Literal[
    "subscriptions.new",
    "subscriptions.renewed",
    "subscriptions.expired",
    "tips.received",
    "messages.received",
    "messages.ppv.unlocked",
    "timer.no_creator_reply",
    "schedule.before_renewal",
    "schedule.after_expiry",
]
TRIGGERS: tuple[str, ...] = get_args(TriggerType)
EVENT_TRIGGERS = tuple(t for t in TRIGGERS if not t.startswith(("timer.", "schedule.")))
TIMER_TRIGGERS = tuple(t for t in TRIGGERS if t.startswith("timer."))
SCHEDULE_TRIGGERS = tuple(t for t in TRIGGERS if t.startswith("schedule."))
MONEY_TRIGGERS = ("tips.received", "messages.ppv.unlocked")
# The fan-facing actions a rule's steps produce (each waits at the gate), and so may auto-approve.
AUTO_APPROVABLE = ("send_message", "send_ppv")
MAX_STEPS = 20
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_IDENT = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def parse_duration(value: Any) -> int:
    """Seconds from `90`, `"90s"`, `"10m"`, `"2h"` or `"3d"`."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or e.g. '30s', '10m', '2h', '3d'")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and (m := _DURATION.match(value.lower())):
        seconds = int(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError(f"{value!r} is not a duration (use seconds or e.g. '30s', '10m', '2h', '3d')")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds > 366 * 86400:
        raise ValueError("a duration is at most a year")
    return seconds


def format_duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[int, BeforeValidator(parse_duration)]
Money = Annotated[Decimal, Field(ge=0, le=10000, decimal_places=2)]
Name = Annotated[str, Field(min_length=1, max_length=120)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("text must not contain NUL characters")
        return value


class TriggerSpec(_Spec):
    """When the rule is evaluated for a fan."""

    type: TriggerType = Field(description="An event type, timer.no_creator_reply, or schedule.*")
    keywords: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=50, description="messages.received: any of these words."
    )
    intents: list[str] = Field(
        default_factory=list, max_length=20, description="messages.received: any of these intents."
    )
    min_amount: Money | None = Field(default=None, description="tips / PPV unlocks of at least this.")
    delay: Duration = Field(default=0, description="Event triggers: evaluate this long after the event.")
    minutes: int | None = Field(default=None, ge=1, le=10080, description="timer.no_creator_reply.")
    days: int | None = Field(default=None, ge=0, le=365, description="schedule.*: days before / after.")

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        return sorted({k.strip().lower() for k in value if k.strip()})

    @field_validator("intents")
    @classmethod
    def _intents(cls, value: list[str]) -> list[str]:
        for intent in value:
            if not _IDENT.match(intent):
                raise ValueError(f"{intent!r} is not an intent name")
        return sorted(set(value))

    @model_validator(mode="after")
    def _fits_type(self) -> TriggerSpec:
        kind = self.type
        if (self.keywords or self.intents) and kind != "messages.received":
            raise ValueError("keywords and intents apply to messages.received only")
        if self.min_amount is not None and kind not in MONEY_TRIGGERS:
            raise ValueError("min_amount applies to tips.received and messages.ppv.unlocked only")
        if self.delay and kind not in EVENT_TRIGGERS:
            raise ValueError("delay applies to event triggers only")
        if kind in TIMER_TRIGGERS:
            if self.minutes is None:
                raise ValueError(f"{kind} needs minutes (how long without a reply)")
        elif self.minutes is not None:
            raise ValueError("minutes applies to timer.no_creator_reply only")
        if kind in SCHEDULE_TRIGGERS:
            if self.days is None:
                raise ValueError(f"{kind} needs days")
            if kind == "schedule.before_renewal" and not 1 <= self.days <= 30:
                raise ValueError("schedule.before_renewal: days must be 1 to 30")
        elif self.days is not None:
            raise ValueError("days applies to schedule triggers only")
        return self

    def config(self) -> dict[str, Any]:
        """What is stored beside the trigger type (`automation_rules.trigger_config`)."""
        return self.model_dump(mode="json", exclude={"type"}, exclude_defaults=True)


class PriceRule(_Spec):
    """How a PPV step prices its offer; the result is clamped into the creator's PPV bounds."""

    fixed: Money | None = None
    by_tier: dict[SpendTier, Money] | None = Field(
        default=None, description="A price per spend tier; tiers not listed use `default`."
    )
    default: Money | None = None
    from_template: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> PriceRule:
        ways = [self.fixed is not None, self.by_tier is not None, self.from_template]
        if sum(ways) != 1:
            raise ValueError("a price rule is one of fixed, by_tier (with default) or from_template")
        if self.by_tier is not None and self.default is None and len(self.by_tier) < len(SpendTier):
            raise ValueError("by_tier needs a default for the tiers it does not list")
        return self

    def pick(self, tier: SpendTier, template_price: Decimal | None) -> Decimal | None:
        if self.fixed is not None:
            return self.fixed
        if self.by_tier is not None:
            return self.by_tier.get(tier, self.default)
        return template_price


class _Template(_Spec):
    template: Name = Field(description="The template's name.")
    template_id: uuid.UUID | None = Field(default=None, description="Filled in when the rule is saved.")


class SendMessageStep(_Template):
    """Queue a message from a template for approval."""

    type: Literal["send_message"]


class SendPpvStep(_Template):
    """Queue a PPV offer from a template, priced by the price rule, for approval."""

    type: Literal["send_ppv"]
    price: PriceRule
    media_ids: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(
        default_factory=list, max_length=50
    )


class DraftByAgentStep(_Spec):
    """Ask the agent for a draft that fits the moment (it reads the run's kind and facts)."""

    type: Literal["draft_by_agent"]
    kind: Literal["reply", "welcome", "winback", "thank_you"] | None = Field(
        default=None, description="Default: from the trigger (welcome, winback, thank_you, reply)."
    )


class TagStep(_Spec):
    type: Literal["tag", "untag"]
    tag: Annotated[str, Field(min_length=1, max_length=80)]


class AddToSegmentStep(_Spec):
    """Pin the fan into a segment (kept by refreshes although its rules may not select the fan)."""

    type: Literal["add_to_segment"]
    segment: Name
    segment_id: uuid.UUID | None = None


class WaitStep(_Spec):
    type: Literal["wait"]
    duration: Duration = Field(description="How long before the next step, e.g. '2h' or '3d'.")

    @field_validator("duration")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("a wait is at least one second")
        return value


class StopIfFanRepliedStep(_Spec):
    """Exit: the chain stops when the fan wrote after the event that started it."""

    type: Literal["stop_if_fan_replied"]


class StopIfStep(_Spec):
    """Exit: the chain stops when the fan matches these conditions now (e.g. resubscribed)."""

    type: Literal["stop_if"]
    conditions: dict[str, Any]

    @field_validator("conditions")
    @classmethod
    def _valid(cls, value: dict[str, Any]) -> dict[str, Any]:
        return rule_to_json(parse_rule(value, "stop_if.conditions"))


Step = Annotated[
    Union[  # noqa: UP007
        SendMessageStep,
        SendPpvStep,
        DraftByAgentStep,
        TagStep,
        AddToSegmentStep,
        WaitStep,
        StopIfFanRepliedStep,
        StopIfStep,
    ],
    Field(discriminator="type"),
]
FAN_FACING_STEPS = ("send_message", "send_ppv", "draft_by_agent")


class AutoApprovalLimit(_Spec):
    """What a rule may send without a person deciding. Flagged items always wait."""

    max_price: Money | None = Field(default=None, description="send_ppv: the highest price approved.")
    per_fan_per_day: int = Field(
        default=1, ge=1, le=10, description="At most this many auto-approvals per fan in 24 hours."
    )


class RuleSpec(_Spec):
    """A rule as a person writes it."""

    name: Name
    description: str = Field(default="", max_length=2000)
    trigger: TriggerSpec
    conditions: dict[str, Any] | None = Field(
        default=None, description="Fan conditions in the segment grammar; none: every fan."
    )
    actions: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
    priority: int = Field(default=100, ge=0, le=1000)
    cooldown: Duration = Field(default=0, description="Per fan: no second match within this long.")
    enabled: bool = True
    auto_approve: dict[Literal["send_message", "send_ppv"], AutoApprovalLimit] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a rule needs a name")
        return value.strip()

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if not value:
            return None
        return rule_to_json(parse_rule(value, "conditions"))

    @model_validator(mode="after")
    def _chain(self) -> RuleSpec:
        if self.actions[-1].type == "wait":
            raise ValueError("actions: a wait needs a step after it")
        produced = {s.type for s in self.actions}
        for action_type, limit in self.auto_approve.items():
            if action_type not in produced:
                raise ValueError(
                    f"auto_approve: {action_type} is approved automatically but no step sends it"
                )
            if action_type == "send_ppv" and limit.max_price is None:
                raise ValueError("auto_approve: send_ppv needs a max_price")
        return self


def spec_of(
    *,
    name: str,
    description: str,
    trigger: str,
    trigger_config: dict[str, Any],
    conditions: dict[str, Any] | None,
    actions: list[dict[str, Any]],
    priority: int,
    cooldown_seconds: int,
    is_enabled: bool,
    auto_approval: dict[str, Any],
) -> RuleSpec:
    """The spec a stored rule was saved from (for show, export and updates)."""
    return RuleSpec.model_validate(
        {
            "name": name,
            "description": description,
            "trigger": {"type": trigger, **trigger_config},
            "conditions": conditions or None,
            "actions": actions,
            "priority": priority,
            "cooldown": cooldown_seconds,
            "enabled": is_enabled,
            "auto_approve": auto_approval,
        }
    )


class RulePatch(_Spec):
    """Only what is set changes; the merged rule is validated as a whole."""

    name: Name | None = None
    description: str | None = Field(default=None, max_length=2000)
    trigger: TriggerSpec | None = None
    conditions: dict[str, Any] | None = None
    actions: list[Step] | None = Field(default=None, min_length=1, max_length=MAX_STEPS)
    priority: int | None = Field(default=None, ge=0, le=1000)
    cooldown: Duration | None = None
    enabled: bool | None = None
    auto_approve: dict[Literal["send_message", "send_ppv"], AutoApprovalLimit] | None = None


class RunRead(BaseModel):
    """One evaluation of a rule for a fan: matched or not, and why."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    rule_id: uuid.UUID | None
    fan_id: uuid.UUID | None
    fan_name: str | None = None
    trigger: str | None
    event_key: str | None
    matched: bool
    outcome: str
    details: dict[str, Any]
    created_at: datetime
    steps: list[dict[str, Any]] = Field(default_factory=list, description="The steps this run executed.")


_TRIGGER_TEXT = {
    "subscriptions.new": "When a fan subscribes",
    "subscriptions.renewed": "When a subscription renews",
    "subscriptions.expired": "When a subscription expires",
    "tips.received": "When a fan tips",
    "messages.received": "When a fan writes",
    "messages.ppv.unlocked": "When a fan unlocks a PPV",
}


def describe_trigger(trigger: TriggerSpec) -> str:
    """The trigger in words, for the rules page and the CLI."""
    kind = trigger.type
    if kind == "timer.no_creator_reply":
        text = f"When the creator has not replied {trigger.minutes} min after a fan's message"
    elif kind == "schedule.before_renewal":
        text = f"{trigger.days} day{'s' if trigger.days != 1 else ''} before a subscription renews"
    elif kind == "schedule.after_expiry":
        text = f"{trigger.days} day{'s' if trigger.days != 1 else ''} after a subscription expired"
    else:
        text = _TRIGGER_TEXT[kind]
    if trigger.keywords or trigger.intents:
        parts = [*(f"“{k}”" for k in trigger.keywords), *(f"intent {i}" for i in trigger.intents)]
        text += " mentioning " + " or ".join(parts)
    if trigger.min_amount is not None:
        text += f", ${trigger.min_amount:.2f} or more"
    if trigger.delay:
        text += f", {format_duration(trigger.delay)} later"
    return text


def describe_step(step: Step) -> str:
    if isinstance(step, SendMessageStep):
        return f"message from “{step.template}”"
    if isinstance(step, SendPpvStep):
        return f"PPV offer from “{step.template}”"
    if isinstance(step, DraftByAgentStep):
        return f"agent draft ({step.kind})" if step.kind else "agent draft"
    if isinstance(step, TagStep):
        return f"{step.type} #{step.tag}"
    if isinstance(step, AddToSegmentStep):
        return f"add to segment “{step.segment}”"
    if isinstance(step, WaitStep):
        return f"wait {format_duration(step.duration)}"
    if isinstance(step, StopIfFanRepliedStep):
        return "stop if the fan replied"
    return "stop if the fan matches"
