"""Find date/time phrases in a message and resolve them to the `time` values of the spec.

    find_times("can I come tomorrow at 3pm?", now)  ->  [TimeMatch(text="tomorrow at 3pm",
                                                        value="2027-03-02T15:00:00-05:00", ...)]

Values (ISO 8601, in the zone of `now`):
  a moment      "2027-03-02T15:00:00-05:00"   "tomorrow at 3pm", "at 9", "in an hour"
  a day         "2027-03-02"                   "tuesday", "march 2", "3/2"
  a range       {"from": ..., "to": ...}       two datetimes, `to` exclusive, for a part of a day
                                               ("tomorrow morning" 08:00-12:00) or clock range
                                               ("between 2 and 4 on friday"); two dates, `to`
                                               inclusive, for a run of days ("next week" Mon-Sun,
                                               "this weekend", "in march")

Relative phrases resolve against `now` and prefer the future ("friday" is the coming Friday,
"at 9" the next 9:00, "march 3" the next March 3); a written year stays as written, so a date of
birth "march 3 1950" stays in 1950. "next friday" is the Friday of next week, as in Duckling.

How: a phrase can only start at a date/time word listed in nlu/time_vocabulary.py, found by the
patterns in nlu/time_pieces.py (so "do", "may I", "the sun" or a phone number never become dates);
neighbouring pieces joined by little words ("tomorrow" + "at" + "3pm") make one phrase; numeric
dates and relative offsets are read by dateparser (month/day order configurable).

Depends only on the standard library and dateparser: it runs in both Python environments
(Rasa loads it through nlu/time_extractor.py; the app side may use `to_interval`).
"""

from __future__ import annotations

import calendar
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nlu.time_clock import minutes_of, part_bounds, range_minutes
from nlu.time_pieces import Context, Piece, at_minutes, find_pieces
from nlu.time_vocabulary import MONTHS

DEFAULT_TIMEZONE = "America/New_York"
DATE_ORDERS = ("MDY", "DMY")


@dataclass(frozen=True)
class TimeMatch:
    """One time phrase: where it is in the text and what it means."""

    start: int
    end: int
    text: str
    value: str | dict[str, str]
    grain: str  # "moment", "day" or "range"
    # daily window ("HH:MM", "HH:MM") said with a run of days: "next week in the afternoon"
    hours: tuple[str, str] | None = None
    # False for a clock time or part of the day said without a day ("9:30", "in the
    # afternoon"): resolved to today or tomorrow, but meant for whatever day is being discussed
    dated: bool = True


_GAP_RE = re.compile(
    r"(?:[\s,@]|[-–]|\b(?:at|on|in|the|any|around|about|abt|approx|approximately|for|of|sometime|"
    r"some\s+time|say|maybe|preferably|ideally|anytime|any\s+time|from)\b)*",
    re.IGNORECASE,
)


def _merge(left: Piece, right: Piece) -> Piece | None:
    """One phrase from two neighbours ("tomorrow" + "at 3pm"), or None if they do not fit."""
    if left.no_such_day or right.no_such_day:  # "at 2pm on the 31st of February": neither
        return replace(left, end=right.end, no_such_day=True)
    if left.moment or right.moment:
        return None
    if left.days or right.days:
        return _merge_window(left, right)
    day, explicit, weekday_only = left.day, left.explicit_day, left.weekday_only
    if right.day is not None:
        if day is not None:
            # "friday, march 5": the written date wins; two plain days stay two phrases
            if not (left.explicit_day ^ right.explicit_day):
                return None
            if right.explicit_day:
                day, explicit, weekday_only = right.day, True, False
        else:
            day, explicit, weekday_only = right.day, right.explicit_day, right.weekday_only
    if (left.clock or left.clock_range) and (right.clock or right.clock_range):
        return None
    part, part_bounds = left.part or right.part, left.part_bounds or right.part_bounds
    if left.part and right.part:
        narrow, wide = sorted((left, right), key=lambda p: p.part_bounds[1] - p.part_bounds[0])
        if not (
            wide.part_bounds[0]
            <= narrow.part_bounds[0]
            < narrow.part_bounds[1]
            <= wide.part_bounds[1]
        ):
            return None
        part, part_bounds = narrow.part, narrow.part_bounds  # "first thing monday morning"
    return Piece(
        start=left.start,
        end=right.end,
        day=day,
        explicit_day=explicit,
        weekday_only=weekday_only,
        clock=left.clock or right.clock,
        clock_range=left.clock_range or right.clock_range,
        part=part,
        part_bounds=part_bounds,
        weak=False,
    )


