"""The pieces a time phrase is made of ("tomorrow", "at 3pm", "next week", "morning"), each
found by a pattern and turned into a Piece by a maker that may still say "not a time here".
nlu/time_parsing.py merges neighbouring pieces into phrases and resolves them."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import dateparser

from nlu.time_clock import ClockTime, clock_time, parse_core_time, part_bounds
from nlu.time_vocabulary import (
    FULL_MONTH_RE,
    FULL_MONTHS,
    HOUR_WORD_RE,
    HOUR_WORDS,
    MERIDIEM_RE,
    MINUTE_WORD_RE,
    MINUTE_WORDS,
    MONTH_RE,
    MONTHS,
    NUMBER_WORD_RE,
    NUMBER_WORDS,
    ORDINAL_WORD_RE,
    ORDINAL_WORDS,
    UNIT_WORDS,
    WEAK_WEEKDAYS,
    WEEKDAY_RE,
    WEEKDAYS,
)


@dataclass(frozen=True)
class Piece:
    """A recognised piece of a phrase; neighbouring pieces merge into one phrase."""

    start: int
    end: int
    day: date | None = None
    explicit_day: bool = False  # a written date wins over a weekday next to it
    weekday_only: bool = False
    days: tuple[date, date] | None = None  # inclusive run of days
    clock: ClockTime | None = None
    clock_range: tuple[ClockTime | None, ClockTime | None] | None = None
    part: str | None = None
    part_bounds: tuple[int, int] | None = None  # minutes from midnight, end exclusive
    moment: datetime | None = None
    weak: bool = False  # only a time phrase when merged with another piece
    no_such_day: bool = False  # "the 31st of February": swallows its neighbours, gives no time


@dataclass(frozen=True)
class Context:
    text: str
    now: datetime
    date_order: str
    prefer_past: bool = False  # "my bill from march 3": the last March 3, not the next

    @property
    def today(self) -> date:
        return self.now.date()


_TOMORROW = (
    r"tomorrow|tmrw|tmr|tmrow|tomorow|tommorow|tommorrow|tomorrrow|tomoro|tomorro|2morrow|"
    r"2moro|2mrw|tomrrow"
)


_NOT_A_CLOCK = rf"(?!\d|[:.,/]\d|\s*(?:{UNIT_WORDS})\b)"


_CORE_TIME = (
    rf"(?:(?:1\d|2[0-3]|0?\d)(?!\d)(?:[:.][0-5]\d)?(?:\s*[ap]\.?\s?m\b\.?)?|noon|midday|"
    rf"(?:{HOUR_WORD_RE})(?:\s+(?:{MINUTE_WORD_RE}))?(?:\s*[ap]\.?\s?m\b\.?)?)"
)


def _words_before(ctx: Context, position: int, count: int = 1) -> list[str]:
    return re.findall(r"[a-z']+", ctx.text[:position].lower())[-count:]


def _word_after(ctx: Context, position: int) -> str:
    found = re.match(r"\s*([a-z']+)", ctx.text[position:].lower())
    return found.group(1) if found else ""


def _number(word: str) -> int:
    word = re.sub(r"\s+", " ", word.lower())
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _ordinal(digits: str | None, word: str | None) -> int:
    if digits:
        return int(digits)
    return ORDINAL_WORDS[re.sub(r"\s+", " ", (word or "").lower())]


def at_minutes(day: date, minutes: int, tz) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minutes)


def _week_monday(day: date, weeks: int = 0) -> date:
    return day - timedelta(days=day.weekday()) + timedelta(weeks=weeks)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + count
    return index // 12, index % 12 + 1


def _next_date(ctx: Context, month: int, day: int) -> date | None:
    """The next month/day on or after today (Feb 29 waits for a leap year); the last one on or
    before today when the past is preferred."""
    step = -1 if ctx.prefer_past else 1
    for year in range(ctx.today.year, ctx.today.year + 5 * step, step):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if (candidate <= ctx.today) if ctx.prefer_past else (candidate >= ctx.today):
            return candidate
    return None


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th `weekday` (0 = Monday) of the month; n = -1 is the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


# US holidays people name instead of a date: month and day, or (month, weekday, n-th)
_FIXED_HOLIDAYS = {
    "christmas eve": (12, 24), "christmas day": (12, 25), "christmas": (12, 25),
    "new year's eve": (12, 31), "new year's day": (1, 1), "independence day": (7, 4),
    "fourth of july": (7, 4), "juneteenth": (6, 19), "veterans day": (11, 11),
    "halloween": (10, 31), "valentine's day": (2, 14), "st patrick's day": (3, 17),
    "boxing day": (12, 26),
}  # fmt: skip
# days counted from Easter Sunday, or from Thanksgiving
_EASTER_HOLIDAYS = {"good friday": -2, "easter": 0, "easter sunday": 0, "easter day": 0,
                    "easter monday": 1}  # fmt: skip
_AFTER_THANKSGIVING = {"black friday", "day after thanksgiving"}
_FLOATING_HOLIDAYS = {
    "thanksgiving": (11, 3, 4), "memorial day": (5, 0, -1), "labor day": (9, 0, 1),
    "martin luther king day": (1, 0, 3), "presidents day": (2, 0, 3), "columbus day": (10, 0, 2),
}  # fmt: skip
_HOLIDAY_SPELLINGS = (
    (r"x-?mas", "christmas"), (r"new\s*years?'?s?", "new year's"), (r"4th", "fourth"),
    (r"mlk|martin\s+luther\s+king(?:\s+jr\.?)?", "martin luther king"),
    (r"presidents?'?s?", "presidents"), (r"valentines?'?s?", "valentine's"),
    (r"veterans?'?s?", "veterans"), (r"thanksgiving(?:\s+day)?", "thanksgiving"),
    (r"(?:st\.?|saint)\s+patrick'?s?(?:\s+day)?", "st patrick's day"),
)  # fmt: skip


def _easter(year: int) -> date:
    """Easter Sunday (the Gregorian computus; Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * el) // 433
    month, day = divmod(h + el - 7 * m + 90, 25)
    return date(year, month, (h + el - 7 * m + 33 * month + 19) % 32)


