"""Message slips and handoff threads, with the outbox messages they imply."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic import clock, inbox
from clinic.audit import Actor
from clinic.errors import (
    AlreadyClosed,
    InvalidInput,
    InvalidPhone,
    NoActiveHandoff,
    NotFound,
    NotStaff,
    UnknownProvider,
)
from clinic.models import (
    Desk,
    HandoffStatus,
    MessageSlip,
    OutboxMessage,
    RecipientKind,
    SlipKind,
    SlipStatus,
    Urgency,
)
from tests.clinic.helpers import count, make_patient, make_staff


def alerts(store):
    return store.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient_kind == RecipientKind.STAFF_CHANNEL)
    ).all()


def test_patient_message_for_a_provider_alerts_staff(store):
    patient = make_patient(store, 1, "tg:11")
    slip = inbox.leave_message(
        store,
        Actor.patient(patient.id, "tg:11"),
        reason="My rash is better, should I keep the cream?",
        for_provider="patel",
    )
    assert slip.desk is Desk.PROVIDER and slip.provider.key == "patel"
    assert slip.callback_number == patient.phone  # defaults to the phone on file
    (alert,) = alerts(store)
    assert alert.meta["slip_id"] == slip.id
    assert "Dr. Anika Patel" in alert.text and "rash" in alert.text


def test_guest_must_say_who_and_how_to_call_back(store):
    guest = Actor.guest("web:abc")
    with pytest.raises(InvalidInput, match="name"):
        inbox.leave_message(store, guest, reason="call me", callback_number="4135550199")
    with pytest.raises(InvalidInput, match="phone number"):
        inbox.leave_message(store, guest, reason="call me", from_name="Sam")
    with pytest.raises(InvalidPhone):
        inbox.leave_message(store, guest, reason="call me", from_name="Sam", callback_number="12")
    slip = inbox.leave_message(
        store, guest, reason="call me", from_name="Sam Poe", callback_number="(413) 555-0199"
    )
    assert slip.callback_number == "+14135550199" and slip.patient_id is None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"reason": "   "}, InvalidInput),
        ({"reason": "x" * 5000}, InvalidInput),
        ({"reason": "hi", "urgency": "whenever"}, InvalidInput),
        ({"reason": "hi", "for_provider": "house"}, UnknownProvider),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_written(store, kwargs, error):
    patient = make_patient(store, 1)
    with pytest.raises(error):
        inbox.leave_message(store, Actor.patient(patient.id), **kwargs)
    assert count(store, MessageSlip) == 0 and count(store, OutboxMessage) == 0


def test_emergency_never_waits_for_details(store):
    slip = inbox.report_emergency(store, Actor.guest("tg:999"), "crushing chest pain")
    assert slip.urgency is Urgency.EMERGENCY and slip.kind is SlipKind.EMERGENCY
    (alert,) = alerts(store)
    assert "EMERGENCY" in alert.text and alert.max_attempts == 20


def test_list_open_is_staff_only_and_urgent_first_then_oldest(store, frozen_now):
    patient = make_patient(store, 1)
    actor = Actor.patient(patient.id)
    staff = Actor.staff(make_staff(store).id)
    made = {}
    for n, (urgency, label) in enumerate(
        [
            (Urgency.ROUTINE, "old routine"),
            (Urgency.URGENT, "old urgent"),
            (Urgency.ROUTINE, "new routine"),
            (Urgency.URGENT, "new urgent"),
            (Urgency.EMERGENCY, "emergency"),
        ]
    ):
        frozen_now((clock.now() + timedelta(minutes=n + 1)).isoformat())
        made[label] = inbox.leave_message(store, actor, reason=label, urgency=urgency)
    inbox.close(store, staff, made["old routine"].id)
    answered = made["new routine"]
    inbox.reply(store, staff, answered.id, "We'll call you today.")

    order = [s.reason for s in inbox.list_open(store, staff)]
    assert order == ["emergency", "old urgent", "new urgent", "new routine"]
    with pytest.raises(NotStaff):
        inbox.list_open(store, actor)
    assert [s.reason for s in inbox.list_open(store, staff, desk=Desk.BILLING)] == []


def test_list_open_narrows_to_one_kind_or_one_provider(store):
    patient = Actor.patient(make_patient(store, 1, "tg:12").id, "tg:12")
    staff = Actor.staff(make_staff(store).id)
    inbox.leave_message(store, patient, reason="metformin", kind=SlipKind.REFILL,
                        for_provider="patel")  # fmt: skip
    inbox.leave_message(store, patient, reason="rash better", for_provider="patel")
    inbox.leave_message(store, patient, reason="lisinopril", kind=SlipKind.REFILL,
                        for_provider="lee")  # fmt: skip
    reasons = lambda **only: sorted(s.reason for s in inbox.list_open(store, staff, **only))  # noqa: E731
    assert reasons(kind=SlipKind.REFILL) == ["lisinopril", "metformin"]
    assert reasons(provider_key="patel") == ["metformin", "rash better"]
    assert reasons(kind="refill", provider_key="lee") == ["lisinopril"]
    assert inbox.count_open(store, staff) == 3
    with pytest.raises(UnknownProvider):
        inbox.list_open(store, staff, provider_key="nobody")


def test_reply_reaches_the_sender_and_close_is_final(store):
    patient = make_patient(store, 1, "tg:12")
    staff_row = make_staff(store)
    staff = Actor.staff(staff_row.id)
    slip = inbox.leave_message(store, Actor.patient(patient.id), reason="refill please")
    inbox.reply(store, staff, slip.id, "Sent to your pharmacy.")
    assert slip.status is SlipStatus.ANSWERED
    reply = store.scalars(select(OutboxMessage).where(OutboxMessage.kind == "message_reply")).one()
    assert reply.patient_id == patient.id and "Sent to your pharmacy." in reply.text
    with pytest.raises(NotStaff):
        inbox.reply(store, Actor.patient(patient.id), slip.id, "hi")
    inbox.close(store, staff, slip.id)
    with pytest.raises(AlreadyClosed):
        inbox.close(store, staff, slip.id)
    with pytest.raises(AlreadyClosed):
        inbox.reply(store, staff, slip.id, "again")
    with pytest.raises(NotFound):
        inbox.reply(store, staff, 999, "nobody")
    # A guest's slip is answered on their channel identity.
    guest_slip = inbox.leave_message(
        store, Actor.guest("web:g1"), reason="hours?", from_name="Al", callback_number="4135550111"
    )
    inbox.reply(store, staff, guest_slip.id, "8 to 5.")
    to_guest = store.scalars(select(OutboxMessage).where(OutboxMessage.identity == "web:g1")).one()
    assert to_guest.recipient_kind is RecipientKind.IDENTITY


def test_patient_sees_only_their_own_slips(store):
    a, b = make_patient(store, 1), make_patient(store, 2)
    slip = inbox.leave_message(store, Actor.patient(a.id), reason="mine")
    assert inbox.get_slip(store, Actor.patient(a.id), slip.id).id == slip.id
    with pytest.raises(NotFound):
        inbox.get_slip(store, Actor.patient(b.id), slip.id)
    assert [s.id for s in inbox.my_messages(store, Actor.patient(a.id))] == [slip.id]
    assert inbox.my_messages(store, Actor.patient(b.id)) == []


def test_handoff_round_trip(store):
    patient = make_patient(store, 1, "tg:21")
    staff = Actor.staff(make_staff(store).id)
    thread = inbox.open_handoff(store, "tg:21", patient_id=patient.id, reason="billing question")
    assert inbox.open_handoff(store, "tg:21", patient_id=patient.id).id == thread.id  # idempotent
    assert inbox.active_handoff_for(store, "tg:21").id == thread.id

    inbox.relay_patient_message(store, "tg:21", "Why was I charged twice?")
    inbox.staff_reply(store, staff, thread.id, "Let me check that for you.")
    inbox.close_handoff(store, staff, thread.id)

    assert thread.status is HandoffStatus.CLOSED
    assert inbox.active_handoff_for(store, "tg:21") is None
    kinds = [
        (m.kind, m.recipient_kind.value, m.meta.get("handoff_id"))
        for m in store.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    ]
    assert kinds == [
        ("handoff_open", "staff_channel", thread.id),
        ("handoff_message", "staff_channel", thread.id),
        ("handoff_reply", "identity", thread.id),
        ("handoff_closed", "identity", thread.id),
    ]
    with pytest.raises(NoActiveHandoff):
        inbox.relay_patient_message(store, "tg:21", "hello?")
    with pytest.raises(AlreadyClosed):
        inbox.staff_reply(store, staff, thread.id, "late")
    with pytest.raises(AlreadyClosed):
        inbox.close_handoff(store, staff, thread.id)


def test_only_the_person_or_staff_can_close_a_handoff(store):
    thread = inbox.open_handoff(store, "web:s1")
    with pytest.raises(NotFound):
        inbox.close_handoff(store, Actor.guest("web:other"), thread.id)
    with pytest.raises(NotStaff):
        inbox.staff_reply(store, Actor.guest("web:s1"), thread.id, "I am staff, honest")
    inbox.close_handoff(store, Actor.guest("web:s1"), thread.id)
    assert thread.status is HandoffStatus.CLOSED


def test_take_tells_the_staff_channel(store):
    patient = make_patient(store, 1)
    staff = Actor.staff(make_staff(store).id)
    slip = inbox.leave_message(store, Actor.patient(patient.id), reason="x")
    assert "Rita Desk is handling message" in inbox.take(store, staff, "slip", slip.id)
    thread = inbox.open_handoff(store, "web:t")
    inbox.take(store, staff, "handoff", thread.id)
    assert thread.assigned_staff_id == staff.id
    with pytest.raises(InvalidInput):
        inbox.take(store, staff, "parcel", 1)
