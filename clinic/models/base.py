"""Declarative base, column types shared by every table, and the status vocabularies.

Datetimes are always timezone-aware in Python and stored in UTC: `UTCDateTime` maps to
`timestamptz` on PostgreSQL and to naive-UTC text on SQLite (which sorts and compares
correctly because every value is written in the same format).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations can refer to them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; naive values are refused (they are always a bug)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def str_enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR + CHECK constraint holding the enum's values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
        list[int]: JSONType,
        list[dict[str, Any]]: JSONType,
    }


# --- vocabularies --------------------------------------------------------------------------


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


# The statuses that hold a provider's (and a room's) time; the no-overlap constraints use them.
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)


class ActorKind(StrEnum):
    PATIENT = "patient"
    STAFF = "staff"
    SYSTEM = "system"
    # An identity that is not (yet) a patient, e.g. someone leaving a message before linking.
    GUEST = "guest"


class StaffRole(StrEnum):
    FRONT_DESK = "front_desk"
    BILLING = "billing"
    NURSE = "nurse"
    PROVIDER = "provider"
    MANAGER = "manager"


class RoomKind(StrEnum):
    EXAM = "exam"
    MEETING = "meeting"


class WaitlistStatus(StrEnum):
    ACTIVE = "active"
    OFFERED = "offered"
    BOOKED = "booked"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Urgency(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"


URGENCY_RANK = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.ROUTINE: 2}


class SlipStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class SlipKind(StrEnum):
    MESSAGE = "message"
    REFILL = "refill"
    RECORDS = "records"
    EMERGENCY = "emergency"
    PAYMENT_PLAN = "payment_plan"
    DOCUMENT = "document"
    CALLBACK = "callback"


class Desk(StrEnum):
    """Who a message slip is for when it is not a provider."""

    FRONT_DESK = "front_desk"
    BILLING = "billing"
    PROVIDER = "provider"
    NURSE = "nurse"


class HandoffStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class RecipientKind(StrEnum):
    PATIENT = "patient"
    STAFF = "staff"
    STAFF_CHANNEL = "staff_channel"
    IDENTITY = "identity"


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_PROCESS = "in_process"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"


class RoomBookingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