def _merge_window(left: Piece, right: Piece) -> Piece | None:
    """A run of days with a time of day ("next week" + "in the afternoon") stays a run of
    days, with the daily window kept beside it."""
    days_piece, other = (left, right) if left.days else (right, left)
    if other.days or other.day or other.moment:
        return None
    return replace(
        days_piece,
        start=left.start,
        end=right.end,
        clock=other.clock,
        clock_range=other.clock_range,
        part=other.part,
        part_bounds=other.part_bounds,
    )


def _window(piece: Piece) -> tuple[str, str] | None:
    if piece.clock is not None:
        minutes = minutes_of(piece.clock, piece.part)
        bounds = (minutes, minutes)
    elif piece.clock_range is not None:
        bounds = range_minutes(*piece.clock_range, piece.part)
    else:
        bounds = piece.part_bounds
    if bounds is None:
        return None
    return tuple(f"{m // 60:02d}:{m % 60:02d}" for m in bounds)  # type: ignore[return-value]


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _resolve(piece: Piece, ctx: Context) -> tuple[str | dict[str, str], str] | None:
    """The value and grain of a phrase (the daily window of a run of days: see _window)."""
    tz = ctx.now.tzinfo
    if piece.moment is not None:
        return _iso(piece.moment), "moment"
    if piece.days is not None:
        first, last = piece.days
        return {"from": first.isoformat(), "to": last.isoformat()}, "range"
    if piece.clock is not None:
        minutes = minutes_of(piece.clock, piece.part)
        day = piece.day or _first_day_after_now(ctx, minutes)
        return _iso(at_minutes(day, minutes, tz)), "moment"
    if piece.clock_range is not None:
        bounds = range_minutes(*piece.clock_range, piece.part)
        if bounds is None:
            return None
        start, end = bounds
        reference = start if piece.clock_range[0] is not None else end - 1
        day = piece.day or _first_day_after_now(ctx, reference)
        return {
            "from": _iso(at_minutes(day, start, tz)),
            "to": _iso(at_minutes(day, end, tz)),
        }, "range"
    if piece.part_bounds is not None:
        start, end = piece.part_bounds
        day = piece.day or _first_day_after_now(ctx, end - 1)
        return {
            "from": _iso(at_minutes(day, start, tz)),
            "to": _iso(at_minutes(day, end, tz)),
        }, "range"
    if piece.day is not None:
        return piece.day.isoformat(), "day"
    return None


# "from the 8th to the 12th", "march 8 - 12th", "between march 8 and march 12"
_DAYS_TO_RE = re.compile(r"\s*(?:-|–|to|through|thru|till|until)\s*(?:the\s+)?", re.I)
_DAYS_AND_RE = re.compile(r"\s*and\s*(?:the\s+)?", re.I)
# "the 8th or 9th", "friday or saturday": either day, searched as the run from one to the other
_DAYS_OR_RE = re.compile(r"\s*,?\s*or\s*(?:on\s+)?(?:the\s+)?", re.I)
_EITHER_DAY_SPAN = timedelta(days=6)
_BETWEEN_RE = re.compile(r"\b(?:between|from)\s+(?:the\s+)?$", re.I)
# How far "after the 10th" reaches: the slot search offers the earliest anyway
_AFTER_DAY = timedelta(days=28)


