"""Relative times pinned to the day a turn was sent (written before the resolver)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memory.timeline import resolve_relative_times

SENT = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I went to a support group yesterday", ["yesterday = 7 May 2023"]),
        ("Last night was fun", ["last night = 7 May 2023"]),
        ("Tomorrow I fly out", ["tomorrow = 9 May 2023"]),
        ("We went camping last week", ["last week = the week of 1 May 2023"]),
        ("Next month I start a new job", ["next month = June 2023"]),
        ("I moved here 4 years ago", ["4 years ago = 2019"]),
        ("two weeks ago I adopted a cat", ["two weeks ago = the week of 24 April 2023"]),
        ("a few days ago, and last year too", ["a few days ago = 5 May 2023", "last year = 2022"]),
        ("Three months later it was done", ["three months later = August 2023"]),
    ],
)
def test_phrases_resolve_against_the_send_date(text: str, expected: list[str]) -> None:
    assert resolve_relative_times(text, SENT) == expected


def test_month_arithmetic_crosses_the_year() -> None:
    assert resolve_relative_times("last month", datetime(2023, 1, 15, tzinfo=UTC)) == [
        "last month = December 2022"
    ]
    assert resolve_relative_times("next month", datetime(2023, 12, 2, tzinfo=UTC)) == [
        "next month = January 2024"
    ]


@pytest.mark.parametrize("text", ["", "I like weeks at the beach", "a few days", "yesterdays news", "in May"])
def test_no_relative_time_no_annotation(text: str) -> None:
    assert resolve_relative_times(text, SENT) == []


def test_nothing_without_a_send_time() -> None:
    assert resolve_relative_times("yesterday", None) == []


def test_the_same_phrase_twice_is_one_annotation() -> None:
    assert resolve_relative_times("yesterday, yes, yesterday", SENT) == ["yesterday = 7 May 2023"]
