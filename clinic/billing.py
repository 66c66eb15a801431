"""Billing questions: balance, invoices, claims, insurance on file, payment plans.

    balance(s, actor, patient_id=None) -> Balance
    invoices_for(s, actor, patient_id=None) -> list[Invoice]             newest first
    invoice_by_date(s, actor, on, patient_id=None) -> InvoiceLookup
    get_invoice(s, actor, invoice_id) -> Invoice
    claims_for(s, actor, patient_id=None, appointment_id=None) -> list[Claim]   newest first
    claims_of_invoice(s, actor, invoice) -> list[Claim]                  its own visits' claims
    insurance_on_file(s, actor, patient_id=None) -> list[InsurancePolicy]
    request_payment_plan(s, actor, note=None) -> PaymentPlanRequest     (slip to billing)
    claim_status_text(claim) -> "Claim C-1042 (Mar 3, Aetna): denied (not covered ...)"

A patient sees only their own records; staff may pass `patient_id`. Every read is audited.
Balance = patient shares of all invoice lines − all payments (money in integer cents; the
`Balance` fields are cents too; `clinic.text.money(cents)` renders them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic import audit, clock, inbox, practice, text
from clinic.audit import Actor
from clinic.errors import NotFound, NotLinked, NotYourRecord
from clinic.identity import staff_member
from clinic.models import (
    ActorKind,
    Appointment,
    AppointmentType,
    Claim,
    ClaimStatus,
    Desk,
    InsurancePolicy,
    Invoice,
    InvoiceLine,
    MessageSlip,
    Patient,
    Payment,
    SlipKind,
    SlipStatus,
)

CLAIM_STATUS_TEXT = {
    ClaimStatus.SUBMITTED: "submitted to the insurer, not processed yet",
    ClaimStatus.IN_PROCESS: "being processed by the insurer",
    ClaimStatus.PAID: "paid",
    ClaimStatus.PARTIALLY_PAID: "partially paid",
    ClaimStatus.DENIED: "denied",
}


@dataclass(frozen=True)
class Balance:
    patient_id: int
    invoiced_cents: int  # patient shares of every invoice line
    paid_cents: int
    open_invoices: list[Invoice]  # invoices with something left to pay, oldest first

    @property
    def due_cents(self) -> int:
        return self.invoiced_cents - self.paid_cents

    def summary(self) -> str:
        if self.due_cents <= 0:
            credit = f" (a credit of {text.money(-self.due_cents)})" if self.due_cents < 0 else ""
            return f"You have no balance due{credit}."
        count = len(self.open_invoices)
        return (
            f"Your balance is {text.money(self.due_cents)} across {count} invoice"
            f"{'s' if count != 1 else ''}."
        )


@dataclass(frozen=True)
class InvoiceLookup:
    """`invoice` when one invoice matches the date (exactly, or as the single nearest);
    otherwise `candidates` to choose from (empty: the patient has no invoices)."""

    invoice: Invoice | None
    candidates: list[Invoice]
    exact: bool


@dataclass(frozen=True)
class PaymentPlanRequest:
    policy: str
    slip: MessageSlip
    balance_cents: int
    already_asked: bool = False  # an open request was there: no second task for billing


def _patient_id(session: Session, actor: Actor, patient_id: int | None) -> int:
    if actor.kind is ActorKind.PATIENT:
        if patient_id is not None and patient_id != actor.id:
            raise NotYourRecord()
        return actor.id  # type: ignore[return-value]
    if actor.kind is ActorKind.STAFF:
        staff_member(session, actor)
    elif actor.kind is not ActorKind.SYSTEM:
        raise NotLinked()
    if patient_id is None or session.get(Patient, patient_id) is None:
        raise NotFound("I couldn't find that patient.")
    return patient_id


def balance(session: Session, actor: Actor, patient_id: int | None = None) -> Balance:
    pid = _patient_id(session, actor, patient_id)
    invoiced = session.scalar(
        select(func.coalesce(func.sum(InvoiceLine.patient_share_cents), 0))
        .join(Invoice, InvoiceLine.invoice_id == Invoice.id)
        .where(Invoice.patient_id == pid)
    )
    paid = session.scalar(
        select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(Payment.patient_id == pid)
    )
    invoices = session.scalars(
        select(Invoice).where(Invoice.patient_id == pid).order_by(Invoice.issued_on, Invoice.id)
    ).all()
    open_invoices = [invoice for invoice in invoices if invoice.open_cents > 0]
    audit.record(session, actor, "billing.balance", patient_id=pid)
    return Balance(pid, int(invoiced), int(paid), open_invoices)


def invoices_for(session: Session, actor: Actor, patient_id: int | None = None) -> list[Invoice]:
    pid = _patient_id(session, actor, patient_id)
    invoices = list(
        session.scalars(
            select(Invoice)
            .where(Invoice.patient_id == pid)
            .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        )
    )
    audit.record(session, actor, "invoice.list", patient_id=pid, count=len(invoices))
    return invoices


def invoice_with_amount(
    session: Session, actor: Actor, cents: int, patient_id: int | None = None
) -> Invoice | None:
    """The latest invoice an amount belongs to ("what was the $210 charge for?"): its total,
    what is still open, or one line's charge or share."""
    for invoice in invoices_for(session, actor, patient_id):
        amounts = {invoice.patient_share_cents, invoice.open_cents}
        for line in invoice.lines:
            amounts |= {line.charge_cents, line.patient_share_cents}
        if cents in amounts:
            return invoice
    return None