def _holiday(found: re.Match, ctx: Context) -> Piece | None:
    name = re.sub(r"^the ", "", re.sub(r"\s+", " ", found["h"].lower()))
    for spelling, canonical in _HOLIDAY_SPELLINGS:
        name = re.sub(rf"^{spelling}\b", canonical, name)
    if name == "christmas" and not found["lead"]:
        return None  # "merry christmas" is a greeting; "on/before/after christmas" is the day
    step = -1 if ctx.prefer_past else 1
    for year in range(ctx.today.year, ctx.today.year + 2 * step, step):
        if name in _FIXED_HOLIDAYS:
            candidate = date(year, *_FIXED_HOLIDAYS[name])
        elif name in _FLOATING_HOLIDAYS:
            candidate = _nth_weekday(year, *_FLOATING_HOLIDAYS[name])
        elif name in _EASTER_HOLIDAYS:
            candidate = _easter(year) + timedelta(days=_EASTER_HOLIDAYS[name])
        elif name in _AFTER_THANKSGIVING:
            candidate = _nth_weekday(year, *_FLOATING_HOLIDAYS["thanksgiving"]) + timedelta(days=1)
        else:
            return None
        if (candidate <= ctx.today) if ctx.prefer_past else (candidate >= ctx.today):
            return Piece(found.start("h"), found.end(), day=candidate, explicit_day=True)
    return None


def _explicit_year(ctx: Context, text: str) -> int:
    year = int(text)
    if len(text) == 2:  # '50 is 1950 for a date of birth, '27 is 2027
        year += 2000 if 2000 + year <= ctx.today.year + 10 else 1900
    return year


def _dateparser(ctx: Context, text: str, **settings) -> datetime | None:
    base = ctx.now.replace(tzinfo=None)
    return dateparser.parse(
        text,
        languages=["en"],
        settings={"RELATIVE_BASE": base, "RETURN_AS_TIMEZONE_AWARE": False, **settings},
    )


Maker = Callable[[re.Match, Context], "Piece | None"]


def _span(found: re.Match, **fields) -> Piece:
    return Piece(found.start(), found.end(), **fields)


def _relative_day(found: re.Match, ctx: Context) -> Piece | None:
    word = re.sub(r"\s+", " ", found["w"].lower())
    if word in ("today", "todays"):
        return _span(found, day=ctx.today)
    if word in ("tonight", "tonite"):
        return _span(found, day=ctx.today, part="night", part_bounds=part_bounds("night", None))
    if word == "yesterday":
        return _span(found, day=ctx.today - timedelta(days=1))
    if word.startswith("day after"):
        return _span(found, day=ctx.today + timedelta(days=2))
    if word.startswith("day before"):
        return _span(found, day=ctx.today - timedelta(days=2))
    return _span(found, day=ctx.today + timedelta(days=1))


def _weekday_date(ctx: Context, weekday: int, modifier: str, week: str) -> date:
    today = ctx.today
    if week:
        shift = {"this": 0, "next": 1, "last": -1}[week]
        return _week_monday(today, shift) + timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7
    if modifier == "next":
        return _week_monday(today, 1) + timedelta(days=weekday)
    if modifier in ("last", "past", "previous"):
        return today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
    if modifier == "this":
        return today + timedelta(days=ahead)
    if ctx.prefer_past:
        return today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
    return today + timedelta(days=ahead or 7)


def _weekday(found: re.Match, ctx: Context) -> Piece | None:
    word = found["wd"].lower()
    modifier = re.sub(r"\s+", " ", (found["mod"] or "").lower())
    if modifier in ("coming", "this coming"):
        modifier = "this"
    if modifier in ("the following", "following"):
        modifier = "next"
    if found.groupdict().get("dom"):  # "friday the 12th": the date decides
        return _day_of_month(found, ctx, int(found["dom"]))
    week = (found["wk"] or "").lower()
    day = _weekday_date(ctx, WEEKDAYS[word], modifier, week)
    weak = word in WEAK_WEEKDAYS and not modifier and not week
    return _span(found, day=day, weekday_only=True, weak=weak)


def _weekday_a_week_later(found: re.Match, ctx: Context) -> Piece | None:
    word = (found["wd"] or found["wd2"]).lower()
    day = _weekday_date(ctx, WEEKDAYS[word], "", "") + timedelta(days=7)
    return _span(found, day=day, explicit_day=True)


def _day_of_a_month_named(found: re.Match, ctx: Context) -> Piece | None:
    shift = 0 if found["which"].lower() == "this" else 1
    year, month = _add_months(ctx.today.year, ctx.today.month, shift)
    day = int(found["d"])
    if day > calendar.monthrange(year, month)[1]:
        return None
    return _span(found, day=date(year, month, day), explicit_day=True)


# the words before "may" the verb ("it may 2x the risk"); "on may 7", "what's on may 31" is May
_MAY_VERB_SUBJECTS = frozenset(
    {"i", "you", "we", "they", "he", "she", "it", "this", "that", "which", "who", "there"}
)


def _text_date(found: re.Match, ctx: Context) -> Piece | None:
    month_word = found["mon"].lower().rstrip(".")
    day = _ordinal(found["d"], found["dw"])
    groups = found.groupdict()
    year_text = groups.get("y4") or groups.get("y2")
    if month_word == "may" and not (found["suffix"] or year_text):
        month_first = found.start("mon") == found.start()
        before = _words_before(ctx, found.start())
        if not month_first or (before and before[-1] in _MAY_VERB_SUBJECTS):
            return None  # "take 2 may help", "you may 2 ..." is no day of May; "may 31" is
    if found["d"] and re.match(rf"\s*(?:{UNIT_WORDS})\b", ctx.text[found.end() :], re.I):
        return None
    month = MONTHS[month_word]
    if year_text:
        try:
            resolved = date(_explicit_year(ctx, year_text), month, day)
        except ValueError:
            return None
    else:
        resolved = _next_date(ctx, month, day)
    if resolved is None and day > _LONGEST[month]:
        # "the 31st of February": no such day, and not "the 31st" of another month either
        return _span(found, no_such_day=True)
    return _span(found, day=resolved, explicit_day=True) if resolved else None