def _plain_day(piece: Piece) -> bool:
    return piece.day is not None and not (
        piece.clock or piece.clock_range or piece.part or piece.days or piece.moment
    )


def _day_range(left: Piece, right: Piece, ctx: Context) -> Piece | None:
    """Two days joined by "to" (or "between ... and") are the run of days from one to the
    other."""
    if not (_plain_day(left) and _plain_day(right)):
        return None
    if right.weekday_only and right.day <= left.day:
        # "next monday or tuesday": the tuesday after that monday, not this week's
        weeks = (left.day - right.day).days // 7 + 1
        right = replace(right, day=right.day + timedelta(weeks=weeks))
    if right.day <= left.day:
        return None
    gap = ctx.text[left.end : right.start]
    either = _DAYS_OR_RE.fullmatch(gap) and right.day - left.day <= _EITHER_DAY_SPAN
    if (
        not either
        and not _DAYS_TO_RE.fullmatch(gap)
        and not (_DAYS_AND_RE.fullmatch(gap) and _BETWEEN_RE.search(ctx.text[: left.start]))
    ):
        return None
    return Piece(start=left.start, end=right.end, days=(left.day, right.day))


def _around_day(piece: Piece, ctx: Context) -> Piece:
    """ "the week of march 8": that Monday to Sunday; "after the 10th": the days after it;
    "before the 20th": the days up to it."""
    if not _plain_day(piece):
        return piece
    before = ctx.text[: piece.start]
    week_of = re.search(r"\b(?:the\s+)?week\s+of\s+(?:the\s+)?$", before, re.I)
    if week_of:
        monday = piece.day - timedelta(days=piece.day.weekday())
        first = monday if ctx.prefer_past else max(monday, ctx.today)
        week = (first, monday + timedelta(days=6))
        return replace(piece, start=week_of.start(), day=None, days=week)
    side = re.search(r"\b(?P<w>after|before|until|till|by)\s+(?:the\s+)?$", before, re.I)
    if side is None or ctx.prefer_past:
        return piece
    if side["w"].lower() == "after":
        first = piece.day + timedelta(days=1)
        days = (first, first + _AFTER_DAY)
    else:
        last = piece.day - timedelta(days=1) if side["w"].lower() == "before" else piece.day
        if last < ctx.today:
            return piece
        days = (ctx.today, last)
    return replace(piece, start=side.start(), day=None, days=days)


def _leading_modifier(piece: Piece, ctx: Context) -> Piece:
    """ "early tomorrow morning": the modifier sits before the day, not next to the part."""
    before = re.search(r"\b(early|late)\s+$", ctx.text[: piece.start], re.IGNORECASE)
    if before is None or piece.part is None or piece.day is None:
        return piece
    bounds = part_bounds(piece.part, before.group(1).lower())
    return replace(piece, start=before.start(), part_bounds=bounds)


ANY_PART_DAYS = 14  # "any afternoon": the afternoons of the next two weeks


def _any_part(piece: Piece, ctx: Context) -> Piece:
    """ "any afternoon", "any morning is fine": that part of every day for two weeks, not just
    today's."""
    alone = piece.part and not (piece.day or piece.days or piece.moment or piece.clock
                                or piece.clock_range)  # fmt: skip
    before = re.search(r"\b(?:any|every)\s+$", ctx.text[: piece.start], re.IGNORECASE)
    if not alone or before is None or ctx.prefer_past:
        return piece
    days = (ctx.today, ctx.today + timedelta(days=ANY_PART_DAYS - 1))
    return replace(piece, start=before.start(), days=days)


def _first_day_after_now(ctx: Context, minutes: int) -> date:
    """Today if that clock time is still ahead, else tomorrow (prefer the future)."""
    if at_minutes(ctx.today, minutes, ctx.now.tzinfo) > ctx.now:
        return ctx.today
    return ctx.today + timedelta(days=1)


