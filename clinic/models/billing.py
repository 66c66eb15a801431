"""Billing: insurance policies, invoices with lines, payments, claims.

Money is stored as integer cents (exact on every backend); the `*_amount` properties give
`Decimal` dollars for display.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.models.base import Base, ClaimStatus, str_enum
from clinic.models.people import Patient
from clinic.models.practice import Insurer


def dollars(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


class InsurancePolicy(Base):
    __tablename__ = "insurance_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    insurer_id: Mapped[int] = mapped_column(ForeignKey("insurers.id"))
    member_id: Mapped[str] = mapped_column(String(40))
    group_number: Mapped[str | None] = mapped_column(String(40))
    is_primary: Mapped[bool] = mapped_column(default=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]

    insurer: Mapped[Insurer] = relationship(lazy="joined")


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    issued_on: Mapped[date]
    due_on: Mapped[date]
    created_at: Mapped[datetime]

    patient: Mapped[Patient] = relationship(lazy="joined")
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.id", lazy="selectin"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="invoice", order_by="Payment.id", lazy="selectin"
    )

    @property
    def patient_share_cents(self) -> int:
        return sum(line.patient_share_cents for line in self.lines)

    @property
    def paid_cents(self) -> int:
        return sum(payment.amount_cents for payment in self.payments)

    @property
    def open_cents(self) -> int:
        return self.patient_share_cents - self.paid_cents

    @property
    def service_dates(self) -> list[date]:
        return sorted({line.date_of_service for line in self.lines})


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    date_of_service: Mapped[date]
    cpt_code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(200))
    charge_cents: Mapped[int]
    insurance_paid_cents: Mapped[int] = mapped_column(default=0)
    adjustment_cents: Mapped[int] = mapped_column(default=0)
    patient_share_cents: Mapped[int]

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    @property
    def charge(self) -> Decimal:
        return dollars(self.charge_cents)

    @property
    def insurance_paid(self) -> Decimal:
        return dollars(self.insurance_paid_cents)

    @property
    def adjustment(self) -> Decimal:
        return dollars(self.adjustment_cents)

    @property
    def patient_share(self) -> Decimal:
        return dollars(self.patient_share_cents)


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    amount_cents: Mapped[int]
    paid_on: Mapped[date]
    method: Mapped[str] = mapped_column(String(40))

    invoice: Mapped[Invoice | None] = relationship(back_populates="payments")

    @property
    def amount(self) -> Decimal:
        return dollars(self.amount_cents)


class Claim(Base):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    insurer_id: Mapped[int] = mapped_column(ForeignKey("insurers.id"))
    member_id: Mapped[str] = mapped_column(String(40))
    service_from: Mapped[date]
    service_to: Mapped[date]
    cpt_codes: Mapped[list[str]]
    icd10_codes: Mapped[list[str]]
    billed_cents: Mapped[int]
    allowed_cents: Mapped[int | None]
    paid_cents: Mapped[int] = mapped_column(default=0)
    status: Mapped[ClaimStatus] = mapped_column(str_enum(ClaimStatus, "claim_status"))
    denial_reason: Mapped[str | None] = mapped_column(String(300))
    submitted_on: Mapped[date]
    updated_on: Mapped[date]

    insurer: Mapped[Insurer] = relationship(lazy="joined")

    @property
    def billed(self) -> Decimal:
        return dollars(self.billed_cents)

    @property
    def paid(self) -> Decimal:
        return dollars(self.paid_cents)

    @property
    def allowed(self) -> Decimal | None:
        return None if self.allowed_cents is None else dollars(self.allowed_cents)
