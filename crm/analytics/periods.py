"""Time windows in the creator's own calendar: "this month" starts at midnight where the creator is.

A `Window` is a half-open interval [start, end) of aware datetimes plus the timezone its calendar
words were read in; `buckets` cuts it into days, weeks (ISO, Monday first) or months for a chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ValidationFailed

BucketUnit = Literal["day", "week", "month"]
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class Period(StrEnum):
    today = "today"
    yesterday = "yesterday"
    this_week = "this_week"
    last_week = "last_week"
    this_month = "this_month"
    last_month = "last_month"
    last_7_days = "last_7_days"
    last_30_days = "last_30_days"
    last_90_days = "last_90_days"
    this_year = "this_year"
    last_year = "last_year"
    all_time = "all_time"
    custom = "custom"  # start / end dates given


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    tz: str
    period: Period
    label: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def as_dict(self) -> dict[str, str]:
        return {
            "period": str(self.period),
            "label": self.label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "timezone": self.tz,
        }


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"unknown timezone {tz!r}") from exc


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _span(start: date, end_exclusive: date) -> str:
    last = end_exclusive - timedelta(days=1)
    if start == last:
        return f"{start:%b} {start.day}, {start.year}"
    if start.year == last.year:
        return f"{start:%b} {start.day} – {last:%b} {last.day}, {last.year}"
    return f"{start:%b} {start.day}, {start.year} – {last:%b} {last.day}, {last.year}"


def resolve_window(
    period: Period | str,
    *,
    tz: str = "UTC",
    now: datetime | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Window:
    """The window a period names, in `tz`. Periods that include today end now; `custom` takes `start`
    and `end` as dates (both inclusive)."""
    period = Period(period)
    zone_info = zone(tz)
    now = (now or datetime.now(UTC)).astimezone(zone_info)
    today = now.date()
    tomorrow = today + timedelta(days=1)
    words = str(period).replace("_", " ")

    def days(first: date, after_last: date) -> Window:
        return Window(
            _midnight(first, zone_info),
            min(_midnight(after_last, zone_info), now)
            if after_last > today
            else _midnight(after_last, zone_info),
            tz,
            period,
            f"{words} ({_span(first, min(after_last, tomorrow))})",
        )

    if period is Period.today:
        return days(today, tomorrow)
    if period is Period.yesterday:
        return days(today - timedelta(days=1), today)
    if period is Period.this_week:
        return days(today - timedelta(days=today.weekday()), tomorrow)
    if period is Period.last_week:
        monday = today - timedelta(days=today.weekday())
        return days(monday - timedelta(days=7), monday)
    if period is Period.this_month:
        return days(_month_start(today), tomorrow)
    if period is Period.last_month:
        first = _month_start(today)
        return days(_add_months(first, -1), first)
    if period in (Period.last_7_days, Period.last_30_days, Period.last_90_days):
        n = {Period.last_7_days: 7, Period.last_30_days: 30, Period.last_90_days: 90}[period]
        return days(tomorrow - timedelta(days=n), tomorrow)
    if period is Period.this_year:
        return days(date(today.year, 1, 1), tomorrow)
    if period is Period.last_year:
        return days(date(today.year - 1, 1, 1), date(today.year, 1, 1))
    if period is Period.all_time:
        return Window(EPOCH, now, tz, period, "all time")
    if start is None or end is None:
        raise ValidationFailed("a custom period needs a start and an end date")
    if end < start:
        raise ValidationFailed("the end date is before the start date")
    if start > today:
        raise ValidationFailed("the period starts in the future")
    return days(start, end + timedelta(days=1))


def auto_unit(window: Window) -> BucketUnit:
    """A chart's natural step for the window: days up to ~6 weeks, weeks up to ~6 months, else months."""
    length = window.end - window.start
    if length <= timedelta(days=45):
        return "day"
    if length <= timedelta(days=190):
        return "week"
    return "month"


def bucket_starts(window: Window, unit: BucketUnit) -> list[date]:
    """Every bucket's first local day in the window, oldest first (empty buckets included)."""
    zone_info = window.zone
    first = window.start.astimezone(zone_info).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(zone_info).date()
    if unit == "week":
        first -= timedelta(days=first.weekday())
    elif unit == "month":
        first = _month_start(first)
    out: list[date] = []
    cursor = first
    while cursor <= last:
        out.append(cursor)
        if unit == "day":
            cursor += timedelta(days=1)
        elif unit == "week":
            cursor += timedelta(days=7)
        else:
            cursor = _add_months(cursor, 1)
    return out
