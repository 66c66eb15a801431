"""The time parser behind the `time` entity (nlu/time_parsing.py), on the phrase set in
tests/nlu/time_phrases.yml plus the rules around it: one entity per phrase, no stray
entities from ordinary words or numbers, configurable date order, dates of birth."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from nlu.time_parsing import find_times, no_such_day, reference_now, to_interval

CASES = yaml.safe_load((Path(__file__).parent / "time_phrases.yml").read_text())
DEFAULTS = CASES["defaults"]


def _now(case: dict) -> datetime:
    tz = ZoneInfo(case.get("timezone", DEFAULTS["timezone"]))
    return datetime.fromisoformat(case.get("now", DEFAULTS["now"])).astimezone(tz)


def _values(text: str, case: dict, date_order: str = "MDY") -> list:
    return [match.value for match in find_times(text, _now(case), date_order)]


def test_the_phrase_set_is_big_enough_to_mean_something():
    assert len(CASES["phrases"]) >= 80
    assert len(CASES["no_time"]) >= 40


def test_phrase_resolution_rate_meets_the_target():
    failures = []
    for case in CASES["phrases"]:
        got = _values(case["text"], case)
        if got != [case["value"]]:
            failures.append(f"{case['text']!r} now={case.get('now', 'default')}: {got}")
    rate = 1 - len(failures) / len(CASES["phrases"])
    assert rate >= 0.95, f"{rate:.1%} resolved; wrong:\n" + "\n".join(failures)


@pytest.mark.parametrize("case", CASES["phrases"], ids=lambda c: c["text"])
def test_phrase(case):
    assert _values(case["text"], case) == [case["value"]]


@pytest.mark.parametrize("text", CASES["no_time"])
def test_no_stray_time_entity(text):
    assert find_times(text, _now({})) == []


@pytest.mark.parametrize(
    "case", CASES["date_order"], ids=lambda c: f"{c['text']}-{c['date_order']}"
)
def test_date_order(case):
    assert _values(case["text"], case, case["date_order"]) == [case["value"]]


def test_unknown_date_order_is_refused():
    with pytest.raises(ValueError, match="date_order"):
        find_times("3/4", _now({}), "YDM")


def test_one_entity_per_phrase_with_offsets_into_the_original_text():
    text = "Tomorrow at 3pm doesn't work, could we do Friday morning or next week?"
    matches = find_times(text, _now({}))
    assert [m.text for m in matches] == ["Tomorrow at 3pm", "Friday morning", "next week"]
    for match in matches:
        assert text[match.start : match.end] == match.text
    assert [m.grain for m in matches] == ["moment", "range", "range"]


def test_a_run_of_days_keeps_its_daily_window():
    (match,) = find_times("sometime next week in the afternoon", _now({}))
    assert match.value == {"from": "2027-03-08", "to": "2027-03-14"}
    assert match.hours == ("12:00", "17:00")


@pytest.mark.parametrize(
    ("text", "dated"),
    [
        ("9:30", False),
        ("at 2pm", False),
        ("in the afternoon", False),
        ("between 2 and 4", False),
        ("friday at 9:30", True),
        ("tomorrow", True),
        ("next week in the afternoon", True),
        ("march 3 at 10am", True),
    ],
)
def test_a_clock_time_without_a_day_is_marked_undated(text, dated):
    """ "9:30" resolves to today or tomorrow, but a form offering times on another day reads
    it as that day: the entity says whether a day was said."""
    (match,) = find_times(text, _now({}))
    assert match.dated is dated


def test_a_date_of_birth_is_never_moved_to_the_future():
    for text in ("march 3 1950", "3/3/1950", "3/3/50", "the 3rd of march, 1950"):
        (match,) = find_times(f"my birthday is {text}", _now({}))
        assert match.value == "1950-03-03", text


def test_a_date_without_a_year_prefers_the_future_but_a_written_year_is_kept():
    now = _now({"now": "2027-06-15T10:00:00-04:00"})
    assert [m.value for m in find_times("march 3", now)] == ["2028-03-03"]
    assert [m.value for m in find_times("march 3 2027", now)] == ["2027-03-03"]


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "?" * 5000, "a" * 10000, "ßüöä 🤒"])
def test_garbage_gives_nothing_and_does_not_crash(text):
    assert find_times(text, _now({})) == []


def test_impossible_dates_are_not_entities():
    assert find_times("february 30", _now({})) == []
    assert find_times("13/45", _now({})) == []
    assert find_times("at 25:00", _now({})) == []
    # not "the 31st" of this month, nor 2pm today: no time at all, and said why
    for text in ("book the conference room on the 31st of February at 2pm",
                 "at 2pm on the 31st of february", "april 31st please"):  # fmt: skip
        assert find_times(text, _now({})) == [], text
    assert no_such_day("on the 31st of February at 2pm") == "February has no 31st."
    assert no_such_day("april 31st please") == "April has no 31st."
    assert no_such_day("feb 29") is None  # a leap year has one
    assert no_such_day("the 31st of march, or 31 junk") is None


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware"):
        find_times("tomorrow", datetime(2027, 3, 1, 10))


def test_reference_now_reads_medsec_now_in_the_clinic_zone():
    now = reference_now(
        {"MEDSEC_NOW": "2027-03-01T15:00:00Z", "MEDSEC_TIMEZONE": "America/Chicago"}
    )
    assert now.isoformat() == "2027-03-01T09:00:00-06:00"
    naive = reference_now({"MEDSEC_NOW": "2027-03-01T09:00", "MEDSEC_TIMEZONE": "Europe/Berlin"})
    assert naive.isoformat() == "2027-03-01T09:00:00+01:00"
    assert reference_now({}).tzinfo == ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"MEDSEC_NOW": "yesterday-ish"}, "MEDSEC_NOW"),
        ({"MEDSEC_TIMEZONE": "Mars/Base"}, "MEDSEC_TIMEZONE"),
    ],
)
def test_reference_now_names_the_bad_variable(env, variable):
    with pytest.raises(ValueError, match=variable):
        reference_now(env)


def test_to_interval_gives_half_open_spans():
    tz = ZoneInfo("America/New_York")
    start, end = to_interval("2027-03-02", tz)
    assert (start.isoformat(), end.isoformat()) == (
        "2027-03-02T00:00:00-05:00",
        "2027-03-03T00:00:00-05:00",
    )
    start, end = to_interval({"from": "2027-03-08", "to": "2027-03-14"}, tz)
    assert (start.day, end.day) == (8, 15)
    start, end = to_interval(
        {"from": "2027-03-02T08:00:00-05:00", "to": "2027-03-02T12:00:00-05:00"}, tz
    )
    assert (start.hour, end.hour) == (8, 12)
    moment = to_interval("2027-03-02T15:00:00-05:00", tz)
    assert moment[0] == moment[1]


@pytest.mark.parametrize(
    ("text", "past", "future"),
    [
        ("send me my bill from March 3", "2026-03-03", "2027-03-03"),
        ("did insurance pay for friday", "2027-02-26", "2027-03-05"),
        ("the visit on the 15th", "2027-02-15", "2027-03-15"),
        ("march 1", "2027-03-01", "2027-03-01"),
        ("march 3 1950", "1950-03-03", "1950-03-03"),
    ],
)
def test_an_action_about_the_past_can_prefer_the_past(text, past, future):
    now = _now({})
    assert [m.value for m in find_times(text, now, prefer_past=True)] == [past]
    assert [m.value for m in find_times(text, now)] == [future]


def test_a_month_in_the_past():
    (match,) = find_times("my bills in december", _now({}), prefer_past=True)
    assert match.value == {"from": "2026-12-01", "to": "2026-12-31"}
    december = {"from": "2026-12-01", "to": "2026-12-31"}
    january = {"from": "2027-01-01", "to": "2027-01-31"}
    for text, value in [
        ("did insurance pay for the december visit", december),
        ("what about the one from january", january),
        ("last december", december),  # "last" says the past even to a booking
    ]:
        (match,) = find_times(text, _now({}), prefer_past=True)
        assert match.value == value, text
    (booking,) = find_times("last december", _now({}))
    assert booking.value == december
    (ahead,) = find_times("book for next april", _now({}), prefer_past=True)
    assert ahead.value == {"from": "2027-04-01", "to": "2027-04-30"}, "'next' is ahead, always"


def test_shorthand_is_read_and_offsets_stay_in_the_typed_text():
    text = "see you nxt tuesday at 9, or nxt wk"
    first, second = find_times(text, _now({}))
    assert (first.start, first.end, first.text) == (8, 24, "nxt tuesday at 9")
    assert first.value == "2027-03-09T09:00:00-05:00"
    assert text[second.start : second.end] == "nxt wk" == second.text


def test_a_day_and_hours_said_as_two_different_things_stay_two():
    case = {}
    # the hours are why not, or another time: not that day's
    for text in ("friday as I work in the morning", "wednesday or in the morning",
                 "wednesday is no good but the morning of thursday"):  # fmt: skip
        assert len(_values(text, case)) == 2, text
    assert _values("good afternoon, can I come wednesday", case) == ["2027-03-03"]