_LONGEST = {month: calendar.monthrange(2028, month)[1] for month in range(1, 13)}  # a leap year


def _numeric_date(found: re.Match, ctx: Context) -> Piece | None:
    text = found.group(0)
    before = " ".join(_words_before(ctx, found.start(), 4))
    after = ctx.text[found.end() :]
    if text in ("24/7", "24/7/365") or re.match(rf"\s*(?:{UNIT_WORDS}|pain)\b", after, re.I):
        return None
    if found["b"] == "10" and re.search(r"pain|scale|rate|level|about|like", before):
        return None  # a pain score "7/10"
    iso = "-" in text and len(text.split("-")[0]) == 4
    order = "YMD" if iso else ctx.date_order
    parsed = _dateparser(
        ctx, text, DATE_ORDER=order, PREFER_DATES_FROM="future", REQUIRE_PARTS=["day", "month"]
    )
    if parsed is None:
        return None
    year_text = found["y"]
    if not year_text:
        resolved = _next_date(ctx, parsed.month, parsed.day)
    else:
        try:
            resolved = date(_explicit_year(ctx, year_text), parsed.month, parsed.day)
        except ValueError:
            return None
    return _span(found, day=resolved, explicit_day=True) if resolved else None


_NOT_A_DAY_AFTER = (
    r"one|ones|option|options|slot|slots|choice|time|times|appointment|visit|floor|doctor|dose|"
    r"shot|week|day|month|year|person|patient|line|page|opening|available|grade|place|row|"
    r"item|thing|message|step|bill|invoice|choice|pick"
)


def _ordinal_day(found: re.Match, ctx: Context) -> Piece | None:
    if re.match(rf"\s+(?:{_NOT_A_DAY_AFTER})\b", ctx.text[found.end() :], re.I):
        return None
    if not found["on"] and not found["suffix"]:
        return None  # "the 3" / "the second" alone is not a date
    if found["dw"] and not found["on"]:
        return None
    return _day_of_month(found, ctx, _ordinal(found["d"], found["dw"]))


def _day_of_month(found: re.Match, ctx: Context, day: int) -> Piece | None:
    """The next date (today included) with this day of the month (the last, if past)."""
    if not 1 <= day <= 31:
        return None
    year, month = ctx.today.year, ctx.today.month
    step = -1 if ctx.prefer_past else 1
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if (candidate <= ctx.today) if ctx.prefer_past else (candidate >= ctx.today):
                return _span(found, day=candidate, explicit_day=True)
        year, month = _add_months(year, month, step)
    return None


def _weekday_span(found: re.Match, ctx: Context) -> Piece | None:
    """ "mon-wed next week": from the first day through the second."""
    week = (found["wk"] or "").lower()
    modifier = "next" if (found["mod"] or "").lower() == "next" else "this"
    first = _weekday_date(ctx, WEEKDAYS[found["wd1"].lower()], "" if week else modifier, week)
    last_weekday = WEEKDAYS[found["wd2"].lower()]
    last = first + timedelta(days=(last_weekday - first.weekday()) % 7)
    both_weak = {found["wd1"].lower(), found["wd2"].lower()} <= WEAK_WEEKDAYS
    if both_weak and not week and "-" not in found.group(0):
        return None  # "sat and sun" may be ordinary words
    return _span(found, days=(first, last))


def _next_days(found: re.Match, ctx: Context) -> Piece | None:
    """ "within the next few days": from today on."""
    count = _number(found["n"])
    unit = found["unit"].lower().rstrip("s")
    if unit == "month":
        year, month = _add_months(ctx.today.year, ctx.today.month, count)
        last = date(year, month, min(ctx.today.day, calendar.monthrange(year, month)[1]))
    else:
        last = ctx.today + timedelta(days=count * (7 if unit == "week" else 1))
    return _span(found, days=(ctx.today, last))


def _clip_future(ctx: Context, first: date, last: date, step: Callable) -> tuple[date, date]:
    """Drop the days already past; a run entirely in the past moves one period on."""
    if last < ctx.today:
        first, last = step(first), step(last)
    return max(first, ctx.today), last


def _week_portion(qualifier: str) -> tuple[int, int]:
    if qualifier in ("early", "earlier", "beginning of", "start of"):
        return 0, 2
    if qualifier in ("mid", "middle of"):
        return 1, 3
    if qualifier in ("late", "later", "end of"):
        return 3, 6
    return 0, 6


def _week(found: re.Match, ctx: Context) -> Piece | None:
    groups = found.groupdict()
    qualifier = re.sub(r"\s+", " ", (groups.get("q") or "").lower()).removeprefix("the ")
    which = re.sub(r"\s+", " ", (groups.get("which") or "").lower())
    unit = re.sub(r"[\s-]+", "", (groups.get("unit") or "weekend").lower()).rstrip("s")
    if groups.get("after_next"):
        which, unit = "after next", "week"
    if which == "the" and unit in ("week", "wk") and not qualifier:
        return None  # "during the week"
    weeks = {"next": 1, "the following": 1, "the coming": 1, "after next": 2}.get(which, 0)
    if which in ("last", "past"):
        weeks = -1
    monday = _week_monday(ctx.today, weeks)
    if unit == "weekend":
        first, last = monday + timedelta(days=5), monday + timedelta(days=6)
    else:
        lo, hi = _week_portion(qualifier)
        first, last = monday + timedelta(days=lo), monday + timedelta(days=hi)
    if weeks >= 0:
        first, last = _clip_future(
            ctx, first, last, lambda d: d + timedelta(weeks=1) if weeks == 0 else d
        )
    return _span(found, days=(first, last))