def find_times(
    text: str, now: datetime, date_order: str = "MDY", prefer_past: bool = False
) -> list[TimeMatch]:
    """All date/time phrases in `text`, resolved against `now` (aware, in the clinic zone).

    The Rasa component prefers the future (booking); an action asking about the past ("my bill
    from March 3", "did insurance pay for friday") re-reads the entity's text with
    prefer_past=True, which makes a date without a year and a bare weekday the last one.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {DATE_ORDERS}, not {date_order!r}")
    plain, positions = _expand_shorthand(text.replace("’", "'"))
    ctx = Context(plain, now, date_order, prefer_past)
    phrases: list[Piece] = []
    for piece in find_pieces(ctx):
        gap = ctx.text[phrases[-1].end : piece.start] if phrases else None
        if phrases and (joined := _day_range(phrases[-1], piece, ctx)) is not None:
            phrases[-1] = joined
            continue
        if gap is not None and _GAP_RE.fullmatch(gap):
            merged = _merge(phrases[-1], piece)
            if merged is not None:
                phrases[-1] = merged
                continue
        phrases.append(piece)
    phrases = _day_and_its_hours(phrases, ctx)
    matches = []
    for piece in phrases:
        if piece.weak or piece.no_such_day or negated_at(ctx.text, piece.start):
            continue  # "not tuesday", "any day but monday": no time is better than that one
        piece = _any_part(_around_day(_leading_modifier(piece, ctx), ctx), ctx)
        resolved = _resolve(piece, ctx)
        if resolved is None:
            continue
        value, grain = resolved
        hours = _window(piece) if piece.days else None
        start, end = positions[piece.start], positions[piece.end]  # in the text as typed
        dated = piece.moment is not None or piece.days is not None or piece.day is not None
        matches.append(TimeMatch(start, end, text[start:end], value, grain, hours, dated))
    return matches


# Between a day and a part of the day said apart ("wednesday if possible, in the morning"):
# words that make them two different times rather than one
_APART_RE = re.compile(
    r"[.?!;]|\b(?:but|or|not|no|except|instead|then|and\s+also|so|because|since|as|work|busy)\b",
    re.I,
)


def _day_and_its_hours(phrases: list[Piece], ctx: Context) -> list[Piece]:
    """One time from a message's only day and its only hours, said a few words apart
    ("wednesday if possible, in the morning", "thursday would be good, afternoon"): the hours
    alone would mean today's."""
    if len(phrases) != 2 or any(p.weak for p in phrases):
        return phrases
    first, second = phrases

    def day_only(p: Piece) -> bool:
        return p.day is not None and not (p.clock or p.clock_range or p.part or p.moment)

    def hours_only(p: Piece) -> bool:
        no_day = p.day is None and p.days is None and p.moment is None
        return no_day and bool(p.clock or p.clock_range or p.part)

    if not ((day_only(first) and hours_only(second)) or (hours_only(first) and day_only(second))):
        return phrases
    gap = ctx.text[first.end : second.start]
    if len(gap) > 40 or _APART_RE.search(gap) or negated_at(ctx.text, second.start):
        return phrases
    merged = _merge(first, second)
    return [merged] if merged is not None else phrases


# Words that make the time after them the one *not* wanted
_NEGATED_RE = re.compile(
    r"(?:(?<!\bwhy\s)\bnot|\bany\s*(?:day|time|thing)\s+but|\bexcept(?:\s+for)?|\bapart\s+from|"
    r"\bother\s+than|\bexcluding)\s+(?:on\s+|the\s+|a\s+)?$",
    re.IGNORECASE,
)


def negated_at(text: str, start: int) -> bool:
    """Is the time phrase starting at `start` said as the one not wanted ("not tuesday")?"""
    return bool(_NEGATED_RE.search(text[max(0, start - 30) : start]))


# Shorthand the patterns don't know, spelled out before parsing: "nxt wk", "this wknd"
_SHORTHAND = (
    (re.compile(r"\bnxt\b", re.I), "next"),
    (re.compile(r"\bwknd\b", re.I), "weekend"),
    (re.compile(r"\bwk\b", re.I), "week"),
    (re.compile(r"\bwks\b", re.I), "weeks"),
    (re.compile(r"\b(?:a\s+)?fortnight\b", re.I), "two weeks"),  # "in a fortnight"
)


