"""Reading a date of birth the way people type it.

"31/03/1980", "3/31/80", "1980-03-31", "March 31 1980", "31 Mar 1980" are all fine. A purely
numeric date whose day and month could swap ("03/04/1980") is ambiguous: the caller gets both
readings and asks which one is meant, instead of guessing the US or the European order.
Relative words ("yesterday") are not a date of birth: a year must be written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

import dateparser

from clinic.config import date_order

FORMAT_HINT = "Please write your date of birth with the month in letters, e.g. 31 March 1980."
NUMERIC = re.compile(r"^\s*(\d{1,2})\s*[./\-\s]\s*(\d{1,2})\s*[./\-\s]\s*(\d{2}|\d{4})\s*$")
ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
HAS_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)|'\d{2}\b")


@dataclass(frozen=True)
class DobAnswer:
    value: date | None = None
    choices: tuple[date, ...] = ()  # two readings of an ambiguous numeric date
    problem: str | None = None


def _full_year(year: int, today: date) -> int:
    if year >= 100:
        return year
    return 2000 + year if 2000 + year <= today.year else 1900 + year


def _check(value: date, today: date) -> DobAnswer:
    if value > today:
        return DobAnswer(problem="That date is in the future. " + FORMAT_HINT)
    if value.year < today.year - 120:
        return DobAnswer(problem="That date is too long ago. " + FORMAT_HINT)
    return DobAnswer(value=value)


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date_of_birth(text: str, today: date) -> DobAnswer:
    text = (text or "").strip()
    if not text or len(text) > 60:
        return DobAnswer(problem=FORMAT_HINT)
    if match := ISO.match(text):
        value = _make(*(int(part) for part in match.groups()))
        return _check(value, today) if value else DobAnswer(problem=FORMAT_HINT)
    if match := NUMERIC.match(text):
        first, second = int(match[1]), int(match[2])
        year = _full_year(int(match[3]), today)
        readings = {d for d in (_make(year, first, second), _make(year, second, first)) if d}
        checked = [a for a in (_check(d, today) for d in sorted(readings)) if a.value]
        if len(checked) == 2:
            return DobAnswer(choices=tuple(a.value for a in checked if a.value))
        if len(checked) == 1:
            return checked[0]
        return DobAnswer(problem=FORMAT_HINT)
    if not HAS_YEAR.search(text):
        return DobAnswer(problem=FORMAT_HINT)
    parsed = dateparser.parse(
        text,
        languages=["en", "es", "fr", "de"],
        settings={
            "PREFER_DATES_FROM": "past",
            "REQUIRE_PARTS": ["day", "month", "year"],
            "DATE_ORDER": date_order(),
            "STRICT_PARSING": True,
            "RELATIVE_BASE": datetime.combine(today, time(12)),
        },
    )
    # Relative words ("tomorrow 2020") resolve against today: the written year must be the year.
    if parsed is None or not re.search(rf"{parsed.year}|'{parsed.year % 100:02d}", text):
        return DobAnswer(problem=FORMAT_HINT)
    return _check(parsed.date(), today)


def spoken(value: date) -> str:
    """An unambiguous way to show a date: "4 March 1980"."""
    return f"{value.day} {value:%B %Y}"