def _month_portion(qualifier: str, year: int, month: int) -> tuple[date, date]:
    end = _month_end(year, month)
    if qualifier in ("early", "beginning of", "start of"):
        return date(year, month, 1), date(year, month, 10)
    if qualifier in ("mid", "middle of"):
        return date(year, month, 11), date(year, month, 20)
    if qualifier in ("late", "later", "end of"):
        return date(year, month, 21), end
    return date(year, month, 1), end


def _month_name(found: re.Match, ctx: Context) -> Piece | None:
    groups = found.groupdict()
    qualifier = (groups.get("q") or groups.get("q2") or groups.get("q3") or "").lower()
    qualifier = re.sub(r"[\s-]+", " ", qualifier).strip().removeprefix("the ")
    month = FULL_MONTHS[found["mon"].lower()]
    if groups.get("y"):
        first, last = _month_portion(qualifier, int(found["y"]), month)
        return _span(found, days=(first, last))
    pre = re.sub(r"\s+", " ", (groups.get("pre") or "").lower())
    word = found["mon"].lower()
    after = ctx.text[found.end() :]
    if word == "may" and re.match(r"\s+(i|we|you|he|she|they|it|be|have|need|want)\b", after, re.I):
        return None  # "apart from may I ask"
    if pre == "the" and word in ("may", "march"):
        return None  # "the march", "the may": too often not the month
    past = pre in ("last", "since", "back in") or (ctx.prefer_past and pre != "next")
    if past:  # "last december", or a bill or a claim: the one that has been
        year = ctx.today.year if month <= ctx.today.month else ctx.today.year - 1
        if pre == "last" and month == ctx.today.month:
            year -= 1
        return _span(found, days=_month_portion(qualifier, year, month))
    year = ctx.today.year if month >= ctx.today.month else ctx.today.year + 1
    first, last = _month_portion(qualifier, year, month)
    first, last = _clip_future(ctx, first, last, lambda d: d.replace(year=d.year + 1))
    return _span(found, days=(first, last))


def _month_before_a_visit(found: re.Match, ctx: Context) -> Piece | None:
    if not found["pre"] and found["mon"].lower() in ("may", "march"):
        return None  # "I may visit", "march appointment" is too rare to risk it
    return _month_name(found, ctx)


def _relative_month(found: re.Match, ctx: Context) -> Piece | None:
    qualifier = re.sub(r"\s+", " ", (found["q"] or "").lower()).removeprefix("the ")
    which = re.sub(r"\s+", " ", (found["which"] or "this").lower())
    if which == "the" and not qualifier:
        return None
    shift = {"next": 1, "the following": 1, "last": -1}.get(which, 0)
    year, month = _add_months(ctx.today.year, ctx.today.month, shift)
    first, last = _month_portion(qualifier, year, month)
    if shift == 0:
        first = max(first, ctx.today)
        if first > last:
            return None
    return _span(found, days=(first, last))


def _offset(found: re.Match, ctx: Context) -> Piece | None:
    groups = found.groupdict()
    if groups.get("half"):
        return _span(
            found, moment=(ctx.now + timedelta(minutes=30)).replace(second=0, microsecond=0)
        )
    count = _number(found["n"])
    unit = found["unit"].lower()
    unit = {"min": "minute", "mins": "minutes", "hr": "hour", "hrs": "hours"}.get(unit, unit)
    unit = {"wk": "week", "wks": "weeks"}.get(unit, unit)
    direction = re.sub(r"\s+", " ", (groups.get("dir") or "in").lower())
    base = ctx
    if direction.startswith("from") and direction not in ("from now", "from today"):
        if groups.get("wd"):
            anchor = _weekday_date(ctx, WEEKDAYS[found["wd"].lower()], "", "")
        else:
            anchor = ctx.today + timedelta(days=1)
        base = replace(
            ctx, now=ctx.now.replace(year=anchor.year, month=anchor.month, day=anchor.day)
        )
    phrase = f"{count} {unit} ago" if direction == "ago" else f"in {count} {unit}"
    parsed = _dateparser(base, phrase)
    if parsed is None:
        return None
    if unit.startswith(("minute", "hour")):
        moment = parsed.replace(tzinfo=ctx.now.tzinfo, second=0, microsecond=0)
        return _span(found, moment=moment)
    return _span(found, day=parsed.date())


def _clock_meridiem(found: re.Match, ctx: Context) -> Piece | None:
    clock = clock_time(int(found["h"]), int(found["m"] or 0), found["ap"])
    return _with_prefix(found, clock, ctx) if clock else None


def _clock_colon(found: re.Match, ctx: Context) -> Piece | None:
    clock = clock_time(int(found["h"]), int(found["m"]), None)
    return _with_prefix(found, clock, ctx) if clock else None


def _clock_words(found: re.Match, ctx: Context) -> Piece | None:
    groups = found.groupdict()
    hour = HOUR_WORDS[found["hw"].lower()] if groups.get("hw") else int(found["h"])
    minute_word = groups.get("mw")
    minute = MINUTE_WORDS[re.sub(r"\s+", " ", minute_word.lower())] if minute_word else 0
    if groups.get("m"):
        minute = int(found["m"])
    clock = clock_time(hour, minute, groups.get("ap"))
    if clock is None:
        return None
    return _with_prefix(found, clock, ctx)


_FROM_PREFIXES = ("after", "not before", "no earlier than", "later than", "any time after")
_UNTIL_PREFIXES = ("before", "by", "until", "till", "til", "no later than", "earlier than")
# "3pm onwards", "from 3 on", "4 or later"; "10 or earlier"
_FROM_SUFFIX_RE = re.compile(
    r"\s*(?:onwards?\b|or\s+(?:later|after)\b|and\s+later\b|on\s*(?:$|[,.!?]))", re.I
)
_UNTIL_SUFFIX_RE = re.compile(r"\s*(?:or\s+(?:earlier|before|sooner))\b", re.I)


# "take 2 in the morning" is a dose, "10 in the morning" a time
_DOSE_WORDS = frozenset(
    re.findall(
        r"\w+",
        "take takes took taking taken have has had get gets got use uses used need needs only "
        "about like ate eat drink drank do does did give gives gave",
    )
)


