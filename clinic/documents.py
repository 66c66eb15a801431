"""Files the practice sends: calendar invitations (.ics, icalendar) and invoices (PDF,
reportlab). The builders are pure functions of their arguments, returning bytes.

    appointment_ics(appointment, clinic) -> bytes
    meeting_ics(booking, clinic) -> bytes
    invoice_pdf(invoice, clinic) -> bytes
    render_attachment(s, actor, attachment) -> RenderedFile(filename, mime_type, content)

`render_attachment` turns an outbox/reply reference (`{"kind": "ics", "appointment_id": 12}`,
`{"kind": "ics", "room_booking_id": 3}`, `{"kind": "invoice_pdf", "invoice_id": 7}`) into the
file, checking that the actor may see it (a patient only their own; staff any meeting;
system anything, for outbox deliveries).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from icalendar import Calendar, Event, vCalAddress, vText
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy.orm import Session

from clinic import billing, clock, practice, scheduling, text
from clinic.audit import Actor
from clinic.errors import InvalidInput, NotFound, NotStaff
from clinic.models import Appointment, AppointmentStatus, Invoice, RoomBooking
from clinic.practice import ClinicInfo

PRODID = "-//medsec//virtual medical secretary//EN"


@dataclass(frozen=True)
class RenderedFile:
    filename: str
    mime_type: str
    content: bytes


def _calendar(method: str = "PUBLISH") -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    return calendar


def appointment_ics(appointment: Appointment, clinic: ClinicInfo) -> bytes:
    """One VEVENT in UTC; cancelled appointments produce STATUS:CANCELLED (same UID, higher
    SEQUENCE), so calendar apps remove or update the earlier invitation."""
    calendar = _calendar(
        "CANCEL" if appointment.status is AppointmentStatus.CANCELLED else "PUBLISH"
    )
    event = Event()
    event.add("uid", f"appointment-{appointment.id}@medsec")
    # Each change bumps updated_at, so it doubles as a monotonically rising SEQUENCE.
    event.add("sequence", int(appointment.updated_at.timestamp()) - 1_700_000_000)
    event.add("dtstamp", appointment.updated_at.astimezone(UTC))
    event.add("dtstart", appointment.start_at.astimezone(UTC))
    event.add("dtend", appointment.end_at.astimezone(UTC))
    event.add(
        "summary",
        f"{appointment.appointment_type.name} with {appointment.provider.display_name}",
    )
    event["location"] = vText(f"{clinic.name}, {clinic.address}")
    room = f" Room: {appointment.room.name}." if appointment.room else ""
    event.add(
        "description",
        f"{clinic.name}. Phone {text.phone(clinic.phone)}.{room} To cancel or move it, message us.",
    )
    event.add(
        "status",
        "CANCELLED" if appointment.status is AppointmentStatus.CANCELLED else "CONFIRMED",
    )
    calendar.add_component(event)
    return calendar.to_ical()


def meeting_ics(booking: RoomBooking, clinic: ClinicInfo) -> bytes:
    calendar = _calendar("REQUEST")
    event = Event()
    event.add("uid", f"room-booking-{booking.id}@medsec")
    event.add("dtstamp", booking.created_at.astimezone(UTC))
    event.add("dtstart", booking.start_at.astimezone(UTC))
    event.add("dtend", booking.end_at.astimezone(UTC))
    event.add("summary", booking.title)
    event["location"] = vText(f"{booking.room.name}, {clinic.name}")
    organizer = vCalAddress(f"MAILTO:{booking.booked_by.email or 'frontdesk@medsec.invalid'}")
    organizer.params["cn"] = vText(booking.booked_by.name)
    event["organizer"] = organizer
    event.add("status", "CANCELLED" if booking.status.value == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def invoice_pdf(invoice: Invoice, clinic: ClinicInfo) -> bytes:
    """An itemised invoice: the practice, the patient, one row per line, totals, payments."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        title=f"Invoice {invoice.number}",
        author=clinic.name,
        leftMargin=0.7 * inch,
        rightMargin=0.7 * inch,
    )
    styles = getSampleStyleSheet()
    patient = invoice.patient
    story: list[Any] = [
        Paragraph(clinic.name, styles["Title"]),
        Paragraph(f"{clinic.address} · {text.phone(clinic.phone)}", styles["Normal"]),
        Spacer(1, 0.2 * inch),
        Paragraph(f"Invoice {invoice.number}", styles["Heading2"]),
        Paragraph(
            f"Patient: {patient.full_name} (DOB {patient.date_of_birth.isoformat()})<br/>"
            f"Issued {text.short_date(invoice.issued_on)} · due {text.short_date(invoice.due_on)}",
            styles["Normal"],
        ),
        Spacer(1, 0.2 * inch),
    ]
    header = ["Date", "CPT", "Description", "Charge", "Insurance", "Adjust.", "You owe"]
    rows: list[list[Any]] = [header]
    for line in invoice.lines:
        rows.append(
            [
                text.short_date(line.date_of_service),
                line.cpt_code,
                Paragraph(line.description, styles["BodyText"]),
                text.money(line.charge_cents),
                text.money(line.insurance_paid_cents),
                text.money(line.adjustment_cents),
                text.money(line.patient_share_cents),
            ]
        )
    total = sum(line.charge_cents for line in invoice.lines)
    rows.append(
        [
            "",
            "",
            "Total",
            text.money(total),
            text.money(sum(line.insurance_paid_cents for line in invoice.lines)),
            text.money(sum(line.adjustment_cents for line in invoice.lines)),
            text.money(invoice.patient_share_cents),
        ]
    )
    table = Table(
        rows,
        colWidths=[
            0.95 * inch,
            0.6 * inch,
            2.2 * inch,
            0.8 * inch,
            0.85 * inch,
            0.7 * inch,
            0.8 * inch,
        ],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.grey),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
            ]
        )
    )
    story += [table, Spacer(1, 0.2 * inch)]
    for payment in invoice.payments:
        story.append(
            Paragraph(
                f"Payment {text.short_date(payment.paid_on)} ({payment.method}): "
                f"{text.money(payment.amount_cents)}",
                styles["Normal"],
            )
        )
    story.append(
        Paragraph(f"<b>Balance due: {text.money(max(invoice.open_cents, 0))}</b>", styles["Normal"])
    )
    if clinic.payment_methods:
        story += [
            Spacer(1, 0.15 * inch),
            Paragraph("Ways to pay: " + "; ".join(clinic.payment_methods), styles["BodyText"]),
        ]
    doc.build(story)
    return buffer.getvalue()


