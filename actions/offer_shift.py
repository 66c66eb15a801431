"""'Anything later?', 'something earlier?', 'the week after': a new time to search, relative to
the times just offered, when the person names no day or time of their own.

    shifted_time(tracker) -> dict | None
        a `time` slot value {"from", "to", "label"} (actions/when.py `wanted` reads it; the
        label is how the search describes it: "after Tue, Mar 9 at 1:00 PM"), or None when the
        message asks for no such shift.

Used by the booking and reschedule forms while times are on offer or one is being confirmed;
`moved_from(tracker, start)` reads the same words relative to the appointment being moved
("later the same day", "same time next week").
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from rasa_sdk import Tracker

from actions.common import latest_text, parse_iso, pick_ordinal, time_entities
from actions.when import wanted
from clinic import clock, text

# "anything later?", "any other times?", "more options": the times after the ones shown
_LATER_RE = re.compile(
    r"\b(later|after (that|those|these|them)|(more|other) (times|options|slots|openings))\b", re.I
)
_EARLIER_RE = re.compile(r"\b(earlier|sooner|before (that|those|these|them))\b", re.I)
# "I'll call back later", "let me think about it and decide later": not a request for times
_NOT_A_REQUEST_RE = re.compile(
    r"\b(call|ring|phone|decide|think|check|come back|get back|talk|text|message|write|do it|"
    r"book it|sort it)\b(\s+\S+){0,4}\s+later\b",
    re.I,
)
_SAME_DAY_RE = re.compile(
    r"\b(in the day|that day|same day|on the day|that (morning|afternoon|evening))\b", re.I
)
_SAME_WEEK_RE = re.compile(r"\b(in|that|the same) (the |that )?week\b", re.I)
_WEEK_AFTER_RE = re.compile(r"\b(week after|following week|a week later|week later)\b", re.I)
_SAME_TIME_RE = re.compile(r"\bsame time (next|the following|a) week\b|\ba week later\b", re.I)
_DAY_AFTER_RE = re.compile(r"\b(day after|following day|next day|a day later|day later)\b", re.I)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.clinic_tz())


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _span(start: datetime, end: datetime, label: str | None = None) -> dict[str, str]:
    value = {"from": start.isoformat(), "to": end.isoformat()}
    return {**value, "label": label} if label else value


def offered_starts(tracker: Tracker) -> list[datetime]:
    found = (parse_iso(o.get("start")) for o in tracker.get_slot("offered_slots") or [])
    return sorted(moment for moment in found if moment is not None)


def shifted_time(tracker: Tracker) -> dict[str, Any] | None:
    """The window the person asks for relative to the offered times, if they ask for one."""
    message = latest_text(tracker)
    starts = offered_starts(tracker)
    if not starts or time_entities(tracker) or pick_ordinal(message, len(starts)) is not None:
        return None  # a day or time of their own, or a pick ("the second one"): not a shift
    return shifted_from(message, starts, tracker.get_slot("time"))


def moved_from(
    tracker: Tracker, start: datetime, days_named_it: bool = False
) -> dict[str, Any] | str | None:
    """ "Later the same day", "same time next week", "the day after", "an hour later": a new
    time for an appointment relative to when it is now (`start`), asked when moving it. With
    `days_named_it`, the message's day or time named the appointment ("move my Wednesday
    appointment an hour later"), not the new time."""
    message = latest_text(tracker)
    exact = _exact_move(message, start)
    if exact is not None:
        return exact
    if time_entities(tracker) and not days_named_it:
        return None  # a day or time of their own
    return shifted_from(message, [start], None)


def moved_by_words(message: str, start: datetime) -> dict[str, Any] | str | None:
    """The new time `message` asks for relative to an appointment at `start`, if it asks for
    one: a moment ("same time next week", "an hour later") or a window ("later that day")."""
    exact = _exact_move(message, start)
    return exact if exact is not None else shifted_from(message, [start], None)


def exact_move_said(message: str) -> bool:
    """Does the message ask for a moment relative to the appointment ("same time next week",
    "an hour later")? Then it wins over the day the NLU read in it ("next week")."""
    return bool(_SAME_TIME_RE.search(message)) or moved_by(message) is not None


