"""The audit log: every read or change of a patient's data, by whom, when, what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.models.base import ActorKind, Base, str_enum


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_patient_at", "patient_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_kind: Mapped[ActorKind] = mapped_column(str_enum(ActorKind, "actor_kind"))
    actor_id: Mapped[int | None]
    # e.g. "appointment.book", "appointment.list", "invoice.read", "identity.link"
    action: Mapped[str] = mapped_column(String(60))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    # Ids and codes only; never free text a patient wrote.
    detail: Mapped[dict[str, Any]]
