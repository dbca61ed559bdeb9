"""Segment rules: a small JSON grammar, validated with pydantic and compiled to SQLAlchemy.

    rule := {"all": [rule, ...]} | {"any": [rule, ...]} | {"not": rule}
          | {"field": FIELD, "op": OP, "value": VALUE}

Every leaf compiles to a two-valued boolean (missing data is "false", never NULL), so `not` means
exactly "the fans the inner rule does not select". The SQL is built from expressions and bound
parameters only; no rule text ever becomes SQL text.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Union

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from core.errors import ValidationFailed
from crm.enums import Platform, SpendTier, SubscriptionStatus
from crm.fans.models import FanPlatformAccount, FanProfile, FanScore, FanSubscription, FanTagValue
from crm.fans.spend import TIER_ORDER, tier_rank

__all__ = [
    "FIELDS",
    "AllRule",
    "AnyRule",
    "LeafRule",
    "NotRule",
    "Rule",
    "compile_rule",
    "parse_rule",
]

NUMERIC_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "between")
SET_OPS = ("eq", "ne", "in", "not_in")
FIELDS: dict[str, tuple[str, ...]] = {
    "lifetime_spend": NUMERIC_OPS,
    "spend_tier": (*SET_OPS, "gt", "gte", "lt", "lte"),
    "tag": ("has", "has_not"),
    "score:<kind>": NUMERIC_OPS,
    "subscription_status": SET_OPS,
    "days_since_last_active": NUMERIC_OPS,
    "days_since_last_purchase": NUMERIC_OPS,
    "days_until_expiry": NUMERIC_OPS,
    "platform": SET_OPS,
    "language": SET_OPS,
}
SCORE_FIELD = re.compile(r"^score:([a-z0-9_]{1,40})$")
MAX_DEPTH = 8


class LeafRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    op: str
    value: Any = None

    @property
    def field_kind(self) -> str:
        return "score:<kind>" if self.field.startswith("score:") else self.field

    @model_validator(mode="after")
    def _check(self) -> LeafRule:
        field = self.field
        if field.startswith("score:"):
            if not SCORE_FIELD.match(field):
                raise ValueError(
                    f"segment field {field!r} is not a valid score field (use score:<kind>, e.g. score:churn_risk)"
                )
        elif field not in FIELDS:
            raise ValueError(f"unknown segment field {field!r} (known fields: {', '.join(FIELDS)})")
        ops = FIELDS[self.field_kind]
        if self.op not in ops:
            raise ValueError(
                f"operator {self.op!r} is not valid for field {field!r} (use one of: {', '.join(ops)})"
            )
        object.__setattr__(self, "value", _check_value(field, self.field_kind, self.op, self.value))
        return self


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"field {field!r} needs a number, got {value!r}")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"field {field!r} needs a number, got {value!r}") from None


def _choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"field {field!r}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _check_value(field: str, kind: str, op: str, value: Any) -> Any:
    if op == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValueError(f"field {field!r}: 'between' needs [low, high]")
        low, high = _number(field, value[0]), _number(field, value[1])
        if low > high:
            raise ValueError(f"field {field!r}: 'between' needs low <= high")
        return (low, high)
    if kind == "tag":
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"field 'tag' needs a tag name, got {value!r}")
        return "-".join(value.strip().lower().split())
    if kind == "language":
        codes = value if op in ("in", "not_in") else [value]
        if not isinstance(codes, list | tuple) or not codes:
            raise ValueError(f"field 'language': {op!r} needs a non-empty list")
        for code in codes:
            if not isinstance(code, str) or not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", code.lower()):
                raise ValueError(
                    f"field 'language' needs a language code such as 'en' or 'pt-br', got {code!r}"
                )
        clean = tuple(c.lower() for c in codes)
        return clean if op in ("in", "not_in") else clean[0]
    allowed: tuple[str, ...] | None = {
        "spend_tier": tuple(t.value for t in TIER_ORDER),
        "subscription_status": tuple(s.value for s in SubscriptionStatus),
        "platform": tuple(p.value for p in Platform),
    }.get(kind)
    if allowed is not None:
        if op in ("in", "not_in"):
            if not isinstance(value, list | tuple) or not value:
                raise ValueError(f"field {field!r}: {op!r} needs a non-empty list")
            return tuple(_choice(field, v, allowed) for v in value)
        return _choice(field, value, allowed)
    return _number(field, value)


class AllRule(BaseModel):
    all: list[Rule]


class AnyRule(BaseModel):
    any: list[Rule]


class NotRule(BaseModel):
    not_: Rule


Rule = Union[AllRule, AnyRule, NotRule, LeafRule]  # noqa: UP007
for _model in (AllRule, AnyRule, NotRule):
    _model.model_rebuild()


def _leaf_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    msg = str(first.get("msg", "invalid rule"))
    loc = ".".join(str(x) for x in first.get("loc", ()))
    msg = msg.removeprefix("Value error, ")
    if first.get("type") == "extra_forbidden":
        return f"unknown key {loc!r} in a segment rule leaf (a leaf has field, op, value)"
    if first.get("type") == "missing":
        return f"a segment rule leaf needs {loc!r}"
    return msg


def parse_rule(data: Any, path: str = "rules", depth: int = 0) -> Rule:
    """Validate a JSON rule set; raises ValidationFailed naming the bad field, operator or key."""
    if depth > MAX_DEPTH:
        raise ValidationFailed(f"{path}: rules nest at most {MAX_DEPTH} levels deep")
    if not isinstance(data, dict):
        raise ValidationFailed(f"{path}: a rule must be an object, got {type(data).__name__}")
    if "field" in data or "op" in data:
        try:
            return LeafRule.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed(f"{path}: {_leaf_error(exc)}") from None
    if len(data) != 1:
        raise ValidationFailed(
            f"{path}: a rule is one of all/any/not or a leaf with field/op/value, got keys {sorted(data)}"
        )
    ((key, inner),) = data.items()
    if key in ("all", "any"):
        if not isinstance(inner, list):
            raise ValidationFailed(f"{path}.{key}: needs a list of rules")
        children = [parse_rule(c, f"{path}.{key}[{i}]", depth + 1) for i, c in enumerate(inner)]
        return AllRule(all=children) if key == "all" else AnyRule(any=children)
    if key == "not":
        return NotRule(not_=parse_rule(inner, f"{path}.not", depth + 1))
    raise ValidationFailed(f"{path}: unknown rule key {key!r} (use all, any, not, or field/op/value)")


def rule_to_json(rule: Rule) -> dict[str, Any]:
    if isinstance(rule, AllRule):
        return {"all": [rule_to_json(r) for r in rule.all]}
    if isinstance(rule, AnyRule):
        return {"any": [rule_to_json(r) for r in rule.any]}
    if isinstance(rule, NotRule):
        return {"not": rule_to_json(rule.not_)}
    value = list(rule.value) if isinstance(rule.value, tuple) else rule.value
    return {"field": rule.field, "op": rule.op, "value": value}


def _compare(expr: ColumnElement[Any] | QueryableAttribute[Any], op: str, value: Any) -> ColumnElement[bool]:
    match op:
        case "eq":
            return expr == value
        case "ne":
            return expr != value
        case "gt":
            return expr > value
        case "gte":
            return expr >= value
        case "lt":
            return expr < value
        case "lte":
            return expr <= value
        case "between":
            return expr.between(value[0], value[1])
        case "in":
            return expr.in_(value)
        case "not_in":
            return expr.not_in(value)
    raise ValidationFailed(f"unknown operator {op!r}")


def _days_since(column: ColumnElement[Any] | QueryableAttribute[Any], now: datetime) -> ColumnElement[Any]:
    return sa.extract("epoch", sa.literal(now, sa.DateTime(timezone=True)) - column) / 86400.0


def _false_if_null(expr: ColumnElement[bool]) -> ColumnElement[bool]:
    return sa.func.coalesce(expr, sa.false())


def _compile_leaf(leaf: LeafRule, now: datetime) -> ColumnElement[bool]:
    fan = FanProfile
    kind, op, value = leaf.field_kind, leaf.op, leaf.value
    if kind == "lifetime_spend":
        return _false_if_null(_compare(fan.lifetime_spend, op, value))
    if kind == "spend_tier":
        if op in ("gt", "gte", "lt", "lte"):
            rank = tier_rank(value)
            picked = [
                t
                for i, t in enumerate(TIER_ORDER)
                if {"gt": i > rank, "gte": i >= rank, "lt": i < rank, "lte": i <= rank}[op]
            ]
            return fan.spend_tier.in_(picked) if picked else sa.false()
        tiers = tuple(SpendTier(v) for v in value) if isinstance(value, tuple) else SpendTier(value)
        return _false_if_null(_compare(fan.spend_tier, op, tiers))
    if kind == "tag":
        has = sa.exists().where(FanTagValue.fan_id == fan.id, FanTagValue.tag == value)
        return has if op == "has" else ~has
    if kind == "score:<kind>":
        score_kind = leaf.field.split(":", 1)[1]
        return sa.exists().where(
            FanScore.fan_id == fan.id, FanScore.kind == score_kind, _compare(FanScore.value, op, value)
        )
    if kind == "days_since_last_active":
        # A fan never active counts from when we first saw them.
        active = sa.func.coalesce(fan.last_active_at, fan.first_seen_at)
        return _false_if_null(_compare(_days_since(active, now), op, value))
    if kind == "days_since_last_purchase":
        return _false_if_null(_compare(_days_since(fan.last_purchase_at, now), op, value))
    if kind == "days_until_expiry":
        until = -_days_since(FanSubscription.expires_at, now)
        return sa.exists().where(
            FanSubscription.fan_id == fan.id,
            FanSubscription.expires_at.is_not(None),
            _compare(until, op, value),
        )
    if kind == "language":
        # A fan whose language is unknown matches neither `eq` nor `ne`: missing data is "false".
        return _false_if_null(_compare(sa.func.lower(fan.language), op, value))
    if kind in ("subscription_status", "platform"):
        # "Any of the fan's accounts"; ne / not_in mean "none of them".
        positive = {"ne": "eq", "not_in": "in"}.get(op, op)
        if kind == "subscription_status":
            vals = (
                tuple(SubscriptionStatus(v) for v in value)
                if isinstance(value, tuple)
                else SubscriptionStatus(value)
            )
            hit = sa.exists().where(
                FanSubscription.fan_id == fan.id, _compare(FanSubscription.status, positive, vals)
            )
        else:
            pvals = tuple(Platform(v) for v in value) if isinstance(value, tuple) else Platform(value)
            hit = sa.exists().where(
                FanPlatformAccount.fan_id == fan.id, _compare(FanPlatformAccount.platform, positive, pvals)
            )
        return hit if positive == op else ~hit
    raise ValidationFailed(f"unknown segment field {leaf.field!r}")


def compile_rule(rule: Rule, *, now: datetime) -> ColumnElement[bool]:
    """A boolean SQL expression over `fan_profiles` selecting the fans the rule describes."""
    if isinstance(rule, AllRule):
        return sa.and_(sa.true(), *(compile_rule(r, now=now) for r in rule.all))
    if isinstance(rule, AnyRule):
        return sa.or_(sa.false(), *(compile_rule(r, now=now) for r in rule.any))
    if isinstance(rule, NotRule):
        return sa.not_(compile_rule(rule.not_, now=now))
    return _compile_leaf(rule, now)
