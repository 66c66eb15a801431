"""Words and regex fragments for date/time phrases (English), shared by the time parser.

Only words listed here can start a time phrase, so ordinary words ("do", "may I", "the sun",
"a second opinion", "I march") never become dates: a short or ambiguous word counts only in a
date-like context (the patterns in nlu/time_parsing.py say which).
"""

from __future__ import annotations

import re

WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "munday": 0,
    "tuesday": 1,
    "tues": 1,
    "tue": 1,
    "tuesay": 1,
    "tusday": 1,
    "teusday": 1,
    "tuseday": 1,
    "wednesday": 2,
    "weds": 2,
    "wed": 2,
    "wednsday": 2,
    "wensday": 2,
    "wendsday": 2,
    "wedensday": 2,
    "wedsday": 2,
    "wednessday": 2,
    "thursday": 3,
    "thurs": 3,
    "thur": 3,
    "thu": 3,
    "thrusday": 3,
    "thurday": 3,
    "thursay": 3,
    "thusday": 3,
    "friday": 4,
    "fri": 4,
    "firday": 4,
    "fryday": 4,
    "fridy": 4,
    "saturday": 5,
    "sat": 5,
    "saterday": 5,
    "satuday": 5,
    "saturdy": 5,
    "sunday": 6,
    "sun": 6,
    "sundy": 6,
}
# Abbreviations that are also ordinary English words: a time phrase only next to a time,
# a part of the day, or after "this/next/on/last".
WEAK_WEEKDAYS = frozenset({"mon", "wed", "sat", "sun"})

MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "febuary": 2,
    "feburary": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
# Month words that may stand alone in "in march", "next may" (abbreviations need a day).
FULL_MONTHS = {name: n for name, n in MONTHS.items() if len(name) > 3 or name == "may"}

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "couple": 2,
    "a few": 3,
    "few": 3,
}
HOUR_WORDS = {
    word: n for word, n in NUMBER_WORDS.items() if word not in ("a", "an") and " " not in word
}
HOUR_WORDS.pop("couple")
HOUR_WORDS.pop("few")
MINUTE_WORDS = {
    "oh five": 5,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty five": 45,
    "forty-five": 45,
    "fifty": 50,
}

_UNITS_ORDINAL = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
}
ORDINAL_WORDS = dict(_UNITS_ORDINAL)
ORDINAL_WORDS.update(
    {
        "tenth": 10,
        "eleventh": 11,
        "twelfth": 12,
        "thirteenth": 13,
        "fourteenth": 14,
        "fifteenth": 15,
        "sixteenth": 16,
        "seventeenth": 17,
        "eighteenth": 18,
        "nineteenth": 19,
        "twentieth": 20,
        "thirtieth": 30,
    }
)
for _word, _n in _UNITS_ORDINAL.items():
    for _sep in (" ", "-", ""):
        ORDINAL_WORDS[f"twenty{_sep}{_word}"] = 20 + _n
for _sep in (" ", "-", ""):
    ORDINAL_WORDS[f"thirty{_sep}first"] = 31

# Parts of the day: (start hour, end hour), end exclusive. The spec fixes the first three.
PARTS_OF_DAY = {
    "morning": (8, 12),
    "afternoon": (12, 17),
    "evening": (17, 21),
    "night": (17, 21),
    "lunch": (12, 14),
    "after lunch": (13, 17),
    "after work": (17, 21),
    "after school": (15, 18),
    "first thing": (8, 10),
    "end of the day": (15, 17),
}

# Words after a number that make it a quantity, not a clock time or a date.
UNIT_WORDS = (
    r"%|percent|mg|mgs|mcg|µg|ml|cc|g|gram|grams|kg|kgs|lb|lbs|pounds?|units?|iu|tabs?|tablets?|"
    r"pills?|caps?|capsules?|doses?|drops?|puffs?|shots|injections?|times|x|days?|weeks?|wks?|"
    r"months?|years?|yrs?|y/o|yo|hours?|hrs?|minutes?|mins?|seconds?|secs?|people|persons?|"
    r"kids|children|patients|dollars?|bucks|cents?|usd|\$|inch(?:es)?|cm|mm|feet|ft|degrees?|"
    r"out\s+of|of|or\s+more|more|less|steps|miles?|km|floors?|stars?|points?|visits|appointments"
)


def alternation(words) -> str:
    """A regex alternation of `words`, longest first so "tues" wins over "tue"."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


WEEKDAY_RE = alternation(WEEKDAYS)
MONTH_RE = alternation(MONTHS)
FULL_MONTH_RE = alternation(FULL_MONTHS)
ORDINAL_WORD_RE = alternation(ORDINAL_WORDS)
HOUR_WORD_RE = alternation(HOUR_WORDS)
MINUTE_WORD_RE = alternation(MINUTE_WORDS)
NUMBER_WORD_RE = alternation(NUMBER_WORDS)
MERIDIEM_RE = r"(?P<ap>[ap])\.?\s?m\b\.?"
