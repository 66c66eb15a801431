"""The practice's facts, loaded from YAML and asked about."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from clinic import practice
from clinic.errors import InvalidInput, UnknownAppointmentType, UnknownProvider, UnknownRoom
from clinic.models import AppointmentType, Provider
from tests.conftest import DEMO_CLINIC_FILE


def test_demo_clinic_loads_everything(clinic_session):
    info = practice.clinic_info(clinic_session)
    assert info.name == "Maple Street Family Practice"
    assert info.emergency_number == "911"
    assert any("HSA" in m for m in info.payment_methods)
    assert "6 monthly instalments" in info.payment_plan_policy
    assert [p.key for p in practice.providers(clinic_session)] == [
        "garcia",
        "lee",
        "okafor",
        "patel",
    ]
    assert len(practice.appointment_types(clinic_session)) == 7
    assert [p.key for p in practice.providers(clinic_session, "blood_test")] == ["okafor"]
    assert [r.key for r in practice.get_type(clinic_session, "procedure").rooms] == ["procedure"]


def test_hours_and_holidays(clinic_session):
    christmas_eve = practice.hours_on(clinic_session, date(2026, 12, 24))
    assert not christmas_eve.is_open and christmas_eve.closure_reason == "Christmas Eve"
    saturday = practice.hours_on(clinic_session, date(2027, 3, 6))
    assert saturday.intervals == [(time(9), time(12))]
    assert not practice.hours_on(clinic_session, date(2027, 3, 7)).is_open  # Sunday
    week = practice.week_hours(clinic_session)
    assert [d.day.weekday() for d in week] == list(range(7))
    assert week[2].intervals == [(time(8), time(19))]  # late Wednesdays


def test_visit_prep_and_insurers(clinic_session):
    prep = practice.visit_prep(clinic_session, "blood_test")
    assert "photo ID" in prep and "Fast for 8 hours" in prep
    assert "Fast" not in practice.visit_prep(clinic_session)
    with pytest.raises(UnknownAppointmentType):
        practice.visit_prep(clinic_session, "astrology")
    assert practice.find_insurer(clinic_session, "  Blue   Cross ").key == "bcbs"
    assert practice.find_insurer(clinic_session, "UHC").key == "united"
    assert practice.find_insurer(clinic_session, "Acme") is None
    assert "Aetna" in [i.name for i in practice.accepted_insurers(clinic_session)]


def test_unknown_names_list_what_exists(clinic_session):
    with pytest.raises(UnknownProvider, match="Dr. Anika Patel"):
        practice.get_provider(clinic_session, "house")
    with pytest.raises(UnknownAppointmentType, match="Check-up"):
        practice.get_type(clinic_session, "massage")
    with pytest.raises(UnknownRoom, match="Conference Room"):
        practice.get_room(clinic_session, "rooftop")
    assert practice.get_provider(clinic_session, " PATEL ").key == "patel"


def test_reload_is_idempotent_and_deactivates_what_is_gone(clinic_session, tmp_path: Path):
    data = yaml.safe_load(DEMO_CLINIC_FILE.read_text())
    first = practice.load_clinic(clinic_session, data)
    assert practice.load_clinic(clinic_session, data) == first
    ids = {p.key: p.id for p in clinic_session.scalars(select(Provider))}
    data["providers"] = [p for p in data["providers"] if p["key"] != "garcia"]
    for kind in data["appointment_types"]:
        kind["providers"] = [k for k in kind["providers"] if k != "garcia"]
    data["appointment_types"] = [
        t for t in data["appointment_types"] if t["key"] != "procedure"
    ] + [
        {
            **next(t for t in data["appointment_types"] if t["key"] == "procedure"),
            "providers": ["patel"],
        }
    ]
    practice.load_clinic(clinic_session, data)
    assert {p.key: p.id for p in clinic_session.scalars(select(Provider))} == ids  # same rows
    assert "garcia" not in [p.key for p in practice.providers(clinic_session)]
    with pytest.raises(UnknownProvider):
        practice.get_provider(clinic_session, "garcia")
    assert clinic_session.scalar(
        select(AppointmentType).where(AppointmentType.key == "procedure")
    ).active


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["clinic"].pop("name"),
        lambda d: d["clinic"]["opening_hours"].update({"funday": [["08:00", "12:00"]]}),
        lambda d: d["clinic"]["opening_hours"].update({"monday": [["17:00", "08:00"]]}),
        lambda d: d["clinic"]["opening_hours"].update({"monday": [["8am", "noon"]]}),
        lambda d: d["clinic"]["closures"].append({"date": "someday"}),
        lambda d: d["appointment_types"][0].update({"providers": ["nobody"]}),
        lambda d: d["appointment_types"][0].update({"duration": 0}),
        lambda d: d["clinic"].update({"faq": {"referral": "not needed"}}),
        lambda d: d["clinic"]["faq"].append({"ask": [], "answer": "Yes."}),
        lambda d: d["clinic"]["faq"].append({"ask": ["parking"]}),
    ],
)
def test_bad_clinic_files_are_refused_with_a_clear_message(clinic_session, mutate):
    data = yaml.safe_load(DEMO_CLINIC_FILE.read_text())
    mutate(data)
    with pytest.raises(InvalidInput) as caught:
        practice.load_clinic(clinic_session, data)
    assert str(caught.value)


def test_unreadable_files(clinic_session, tmp_path: Path):
    with pytest.raises(InvalidInput):
        practice.load_clinic_file(clinic_session, tmp_path / "missing.yml")
    (tmp_path / "list.yml").write_text("- just\n- a list\n")
    with pytest.raises(InvalidInput):
        practice.load_clinic_file(clinic_session, tmp_path / "list.yml")
    (tmp_path / "broken.yml").write_text("clinic: [unclosed\n")
    with pytest.raises(InvalidInput):
        practice.load_clinic_file(clinic_session, tmp_path / "broken.yml")


@pytest.mark.parametrize(
    ("said", "key"),
    [
        ("i wnat to book a chekup", "checkup"),
        ("need a vacination", "vaccination"),
        ("blod test tomorrow", "blood_test"),
        ("a phisical please", "physical"),
        ("folow up with dr lee", "follow_up"),
        ("consultaion", "consultation"),
        ("i want to book for my daughter", None),
        ("shout at me", None),  # "shot" is a synonym, but too short to guess at
        ("check", None),
    ],
)
def test_a_misspelt_visit_type_is_recognised_and_nothing_else_is(clinic_session, said, key):
    assert practice.type_like(clinic_session, said) == key


def test_the_practice_answers_its_common_questions_in_its_own_words(clinic_session):
    assert "don't need a referral" in practice.faq_answer(
        clinic_session, "Do I need a REFERRAL to see the dermatologist?"
    )
    missed = practice.faq_answer(clinic_session, "is there a no-show fee?")
    assert "24 hours" in missed
    assert practice.faq_answer(clinic_session, "what if I MISS MY APPOINTMENT") == missed
    assert "$150" in practice.faq_answer(clinic_session, "how much is a checkup without insurance")
    assert practice.faq_answer(clinic_session, "can my husband come with me?").startswith("Yes")
    # whole words only, and nothing for what the file does not answer
    assert practice.faq_answer(clinic_session, "I was preferred to Dr Lee") is None
    assert practice.faq_answer(clinic_session, "what's the weather like?") is None
    assert practice.faq_answer(clinic_session, "") is None


def test_a_clinic_file_without_faq_answers_nothing(clinic_session):
    data = yaml.safe_load(DEMO_CLINIC_FILE.read_text())
    del data["clinic"]["faq"]
    practice.load_clinic(clinic_session, data)
    clinic_session.flush()
    assert practice.faq_answer(clinic_session, "do I need a referral?") is None


def test_phone_numbers_read_as_people_dial_them():
    from clinic import text

    assert text.phone("+14135550100") == "(413) 555-0100"
    assert text.phone("+442079460958") == "+442079460958", "outside North America: as stored"
    assert text.phone("") == ""
