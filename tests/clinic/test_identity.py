"""Who is talking: phone normalisation, registration, linking (with its rate limit), staff."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from clinic import clock, identity
from clinic.db import session_scope
from clinic.errors import (
    AlreadyRegistered,
    InvalidInput,
    InvalidPhone,
    NotLinked,
    NotStaff,
    TooManyAttempts,
    VerificationFailed,
)
from clinic.identity import LinkProgress, drop_pending_link, keep_pending_link, pending_link
from clinic.models import (
    AuditEntry,
    ChannelIdentity,
    HeldRequest,
    LinkAttempt,
    PendingLink,
    StaffRole,
)
from tests.clinic.helpers import make_staff

MARIA = {"first_name": "Maria", "last_name": "Lopez", "date_of_birth": date(1985, 4, 12)}


@pytest.mark.parametrize(
    "typed",
    [
        "(413) 555-0142",
        "413-555-0142",
        "413.555.0142",
        "+1 413 555 0142",
        "1 413 555 0142",
        "  4135550142 ",
    ],
)
def test_phone_numbers_typed_any_way_normalise_to_e164(typed):
    assert identity.normalize_phone(typed) == "+14135550142"


@pytest.mark.parametrize("garbage", ["", "12", "call me", "555-0142", "+1 000 000 0000", "9" * 60])
def test_garbage_phone_numbers_are_refused(garbage):
    with pytest.raises(InvalidPhone):
        identity.normalize_phone(garbage)


def test_register_then_who_is(clinic_session):
    patient = identity.register_patient(
        clinic_session, **MARIA, phone="413 555 0142", insurer="Blue Cross", identity="tg:42"
    )
    caller = identity.who_is(clinic_session, "tg:42")
    assert caller.patient.id == patient.id
    assert caller.actor.is_patient and caller.actor.id == patient.id
    assert caller.staff is None and caller.staff_actor is None
    assert patient.insurer.key == "bcbs"
    assert identity.who_is(clinic_session, "web:nobody").patient is None
    with pytest.raises(NotLinked):
        identity.require_patient(identity.who_is(clinic_session, "web:nobody"))


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"first_name": "  "}, InvalidInput),
        ({"last_name": "R2D2"}, InvalidInput),
        ({"date_of_birth": date(2030, 1, 1)}, InvalidInput),
        ({"date_of_birth": date(1850, 1, 1)}, InvalidInput),
        ({"phone": "not a phone"}, InvalidPhone),
        ({"insurer": "Acme Health"}, InvalidInput),
        ({"email": "nope"}, InvalidInput),
        ({"identity": "telegram 42"}, InvalidInput),
    ],
)
def test_register_refuses_bad_input(clinic_session, changes, error):
    with pytest.raises(error):
        identity.register_patient(clinic_session, **{**MARIA, "phone": "4135550142", **changes})


def test_register_twice_is_refused(clinic_session):
    identity.register_patient(clinic_session, **MARIA, phone="4135550142")
    with pytest.raises(AlreadyRegistered):
        identity.register_patient(clinic_session, **MARIA, phone="+1 (413) 555-0142")


def test_link_by_phone_and_dob(clinic_engine):
    with session_scope(clinic_engine) as s:
        patient_id = identity.register_patient(s, **MARIA, phone="4135550142").id
    with session_scope(clinic_engine) as s:
        linked = identity.link_identity(s, "tg:7", "(413) 555-0142", date(1985, 4, 12))
        assert linked.id == patient_id
    with session_scope(clinic_engine) as s:
        assert identity.who_is(s, "tg:7").patient.id == patient_id
        assert s.scalar(select(func.count()).where(AuditEntry.action == "identity.link")) == 1


def test_failed_links_are_counted_and_rate_limited(clinic_engine):
    with session_scope(clinic_engine) as s:
        identity.register_patient(s, **MARIA, phone="4135550142")
    for _ in range(identity.LINK_MAX_FAILURES_PER_IDENTITY):
        with pytest.raises(VerificationFailed), session_scope(clinic_engine) as s:
            identity.link_identity(s, "tg:66", "4135550142", date(1985, 4, 13))
    # The failures survived the rollbacks, and now even the right answer is refused.
    with pytest.raises(TooManyAttempts), session_scope(clinic_engine) as s:
        identity.link_identity(s, "tg:66", "4135550142", date(1985, 4, 12))
    with session_scope(clinic_engine) as s:
        assert s.scalar(select(func.count()).select_from(LinkAttempt)) == 5
        assert identity.who_is(s, "tg:66").patient is None


def test_guessing_one_phone_from_many_identities_is_limited_too(clinic_engine, frozen_now):
    with session_scope(clinic_engine) as s:
        identity.register_patient(s, **MARIA, phone="4135550142")
    for n in range(identity.LINK_MAX_FAILURES_PER_PHONE):
        with pytest.raises(VerificationFailed), session_scope(clinic_engine) as s:
            identity.link_identity(
                s, f"web:attacker-{n}", "4135550142", date(1980, 1, 1) + timedelta(days=n)
            )
    with pytest.raises(TooManyAttempts), session_scope(clinic_engine) as s:
        identity.link_identity(s, "web:attacker-new", "4135550142", date(1985, 4, 12))
    # An hour later the window has passed.
    frozen_now("2027-03-01T10:01:00-05:00")
    with session_scope(clinic_engine) as s:
        assert identity.link_identity(s, "web:attacker-new", "4135550142", date(1985, 4, 12))


def test_staff_are_recognised_by_telegram_id_only(clinic_session):
    staff = make_staff(clinic_session, StaffRole.FRONT_DESK, telegram_user_id=2001)
    caller = identity.who_is(clinic_session, "tg:2001")
    assert caller.is_staff and caller.staff_actor.id == staff.id
    assert identity.is_staff(clinic_session, "tg:2001")
    assert not identity.is_staff(clinic_session, "web:2001")
    assert identity.require_staff(caller).is_staff
    with pytest.raises(NotStaff):
        identity.require_staff(identity.who_is(clinic_session, "tg:2002"))
    staff.active = False
    assert not identity.is_staff(clinic_session, "tg:2001")


def test_relinking_an_identity_moves_it(clinic_engine):
    with session_scope(clinic_engine) as s:
        identity.register_patient(s, **MARIA, phone="4135550142", identity="tg:9")
        other = identity.register_patient(
            s,
            first_name="Jo",
            last_name="Lopez",
            date_of_birth=date(1986, 1, 1),
            phone="4135550143",
        )
        other_id = other.id
    with session_scope(clinic_engine) as s:
        identity.link_identity(s, "tg:9", "4135550143", date(1986, 1, 1))
    with session_scope(clinic_engine) as s:
        assert identity.who_is(s, "tg:9").patient.id == other_id
        assert s.scalar(select(func.count()).select_from(ChannelIdentity)) == 1


def test_linking_in_progress_is_kept_expires_and_abandoned_ones_are_removed(store, monkeypatch):
    keep_pending_link(store, "tg:1", LinkProgress(step="dob", phone="+14135550161"))
    assert pending_link(store, "tg:1") == LinkProgress(step="dob", phone="+14135550161")
    with pytest.raises(InvalidInput):
        keep_pending_link(store, "not-an-identity", LinkProgress(step="phone"))
    later = clock.now() + identity.PENDING_LINK_TTL + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    keep_pending_link(store, "web:2", LinkProgress(step="phone"))  # someone else starts
    assert store.get(PendingLink, "tg:1") is None, "the abandoned one is gone"
    assert pending_link(store, "web:2") == LinkProgress(step="phone")
    drop_pending_link(store, "web:2")
    assert pending_link(store, "web:2") is None


def test_a_held_request_is_taken_once_and_only_within_the_linking_window(store, monkeypatch):
    identity.hold_request(store, "tg:1", "book me a checkup")
    identity.hold_request(store, "tg:1", "actually, what do I owe?")  # the latest one counts
    assert identity.take_held_request(store, "tg:1") == "actually, what do I owe?"
    assert identity.take_held_request(store, "tg:1") is None, "carried on with once"
    with pytest.raises(InvalidInput):
        identity.hold_request(store, "nobody", "book me in")
    identity.hold_request(store, "tg:2", "cancel my visit")
    identity.hold_request(store, "web:3", "my balance")
    later = clock.now() + identity.PENDING_LINK_TTL + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert identity.take_held_request(store, "tg:2") is None, "too old to carry on with"
    identity.hold_request(store, "tg:4", "book me in")  # someone else asks
    assert store.get(HeldRequest, "web:3") is None, "what a stranger typed is not kept long"


def test_a_number_of_the_right_length_that_does_not_exist_is_told_apart_from_garbage():
    with pytest.raises(InvalidPhone, match="doesn't seem to exist"):
        identity.normalize_phone("555 123 4567")  # 555 is no area code
    with pytest.raises(InvalidPhone, match="include the area code"):
        identity.normalize_phone("555-0142")  # too short: the area code is missing
