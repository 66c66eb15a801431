"""The practice itself: settings, opening hours, closures, insurers, rooms, providers with their
working hours and time off, and appointment types. Loaded from YAML by `clinic.practice.load`.

Entries removed from the YAML are deactivated (`active = False`), never deleted, because past
appointments and claims still point at them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.base import Base, RoomKind, str_enum

type_providers = Table(
    "appointment_type_providers",
    Base.metadata,
    Column("type_id", ForeignKey("appointment_types.id", ondelete="CASCADE"), primary_key=True),
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
)

type_rooms = Table(
    "appointment_type_rooms",
    Base.metadata,
    Column("type_id", ForeignKey("appointment_types.id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
)


class ClinicSettings(Base):
    """The single row (id = 1) with what patients ask about the practice."""

    __tablename__ = "clinic_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    emergency_number: Mapped[str] = mapped_column(String(16))
    # said with the emergency advice when someone speaks of harming themselves
    crisis_line: Mapped[str | None] = mapped_column(String(200))
    parking: Mapped[str | None] = mapped_column(Text)
    payment_methods: Mapped[list[str]]
    payment_plan_policy: Mapped[str | None] = mapped_column(Text)
    insurance_update: Mapped[str | None] = mapped_column(Text)
    # how to choose a visit type, in the practice's words (the booking question's help)
    visit_type_help: Mapped[str | None] = mapped_column(Text)
    # {"general": "...", "<type key>": "..."}
    visit_prep: Mapped[dict[str, Any]]
    # the practice's answers to common questions: [{"ask": ["referral", ...], "answer": "..."}]
    faq: Mapped[list[dict[str, Any]] | None]
    slot_step_minutes: Mapped[int] = mapped_column(Integer, default=15)
    updated_at: Mapped[datetime]


class PracticeVersion(Base):
    """One row (id = 1) whose `token` the database changes whenever the practice's reference
    data changes (triggers on the settings, hours, closures, rooms, providers and types tables;
    see migrations/versions/0002). `clinic.cache` keeps the practice in memory per token."""

    __tablename__ = "practice_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(40))


class OpeningHours(Base):
    """One open interval of the practice on a weekday (0 = Monday), local time."""

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int]
    opens: Mapped[time]
    closes: Mapped[time]


class Closure(Base):
    """A whole day the practice is closed (holiday, training day)."""

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    reason: Mapped[str] = mapped_column(String(200))


class Insurer(Base):
    __tablename__ = "insurers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    synonyms: Mapped[list[str]]
    accepted: Mapped[bool] = mapped_column(default=True)


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[RoomKind] = mapped_column(str_enum(RoomKind, "room_kind"))
    active: Mapped[bool] = mapped_column(default=True)


class Provider(Base):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(20), default="")
    specialty: Mapped[str] = mapped_column(String(120), default="")
    synonyms: Mapped[list[str]]
    active: Mapped[bool] = mapped_column(default=True)

    hours: Mapped[list[ProviderHours]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", order_by="ProviderHours.starts"
    )

    @property
    def display_name(self) -> str:
        """'Dr. Anika Patel', 'Grace Okafor, NP'."""
        if self.title.lower().startswith("dr"):
            return f"{self.title} {self.name}"
        return f"{self.name}, {self.title}" if self.title else self.name


class ProviderHours(Base):
    """One working interval of a provider on a weekday, local time; breaks are the gaps."""

    __tablename__ = "provider_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    weekday: Mapped[int]
    starts: Mapped[time]
    ends: Mapped[time]

    provider: Mapped[Provider] = relationship(back_populates="hours")


class TimeOff(Base):
    """A provider is away from `start_at` to `end_at` (vacation, conference, sick day)."""

    __tablename__ = "time_off"
    __table_args__ = (CheckConstraint("start_at < end_at", name="time_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")


class AppointmentType(Base):
    __tablename__ = "appointment_types"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    duration_minutes: Mapped[int]
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    min_notice_hours: Mapped[int] = mapped_column(default=0)
    horizon_days: Mapped[int] = mapped_column(default=90)
    synonyms: Mapped[list[str]]
    active: Mapped[bool] = mapped_column(default=True)

    providers: Mapped[list[Provider]] = relationship(
        secondary=type_providers, order_by=Provider.key
    )
    # Rooms the visit can use; empty means it needs no room.
    rooms: Mapped[list[Room]] = relationship(secondary=type_rooms, order_by=Room.key)
