"""Message slips (the staff inbox), handoff threads, patient documents and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.base import (
    ActorKind,
    Base,
    Desk,
    HandoffStatus,
    OutboxStatus,
    RecipientKind,
    SlipKind,
    SlipStatus,
    Urgency,
    str_enum,
)
from clinic.models.people import Patient, Staff
from clinic.models.practice import Provider


class MessageSlip(Base):
    """A message for the practice: from a patient (or a not-yet-linked person with a name and a
    callback number), for a provider or a desk, with a reason and an urgency."""

    __tablename__ = "message_slips"
    __table_args__ = (Index("ix_message_slips_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SlipKind] = mapped_column(str_enum(SlipKind, "slip_kind"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    from_identity: Mapped[str | None] = mapped_column(String(100))
    from_name: Mapped[str] = mapped_column(String(160))
    callback_number: Mapped[str | None] = mapped_column(String(32))
    desk: Mapped[Desk] = mapped_column(str_enum(Desk, "desk"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    reason: Mapped[str] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency, "urgency"))
    status: Mapped[SlipStatus] = mapped_column(
        str_enum(SlipStatus, "slip_status"), default=SlipStatus.OPEN
    )
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    patient: Mapped[Patient | None] = relationship(lazy="joined")
    provider: Mapped[Provider | None] = relationship(lazy="joined")
    replies: Mapped[list[SlipReply]] = relationship(
        back_populates="slip", order_by="SlipReply.id", lazy="selectin"
    )

    @property
    def for_whom(self) -> str:
        if self.provider is not None:
            return self.provider.display_name
        return self.desk.value.replace("_", " ")


class SlipReply(Base):
    __tablename__ = "slip_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slip_id: Mapped[int] = mapped_column(
        ForeignKey("message_slips.id", ondelete="CASCADE"), index=True
    )
    author_kind: Mapped[ActorKind] = mapped_column(str_enum(ActorKind, "actor_kind"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]

    slip: Mapped[MessageSlip] = relationship(back_populates="replies")
    staff: Mapped[Staff | None] = relationship(lazy="joined")


class HandoffThread(Base):
    """A live conversation with a person: patient messages are relayed to staff and staff
    replies back, until someone closes it."""

    __tablename__ = "handoff_threads"
    __table_args__ = (Index("ix_handoff_identity_status", "identity", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    identity: Mapped[str] = mapped_column(String(100))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    status: Mapped[HandoffStatus] = mapped_column(
        str_enum(HandoffStatus, "handoff_status"), default=HandoffStatus.OPEN
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by_kind: Mapped[ActorKind | None] = mapped_column(str_enum(ActorKind, "actor_kind"))
    assigned_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    patient: Mapped[Patient | None] = relationship(lazy="joined")
    messages: Mapped[list[HandoffMessage]] = relationship(
        back_populates="thread", order_by="HandoffMessage.id"
    )


class HandoffMessage(Base):
    __tablename__ = "handoff_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("handoff_threads.id", ondelete="CASCADE"), index=True
    )
    author_kind: Mapped[ActorKind] = mapped_column(str_enum(ActorKind, "actor_kind"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]

    thread: Mapped[HandoffThread] = relationship(back_populates="messages")


class PatientDocument(Base):
    """A photo or PDF a patient sent (insurance card, referral); the file is under
    var/documents/, this row is its metadata."""

    __tablename__ = "patient_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    identity: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(400))
    caption: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]


class OutboxMessage(Base):
    """Something that must reach a person at or after `due_at`, written in the same transaction
    as the change that caused it and delivered by the bot (see `clinic.outbox`)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_outbox_appointment", "appointment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient_kind: Mapped[RecipientKind] = mapped_column(
        str_enum(RecipientKind, "recipient_kind")
    )
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    identity: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    # [{"title": "I'll be there", "payload": "/confirm_attendance{\"appointment_id\":\"12\"}"}]
    buttons: Mapped[list[dict[str, Any]]]
    # [{"kind": "ics", "appointment_id": 12}, {"kind": "invoice_pdf", "invoice_id": 3}]
    attachments: Mapped[list[dict[str, Any]]]
    # Free-form routing data for the bot, e.g. {"handoff_id": 4} or {"slip_id": 9}.
    meta: Mapped[dict[str, Any]]
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    due_at: Mapped[datetime]
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=6)
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
