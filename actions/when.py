"""What a `time` slot value asks for, as a search window in the clinic's zone.

The NLU `time` entity (nlu/time_extractor.py) is an ISO 8601 moment ("2027-03-02T15:00:00-05:00"),
a day ("2027-03-02"), or a range {"from": ..., "to": ...}; buttons may also send "earliest".
A moment means "exactly then, if free"; the others mean "show me free times in there".
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from clinic import clock, text
from clinic.config import date_order
from nlu.time_parsing import find_times, to_interval

EARLIEST = "earliest"
EARLIEST_SPAN = timedelta(days=120)
SOONEST = "as soon as possible"  # how an "earliest" window is said
# A weekday name as said ("tue", "Tues.", "thursday"), for patterns that ask for one alone.
WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?"


@dataclass(frozen=True)
class Wanted:
    start: datetime
    end: datetime
    exact: datetime | None = None  # a single moment ("friday at 9")
    hours: tuple[time, time] | None = None  # a daily window said with a run of days
    label: str | None = None  # how to say it, when not by its days ("after Tue, Mar 9 at 1:00 PM")
    not_days: frozenset[int] = frozenset()  # weekdays (0 = Monday) refused: "not mondays"

    @property
    def is_exact(self) -> bool:
        return self.exact is not None

    def describe(self) -> str:
        said = self._describe()
        if self.not_days:
            names = " or ".join(f"{calendar.day_name[d]}s" for d in sorted(self.not_days))
            said += f", not on {names}"
        return said

    def _describe(self) -> str:
        if self.label:
            return self.label
        if self.exact is not None:
            return text.when(self.exact)
        last = self.end - timedelta(microseconds=1)
        if self.hours is not None:  # "mornings next week"
            span = f"between {text.day(self.start)} and {text.day(last)}"
            if self.start.date() == last.date():
                span = f"on {text.day(self.start)}"
            first, until = (
                datetime.combine(self.start.date(), h, tzinfo=self.start.tzinfo) for h in self.hours
            )
            return f"{span}, {text.clock_time(first)} to {text.clock_time(until)}"
        if self.start.date() == last.date():
            part = ""
            if self.start.time() != time(0) and self.end.time() == time(0):
                part = f" after {text.clock_time(self.start)}"  # "after 3pm": to midnight
            elif self.start.time() == time(0) and self.end.time() != time(0):
                part = f" before {text.clock_time(self.end)}"
            elif self.start.time() != time(0) or self.end.time() != time(0):
                part = f" between {text.clock_time(self.start)} and {text.clock_time(self.end)}"
            return f"on {text.day(self.start)}{part}"
        return f"between {text.day(self.start)} and {text.day(last)}"

    def allows(self, moment: datetime) -> bool:
        local = text.local(moment)
        if local.weekday() in self.not_days:
            return False
        if self.hours is None:
            return True
        return self.hours[0] <= local.time() < self.hours[1]


# "not mondays", "any day but monday", "except friday", "no tuesdays please"
_NOT_DAYS_RE = re.compile(
    rf"\b(?:not|no|never|except|but|apart\s+from|other\s+than|can'?t\s+do|cannot\s+do)\s+"
    rf"(?:on\s+)?(?:a\s+)?(?P<days>{WEEKDAY}s?(?:\s*(?:,|or|and|/)\s*{WEEKDAY}s?)*)",
    re.IGNORECASE,
)
_DAY_NUMBERS = {name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}


def refused_weekdays(said: str) -> list[int]:
    """The weekdays a message rules out ("any day but monday", "not mondays or fridays")."""
    days: set[int] = set()
    for found in _NOT_DAYS_RE.finditer(said or ""):
        for word in re.findall(WEEKDAY, found["days"], re.IGNORECASE):
            days.add(_DAY_NUMBERS[word[:3].lower()])
    return sorted(days)


def without_weekdays(value: Any, days: list[int]) -> Any:
    """A window value (a run of days, or "earliest") that leaves out those weekdays; a single
    day or moment as it is."""
    if not days:
        return value
    if isinstance(value, str) and value.strip().lower() == EARLIEST:
        now = clock.now().astimezone(clock.clinic_tz())
        value = {"from": now.isoformat(), "to": (now + EARLIEST_SPAN).isoformat(), "label": SOONEST}
    if not isinstance(value, Mapping):
        return value
    return {**value, "not_days": days}


def _hours(raw: Any) -> tuple[time, time] | None:
    try:
        start, end = raw
        return time.fromisoformat(start), time.fromisoformat(end)
    except (TypeError, ValueError):
        return None


def wanted(value: Any, hours: Any = None) -> Wanted | None:
    """The window a `time` value asks for; None when the value is not a time at all."""
    tz = clock.clinic_tz()
    if isinstance(value, str) and value.strip().lower() == EARLIEST:
        now = clock.now().astimezone(tz)
        return Wanted(now, now + EARLIEST_SPAN, label=SOONEST)
    if not isinstance(value, str | Mapping):
        return None
    if isinstance(value, Mapping) and not {"from", "to"} <= set(value):
        return None
    try:
        start, end = to_interval(value, tz)
    except (TypeError, ValueError, KeyError):
        return None
    if start == end:
        return Wanted(start, start + timedelta(minutes=1), exact=start)
    if end < start:
        start, end = end, start
    label = value.get("label") if isinstance(value, Mapping) else None
    if hours is None and isinstance(value, Mapping):
        hours = value.get("hours")  # "mornings next week", kept with the slot (with_hours)
    not_days = value.get("not_days") if isinstance(value, Mapping) else None
    return Wanted(
        start,
        end,
        hours=_hours(hours),
        label=str(label) if label else None,
        not_days=frozenset(d for d in not_days or [] if isinstance(d, int) and 0 <= d <= 6),
    )


def hours_of_part(value: Any) -> list[str] | None:
    """The clock hours of a part of one day ({"from": 08:00, "to": 12:00} gives ["08:00",
    "12:00"], the shape of a run of days' "hours"); None for a moment, a day or days."""
    found = wanted(value) if isinstance(value, dict) else None
    if found is None or found.end - found.start >= timedelta(days=1):
        return None
    start, end = text.local(found.start), text.local(found.end)
    return [f"{start:%H:%M}", "24:00" if end.date() > start.date() else f"{end:%H:%M}"]


def day_of(value: Any) -> date | None:
    """The (first) local day a `time` value names: "on Tuesday", "tomorrow at 3"."""
    found = wanted(value)
    if found is None or (isinstance(value, str) and value == EARLIEST):
        return None
    return text.local(found.start).date()


def days_of(value: Any) -> tuple[date, date] | None:
    """First and last local day a `time` value covers."""
    found = wanted(value)
    if found is None or (isinstance(value, str) and value == EARLIEST):
        return None
    last = found.end if found.is_exact else found.end - timedelta(microseconds=1)
    return text.local(found.start).date(), text.local(last).date()


def on_day(value: Any, day: date) -> Any:
    """A moment or a range of clock times moved to `day`, same local clock times ("9:30" said
    while times on Monday the 15th are on offer means the 15th at 9:30). Anything else as is."""
    zone = clock.clinic_tz()

    def moved(iso: str) -> str:
        try:
            moment = datetime.fromisoformat(iso)
        except ValueError:
            return iso
        if moment.tzinfo is None:  # a plain day: nothing to move
            return iso
        local = moment.astimezone(zone)
        return datetime.combine(day, local.time(), tzinfo=zone).isoformat()

    if isinstance(value, str) and "T" in value:
        return moved(value)
    if isinstance(value, Mapping) and all("T" in str(value.get(end)) for end in ("from", "to")):
        # both ends by the same number of days: "after 3pm" runs to midnight, the next day
        try:
            start = datetime.fromisoformat(str(value["from"])).astimezone(zone)
            end = datetime.fromisoformat(str(value["to"])).astimezone(zone)
        except (KeyError, ValueError):
            return value
        days = timedelta(days=(day - start.date()).days)
        return {**value, "from": shifted(start, days), "to": shifted(end, days)}
    return value


def shifted(moment: datetime, days: timedelta) -> str:
    """The same local clock time `days` later (across a daylight-saving change too)."""
    zone = moment.tzinfo
    local = datetime.combine(moment.date() + days, moment.time(), tzinfo=zone)
    return local.isoformat()


_BARE_CLOCK_RE = re.compile(r"[\d\s:.]+(?:\s*(?:-|–|to|till|until)\s*[\d\s:.]+)?", re.I)


def bare_clock(message: str) -> Any | None:
    """A bare clock answer to "what time?" ("2 to 3", "2-3", "10:30"): on its own the NLU reads
    "2-3" as a count, not a time, but as the answer to that question it is one. The value is
    for today or tomorrow, like any time said without a day."""
    plain = (message or "").strip().rstrip(".!")
    if not plain or not _BARE_CLOCK_RE.fullmatch(plain):
        return None
    now = clock.now().astimezone(clock.clinic_tz())
    for lead in ("from ", "at "):
        found = find_times(lead + plain, now, date_order())
        if len(found) == 1 and found[0].start == 0 and found[0].end == len(lead + plain):
            return found[0].value
    return None


def past_values(message: str) -> list[Any]:
    """The time phrases of a message about the past ("my bill from February 17", "did
    insurance pay for the December visit"), re-read so that a date without a year, a month
    or a bare weekday is the last one rather than the next (the NLU entity prefers the future,
    for booking)."""
    found = find_times(message or "", clock.now().astimezone(clock.clinic_tz()), date_order(),
                       prefer_past=True)  # fmt: skip
    return [match.value for match in found]


def day_phrase(value: Any) -> str:
    """ "on Tuesday, March 2", "between Monday, March 8 and Sunday, March 14": the days a
    `time` value covers, for "You have no appointment ..."."""
    span = days_of(value)
    if span is None:
        return "then"
    first, last = span
    if first == last:
        return f"on {text.day(first)}"
    return f"between {text.day(first)} and {text.day(last)}"
