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
from actions.follow_up import ActionInformWithoutContext
from clinic import text
from clinic.identity import who_is
from clinic.models import Claim, ClaimStatus, Invoice, InvoiceLine, MessageSlip, Payment, SlipKind
from tests.actions.helpers import (
    AISHA,
    MARIA,
    RITA,
    STRANGER_WEB,
    answered_by,
    buttons,
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


def test_what_do_i_owe_for_a_visit_type_names_that_visits_bill_first(db):
    flu_shot = invoice_with_service_on(db, patient_id(db, MARIA), "2027-02-24")
    _, said = run(ActionAskBalance(), tracker(MARIA, "how much do i owe for the flu shot",
                  "ask_balance", entities=[ent("appointment_type", "vaccination")]))  # fmt: skip
    first, *rest = texts(said).splitlines()
    assert first == (
        f"For your vaccination on Feb 24, 2027 (invoice {flu_shot.number}): your share "
        f"{text.money(flu_shot.patient_share_cents)}, paid {text.money(flu_shot.paid_cents)}, "
        f"still open {text.money(flu_shot.open_cents)}."
    )
    assert rest[0].startswith("Your balance is"), "the whole balance follows"
    _, said = run(ActionAskBalance(), tracker(MARIA, "what do i owe for the procedure",
                  "ask_balance", entities=[ent("appointment_type", "procedure")]))  # fmt: skip
    assert texts(said).startswith("I found no bill for a minor procedure.")


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


def invoice_with_service_on(db, pid: int, day: str) -> Invoice:
    invoices = db.scalars(select(Invoice).where(Invoice.patient_id == pid)).all()
    (found,) = [i for i in invoices if day in {d.isoformat() for d in i.service_dates}]
    return found


def test_a_bill_date_without_a_year_is_the_past_one_not_next_years(db):
    pid = patient_id(db, MARIA)
    visit = invoice_with_service_on(db, pid, "2027-02-17")
    # the NLU prefers the future (for booking): "february 17" said on March 1 is 2028
    _, said = run(ActionAskInvoice(), tracker(MARIA, "send me my bill from february 17",
                  "ask_invoice", entities=[ent("time", "2028-02-17")]))  # fmt: skip
    assert f"Invoice {visit.number}" in texts(said)
    assert "nearest" not in texts(said)
    # its claim is still with Aetna: the share shown is not the last word, and it says so
    assert "Your insurer (Aetna) has not finished with the claim for this visit (being " in (
        texts(said)
    )

    feb_3 = [ent("time", "2028-02-03")]  # its claim is paid: nothing to wait for
    _, said = run(ActionAskInvoice(), tracker(MARIA, "bill from feb 3", "ask_invoice", feb_3))
    assert "has not finished" not in texts(said)

    january = invoice_with_service_on(db, pid, "2027-01-06")
    month = {"from": "2028-01-01", "to": "2028-01-31"}
    _, said = run(ActionAskInvoice(), tracker(MARIA, "my bill from january", "ask_invoice",
                                              entities=[ent("time", month)]))  # fmt: skip
    assert f"Invoice {january.number}" in texts(said)
    assert "nearest" not in texts(said)


def test_claims_for_a_month_in_the_past_are_that_months(db):
    december = {"from": "2027-12-01", "to": "2027-12-31"}
    _, said = run(ActionAskClaimStatus(), tracker(MARIA, "did insurance pay for the december "
                  "visit", "ask_claim_status", entities=[ent("time", december)]))  # fmt: skip
    assert texts(said).startswith("Your insurance claim:")
    assert "Dec 2, 2026" in texts(said) and "Feb 24, 2027" not in texts(said)


def test_claim_status_per_visit_with_the_denial_reason(db):
    pid = patient_id(db, MARIA)
    claims = db.scalars(select(Claim).where(Claim.patient_id == pid)).all()
    _, said = run(ActionAskClaimStatus(), tracker(MARIA, intent="ask_claim_status"))
    for claim in sorted(claims, key=lambda c: c.service_from, reverse=True)[:5]:
        assert claim.number in texts(said)
    denied = [c for c in claims if c.status is ClaimStatus.DENIED]
    assert denied and denied[0].denial_reason in texts(said)


def test_why_was_it_denied_shows_the_denied_claims_and_the_way_to_billing(db):
    for asked in ("why was it denied", "can you appeal it?"):
        _, said = run(ActionAskClaimStatus(), tracker(MARIA, asked, "ask_claim_status"))
        lines = [line for line in texts(said).splitlines() if line.startswith("• ")]
        assert lines and all("denied" in line for line in lines), asked
        assert "CO-96" in texts(said)
        assert [b["payload"] for b in buttons(said)] == ['/leave_message{"provider":"billing"}']
    # the January claim was partly paid, not denied: said so
    january = {"from": "2027-01-01", "to": "2027-01-31"}
    _, said = run(ActionAskClaimStatus(), tracker(MARIA, "why was the january one denied",
                  "ask_claim_status", entities=[ent("time", january)]))  # fmt: skip
    assert texts(said).startswith("None of these claims was denied.")
    assert "partially paid" in texts(said) and not buttons(said)
    # "why was it denied?" just after the January claim was shown: that claim
    t = tracker(MARIA, "why was it denied", "ask_claim_status")
    t.events[:0] = [{"event": "user", "text": "did my insurance pay for the january visit"},
                    {"event": "action", "name": "action_ask_claim_status"}]  # fmt: skip
    _, said = run(ActionAskClaimStatus(), t)
    assert texts(said).startswith("None of these claims was denied.")
    assert "Jan 6, 2027" in texts(said) and "Dec 2, 2026" not in texts(said)


def test_can_you_appeal_it_after_the_denial_says_who_can_not_the_list_again(db):
    t = answered_by(tracker(MARIA, "can you appeal it", "ask_claim_status"),
                    "action_ask_claim_status")  # fmt: skip
    _, said = run(ActionAskClaimStatus(), t)
    assert texts(said).startswith("I can't appeal a claim myself, but the billing office can")
    assert "• " not in texts(said)
    assert [b["payload"] for b in buttons(said)] == ['/leave_message{"provider":"billing"}']


def test_i_already_paid_shows_the_balance_and_how_long_a_payment_takes(db):
    _, said = run(ActionAskBalance(), tracker(MARIA, "I already paid that", "ask_balance"))
    assert "can take a few business days to show" in texts(said)
    assert buttons(said)[0]["payload"] == '/leave_message{"provider":"billing"}'
    _, said = run(ActionAskBalance(), tracker(MARIA, "what do I owe", "ask_balance"))
    assert "business days" not in texts(said)


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
    _, said = run(ActionRequestPaymentPlan(), tracker(MARIA, "can I pay monthly?",
                                                      "request_payment_plan"))  # fmt: skip
    assert texts(said).startswith("You already asked for a payment plan on ")


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


def test_what_about_january_after_a_bill_shows_januarys_bill(db):
    january = invoice_with_service_on(db, patient_id(db, MARIA), "2027-01-06")
    month = {"from": "2028-01-01", "to": "2028-01-31"}
    follow = tracker(MARIA, "what about the one from january", entities=[ent("time", month)])
    answered_by(follow, "action_ask_invoice")
    _, said = run(ActionInformWithoutContext(), follow)
    assert f"Invoice {january.number}" in texts(said)
    # the same words with no bill asked just before: what would you like to do?
    _, said = run(ActionInformWithoutContext(), tracker(MARIA, "what about the one from january",
                                                        entities=[ent("time", month)]))  # fmt: skip
    assert "Invoice" not in texts(said) and "What would you like to do?" in texts(said)


def test_a_relatives_bill_is_not_answered_with_the_senders_own(db):
    _, said = run(ActionAskBalance(), tracker(MARIA, "what does my son owe", "ask_balance"))
    assert texts(said).startswith("I can only help with your own bills here, Maria.")
    assert "$" not in texts(said)


def test_someone_else_named_in_full_is_not_answered_with_the_senders_own(db):
    _, said = run(ActionAskBalance(), tracker(AISHA, "how much does Maria Lopez owe?",
                                              "ask_balance"))  # fmt: skip
    assert texts(said).startswith("I can only help with your own bills here, Aisha.")
    assert "Maria Lopez can ask in their own chat" in texts(said)
    # her own name, a doctor's, a plan's: her own answer as usual
    for own in ("This is Aisha Khan, how much do I owe?", "what do I owe for Grace Okafor's visit",
                "how much do I owe after Blue Cross paid"):  # fmt: skip
        _, said = run(ActionAskBalance(), tracker(AISHA, own, "ask_balance"))
        assert "I can only help with your own" not in texts(said), own


def test_a_bill_asked_about_by_its_amount_is_that_bill(db):
    _, said = run(ActionAskInvoice(), tracker(MARIA, "what was the $210 charge for", "ask_invoice"))
    assert texts(said).startswith("Invoice INV-2026-1003"), texts(said)
    _, said = run(ActionAskInvoice(), tracker(MARIA, "what's the $9999 bill", "ask_invoice"))
    assert texts(said).startswith("I found no bill with $9,999.00 on it; this is the latest.")


def test_a_bill_the_patient_thinks_is_wrong_comes_with_the_way_to_billing(db):
    for said_text in (
        "I already paid that bill last week",
        "I was charged twice for the same visit",
    ):
        _, said = run(ActionAskInvoice(), tracker(MARIA, said_text, "ask_invoice"))
        assert "billing office can check it" in texts(said), said_text
        assert [b["payload"] for b in buttons(said)] == ['/leave_message{"provider":"billing"}']
    _, said = run(ActionAskInvoice(), tracker(MARIA, "send me my latest bill", "ask_invoice"))
    assert not buttons(said) and "billing office" not in texts(said)


def test_and_the_one_before_that_after_a_bill_shows_the_older_one(db):
    pid = patient_id(db, MARIA)
    newest_first = db.scalars(
        select(Invoice).where(Invoice.patient_id == pid).order_by(Invoice.issued_on.desc())
    ).all()
    assert len(newest_first) >= 2
    _, said = run(ActionAskInvoice(), tracker(MARIA, "can you send me the pdf", "ask_invoice"))
    shown = [{"event": "bot", "text": texts(said), "data": {"custom": c}} for c in customs(said)]
    before = tracker(MARIA, "and the one before that", "inform")
    before.events[:0] = [{"event": "action", "name": "action_ask_invoice"}, *shown]
    _, said = run(ActionInformWithoutContext(), before)
    assert newest_first[1].number in texts(said) and newest_first[0].number not in texts(said)
    (document,) = [c["document"] for c in customs(said)]
    assert document["invoice_id"] == newest_first[1].id


def test_what_did_insurance_pay_on_that_just_after_a_bill_is_that_bills_claim(db):
    """After the December bill: "what did insurance pay on that?" is the claim for its visit
    (denied), not every claim; and "my december visit" is last December's."""
    december = db.scalars(select(Invoice).where(Invoice.number == "INV-2026-1003")).one()
    asked = tracker(MARIA, "what did insurance pay on that", "ask_claim_status")
    answered_by(asked, "action_ask_invoice")
    asked.events.insert(-1, {"event": "bot", "text": "Invoice INV-2026-1003 ...", "data": {
        "custom": {"document": {"kind": "invoice_pdf", "invoice_id": december.id}}}})  # fmt: skip
    _, said = run(ActionAskClaimStatus(), asked)
    assert texts(said).startswith("Your insurance claim:\n• Claim C-5003 for your visit on Dec 2")
    # a question that doesn't point back at it: every claim
    plain = answered_by(tracker(MARIA, "did my insurance pay?", "ask_claim_status"),
                        "action_ask_invoice")  # fmt: skip
    plain.events.insert(-1, asked.events[-2])
    _, said = run(ActionAskClaimStatus(), plain)
    assert texts(said).startswith("Your recent insurance claims:")
    _, said = run(ActionAskClaimStatus(), tracker(MARIA, "is there a claim for my december visit",
                                                  "ask_claim_status"))  # fmt: skip
    assert texts(said).startswith("Your insurance claim:\n• Claim C-5003 for your visit on Dec 2")


def test_an_invoice_says_its_own_claims_denial_and_never_another_visits_claim(db):
    from datetime import date

    from clinic.identity import who_is
    from clinic.models import Claim, ClaimStatus

    _, said = run(ActionAskInvoice(), tracker(MARIA, "show me invoice INV-2026-1003",
                                              "ask_invoice"))  # fmt: skip
    assert texts(said).startswith("Invoice INV-2026-1003")
    assert "denied the claim for this visit" in texts(said)
    # another visit's claim on the same day as INV-2027-1004's visit is not this bill's
    maria = who_is(db, MARIA).patient
    own = db.scalars(select(Claim).where(Claim.number == "C-5004")).one()
    db.add(Claim(number="C-9999", patient_id=maria.id, appointment_id=1,
                 insurer_id=own.insurer_id, member_id=own.member_id,
                 service_from=date(2027, 2, 17), service_to=date(2027, 2, 17),
                 cpt_codes=["99213"], icd10_codes=["Z00.00"], billed_cents=10000,
                 allowed_cents=None, status=ClaimStatus.DENIED, denial_reason="not covered",
                 submitted_on=date(2027, 2, 18), updated_on=date(2027, 2, 20)))  # fmt: skip
    db.commit()
    _, said = run(ActionAskInvoice(), tracker(MARIA, "show me invoice INV-2027-1004",
                                              "ask_invoice"))  # fmt: skip
    assert "has not finished with the claim" in texts(said)  # its own, in process
    assert "denied" not in texts(said)
    # a number that is not theirs: said, and their latest instead
    _, said = run(ActionAskInvoice(), tracker(MARIA, "show me invoice INV-2027-1017",
                                              "ask_invoice"))  # fmt: skip
    assert texts(said).startswith("I can't find INV-2027-1017 among your bills")


def test_a_balance_under_the_policys_minimum_is_not_promised_a_plan(db):
    from datetime import date

    from clinic.models import Payment

    pid = patient_id(db, MARIA)
    db.add(Payment(patient_id=pid, invoice_id=None, amount_cents=due_cents(db, pid) - 15000,
                   paid_on=date(2027, 2, 28), method="card"))  # fmt: skip
    db.commit()
    _, said = run(ActionRequestPaymentPlan(), tracker(MARIA, "can I pay in instalments",
                                                      "request_payment_plan"))  # fmt: skip
    assert "Your current balance is $150.00." in texts(said)
    assert "under the amount the policy names" in texts(said)
    assert "set up a plan with you" not in texts(said)