def _expand_shorthand(text: str) -> tuple[str, list[int]]:
    """`text` with shorthand spelled out, and for each position in it (and its end) the
    position in `text`, so entities keep offsets into what was typed."""
    spans = sorted(
        (found.start(), found.end(), full)
        for pattern, full in _SHORTHAND
        for found in pattern.finditer(text)
    )
    if not spans:
        return text, list(range(len(text) + 1))
    out: list[str] = []
    positions: list[int] = []
    cursor = 0
    for start, end, full in spans:
        out.append(text[cursor:start])
        positions.extend(range(cursor, start))
        out.append(full)
        positions.extend([start] * len(full))  # inside the expansion: its first character
        cursor = end
    out.append(text[cursor:])
    positions.extend(range(cursor, len(text) + 1))
    return "".join(out), positions


def reference_now(environ: Mapping[str, str] | None = None) -> datetime:
    """Now in the clinic zone: MEDSEC_NOW if set (a naive value is clinic time), else the clock.

    Read from the environment directly: this runs inside Rasa, which cannot import clinic/.
    Raises ValueError naming the variable when a value is bad.
    """
    env = os.environ if environ is None else environ
    zone_name = env.get("MEDSEC_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        tz = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"MEDSEC_TIMEZONE: {zone_name!r} is not an IANA time zone") from None
    raw = (env.get("MEDSEC_NOW") or "").strip()
    if not raw:
        return datetime.now(tz)
    try:
        frozen = datetime.fromisoformat(raw.replace("Z", "+00:00"))  # 3.10 does not read "Z"
    except ValueError:
        raise ValueError(f"MEDSEC_NOW: {raw!r} is not an ISO 8601 date-time") from None
    return frozen.replace(tzinfo=tz) if frozen.tzinfo is None else frozen.astimezone(tz)


def to_interval(value: str | Mapping[str, str], tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The [start, end) span a `time` value covers, as aware datetimes in `tz`.

    A moment gives (t, t); a day its whole day; a date range runs to the end of its last day.
    """
    if isinstance(value, Mapping):
        start, _ = _point_bounds(value["from"], tz)
        last = value["to"]
        end = _point_bounds(last, tz)[1] if len(last) == 10 else _point_bounds(last, tz)[0]
        return start, end
    return _point_bounds(value, tz)


def _point_bounds(text: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    if len(text) == 10:  # a date
        day = date.fromisoformat(text)
        return at_minutes(day, 0, tz), at_minutes(day + timedelta(days=1), 0, tz)
    moment = datetime.fromisoformat(text)
    moment = moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)
    return moment, moment


_NO_SUCH_DAY_RE = re.compile(
    r"\b(?:the\s+)?(?P<d>3[01]|29|30)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>[a-z]{3,9})\b|"
    r"\b(?P<m2>[a-z]{3,9})\.?\s+(?:the\s+)?(?P<d2>3[01]|29|30)(?:st|nd|rd|th)?\b",
    re.IGNORECASE,
)


def no_such_day(text: str) -> str | None:
    """ "February has no 31st." for a date that does not exist ("the 31st of February", "april
    31"), which gives no `time` at all; None when the message names none."""
    for found in _NO_SUCH_DAY_RE.finditer(text or ""):
        word = (found["m"] or found["m2"]).lower()
        month = MONTHS.get(word)
        if month is None:
            continue
        day = int(found["d"] or found["d2"])
        if day > calendar.monthrange(2028, month)[1]:  # 2028: a leap year has a February 29
            name = calendar.month_name[month]
            suffix = {1: "st", 2: "nd", 3: "rd"}.get(day % 10 if day // 10 != 1 else 0, "th")
            return f"{name} has no {day}{suffix}."
    return None
