"""Patients, the channel identities linked to them, link attempts (for rate limiting), staff."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.base import Base, StaffRole, str_enum
from clinic.models.practice import Insurer, Provider


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (Index("ix_patients_phone_dob", "phone", "date_of_birth"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    date_of_birth: Mapped[date]
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    email: Mapped[str | None] = mapped_column(String(200))
    insurer_id: Mapped[int | None] = mapped_column(ForeignKey("insurers.id"))
    member_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]

    insurer: Mapped[Insurer | None] = relationship(lazy="joined")
    identities: Mapped[list[ChannelIdentity]] = relationship(back_populates="patient")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ChannelIdentity(Base):
    """`tg:<telegram user id>` or `web:<session id>`, linked to a patient after verification."""

    __tablename__ = "channel_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    identity: Mapped[str] = mapped_column(String(100), unique=True)
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    linked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    patient: Mapped[Patient | None] = relationship(back_populates="identities")


class LinkAttempt(Base):
    """One try to link an identity by phone + date of birth; failures are counted per identity
    and per phone so a date of birth cannot be guessed by brute force."""

    __tablename__ = "link_attempts"
    __table_args__ = (
        Index("ix_link_attempts_identity_at", "identity", "at"),
        Index("ix_link_attempts_phone_at", "phone", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    identity: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    succeeded: Mapped[bool]
    at: Mapped[datetime]


class PendingLink(Base):
    """A chat part-way through linking to a patient record or registering (bot/linking.py),
    kept in the store so a bot restart, or another bot process, does not make the person share
    their number again. One row per identity; gone once linked, abandoned or expired."""

    __tablename__ = "pending_links"

    identity: Mapped[str] = mapped_column(String(100), primary_key=True)
    step: Mapped[str] = mapped_column(String(20))  # phone | dob | dob_choice | no_match | name
    phone: Mapped[str | None] = mapped_column(String(20))
    date_of_birth: Mapped[date | None]
    started_at: Mapped[datetime]


class HeldRequest(Base):
    """What a stranger asked that needed their record ("book me a checkup"), kept while they
    link their chat so the bot can carry on with it once they are known. In the store, so a
    bot restart or another bot process does not make them ask again. One per identity; taken
    (deleted) when they link, and worthless after the linking window."""

    __tablename__ = "held_requests"

    identity: Mapped[str] = mapped_column(String(100), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole, "staff_role"))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    email: Mapped[str | None] = mapped_column(String(200))
    # Set for staff who are also a bookable provider ("my schedule").
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    provider: Mapped[Provider | None] = relationship(lazy="joined")

    @property
    def identity(self) -> str | None:
        return f"tg:{self.telegram_user_id}" if self.telegram_user_id else None