def invoices_for_visit_type(
    session: Session, actor: Actor, type_key: str, patient_id: int | None = None
) -> list[Invoice]:
    """The patient's invoices with a line for a visit of this type ("what do I owe for the
    flu shot"), newest first."""
    pid = _patient_id(session, actor, patient_id)
    invoices = list(
        session.scalars(
            select(Invoice)
            .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
            .join(Appointment, Appointment.id == InvoiceLine.appointment_id)
            .join(AppointmentType, AppointmentType.id == Appointment.type_id)
            .where(Invoice.patient_id == pid, AppointmentType.key == type_key)
            .distinct()
            .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        )
    )
    audit.record(session, actor, "invoice.list", patient_id=pid, count=len(invoices))
    return invoices


def get_invoice(session: Session, actor: Actor, invoice_id: int | str) -> Invoice:
    try:
        invoice = session.get(Invoice, int(invoice_id))
    except (TypeError, ValueError):
        invoice = None
    if invoice is None or (actor.is_patient and invoice.patient_id != actor.id):
        raise NotYourRecord("I couldn't find that invoice among yours.")
    _patient_id(session, actor, invoice.patient_id)
    audit.record(
        session,
        actor,
        "invoice.read",
        patient_id=invoice.patient_id,
        object_type="invoice",
        object_id=invoice.id,
    )
    return invoice


def invoice_by_date(
    session: Session,
    actor: Actor,
    on: date,
    patient_id: int | None = None,
    until: date | None = None,
) -> InvoiceLookup:
    """The invoice for a visit or bill date ("my bill from March 3"), or for a run of days
    from `on` to `until` ("my bill from January").

    Exact: an invoice issued in it or with a line for a service in it (one such invoice → it;
    several → all of them as candidates). Otherwise the nearest by date: one nearest → it
    (exact=False); a tie → candidates."""
    last = until or on
    pid = _patient_id(session, actor, patient_id)
    invoices = session.scalars(
        select(Invoice).where(Invoice.patient_id == pid).order_by(Invoice.issued_on)
    ).all()
    audit.record(session, actor, "invoice.lookup", patient_id=pid, on=on.isoformat())
    if not invoices:
        return InvoiceLookup(None, [], False)

    def inside(day: date) -> bool:
        return on <= day <= last

    exact = [i for i in invoices if inside(i.issued_on) or any(map(inside, i.service_dates))]
    if len(exact) == 1:
        return InvoiceLookup(exact[0], exact, True)
    if exact:
        return InvoiceLookup(None, exact, True)

    def distance(invoice: Invoice) -> int:
        dates = [invoice.issued_on, *invoice.service_dates]
        return min(max((on - d).days, (d - last).days, 0) for d in dates)

    best = min(distance(i) for i in invoices)
    nearest = [i for i in invoices if distance(i) == best]
    if len(nearest) == 1:
        return InvoiceLookup(nearest[0], nearest, False)
    return InvoiceLookup(None, nearest, False)


