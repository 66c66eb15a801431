"""Who is acting (`Actor`) and the audit log every patient-data read or change writes.

Every service that reads or changes a patient's data takes an `Actor` and calls `record(...)`
in the same transaction, so the log and the change commit (or roll back) together.
(`record_rows(session, [row(...)])` writes entries at once, without ORM objects: booking uses it.)

    Actor.patient(42)     a linked patient acting for themselves
    Actor.staff(3)        a staff member (the role is re-checked in the store on every call)
    Actor.system()        background work (reminders, seeding, the waitlist)
    Actor.guest("tg:9")   a not-yet-linked identity (may leave a message, nothing else)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from clinic import clock
from clinic.models import ActorKind, AuditEntry


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: int | None = None
    identity: str | None = field(default=None, compare=False)

    @classmethod
    def patient(cls, patient_id: int, identity: str | None = None) -> Actor:
        return cls(ActorKind.PATIENT, patient_id, identity)

    @classmethod
    def staff(cls, staff_id: int, identity: str | None = None) -> Actor:
        return cls(ActorKind.STAFF, staff_id, identity)

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM, None)

    @classmethod
    def guest(cls, identity: str) -> Actor:
        return cls(ActorKind.GUEST, None, identity)

    @property
    def is_patient(self) -> bool:
        return self.kind is ActorKind.PATIENT

    @property
    def is_staff(self) -> bool:
        return self.kind is ActorKind.STAFF

    @property
    def is_system(self) -> bool:
        return self.kind is ActorKind.SYSTEM


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    patient_id: int | None,
    object_type: str | None = None,
    object_id: int | None = None,
    **detail: Any,
) -> AuditEntry:
    """Append one audit entry (ids and codes in `detail`, never free text a patient wrote)."""
    entry = AuditEntry(
        **row(
            actor,
            action,
            patient_id=patient_id,
            object_type=object_type,
            object_id=object_id,
            **detail,
        )
    )
    session.add(entry)
    return entry


def row(
    actor: Actor,
    action: str,
    *,
    patient_id: int | None,
    object_type: str | None = None,
    object_id: int | None = None,
    at: datetime | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """The column values of one audit entry (what `record` adds)."""
    return {
        "at": at or clock.now(),
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "action": action,
        "patient_id": patient_id,
        "object_type": object_type,
        "object_id": object_id,
        "detail": {k: v for k, v in detail.items() if v is not None},
    }


_INSERT = insert(AuditEntry.__table__)


def record_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write `row(...)`s now, in the session's transaction, as one statement (no ORM objects:
    for hot paths such as booking)."""
    if rows:
        session.connection().execute(_INSERT, rows)
