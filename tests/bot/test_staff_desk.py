"""/schedule's arguments read as the assistant reads dates (nlu/time_parsing.py): a day, or a
run of days answered one line a day; what is left names the provider."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.clinic_bridge import ClinicBridge
from bot.staff_desk import StaffDesk, split_schedule_args

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("America/New_York"))  # a Monday


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("", (date(2027, 3, 1), date(2027, 3, 1), None)),
        ("tomorrow patel", (date(2027, 3, 2), date(2027, 3, 2), "patel")),
        ("dr patel tomorrow", (date(2027, 3, 2), date(2027, 3, 2), "patel")),
        ("next week", (date(2027, 3, 8), date(2027, 3, 14), None)),
        ("next week Dr. Lee", (date(2027, 3, 8), date(2027, 3, 14), "lee")),
        ("2027-03-08", (date(2027, 3, 8), date(2027, 3, 8), None)),
        ("3/4 garcia", (date(2027, 3, 4), date(2027, 3, 4), "garcia")),
        ("someday soonish", None),
    ],
)
def test_schedule_arguments(args, expected):
    assert split_schedule_args(args, NOW) == expected


async def test_schedule_for_a_week_is_one_line_a_day(seeded_db_url, frozen_now):
    frozen_now()
    from clinic.db import create_engine_for

    engine = create_engine_for(seeded_db_url)
    desk = StaffDesk(ClinicBridge(engine))
    (week,) = await desk.command("tg:2001", "schedule", "next week")  # Rita, front desk
    lines = week.text.splitlines()
    assert lines[0] == "Schedule, Monday, March 8 to Sunday, March 14:"
    assert sum(line.startswith("• ") for line in lines) == 7
    (refused,) = await desk.command("tg:1001", "schedule", "next week")  # Maria, a patient
    assert "Schedule" not in refused.text
    engine.dispose()
