"""Appointments, their status history, the waitlist, and room bookings for staff meetings.

No double booking is enforced by the database, not only in Python (see migrations/):
PostgreSQL has exclusion constraints `appointments_no_provider_overlap` /
`appointments_no_room_overlap` / `room_bookings_no_overlap` (btree_gist, `tstzrange(start_at,
blocked_until)` for active statuses); SQLite has triggers of the same names that abort an
overlapping INSERT/UPDATE, and every SQLite write transaction is `BEGIN IMMEDIATE`, so writers
are serialised and the check cannot race.

An appointment holds its provider (and room) over `[start_at, blocked_until)`, where
`blocked_until = end_at + the type's buffer`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.base import (
    ACTIVE_STATUSES,
    ActorKind,
    AppointmentStatus,
    Base,
    RoomBookingStatus,
    WaitlistStatus,
    str_enum,
)
from clinic.models.people import Patient, Staff
from clinic.models.practice import AppointmentType, Provider, Room


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_provider_start", "provider_id", "start_at"),
        Index("ix_appointments_room_start", "room_id", "start_at"),
        Index("ix_appointments_patient_start", "patient_id", "start_at"),
        Index("ix_appointments_start", "start_at"),
        CheckConstraint("start_at < end_at AND end_at <= blocked_until", name="time_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    blocked_until: Mapped[datetime]
    status: Mapped[AppointmentStatus] = mapped_column(
        str_enum(AppointmentStatus, "appointment_status"), default=AppointmentStatus.BOOKED
    )
    # what the visit is about, in the patient's words (health information: never logged)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    patient: Mapped[Patient] = relationship(lazy="joined")
    provider: Mapped[Provider] = relationship(lazy="joined")
    appointment_type: Mapped[AppointmentType] = relationship(lazy="joined")
    room: Mapped[Room | None] = relationship(lazy="joined")
    events: Mapped[list[AppointmentEvent]] = relationship(
        back_populates="appointment", order_by="AppointmentEvent.id"
    )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AppointmentEvent(Base):
    """Status history: every booking, confirmation, move, cancellation, no-show, with who/why."""

    __tablename__ = "appointment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    actor_kind: Mapped[ActorKind] = mapped_column(str_enum(ActorKind, "actor_kind"))
    actor_id: Mapped[int | None]
    from_status: Mapped[AppointmentStatus | None] = mapped_column(
        str_enum(AppointmentStatus, "from_status")
    )
    to_status: Mapped[AppointmentStatus] = mapped_column(str_enum(AppointmentStatus, "to_status"))
    # Set when the appointment moved (reschedule): where it was before.
    previous_start_at: Mapped[datetime | None]
    previous_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    reason: Mapped[str] = mapped_column(String(300), default="")

    appointment: Mapped[Appointment] = relationship(back_populates="events")


class WaitlistEntry(Base):
    """'Tell me if something earlier opens up': offered a freed slot that fits, oldest first.
    With `appointment_id`, an earlier time for that appointment: offered as a move."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (Index("ix_waitlist_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    earliest: Mapped[datetime]
    latest: Mapped[datetime]
    status: Mapped[WaitlistStatus] = mapped_column(
        str_enum(WaitlistStatus, "waitlist_status"), default=WaitlistStatus.ACTIVE
    )
    created_at: Mapped[datetime]
    offered_at: Mapped[datetime | None]
    offered_start_at: Mapped[datetime | None]
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))

    patient: Mapped[Patient] = relationship(lazy="joined")
    appointment_type: Mapped[AppointmentType] = relationship(lazy="joined")
    provider: Mapped[Provider | None] = relationship(lazy="joined")
    appointment: Mapped[Appointment | None] = relationship()


class RoomBooking(Base):
    """A meeting room reserved by staff (`book_room`); exam rooms belong to appointments."""

    __tablename__ = "room_bookings"
    __table_args__ = (
        Index("ix_room_bookings_room_start", "room_id", "start_at"),
        CheckConstraint("start_at < end_at", name="time_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(String(200))
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[RoomBookingStatus] = mapped_column(
        str_enum(RoomBookingStatus, "room_booking_status"), default=RoomBookingStatus.BOOKED
    )
    # Staff ids invited; each got an outbox invite with the .ics.
    invitee_ids: Mapped[list[int]]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    room: Mapped[Room] = relationship(lazy="joined")
    booked_by: Mapped[Staff] = relationship(lazy="joined")
