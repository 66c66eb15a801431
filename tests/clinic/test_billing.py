"""Billing on the seeded demo practice (Maria Lopez is patient #1; see clinic/README.md)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from clinic import billing, clock, text
from clinic.audit import Actor
from clinic.errors import NotFound, NotLinked, NotYourRecord
from clinic.models import (
    AuditEntry,
    ClaimStatus,
    Invoice,
    InvoiceLine,
    MessageSlip,
    Payment,
    SlipKind,
    Staff,
)
from tests.clinic.helpers import make_patient

MARIA = Actor.patient(1, "tg:1001")


def test_balance_is_patient_shares_minus_payments(seeded_session):
    result = billing.balance(seeded_session, MARIA)
    shares = sum(
        seeded_session.scalars(
            select(InvoiceLine.patient_share_cents).join(Invoice).where(Invoice.patient_id == 1)
        )
    )
    paid = sum(seeded_session.scalars(select(Payment.amount_cents).where(Payment.patient_id == 1)))
    assert result.due_cents == shares - paid == 44600
    assert result.summary() == "Your balance is $446.00 across 4 invoices."
    assert all(invoice.open_cents > 0 for invoice in result.open_invoices)


def test_invoice_by_date_exact_nearest_and_none(seeded_session):
    invoices = billing.invoices_for(seeded_session, MARIA)
    visit_day = invoices[0].service_dates[0]
    exact = billing.invoice_by_date(seeded_session, MARIA, visit_day)
    assert exact.exact and exact.invoice.id == invoices[0].id
    issued = billing.invoice_by_date(seeded_session, MARIA, invoices[1].issued_on)
    assert issued.exact and issued.invoice.id == invoices[1].id
    nearest = billing.invoice_by_date(
        seeded_session, MARIA, visit_day.replace(day=1) if visit_day.day > 3 else visit_day
    )
    assert nearest.invoice is not None or nearest.candidates
    far = billing.invoice_by_date(seeded_session, MARIA, date(2020, 1, 1))
    assert not far.exact and far.invoice.id == invoices[-1].id  # the oldest is nearest


def test_invoice_by_date_lists_candidates_on_a_tie(clinic_session):
    patient = make_patient(clinic_session, 1)
    for n, day in enumerate([date(2027, 1, 10), date(2027, 1, 20)]):
        invoice = Invoice(
            number=f"T-{n}",
            patient_id=patient.id,
            issued_on=day,
            due_on=day,
            created_at=clock.now(),
        )
        invoice.lines.append(
            InvoiceLine(
                date_of_service=day,
                cpt_code="99213",
                description="Office visit",
                charge_cents=10000,
                patient_share_cents=10000,
            )
        )
        clinic_session.add(invoice)
    clinic_session.flush()
    actor = Actor.patient(patient.id)
    tie = billing.invoice_by_date(clinic_session, actor, date(2027, 1, 15))
    assert tie.invoice is None and [i.number for i in tie.candidates] == ["T-0", "T-1"]
    near = billing.invoice_by_date(clinic_session, actor, date(2027, 1, 18))
    assert near.invoice.number == "T-1" and not near.exact
    exact = billing.invoice_by_date(clinic_session, actor, date(2027, 1, 10))
    assert exact.exact and exact.invoice.number == "T-0"
    # a run of days: every bill in it, or the nearest to its ends
    both = billing.invoice_by_date(clinic_session, actor, date(2027, 1, 1), until=date(2027, 1, 31))
    assert both.exact and both.invoice is None and len(both.candidates) == 2
    one = billing.invoice_by_date(clinic_session, actor, date(2027, 1, 15), until=date(2027, 1, 31))
    assert one.exact and one.invoice.number == "T-1"
    after = billing.invoice_by_date(
        clinic_session, actor, date(2027, 2, 1), until=date(2027, 2, 28)
    )
    assert not after.exact and after.invoice.number == "T-1", "the nearest to the span"


def test_lines_carry_the_itemised_fields(seeded_session):
    invoice = billing.invoices_for(seeded_session, MARIA)[0]
    for line in invoice.lines:
        assert line.cpt_code and line.description
        assert (
            line.charge_cents - line.insurance_paid_cents - line.adjustment_cents
            == line.patient_share_cents
        )


def test_claims_cover_every_status_with_a_denial_reason(seeded_session):
    claims = billing.claims_for(seeded_session, MARIA)
    assert {c.status for c in claims} == set(ClaimStatus)
    denied = next(c for c in claims if c.status is ClaimStatus.DENIED)
    assert "not covered" in billing.claim_status_text(denied)
    paid = next(c for c in claims if c.status is ClaimStatus.PAID)
    assert f"insurance paid {text.money(paid.paid_cents)}" in billing.claim_status_text(paid)
    one_visit = billing.claims_for(seeded_session, MARIA, appointment_id=denied.appointment_id)
    assert [c.id for c in one_visit] == [denied.id]


def test_insurance_on_file(seeded_session):
    (policy,) = billing.insurance_on_file(seeded_session, MARIA)
    assert policy.insurer.name == "Aetna" and policy.member_id == "AET448812301"


def test_patients_see_only_their_own_bills_and_every_read_is_audited(seeded_session):
    james = Actor.patient(2)
    maria_invoice = billing.invoices_for(seeded_session, MARIA)[0]
    with pytest.raises(NotYourRecord):
        billing.get_invoice(seeded_session, james, maria_invoice.id)
    with pytest.raises(NotYourRecord):
        billing.balance(seeded_session, james, patient_id=1)
    with pytest.raises(NotLinked):
        billing.balance(seeded_session, Actor.guest("tg:5"))
    with pytest.raises(NotFound):
        billing.balance(seeded_session, Actor.staff(1), patient_id=99999)
    staff_view = billing.balance(seeded_session, Actor.staff(1), patient_id=1)
    assert staff_view.due_cents == 44600
    actions = seeded_session.scalars(
        select(AuditEntry.action).where(AuditEntry.patient_id == 1)
    ).all()
    assert actions.count("billing.balance") == 1 and "invoice.list" in actions


def test_payment_plan_request_creates_a_billing_task(seeded_session):
    request = billing.request_payment_plan(seeded_session, MARIA, note="Two or three months?")
    assert "instalments" in request.policy
    slip = seeded_session.get(MessageSlip, request.slip.id)
    assert slip.kind is SlipKind.PAYMENT_PLAN and slip.desk.value == "billing"
    assert "$446.00" in slip.reason and not request.already_asked
    # asked again while billing has not got to it: the same task, not a second one
    again = billing.request_payment_plan(seeded_session, MARIA, note="any news?")
    assert again.already_asked and again.slip.id == request.slip.id
    with pytest.raises(NotLinked):
        billing.request_payment_plan(seeded_session, Actor.staff(1))


def test_staff_in_the_seed(seeded_session):
    roles = {
        s.name: (s.role.value, s.telegram_user_id) for s in seeded_session.scalars(select(Staff))
    }
    assert roles["Rita Alvarez"] == ("front_desk", 2001)
    assert roles["Ben Okoro"] == ("billing", 2002)