def _clock_before_part(found: re.Match, ctx: Context) -> Piece | None:
    """ "10 in the morning", "9 tomorrow morning", "eight this evening": a bare hour made a
    clock time by the part of the day after it (which then joins it: 10:00, 09:00, 20:00)."""
    if set(_words_before(ctx, found.start(), 5)) & _DOSE_WORDS:
        return None
    return _clock_words(found, ctx)


def _week_of_month(found: re.Match, ctx: Context) -> Piece | None:
    """ "the first week of april": days 1-7 (then 8-14, ...); "the last week of april": its
    last seven days; the next such week that has not passed."""
    which = found["ord"].lower()
    if found["mon"]:
        month = FULL_MONTHS[found["mon"].lower()]
        year = ctx.today.year if month >= ctx.today.month else ctx.today.year + 1
        years = (year, year + 1)
    else:
        shift = 1 if (found["rel"] or "").lower() == "next" else 0
        year, month = _add_months(ctx.today.year, ctx.today.month, shift)
        years = (year,)
    for year in years:
        end = _month_end(year, month)
        if which in ("last", "final"):
            first = end - timedelta(days=6)
        else:
            index = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2}
            first = date(year, month, 1 + 7 * index.get(which, 3))
        last = min(first + timedelta(days=6), end)
        if last >= ctx.today:
            return _span(found, days=(max(first, ctx.today), last))
    return None


def _with_prefix(found: re.Match, clock: ClockTime, ctx: Context | None = None) -> Piece:
    prefix = re.sub(r"\s+", " ", (found.groupdict().get("pre") or "").lower())
    after = ctx.text[found.end() :] if ctx is not None else ""
    if prefix in _FROM_PREFIXES or (not prefix and _FROM_SUFFIX_RE.match(after)):
        return _span(found, clock_range=(clock, None))
    if prefix in _UNTIL_PREFIXES or (not prefix and _UNTIL_SUFFIX_RE.match(after)):
        return _span(found, clock_range=(None, clock))
    return _span(found, clock=clock)


def _noon(found: re.Match, ctx: Context) -> Piece | None:
    word = found["w"].lower()
    clock = ClockTime(0, 0) if word == "midnight" else ClockTime(12, 0)
    if word == "midnight" and not found["pre"]:
        return None  # "midnight snack"; only "at/by midnight" is a time
    return _with_prefix(found, clock, ctx)


