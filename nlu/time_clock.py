"""Clock times and parts of the day: "3pm", "at 3" (am or pm decided by context), "2-4",
"morning". Minutes are counted from midnight; ends are exclusive."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.time_vocabulary import (
    HOUR_WORD_RE,
    HOUR_WORDS,
    MERIDIEM_RE,
    MINUTE_WORD_RE,
    MINUTE_WORDS,
    PARTS_OF_DAY,
)

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class ClockTime:
    hour: int
    minute: int = 0
    meridiem_known: bool = True  # False for "at 3": 3:00 or 15:00 is decided later


_CORE_TIME_RE = re.compile(
    rf"(?:(?P<h>1\d|2[0-3]|0?\d)(?:[:.](?P<m>[0-5]\d))?|(?P<hw>{HOUR_WORD_RE})"
    rf"(?:\s+(?P<mw>{MINUTE_WORD_RE}))?|(?P<noon>noon|midday))(?:\s*{MERIDIEM_RE})?",
    re.IGNORECASE,
)


_PM_PARTS = {"afternoon", "evening", "night", "after work", "after school", "end of the day"}


_AM_PARTS = {"morning", "first thing"}


def clock_time(hour: int, minute: int, meridiem: str | None) -> ClockTime | None:
    if minute > 59:
        return None
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.lower() == "p" else 0)
        return ClockTime(hour, minute)
    if hour > 23:
        return None
    # 0:30 and 13:00-23:59 are unambiguous; "at 3" is decided by context later
    return ClockTime(hour, minute, meridiem_known=hour == 0 or hour >= 13)


def parse_core_time(text: str) -> ClockTime | None:
    found = _CORE_TIME_RE.fullmatch(text.strip())
    if not found:
        return None
    if found["noon"]:
        return ClockTime(12, 0)
    if found["hw"]:
        hour = HOUR_WORDS[found["hw"].lower()]
        minute = MINUTE_WORDS[re.sub(r"\s+", " ", found["mw"].lower())] if found["mw"] else 0
    else:
        hour, minute = int(found["h"]), int(found["m"] or 0)
    return clock_time(hour, minute, found["ap"])


def _hour24(clock: ClockTime, part: str | None) -> int:
    """The hour of a clock time whose am/pm was not said: the part of the day decides, else
    clinic sense (1-6 is afternoon, 7-11 is morning)."""
    if clock.meridiem_known:
        return clock.hour
    if part in _PM_PARTS and clock.hour < 12:
        return clock.hour + 12
    if part in _AM_PARTS:
        return clock.hour
    return clock.hour + 12 if 1 <= clock.hour <= 6 else clock.hour


def minutes_of(clock: ClockTime, part: str | None) -> int:
    return _hour24(clock, part) * 60 + clock.minute


def range_minutes(
    first: ClockTime | None, last: ClockTime | None, part: str | None
) -> tuple[int, int] | None:
    """Start and end minutes of a clock range; an open end runs to the start/end of the day."""
    if first is None and last is not None:
        return 0, minutes_of(last, part)
    if last is None and first is not None:
        return minutes_of(first, part), MINUTES_PER_DAY
    assert first is not None and last is not None
    if last.meridiem_known and not first.meridiem_known:
        end = last.hour * 60 + last.minute
        am = first.hour % 12 * 60 + first.minute
        earlier = [m for m in (am, am + 720) if m < end]
        start = max(earlier) if earlier else am
    else:
        start = minutes_of(first, part)
        if last.meridiem_known:
            end = last.hour * 60 + last.minute
        else:
            am = last.hour % 12 * 60 + last.minute
            later = [m for m in (am, am + 720) if m > start]
            end = min(later) if later else am
    if not start < end <= start + 12 * 60:
        return None
    return start, end


def part_bounds(part: str, modifier: str | None) -> tuple[int, int]:
    start, end = (h * 60 for h in PARTS_OF_DAY[part])
    middle = (start + end) // 2
    if modifier == "early":
        return start, middle
    if modifier in ("late", "later"):
        return middle, end
    if modifier in ("mid", "mid-"):
        quarter = (end - start) // 4
        return start + quarter, end - quarter
    return start, end
