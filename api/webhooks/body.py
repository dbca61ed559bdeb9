"""Strict, bounded JSON for webhook bodies: checked before anything is parsed or stored.

Why each rule: a body nested a thousand deep makes Python's parser recurse until `RecursionError`;
`NaN` / `Infinity` (and numbers that overflow to infinity) are not JSON and Postgres' jsonb refuses
them; NUL characters cannot be stored in text or jsonb; lone surrogates cannot be encoded as UTF-8;
duplicate keys make what a reader sees depend on which parser reads it. Every one of these is a 422
for the sender, never a 500.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from core.errors import ValidationFailed

MAX_DEPTH = 32
# A JSON string (with escapes), so brackets inside strings do not count as nesting. An unterminated
# string runs to the end: no match can fail, so the scan stays linear however the quotes fall.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def nests_deeper_than(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in this (possibly invalid) JSON text nest deeper than `limit`,
    found without parsing it."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False
    return max(accumulate(_DEPTH_STEP[b] for b in brackets), default=0) > limit


def _refuse_constant(name: str) -> Any:
    raise ValidationFailed(f"body contains {name}, which is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValidationFailed("body contains a number too large to store")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValidationFailed("body repeats a key in one object")
    return document


def parse_object(body: bytes) -> tuple[dict[str, Any], str]:
    """The body as a JSON object and as the JSON text to store, or ValidationFailed (422)."""
    # Postgres (jsonb and text) cannot store NUL characters, raw or escaped.
    if b"\x00" in body or b"\\u0000" in body:
        raise ValidationFailed("body must not contain NUL characters")
    if nests_deeper_than(body):
        raise ValidationFailed(f"body nests deeper than {MAX_DEPTH} levels")
    try:
        document = json.loads(
            body, parse_constant=_refuse_constant, parse_float=_finite_float, object_pairs_hook=_unique_keys
        )
    except UnicodeDecodeError as exc:
        raise ValidationFailed("body must be UTF-8 JSON") from exc
    except RecursionError as exc:  # the depth check should make this unreachable; never a 500
        raise ValidationFailed(f"body nests deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:  # JSONDecodeError, and integers past Python's digit limit
        raise ValidationFailed("body is not valid JSON") from exc
    if not isinstance(document, dict):
        raise ValidationFailed("body must be a JSON object")
    document_json = json.dumps(document, ensure_ascii=False, allow_nan=False)
    try:
        document_json.encode()
    except UnicodeEncodeError as exc:
        raise ValidationFailed("body must be valid UTF-8 text (no lone surrogates)") from exc
    return document, document_json