def _exact_move(message: str, start: datetime) -> str | None:
    """ "Same time next week", "an hour later", "push it back 30 minutes": that very moment."""
    if _SAME_TIME_RE.search(message):
        return (text.local(start) + timedelta(days=7)).isoformat()
    by = moved_by(message)
    return (text.local(start) + by).isoformat() if by is not None else None


_AMOUNT = r"(?P<n>an?|one|two|three|\d+(?:\.\d+)?)"
_UNIT = r"(?P<unit>hours?|hrs?|h|minutes?|mins?)"
_MOVED_BY_RES = (
    re.compile(rf"\b{_AMOUNT}\s*{_UNIT}\s+(?P<way>later|earlier|sooner)\b", re.I),
    re.compile(
        rf"\b(?P<way>(?:push(?:ed)?|put)(?:\s+\S+){{0,7}}?\s+back|"
        rf"(?:bring|brought)(?:\s+\S+){{0,7}}?\s+forward|"
        rf"move(?:d)?(?:\s+\S+){{0,7}}?\s+(?:up|back))\s+(?:by\s+)?{_AMOUNT}\s*{_UNIT}\b",
        re.I,
    ),
)
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
_HOUR_AND_A_HALF_RE = re.compile(r"\b(an?|one)\s+hour\s+and\s+a\s+half\b|\b1\.5\s*hours?\b", re.I)
_HALF_HOUR_RE = re.compile(r"\bhalf\s+an?\s+hour\b", re.I)


_LENGTH_RE = re.compile(rf"\b{_AMOUNT}\s*{_UNIT}\b", re.I)


def _in_words(message: str) -> str:
    return _HALF_HOUR_RE.sub("30 minutes", _HOUR_AND_A_HALF_RE.sub("90 minutes", message))


def _minutes(found: re.Match) -> float:
    amount = found["n"].lower()
    count = float(_NUMBER_WORDS.get(amount) or amount)
    return count * (1 if found["unit"].lower().startswith("m") else 60)


def length_said(message: str) -> float | None:
    """ "45 min", "half an hour", "an hour": the first length of time said, in minutes."""
    found = _LENGTH_RE.search(_in_words(message or ""))
    return _minutes(found) if found else None


def moved_by(message: str) -> timedelta | None:
    """ "An hour later" → +1 h, "30 minutes earlier" → −30 min, "push it back 2 hours"."""
    message = _in_words(message)
    for regex in _MOVED_BY_RES:
        found = regex.search(message)
        if found is None:
            continue
        minutes = _minutes(found)
        way = found["way"].lower()
        later = way == "later" or "back" in way
        return timedelta(minutes=minutes if later else -minutes)
    return None


def shifted_from(message: str, starts: list[datetime], asked: Any) -> dict[str, Any] | None:
    """The window `message` asks for relative to `starts` (sorted), if it asks for one."""
    first, last = text.local(starts[0]), text.local(starts[-1])
    if _WEEK_AFTER_RE.search(message):
        monday = _monday(first.date()) + timedelta(days=7)
        return _span(_midnight(monday), _midnight(monday + timedelta(days=7)))
    if _DAY_AFTER_RE.search(message):
        day = last.date() + timedelta(days=1)
        return _span(_midnight(day), _midnight(day + timedelta(days=1)))
    if _EARLIER_RE.search(message):
        start = clock.now()
        if _SAME_DAY_RE.search(message):
            start = max(start, _midnight(first.date()))
        return _span(start, starts[0], f"before {text.when(starts[0])}")
    if _LATER_RE.search(message) and not _NOT_A_REQUEST_RE.search(message):
        end = _midnight(last.date() + timedelta(days=1))  # "later in the day"
        if _SAME_WEEK_RE.search(message):
            end = _midnight(_monday(last.date()) + timedelta(days=7))
        elif not _SAME_DAY_RE.search(message):
            # "anything later?": on through what was asked for ("next week"), at least that day
            window = wanted(asked)
            end = max(end, window.end) if window is not None else end
        return _span(starts[-1] + timedelta(minutes=1), end, f"after {text.when(starts[-1])}")
    return None