def claims_for(
    session: Session,
    actor: Actor,
    patient_id: int | None = None,
    appointment_id: int | None = None,
) -> list[Claim]:
    pid = _patient_id(session, actor, patient_id)
    query = select(Claim).where(Claim.patient_id == pid)
    if appointment_id is not None:
        query = query.where(Claim.appointment_id == appointment_id)
    claims = list(session.scalars(query.order_by(Claim.service_from.desc(), Claim.id.desc())))
    audit.record(session, actor, "claim.list", patient_id=pid, count=len(claims))
    return claims


UNDECIDED = (ClaimStatus.SUBMITTED, ClaimStatus.IN_PROCESS)


def claims_of_invoice(session: Session, actor: Actor, invoice: Invoice) -> list[Claim]:
    """The claims for this invoice's own visits: by the visit (appointment) a line is for; by
    the date of service only for a claim or a line that names no visit (two visits on one day
    are two claims, and one's denial is not the other's)."""
    visits = {line.appointment_id for line in invoice.lines if line.appointment_id}
    undated = [line.date_of_service for line in invoice.lines if not line.appointment_id]
    return [
        claim
        for claim in claims_for(session, actor, patient_id=invoice.patient_id)
        if claim.appointment_id in visits
        or (
            (claim.appointment_id is None or not visits)
            and any(
                claim.service_from <= day <= claim.service_to
                for day in undated or invoice.service_dates
            )
        )
    ]


def claim_status_text(claim: Claim) -> str:
    """One line a patient understands."""
    line = (
        f"Claim {claim.number} for your visit on {text.short_date(claim.service_from)} "
        f"({claim.insurer.name}, billed {text.money(claim.billed_cents)}): "
        f"{CLAIM_STATUS_TEXT[claim.status]}"
    )
    if claim.status in (ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID):
        line += f", insurance paid {text.money(claim.paid_cents)}"
    if claim.status is ClaimStatus.DENIED and claim.denial_reason:
        line += f" — {claim.denial_reason.rstrip('.')}"
    return line + "."


def insurance_on_file(
    session: Session, actor: Actor, patient_id: int | None = None
) -> list[InsurancePolicy]:
    """Current policies (valid today), primary first."""
    pid = _patient_id(session, actor, patient_id)
    today = clock.local_now().date()
    policies = list(
        session.scalars(
            select(InsurancePolicy)
            .where(
                InsurancePolicy.patient_id == pid,
                InsurancePolicy.valid_from <= today,
                (InsurancePolicy.valid_to.is_(None)) | (InsurancePolicy.valid_to >= today),
            )
            .order_by(InsurancePolicy.is_primary.desc(), InsurancePolicy.id)
        )
    )
    audit.record(session, actor, "insurance.read", patient_id=pid, count=len(policies))
    return policies


def request_payment_plan(
    session: Session, actor: Actor, note: str | None = None
) -> PaymentPlanRequest:
    """Explain the policy and leave a task for billing (a message slip to the billing desk)."""
    if not actor.is_patient:
        raise NotLinked()
    current = balance(session, actor)
    policy = practice.clinic_info(session).payment_plan_policy or (
        "Our billing office will contact you about a payment plan."
    )
    waiting = session.scalar(
        select(MessageSlip)
        .where(
            MessageSlip.patient_id == actor.id,
            MessageSlip.kind == SlipKind.PAYMENT_PLAN,
            MessageSlip.status == SlipStatus.OPEN,
        )
        .order_by(MessageSlip.created_at.desc())
        .limit(1)
    )
    if waiting is not None:  # asked again before billing got to it: one task is enough
        return PaymentPlanRequest(policy, waiting, current.due_cents, already_asked=True)
    reason = f"Payment plan request; balance {text.money(current.due_cents)}."
    if note:
        reason += f" Patient's note: {note.strip()[:500]}"
    slip = inbox.leave_message(
        session, actor, reason=reason, desk=Desk.BILLING, kind=SlipKind.PAYMENT_PLAN
    )
    return PaymentPlanRequest(policy=policy, slip=slip, balance_cents=current.due_cents)
