"""How times, dates and money read in messages, always in the clinic's time zone.

when(dt)   -> "Tue, Mar 2 at 9:00 AM"
day(d)     -> "Tuesday, March 2"
days(a, b) -> "January 2027", "Monday, March 8 to Sunday, March 14"
money(c)   -> "$1,234.50" (from cents)
phone(p)   -> "(413) 555-0100" for a North American E.164 number, else as stored
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from clinic.clock import clinic_tz


def local(moment: datetime) -> datetime:
    return moment.astimezone(clinic_tz())


def clock_time(moment: datetime) -> str:
    value = local(moment)
    return value.strftime("%I:%M %p").lstrip("0")


def when(moment: datetime) -> str:
    value = local(moment)
    return f"{value:%a, %b} {value.day} at {clock_time(value)}"


def day(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = local(value).date()
    return f"{value:%A, %B} {value.day}"


def days(first: date, last: date) -> str:
    """ "January 2027" for a whole month, else "Monday, March 8 to Sunday, March 14"."""
    whole_month = (
        first.day == 1
        and (first.year, first.month) == (last.year, last.month)
        and (last + timedelta(days=1)).day == 1
    )
    return f"{first:%B %Y}" if whole_month else f"{day(first)} to {day(last)}"


def article(noun: str) -> str:
    """ "a check-up", "an appointment"."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def short_date(value: date) -> str:
    return f"{value:%b} {value.day}, {value.year}"


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def iso_local(moment: datetime) -> str:
    """ISO 8601 in the clinic's zone, the format the NLU `time` entity uses."""
    return local(moment).isoformat(timespec="seconds")


def phone(number: str) -> str:
    """A phone number as people read and dial it: "+14135550100" -> "(413) 555-0100"."""
    digits = (number or "").strip()
    if len(digits) == 12 and digits.startswith("+1") and digits[1:].isdigit():
        return f"({digits[2:5]}) {digits[5:8]}-{digits[8:]}"
    return number