def _quarter(found: re.Match, ctx: Context) -> Piece | None:
    hour = int(found["h"]) if found["h"] else HOUR_WORDS[found["hw"].lower()]
    amount = found["q"].lower()
    if amount == "half":
        minutes = 30
    elif amount == "quarter":
        minutes = 15
    else:
        minutes = (
            int(re.match(r"\d+", amount).group())
            if amount[0].isdigit()
            else {
                "five": 5,
                "ten": 10,
                "twenty": 20,
            }.get(re.split(r"[\s-]", amount)[0], 25)
        )
        if re.search(r"twenty[\s-]?five", amount):
            minutes = 25
    total = hour * 60 + (minutes if found["rel"].lower() in ("past", "after") else -minutes)
    clock = clock_time(total // 60 % 24, total % 60, found["ap"])
    if clock is None:
        return None
    if not found["ap"] and total // 60 == 0:
        clock = ClockTime(12, clock.minute, meridiem_known=False)
    return _with_prefix(found, clock)


def _british_half(found: re.Match, ctx: Context) -> Piece | None:
    hour = int(found["h"]) if found["h"] else HOUR_WORDS[found["hw"].lower()]
    clock = clock_time(hour, 30, found["ap"])
    return None if clock is None else _with_prefix(found, clock)


# "friday 2-3", "tomorrow 10-11": a day said just before makes two bare numbers a clock range
_DAY_JUST_BEFORE_RE = re.compile(rf"\b(?:{WEEKDAY_RE}|today|{_TOMORROW})\s*,?\s*$", re.I)


def _clock_range(found: re.Match, ctx: Context) -> Piece | None:
    first, last = parse_core_time(found["t1"]), parse_core_time(found["t2"])
    if first is None or last is None:
        return None
    prefix = (found["pre"] or "").lower()
    separator = found["sep"].lower()
    if separator == "and" and not prefix:
        return None
    texts = found["t1"] + " " + found["t2"]
    marked = re.search(r"[ap]\.?\s?m\b|:|noon|midday", texts, re.I)
    after_a_day = _DAY_JUST_BEFORE_RE.search(ctx.text[: found.start()])
    words_before = _words_before(ctx, found.start(), 4)
    if separator == "or":
        # "9 or 10 am", "at 2 or 3": either hour will do, so the slots from the first to the
        # end of the second; "2 or 3" alone is a count
        if prefix or last.hour >= 23:
            return None
        if not (marked or after_a_day or words_before[-1:] in (["at"], ["around"])):
            return None
        last = replace(last, hour=last.hour + 1)
    elif not prefix and not marked and not (after_a_day and separator != "and"):
        return None  # "2-3" alone is a count, not a time; "friday 2-3" is a time
    if re.search(r"scale|rate|level|pain", " ".join(words_before)):
        return None  # "on a scale from 1 to 10"
    return _span(found, clock_range=(first, last))


_NOT_A_PART_AFTER = (
    r"sickness|sweats?|sweating|stiffness|person|people|routine|shift|shifts|meds|medications?|"
    r"medicines?|pills?|tablets?|dose|doses|terrors|owl|cough|coughing|pain|sleep|guard|nurse|"
    r"staff|light|cream|after|primrose|session"
)


def _part_of_day(found: re.Match, ctx: Context) -> Piece | None:
    part = re.sub(r"\s+", " ", found["part"].lower())
    part = {
        "mornin": "morning",
        "arvo": "afternoon",
        "lunch time": "lunch",
        "lunchtime": "lunch",
    }.get(part, part)
    if part.startswith("first thing"):
        part = "first thing"
    if part.endswith(" lunch"):  # "after lunch", "before lunch"
        part = "after lunch" if part.startswith("after") else "morning"
    prefix = re.sub(r"\s+", " ", (found["pre"] or "").lower())
    before = _words_before(ctx, found.start(), 1)
    if before and before[0] in ("good", "every", "each", "per", "all", "last", "a", "one"):
        return None  # "good morning", "every night", "all night", "last night"
    if re.match(rf"\s+(?:{_NOT_A_PART_AFTER})\b", ctx.text[found.end() :], re.I):
        return None
    if part == "lunch" and not (prefix in ("at", "over") or "time" in found["part"].lower()):
        return None
    modifier = (found["mod"] or "").lower().rstrip("-") or None
    bounds = part_bounds(part, modifier)
    weak = part == "night" and not prefix
    day = ctx.today if prefix == "this" else None
    return _span(found, part=part, part_bounds=bounds, day=day, weak=weak)


def _meridiem_after_a_day(found: re.Match, ctx: Context) -> Piece | None:
    """ "tomorrow am", "friday p.m.": am/pm straight after a day, with no clock time, is that
    part of the day (never "I am")."""
    if not _DAY_JUST_BEFORE_RE.search(ctx.text[: found.start()]):
        return None
    part = "morning" if found["m"].lower().startswith("a") else "afternoon"
    return _span(found, part=part, part_bounds=part_bounds(part, None))


_DAYNUM = r"(?P<d>3[01]|[12]\d|0?[1-9])(?P<suffix>st|nd|rd|th)?(?![\d:])"


_YEAR = r"(?:,?\s+(?P<y4>(?:19|20)\d{2})(?!\d)|,?\s+'(?P<y2>\d{2})(?!\d))"


_QUALIFIER = (
    r"early|earlier|mid|middle\s+of|late|later|end\s+of|the\s+end\s+of|beginning\s+of|"
    r"the\s+beginning\s+of|start\s+of|the\s+start\s+of"
)


_CLOCK_PREFIX = (
    r"(?<!\w)(?P<pre>at|@|around|about|abt|approx\.?|approximately|after|before|by|until|"
    r"till|til|not\s+before|no\s+later\s+than|no\s+earlier\s+than|later\s+than|earlier\s+than|"
    r"any\s*time\s+after)\s*(?<=\s|@)"
)


_CLOCK_FOLLOW = (
    r"(?=\s*(?:$|[,.!?;:)]|(?:on|tomorrow|tmrw|today|tonight|this|next|in|or|works?|is|please|"
    r"pls|then|if|would|ok|okay|and|for|with|instead|sharp|that|but|so|because|i|the|latest|"
    rf"earliest|{WEEKDAY_RE})\b))"
)


_PATTERNS: list[tuple[str, Maker]] = [
    # written dates: "march 3rd, 1950", "3rd of march", "3/4", "2027-03-04"
    (
        rf"\b(?P<mon>{MONTH_RE})\.?,?\s+(?:the\s+)?(?:{_DAYNUM}|(?P<dw>{ORDINAL_WORD_RE})\b)"
        rf"{_YEAR}?(?!\s*(?:[ap]\.?m\b|%|o'?clock))",
        _text_date,
    ),
    (
        rf"(?<![\w/.:$-])(?:the\s+)?(?:{_DAYNUM}|(?P<dw>{ORDINAL_WORD_RE}))\s+(?:of\s+)?"
        rf"(?P<mon>{MONTH_RE})\b\.?{_YEAR}?",
        _text_date,
    ),
    (
        r"(?<![\w/.:$,-])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\w/]|[.,-]\d)",
        _numeric_date,
    ),
    (
        r"(?<![\w/.:$,-])(?P<y>(?:19|20)\d{2})-(?P<a>\d{1,2})-(?P<b>\d{1,2})(?![\w-]|\.\d)",
        _numeric_date,
    ),
    (
        r"(?<![\w/.:$,-])(?P<a>\d{1,2})([.-])(?P<b>\d{1,2})\2(?P<y>\d{4}|\d{2})(?![\w.-]|/)",
        _numeric_date,
    ),
    # "the 3rd of next month", "the 15th of this month"
    (
        r"(?<!\w)(?:on\s+)?the\s+(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\s+of\s+"
        r"(?P<which>this|next|the\s+following|the\s+next)\s+month\b",
        _day_of_a_month_named,
    ),
    (
        rf"(?<!\w)(?P<on>on\s+)?the\s+(?:(?P<d>3[01]|[12]\d|0?[1-9])(?P<suffix>st|nd|rd|th)?"
        rf"(?![\d:])|(?P<dw>{ORDINAL_WORD_RE})\b)(?!\s*(?:of\s+)?(?:{MONTH_RE})\b)",
        _ordinal_day,
    ),
    # "the 8th or 9th": the second day without its "the"
    (
        r"(?<=\bor )(?P<on>)(?P<d>3[01]|[12]\d|0?[1-9])(?P<suffix>st|nd|rd|th)(?![\w:])(?P<dw>)",
        _ordinal_day,
    ),
    # holidays named instead of a date: "christmas eve", "thanksgiving", "on christmas"
    (
        r"(?:\b(?P<lead>on|before|after|until|till|by|over|at|around)\s+)?(?P<h>"
        r"(?:christmas|x-?mas)(?:\s+(?:eve|day))?|new\s*years?'?s?\s+(?:eve|day)|"
        r"good\s+friday|easter(?:\s+(?:sunday|monday|day))?|black\s+friday|"
        r"(?:the\s+)?day\s+after\s+thanksgiving|boxing\s+day|"
        r"(?:st\.?|saint)\s+patrick'?s?(?:\s+day)?|"
        r"thanksgiving(?:\s+day)?|(?:independence|memorial|labor|columbus|"
        r"(?:mlk|martin\s+luther\s+king(?:\s+jr\.?)?)|presidents?'?s?|veterans?'?s?|"
        r"valentines?'?s?)\s+day|(?:the\s+)?(?:4th|fourth)\s+of\s+july|juneteenth|halloween)\b",
        _holiday,
    ),
    # days relative to today and weekdays
    (rf"\b(?:the\s+)?(?P<w>day\s+after\s+(?:{_TOMORROW}))\b", _relative_day),
    (r"\b(?:the\s+)?(?P<w>day\s+before\s+yesterday)\b", _relative_day),
    (rf"\b(?P<w>today|todays|tonight|tonite|{_TOMORROW}|yesterday)\b", _relative_day),
    # a week after the coming weekday: "friday week", "a week on friday", "friday after next"
    (
        rf"(?<!\w)(?:a\s+week\s+(?:on|from)\s+(?:this\s+)?(?P<wd>{WEEKDAY_RE})\b|"
        rf"(?:the\s+)?(?P<wd2>{WEEKDAY_RE})\s+(?:after\s+next|week)\b(?!\s+of\b))",
        _weekday_a_week_later,
    ),
    (
        r"(?<!\w)(?:(?P<mod>this\s+coming|this|next|the\s+following|following|coming|last|past|"
        rf"previous|on)\s+)?(?P<wd>{WEEKDAY_RE})(?:s\b|\b)\.?"
        r"(?:,?\s+(?:the\s+)?(?P<dom>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)(?!\w))?"
        r"(?:\s+(?:of\s+)?(?P<wk>this|next|last)\s+week\b)?",
        _weekday,
    ),
    (
        rf"(?<!\w)(?P<wk>this|next|last)\s+week(?:'s)?,?\s+(?:on\s+)?(?P<mod>)(?P<wd>{WEEKDAY_RE})"
        r"(?:s\b|\b)",
        _weekday,
    ),
    # runs of days: weekday spans, weeks, weekends, months
    (
        r"(?<!\w)(?:(?:from|between)\s+)?(?:(?P<mod>this\s+coming|this|next|coming)\s+)?"
        rf"(?P<wd1>{WEEKDAY_RE})\s*(?:-|–|to|through|thru|till|until|and)"
        rf"\s*(?P<wd2>{WEEKDAY_RE})\b(?:\s+(?:of\s+)?(?P<wk>this|next)\s+week\b)?",
        _weekday_span,
    ),
    (
        rf"\b(?:(?:in|within|over|during|for)\s+)?the\s+(?:next|coming)\s+"
        rf"(?P<n>\d{{1,2}}|{NUMBER_WORD_RE})\s+(?P<unit>days?|weeks?|months?)\b",
        _next_days,
    ),
    (
        rf"\b(?:(?P<q>{_QUALIFIER}|sometime|some\s+time|anytime|any\s+time|any\s+day)\s+)?"
        r"(?:(?:in|on|during|over|at|for)\s+)?(?P<which>this\s+coming|this|next|the\s+following|"
        r"the\s+coming|coming|last|past|the)\s+(?P<unit>week\s*-?\s*ends?|week|wk)\b",
        _week,
    ),
    (r"\b(?:the\s+)?(?P<after_next>week\s+after\s+next)\b", _week),
    (r"\b(?:(?:on|over|at)\s+)?(?:a\s+)?weekends?\b", _week),
    (
        rf"\b(?:(?P<q>{_QUALIFIER})\s+|(?P<pre>in|during|this|next|last|for|from|since|the|back\s+in|"
        r"sometime\s+in|around)\s+"
        rf"(?:(?P<q2>early|mid-?|late)\s*)?|(?P<q3>mid-))(?P<mon>{FULL_MONTH_RE})\b"
        rf"(?:\s+(?P<y>(?:19|20)\d{{2}})\b|(?!\s*,?\s*(?:the\s+)?(?:\d|{ORDINAL_WORD_RE})))",
        _month_name,
    ),
    (rf"\b(?P<mon>{FULL_MONTH_RE})\s+(?P<y>(?:19|20)\d{{2}})\b", _month_name),
    (
        # "my december visit", "the january bill", "march appointment": the month of a visit
        rf"\b(?:(?P<pre>my|our|his|her|their|that)\s+)?(?P<mon>{FULL_MONTH_RE})(?=\s+(?:visit|"
        r"appointment|appt|bill|invoice|claim|statement|check-?up|physical|consultation|"
        r"follow-?up|blood\s*test)s?\b)",
        _month_before_a_visit,
    ),
    (
        rf"\b(?:(?P<q>{_QUALIFIER})\s+)?(?:(?:in|during|for)\s+)?"
        r"(?P<which>this|next|the\s+following|last|the)\s+month\b",
        _relative_month,
    ),
    (r"\b(?P<q>end\s+of)\s+(?P<which>)month\b", _relative_month),
    (
        r"\b(?:the\s+)?(?P<ord>first|1st|second|2nd|third|3rd|fourth|4th|last|final)\s+"
        rf"(?:full\s+)?week\s+(?:of|in)\s+(?:(?P<mon>{FULL_MONTH_RE})|(?P<rel>this|next)\s+month)\b",
        _week_of_month,
    ),
    # offsets from now
    (r"\bin\s+(?P<half>half\s+an\s+hour)\b", _offset),
    (
        rf"\bin\s+(?:about\s+|around\s+|approximately\s+|roughly\s+|like\s+)?"
        rf"(?P<n>\d{{1,3}}|{NUMBER_WORD_RE})\s+(?P<unit>minutes?|mins?|hours?|hrs?|days?|"
        r"weeks?|wks?|months?|years?)\b",
        _offset,
    ),
    (
        rf"\b(?P<n>\d{{1,3}}|{NUMBER_WORD_RE})\s+(?P<unit>minutes?|mins?|hours?|hrs?|days?|"
        rf"weeks?|wks?|months?|years?)\s+(?P<dir>from\s+now|from\s+today|from\s+(?:{_TOMORROW})|"
        rf"ago|from\s+(?:this\s+|next\s+)?(?P<wd>{WEEKDAY_RE}))\b",
        _offset,
    ),
    # clock times and ranges
    (
        rf"(?<![\w:.$/])(?:(?P<pre>between|btw|btwn|from|anywhere\s+from|any\s*time\s+between)"
        rf"\s+)?(?P<t1>{_CORE_TIME})\s*(?P<sep>-|–|—|to|till|until|til|and|or)\s*"
        rf"(?P<t2>{_CORE_TIME})(?![\w:]|-\d|\s*(?:{UNIT_WORDS})\b)",
        _clock_range,
    ),
    (
        rf"(?<![\w:.$/])(?P<h>1[0-2]|0?[1-9])(?!\d)(?:[:.](?P<m>[0-5]\d))?\s*{MERIDIEM_RE}",
        _clock_meridiem,
    ),
    (r"(?<![\w:.$/])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?![\d:])", _clock_colon),
    (
        rf"(?<!\w)(?:(?P<pre>at|around|about|after|before|by|until|till)\s+)?"
        rf"(?:(?P<h>1[0-2]|0?[1-9])(?!\d)|(?P<hw>{HOUR_WORD_RE})\b)\s*(?:o'?\s?clock|oclock)"
        rf"(?:\s*{MERIDIEM_RE})?",
        _clock_words,
    ),
    (r"(?<![\w:.$/])(?P<h>1[0-2]|0?[1-9])\s*-?\s*ish\b", _clock_words),
    (
        rf"\b(?:(?P<pre>at|around|about|after|before|by|until|till)\s+)?(?P<hw>{HOUR_WORD_RE})"
        rf"(?:\s+(?P<mw>{MINUTE_WORD_RE}))?\s*{MERIDIEM_RE}",
        _clock_words,
    ),
    (
        rf"{_CLOCK_PREFIX}(?P<h>[01]?\d|2[0-3])[:.](?P<m>[0-5]\d)(?:\s*{MERIDIEM_RE})?"
        rf"(?:\s*-?\s*ish\b)?{_NOT_A_CLOCK}",
        _clock_words,
    ),
    (
        rf"{_CLOCK_PREFIX}(?P<h>1[0-2]|0?[1-9])\s*{MERIDIEM_RE}(?:\s*-?\s*ish\b)?",
        _clock_words,
    ),
    (
        rf"{_CLOCK_PREFIX}(?P<h>[01]?\d|2[0-3])(?:\s*-?\s*ish\b)?{_NOT_A_CLOCK}{_CLOCK_FOLLOW}",
        _clock_words,
    ),
    (
        r"(?<!\w)(?P<pre>at|around|about|after|before|by|until|till)\s+"
        rf"(?P<hw>{HOUR_WORD_RE})(?:\s+(?P<mw>{MINUTE_WORD_RE}))?(?:\s*-?\s*ish)?{_CLOCK_FOLLOW}",
        _clock_words,
    ),
    (
        rf"(?<!\w)(?P<hw>{HOUR_WORD_RE})\s+(?P<mw>{MINUTE_WORD_RE})(?:\s*-?\s*ish)?{_CLOCK_FOLLOW}",
        _clock_words,
    ),
    (
        rf"(?<![\w:.$/])(?:(?P<h>1[0-2]|0?[1-9])|(?P<hw>{HOUR_WORD_RE}))"
        r"(?=\s+(?:in\s+the|this|tomorrow|tmrw)\s+(?:morning|afternoon|evening)\b)",
        _clock_before_part,
    ),
    (
        r"(?<!\w)(?:(?P<pre>at|around|about|after|before|by|until|till)\s+)?(?:12\s*)?"
        r"(?P<w>noon|midday|mid-day|midnight)\b",
        _noon,
    ),
    (
        r"(?<!\w)(?:(?P<pre>at|around|about|after|before|by)\s+)?(?P<q>half|quarter|"
        r"twenty[\s-]?five|twenty|ten|five|\d{1,2}\s+minutes)\s+(?P<rel>past|after|to|till|til|of|"
        rf"before)\s+(?:(?P<h>1[0-2]|0?[1-9])(?!\d)|(?P<hw>{HOUR_WORD_RE})\b)"
        rf"(?:\s*{MERIDIEM_RE})?{_NOT_A_CLOCK}",
        _quarter,
    ),
    # British "half two" / "at half 3": half past the hour
    (
        r"(?<!\w)(?:(?P<pre>at|around|about|after|before|by)\s+)?half\s+"
        rf"(?:(?P<h>1[0-2]|0?[1-9])(?!\d)|(?P<hw>{HOUR_WORD_RE})\b)"
        rf"(?:\s*{MERIDIEM_RE})?{_NOT_A_CLOCK}",
        _british_half,
    ),
    # parts of the day
    (
        r"(?<!\w)(?:(?P<pre>this|in\s+the|during\s+the|early\s+in\s+the|late\s+in\s+the|"
        r"later\s+in\s+the|sometime\s+in\s+the|any\s*time\s+in\s+the|at|on\s+the|over|around)\s+)?"
        r"(?:(?P<mod>early|late|later|mid-|mid)\s*)?(?P<part>morning|mornin|afternoon|arvo|"
        r"evening|night|lunch\s*time|after\s+lunch|before\s+lunch|lunch|"
        r"first\s+thing(?:\s+in\s+the\s+morning)?|after\s+work|"
        r"after\s+school|end\s+of\s+the\s+day)s?\b",
        _part_of_day,
    ),
    (r"(?<![\w:.])(?P<m>[ap]\.m\.?|[ap]m)(?!\w)", _meridiem_after_a_day),
]


_COMPILED = [(re.compile(pattern, re.IGNORECASE), maker) for pattern, maker in _PATTERNS]


def find_pieces(ctx: Context) -> list[Piece]:
    candidates: list[tuple[int, int, Piece]] = []
    for priority, (pattern, maker) in enumerate(_COMPILED):
        for found in pattern.finditer(ctx.text):
            piece = maker(found, ctx)
            if piece is not None and piece.end > piece.start:
                candidates.append((piece.end - piece.start, priority, piece))
    # longest first, then the earlier pattern; keep those that do not overlap a kept one
    candidates.sort(key=lambda c: (-c[0], c[1], c[2].start))
    kept: list[Piece] = []
    for _, _, piece in candidates:
        if all(piece.end <= other.start or piece.start >= other.end for other in kept):
            kept.append(piece)
    return sorted(kept, key=lambda p: p.start)
