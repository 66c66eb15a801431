"""The store unreachable: every action still answers (an apology and the way to a person),
and the emergency advice still goes out with the number from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.billing import ActionAskBalance
from actions.booking import ValidateBookingForm
from actions.faq import ActionAskLocation
from actions.messages import ActionReportEmergency
from clinic.config import get_settings
from clinic.db import dispose_engines
from tests.actions.helpers import MARIA, buttons, run, texts, tracker


@pytest.fixture
def store_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "not-a-database"
    folder.mkdir()  # a directory: SQLite cannot open it
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{folder}")
    monkeypatch.setenv("EMERGENCY_NUMBER", "112")
    get_settings.cache_clear()
    dispose_engines()
    yield
    dispose_engines()
    get_settings.cache_clear()


@pytest.mark.parametrize("action", [ActionAskLocation, ActionAskBalance])
def test_an_action_apologises_instead_of_going_silent(store_down, action):
    events, said = run(action(), tracker(MARIA, intent="ask_location"))
    assert events == []
    assert texts(said).startswith("Sorry, something went wrong on our side")
    assert [b["payload"] for b in buttons(said)] == ["/request_human"]


def test_a_form_turn_apologises_and_fills_nothing(store_down):
    events, said = run(
        ValidateBookingForm(),
        tracker(
            MARIA,
            intent="book_appointment",
            form="booking_form",
            activating=True,
            new_slots={"appointment_type": "checkup"},
        ),
    )
    assert events == [] and "something went wrong" in texts(said)


def test_emergency_advice_survives_a_store_outage(store_down):
    _, said = run(ActionReportEmergency(), tracker(MARIA, "chest pain", intent="report_emergency"))
    assert said.messages[0]["text"].startswith("🚨 If this is an emergency, call 112 now")
    assert "couldn't reach the practice staff" in texts(said)
