"""The demo seed: realistic, complete, and the same every time."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from clinic import identity, scheduling
from clinic.db import create_engine_for, session_scope, upgrade
from clinic.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Claim,
    ClaimStatus,
    Invoice,
    Patient,
    Provider,
    Staff,
    StaffRole,
)
from clinic.seed import DEMO_NOW, seed_demo


def test_seed_has_everything_the_issue_asks_for(seeded_session):
    s = seeded_session
    assert s.scalar(select(func.count()).select_from(Provider)) >= 3
    assert s.scalar(select(func.count()).select_from(AppointmentType)) >= 6
    assert s.scalar(select(func.count()).select_from(Patient)) >= 50
    statuses = set(s.scalars(select(Appointment.status).distinct()))
    assert statuses == set(AppointmentStatus)
    assert set(s.scalars(select(Claim.status).distinct())) == set(ClaimStatus)
    assert s.scalar(select(func.count()).select_from(Invoice)) > 100
    roles = set(s.scalars(select(Staff.role)))
    assert {StaffRole.FRONT_DESK, StaffRole.BILLING} <= roles
    assert s.scalar(select(func.count()).where(Staff.telegram_user_id.is_not(None))) >= 3
    starts = s.scalars(select(Appointment.start_at)).all()
    assert min(starts) < DEMO_NOW < max(starts)
    assert all(p.phone.startswith("+1") for p in s.scalars(select(Patient)))


def test_documented_identities(seeded_session):
    maria = identity.who_is(seeded_session, "tg:1001")
    assert maria.patient.full_name == "Maria Lopez" and maria.patient.id == 1
    assert (
        str(maria.patient.date_of_birth) == "1985-04-12" and maria.patient.phone == "+14135550142"
    )
    assert identity.who_is(seeded_session, "tg:2001").staff.name == "Rita Alvarez"
    assert identity.who_is(seeded_session, "web:demo-aisha").patient.first_name == "Aisha"
    (first, second) = scheduling.upcoming_for_patient(seeded_session, maria.actor)
    assert scheduling.describe(first) == "Check-up with Dr. Anika Patel on Tue, Mar 2 at 10:00 AM"
    assert second.status is AppointmentStatus.CONFIRMED


def _appointments(session):
    return [
        (a.patient_id, a.provider_id, a.start_at, a.status)
        for a in session.scalars(select(Appointment).order_by(Appointment.id))
    ]


def test_seed_is_deterministic_and_refuses_a_used_store(tmp_path, seeded_db_url):
    url = f"sqlite:///{tmp_path / 'again.db'}"
    upgrade(url)
    engine = create_engine_for(url)
    with session_scope(engine) as s:
        seed_demo(s, now=DEMO_NOW, progress=False)
    with session_scope(engine) as s:
        again = _appointments(s)
        with pytest.raises(ValueError, match="already has patients"):
            seed_demo(s, now=DEMO_NOW, progress=False)
    engine.dispose()
    shared = create_engine_for(seeded_db_url)
    with session_scope(shared, readonly=True) as s:
        assert _appointments(s) == again and len(again) > 500
    shared.dispose()
