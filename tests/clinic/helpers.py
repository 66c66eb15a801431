"""Small builders for clinic tests (the demo clinic must be loaded)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic import identity
from clinic.clock import clinic_tz
from clinic.models import Patient, Staff, StaffRole


def at(day: str, clock: str) -> datetime:
    """Aware local time: at("2027-03-02", "09:00")."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=clinic_tz())


def day_window(day: str) -> tuple[datetime, datetime]:
    start = at(day, "00:00")
    return start, start + timedelta(days=1)


def make_patient(session: Session, n: int = 1, identity_: str | None = None) -> Patient:
    patient = identity.register_patient(
        session,
        first_name="Test",
        last_name=f"Patient{chr(64 + n % 26 or 26)}",
        date_of_birth=date(1980, 1, 1) + timedelta(days=n),
        phone=f"+1413555{n:04d}",
        identity=identity_,
    )
    session.flush()
    return patient


def make_staff(
    session: Session, role: StaffRole = StaffRole.FRONT_DESK, telegram_user_id: int | None = 9001
) -> Staff:
    from clinic import clock

    staff = Staff(
        name="Rita Desk", role=role, telegram_user_id=telegram_user_id, created_at=clock.now()
    )
    session.add(staff)
    session.flush()
    return staff


def count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))