def _ref(attachment: dict[str, Any], key: str) -> int:
    try:
        return int(attachment[key])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("That file reference is not valid.") from None


def render_attachment(session: Session, actor: Actor, attachment: dict[str, Any]) -> RenderedFile:
    """Build the file an attachment reference points at, as `actor` may see it."""
    clinic = practice.clinic_info(session)
    kind = attachment.get("kind")
    if kind == "ics" and "appointment_id" in attachment:
        appointment = scheduling.get_appointment(session, actor, _ref(attachment, "appointment_id"))
        return RenderedFile(
            f"appointment-{appointment.start_at.astimezone(clock.clinic_tz()):%Y-%m-%d}.ics",
            "text/calendar",
            appointment_ics(appointment, clinic),
        )
    if kind == "ics" and "room_booking_id" in attachment:
        if not (actor.is_staff or actor.is_system):
            raise NotStaff()
        booking = session.get(RoomBooking, _ref(attachment, "room_booking_id"))
        if booking is None:
            raise NotFound("That meeting doesn't exist.")
        return RenderedFile(
            f"meeting-{booking.id}.ics", "text/calendar", meeting_ics(booking, clinic)
        )
    if kind == "invoice_pdf":
        invoice = billing.get_invoice(session, actor, _ref(attachment, "invoice_id"))
        return RenderedFile(
            f"invoice-{invoice.number}.pdf", "application/pdf", invoice_pdf(invoice, clinic)
        )
    raise InvalidInput("I don't know that kind of file.")
