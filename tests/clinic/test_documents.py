"""Documents out (.ics, invoice PDF) and in (a patient's photos and PDFs)."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from clinic import documents, patient_documents, practice, scheduling
from clinic.audit import Actor
from clinic.errors import (
    InvalidInput,
    NotStaff,
    NotYourAppointment,
    NotYourRecord,
    UnsupportedDocument,
)
from clinic.models import OutboxMessage

MARIA = Actor.patient(1, "tg:1001")


def test_appointment_ics_is_a_valid_calendar_event(seeded_session):
    (upcoming, *_) = scheduling.upcoming_for_patient(seeded_session, MARIA)
    rendered = documents.render_attachment(
        seeded_session, MARIA, {"kind": "ics", "appointment_id": upcoming.id}
    )
    assert rendered.mime_type == "text/calendar" and rendered.filename.endswith(".ics")
    event = Calendar.from_ical(rendered.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == upcoming.start_at
    assert event.decoded("dtend") == upcoming.end_at
    assert "Dr. Anika Patel" in str(event["summary"])
    assert "120 Maple Street" in str(event["location"])
    assert str(event["uid"]) == f"appointment-{upcoming.id}@medsec"


def test_cancelled_appointment_ics_says_cancelled_with_a_higher_sequence(
    seeded_session, frozen_now
):
    (upcoming, *_) = scheduling.upcoming_for_patient(seeded_session, MARIA)
    info = practice.clinic_info(seeded_session)
    before = Calendar.from_ical(documents.appointment_ics(upcoming, info)).walk("VEVENT")[0]
    frozen_now("2027-03-01T09:05:00-05:00")
    scheduling.cancel(seeded_session, MARIA, upcoming.id)
    after = Calendar.from_ical(documents.appointment_ics(upcoming, info)).walk("VEVENT")[0]
    assert str(after["status"]) == "CANCELLED"
    assert int(after["sequence"]) > int(before["sequence"])


def test_invoice_pdf(seeded_session):
    from clinic import billing

    invoice = billing.invoices_for(seeded_session, MARIA)[0]
    rendered = documents.render_attachment(
        seeded_session, MARIA, {"kind": "invoice_pdf", "invoice_id": invoice.id}
    )
    assert rendered.content.startswith(b"%PDF-") and rendered.content.rstrip().endswith(b"%%EOF")
    assert f"Invoice {invoice.number}".encode() in rendered.content  # the document title
    assert rendered.filename == f"invoice-{invoice.number}.pdf"


def test_attachments_are_checked_against_the_actor(seeded_session):
    james = Actor.patient(2)
    (upcoming, *_) = scheduling.upcoming_for_patient(seeded_session, MARIA)
    with pytest.raises(NotYourAppointment):
        documents.render_attachment(
            seeded_session, james, {"kind": "ics", "appointment_id": upcoming.id}
        )
    from clinic import billing

    invoice = billing.invoices_for(seeded_session, MARIA)[0]
    with pytest.raises(NotYourRecord):
        documents.render_attachment(
            seeded_session, james, {"kind": "invoice_pdf", "invoice_id": invoice.id}
        )
    with pytest.raises(NotStaff):
        documents.render_attachment(seeded_session, james, {"kind": "ics", "room_booking_id": 1})
    for garbage in ({"kind": "exe"}, {"kind": "invoice_pdf", "invoice_id": "1; drop"}, {}):
        with pytest.raises(InvalidInput):
            documents.render_attachment(seeded_session, MARIA, garbage)
    # The outbox (system) may render anything for delivery.
    system = documents.render_attachment(
        seeded_session, Actor.system(), {"kind": "ics", "appointment_id": upcoming.id}
    )
    assert system.content.startswith(b"BEGIN:VCALENDAR")


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


def test_patient_documents_are_stored_audited_and_announced(seeded_session, tmp_path):
    document = patient_documents.store_document(
        seeded_session,
        MARIA,
        data=PNG,
        filename="../../etc/card front.png",
        kind="insurance_card",
        base_dir=tmp_path,
    )
    assert document.patient_id == 1 and document.content_type == "image/png"
    assert document.filename == "card front.png"  # no path tricks
    stored = tmp_path / document.path.split(str(tmp_path) + "/")[1]
    assert stored.read_bytes() == PNG
    alert = (
        seeded_session.query(OutboxMessage).filter(OutboxMessage.kind == "staff_alert").all()[-1]
    )
    assert alert.meta == {"document_id": document.id}
    assert [d.id for d in patient_documents.documents_for(seeded_session, MARIA)] == [document.id]
    # A guest may send one too (kept for the staff, no patient yet).
    guest = patient_documents.store_document(
        seeded_session, Actor.guest("web:x"), data=PDF, filename="referral.pdf", base_dir=tmp_path
    )
    assert guest.patient_id is None and guest.content_type == "application/pdf"


@pytest.mark.parametrize(
    "data",
    [b"", b"MZ\x90\x00 not a photo", b"GIF89a....", b"%PDF" + b"x" * (20 * 1024 * 1024)],
)
def test_unsupported_documents_are_refused(seeded_session, tmp_path, data):
    folder = tmp_path / "documents"
    with pytest.raises(UnsupportedDocument):
        patient_documents.store_document(
            seeded_session, MARIA, data=data, filename="x.pdf", base_dir=folder
        )
    assert not folder.exists()
