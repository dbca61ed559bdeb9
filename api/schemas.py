"""Shared request field types. Postgres text cannot hold NUL characters, so they are refused at the edge
(422) instead of failing in the database."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _no_nul_list(values: list[str]) -> list[str]:
    for value in values:
        _no_nul(value)
    return values


Text = Annotated[str, AfterValidator(_no_nul)]
TextList = Annotated[list[str], AfterValidator(_no_nul_list)]
