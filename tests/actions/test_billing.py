"""Bills, from the store: balance, the itemised invoice (text + PDF reference), claim status,
payment plans. Only the sender's own; strangers are told to link first."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from actions.billing import (
    ActionAskBalance,
    ActionAskClaimStatus,
    ActionAskInvoice,
    ActionRequestPaymentPlan,
)
from clinic import text
from clinic.identity import who_is
from clinic.models import Claim, ClaimStatus, Invoice, InvoiceLine, MessageSlip, Payment, SlipKind
from tests.actions.helpers import (
    AISHA,
    MARIA,
    RITA,
    STRANGER_WEB,
    customs,
    ent,
    run,
    texts,
    tracker,
)


def patient_id(db, sender) -> int:
    db.rollback()
    return who_is(db, sender).patient.id


def due_cents(db, pid: int) -> int:
    shares = db.scalar(
        select(func.coalesce(func.sum(InvoiceLine.patient_share_cents), 0))
        .join(Invoice)
        .where(Invoice.patient_id == pid)
    )
    paid = db.scalar(
        select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(Payment.patient_id == pid)
    )
    return shares - paid


def test_balance_is_invoices_minus_payments_from_the_store(db):
    pid = patient_id(db, MARIA)
    due = due_cents(db, pid)
    assert due > 0
    _, said = run(ActionAskBalance(), tracker(MARIA, "how much do I owe", intent="ask_balance"))
    assert f"Your balance is {text.money(due)}" in texts(said)
    for invoice in db.scalars(select(Invoice).where(Invoice.patient_id == pid)):
        if invoice.open_cents > 0:
            assert invoice.number in texts(said)


def test_the_latest_invoice_is_itemised_and_sent_as_a_pdf(db):
    pid = patient_id(db, MARIA)
    latest = db.scalars(
        select(Invoice).where(Invoice.patient_id == pid).order_by(Invoice.issued_on.desc())
    ).first()
    _, said = run(ActionAskInvoice(), tracker(MARIA, "send me my bill", intent="ask_invoice"))
    body = texts(said)
    assert latest.number in body
    for line in latest.lines:
        assert line.cpt_code in body and line.description in body
        assert f"charge {text.money(line.charge_cents)}" in body
        assert f"insurance paid {text.money(line.insurance_paid_cents)}" in body
        assert f"your share {text.money(line.patient_share_cents)}" in body
    (document,) = [c["document"] for c in customs(said)]
    assert document == {
        "kind": "invoice_pdf",
        "invoice_id": latest.id,
        "filename": f"invoice-{latest.number}.pdf",
    }


def test_an_invoice_by_date(db):
    pid = patient_id(db, MARIA)
    oldest = db.scalars(
        select(Invoice).where(Invoice.patient_id == pid).order_by(Invoice.issued_on)
    ).first()
    _, said = run(
        ActionAskInvoice(),
        tracker(
            MARIA,
            "my bill from ...",
            intent="ask_invoice",
            entities=[ent("time", oldest.issued_on.isoformat())],
        ),
    )
    assert f"Invoice {oldest.number}" in texts(said)


def test_claim_status_per_visit_with_the_denial_reason(db):
    pid = patient_id(db, MARIA)
    claims = db.scalars(select(Claim).where(Claim.patient_id == pid)).all()
    _, said = run(ActionAskClaimStatus(), tracker(MARIA, intent="ask_claim_status"))
    for claim in sorted(claims, key=lambda c: c.service_from, reverse=True)[:5]:
        assert claim.number in texts(said)
    denied = [c for c in claims if c.status is ClaimStatus.DENIED]
    assert denied and denied[0].denial_reason in texts(said)


def test_a_payment_plan_explains_the_policy_and_leaves_a_task_for_billing(db):
    _, said = run(
        ActionRequestPaymentPlan(),
        tracker(MARIA, "can I pay in instalments", intent="request_payment_plan"),
    )
    assert "6 monthly instalments" in texts(said)  # the clinic file's policy
    pid = patient_id(db, MARIA)
    slip = db.scalars(
        select(MessageSlip)
        .where(MessageSlip.patient_id == pid, MessageSlip.kind == SlipKind.PAYMENT_PLAN)
        .order_by(MessageSlip.id.desc())
    ).first()
    assert slip is not None and slip.desk.value == "billing"


def test_no_payment_plan_task_without_a_balance(db):
    pid = patient_id(db, AISHA)
    assert due_cents(db, pid) <= 0
    before = db.scalar(select(func.count()).select_from(MessageSlip))
    _, said = run(ActionRequestPaymentPlan(), tracker(AISHA, intent="request_payment_plan"))
    db.rollback()
    assert db.scalar(select(func.count()).select_from(MessageSlip)) == before
    assert "nothing to spread" in texts(said)


@pytest.mark.parametrize(
    "action", [ActionAskBalance, ActionAskInvoice, ActionAskClaimStatus, ActionRequestPaymentPlan]
)
def test_a_stranger_gets_no_bills(db, action):
    _, said = run(action(), tracker(STRANGER_WEB, intent="ask_balance"))
    assert "first need to know who you are" in texts(said)
    assert "$" not in texts(said) and not customs(said)


@pytest.mark.parametrize(
    "action", [ActionAskBalance, ActionAskInvoice, ActionAskClaimStatus, ActionRequestPaymentPlan]
)
def test_staff_asking_for_their_bill_hear_what_staff_can_do_not_a_linking_prompt(db, action):
    _, said = run(action(), tracker(RITA, intent="ask_balance"))
    assert "signed in as staff (Rita Alvarez)" in texts(said)
    assert "/today" in texts(said)
    assert "$" not in texts(said)
    assert not customs(said)  # no "Share my phone number" button in a staff chat
