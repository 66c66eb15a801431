"""A patient's bills: balance, an itemised invoice (text, and the PDF as a document the bot
sends), insurance claim status, and asking for a payment plan. Only the sender's own records,
looked up through clinic.billing with the sender's actor.
"""

from __future__ import annotations

import re

from rasa_sdk.events import EventType
from rasa_sdk.types import DomainDict

from actions.also_asked import answers
from actions.common import (
    StoreAction,
    answered_before,
    buttons,
    caller_of,
    entity,
    latest_text,
    log,
    payload,
    previous_user_text,
    recent_events,
    refuse_for_someone_else,
    say_error,
    say_not_linked,
    store,
    time_entities,
)
from actions.when import days_of, past_values
from clinic import billing, practice, text
from clinic.errors import DomainError
from clinic.models import ClaimStatus, Invoice

RECENT_CLAIMS = 5


def invoice_text(invoice: Invoice, claims: list | tuple = ()) -> str:
    lines = [
        f"Invoice {invoice.number}, issued {text.short_date(invoice.issued_on)} "
        f"(due {text.short_date(invoice.due_on)}):"
    ]
    for line in invoice.lines:
        lines.append(
            f"• {text.short_date(line.date_of_service)} — {line.cpt_code} {line.description}: "
            f"charge {text.money(line.charge_cents)}, insurance paid "
            f"{text.money(line.insurance_paid_cents)}"
            + (f", adjustment {text.money(line.adjustment_cents)}" if line.adjustment_cents else "")
            + f", your share {text.money(line.patient_share_cents)}"
        )
    lines.append(
        f"Your share: {text.money(invoice.patient_share_cents)}; paid "
        f"{text.money(invoice.paid_cents)}; still open {text.money(invoice.open_cents)}."
    )
    for claim in claims:
        if claim.status in billing.UNDECIDED:  # "insurance paid $0.00" is not the last word yet
            wait = " you may want to wait for it before paying." if invoice.open_cents else ""
            lines.append(
                f"Your insurer ({claim.insurer.name}) has not finished with the claim for this "
                f"visit ({billing.CLAIM_STATUS_TEXT[claim.status]}), so your share may still go "
                f"down;{wait or ' nothing is open on this bill now.'}"
            )
        elif claim.status is ClaimStatus.DENIED:
            why = f" ({claim.denial_reason.rstrip('.')})" if claim.denial_reason else ""
            lines.append(
                f"Your insurer ({claim.insurer.name}) denied the claim for this visit{why}, which "
                "is why this share is yours; the billing office can tell you whether it can be "
                "appealed."
            )
    return "\n".join(lines)


_INVOICE_NUMBER_RE = re.compile(r"\bINV[- ]?\d{4}[- ]?\d{3,6}\b", re.IGNORECASE)


def _invoice_number_in(said: str) -> str | None:
    found = _INVOICE_NUMBER_RE.search(said or "")
    return found.group(0).upper() if found else None


def _same_number(number: str, said: str) -> bool:
    return re.sub(r"[^0-9A-Z]", "", number.upper()) == re.sub(r"[^0-9A-Z]", "", said.upper())


def invoice_document(invoice: Invoice) -> dict:
    return {
        "document": {
            "kind": "invoice_pdf",
            "invoice_id": invoice.id,
            "filename": f"invoice-{invoice.number}.pdf",
        },
        "text": f"Here is invoice {invoice.number} as a PDF.",
    }


def _visit_bill(session, caller, type_key: str) -> str:
    """What the latest bill for a visit of this type comes to, in one line."""
    try:
        kind = practice.get_type(session, type_key).name.lower()
    except DomainError:
        return ""
    invoices = billing.invoices_for_visit_type(session, caller.actor, type_key)
    if not invoices:
        return f"I found no bill for {text.article(kind)}."
    invoice = invoices[0]
    visit = min(invoice.service_dates)
    return (
        f"For your {kind} on {text.short_date(visit)} (invoice {invoice.number}): your share "
        f"{text.money(invoice.patient_share_cents)}, paid {text.money(invoice.paid_cents)}, "
        f"still open {text.money(invoice.open_cents)}."
    )


# "I already paid that", "I paid it last week": a payment the patient expects to see
_ALREADY_PAID_RE = re.compile(
    r"\b(already paid|paid (it|that|this|them|the bill|my bill)|i('ve| have) paid)\b", re.I
)
# "can you appeal it?", "I want to dispute the denial"
_APPEAL_RE = re.compile(r"\b(appeal\w*|dispute\w*|contest\w*|fight it|challenge it)\b", re.I)


@answers("ask_balance")
class ActionAskBalance(StoreAction):
    def name(self) -> str:
        return "action_ask_balance"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        with store() as session:
            caller = caller_of(session, tracker)
            if not caller.is_patient:
                say_not_linked(dispatcher, tracker, "see your balance", caller)
                return []
            if refuse_for_someone_else(session, dispatcher, tracker, caller, "bills"):
                return []
            balance = billing.balance(session, caller.actor)
            lines = [balance.summary()]
            asked_for = entity(tracker, "appointment_type")  # "what do I owe for the flu shot"
            visit_line = _visit_bill(session, caller, str(asked_for)) if asked_for else ""
            if visit_line:
                lines.insert(0, visit_line)
            for invoice in balance.open_invoices:
                lines.append(
                    f"• Invoice {invoice.number} from {text.short_date(invoice.issued_on)}: "
                    f"{text.money(invoice.open_cents)} open (due {text.short_date(invoice.due_on)})"
                )
        if _ALREADY_PAID_RE.search(latest_text(tracker)):  # "I already paid that"
            lines.append(
                "A payment can take a few business days to show here. If yours was longer ago, "
                "the billing office can look for it."
            )
        extra = [BILLING_BUTTON] if _ALREADY_PAID_RE.search(latest_text(tracker)) else []
        if balance.due_cents > 0:
            extra += [
                ("See my latest bill", "/ask_invoice"),
                ("How can I pay?", "/ask_payment_options"),
                ("Payment plan", "/request_payment_plan"),
            ]
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons(extra))
        return []


BILLING_MESSAGE = '/leave_message{"provider":"billing"}'  # "Message the billing office"
BILLING_BUTTON = ("Message the billing office", BILLING_MESSAGE)


@answers("ask_invoice")
class ActionAskInvoice(StoreAction):
    def name(self) -> str:
        return "action_ask_invoice"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        said = latest_text(tracker)
        span = next((days_of(v) for v in past_values(said)), None)
        if span is None:  # a button's payload carries the day itself
            span = next((days_of(e.get("value")) for e in time_entities(tracker)), None)
        with store() as session:
            caller = caller_of(session, tracker)
            if not caller.is_patient:
                say_not_linked(dispatcher, tracker, "see your bills", caller)
                return []
            if refuse_for_someone_else(session, dispatcher, tracker, caller, "bills"):
                return []
            note = ""
            number = entity(tracker, "invoice_number") or _invoice_number_in(said)
            if number:
                # "show me invoice INV-2027-1181", or a "which bill?" button: that one, if theirs
                candidates = billing.invoices_for(session, caller.actor)
                invoice = next((i for i in candidates if _same_number(i.number, number)), None)
                if invoice is None and candidates:
                    note = f"I can't find {number} among your bills; this is the latest.\n"
                    invoice = candidates[0]
            elif span is not None:
                first, last = span
                found = billing.invoice_by_date(session, caller.actor, first, until=last)
                invoice, candidates = found.invoice, found.candidates
                if invoice is not None and not found.exact:
                    when = text.day(first) if first == last else text.days(first, last)
                    note = f"I found no bill from {when}; this is the nearest one.\n"
            elif (cents := _amount_in(latest_text(tracker))) is not None:
                # "what was the $210 charge for?": the bill with that amount, if there is one
                invoice = billing.invoice_with_amount(session, caller.actor, cents)
                candidates = billing.invoices_for(session, caller.actor)
                if invoice is None and candidates:
                    note = f"I found no bill with {text.money(cents)} on it; this is the latest.\n"
                    invoice = candidates[0]
            else:
                candidates = billing.invoices_for(session, caller.actor)
                invoice = candidates[0] if candidates else None
                shown = last_invoice_shown(tracker) if BEFORE_THAT_RE.search(said) else None
                ids = [c.id for c in candidates]
                if shown in ids:  # "and the one before that": the bill older than the one shown
                    older = ids.index(shown) + 1
                    invoice = candidates[min(older, len(ids) - 1)]
                    if older == len(ids):
                        note = "That was your first bill on file; here it is again.\n"
            if invoice is None and not candidates:
                dispatcher.utter_message(text="You have no bills on file.")
                return []
            if invoice is None:
                dispatcher.utter_message(
                    text="Which bill do you mean?",
                    buttons=buttons(
                        (
                            f"{i.number}, {text.short_date(i.issued_on)} "
                            f"({text.money(i.patient_share_cents)})",
                            payload("ask_invoice", invoice_number=i.number),
                        )
                        for i in candidates[:8]
                    ),
                )
                return []
            claims = billing.claims_of_invoice(session, caller.actor, invoice)
            body = note + invoice_text(invoice, claims)
            document = invoice_document(invoice)
        log.info("invoice.shown")
        if DISPUTED_RE.search(latest_text(tracker)):  # "I already paid", "charged twice"
            dispatcher.utter_message(
                text=body + "\nIf something on it looks wrong (a payment missing, a charge twice), "
                "the billing office can check it for you.",
                buttons=buttons([BILLING_BUTTON]),
            )
        else:
            dispatcher.utter_message(text=body)
        dispatcher.utter_message(json_message=document)
        return []


# "and the one before that", "the previous bill": older than the bill just shown
BEFORE_THAT_RE = re.compile(
    r"\b(?:one|bill|invoice)s? before(?: that| it| this)?\b|"
    r"\b(?:previous|earlier|older|prior|last but one) (?:one|bill|invoice)\b",
    re.I,
)


def last_invoice_shown(tracker) -> int | None:
    """The id of the invoice whose PDF the bot sent last in this conversation."""
    for event in recent_events(tracker):
        if event.get("event") != "bot":
            continue
        document = ((event.get("data") or {}).get("custom") or {}).get("document") or {}
        if document.get("kind") == "invoice_pdf" and str(document.get("invoice_id")).isdigit():
            return int(document["invoice_id"])
    return None


# "what did insurance pay on that?", "was this one covered?": about the bill just shown
_REFERS_BACK_RE = re.compile(r"\b(that|this|it|this one|that one|the bill)\b", re.I)
# "$210", "210 dollars", "$63.50"
_AMOUNT_RE = re.compile(r"\$\s?(\d{1,5}(?:\.\d{2})?)\b|\b(\d{1,5}(?:\.\d{2})?) ?dollars?\b", re.I)
# "I already paid", "charged twice", "too high": the person thinks the bill is wrong
DISPUTED_RE = re.compile(
    r"\b(already paid|paid (it|that|this)|charged (me )?twice|double.?charged|twice for|"
    r"overcharged|too (high|much)|so (high|much|expensive)|wrong|mistake|error|incorrect|"
    r"doesn'?t look right|not right|dispute)\b",
    re.I,
)


def _amount_in(message: str) -> int | None:
    found = _AMOUNT_RE.search(message or "")
    if not found:
        return None
    return round(float(found.group(1) or found.group(2)) * 100)


# "why was it denied?", "they rejected it", "can you appeal it?": the denied claims
_DENIED_RE = re.compile(
    r"\b(denied|deny|denial|reject\w*|declined?|turned down|refused|appeal\w*|dispute\w*)\b", re.I
)


@answers("ask_claim_status")
class ActionAskClaimStatus(StoreAction):
    def name(self) -> str:
        return "action_ask_claim_status"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        span = next((days_of(v) for v in past_values(latest_text(tracker))), None)
        asking_denied = bool(_DENIED_RE.search(latest_text(tracker)))
        if span is None and asking_denied and answered_before(tracker) == self.name():
            # "why was it denied?" about the claim just shown ("did they pay for January?")
            span = next((days_of(v) for v in past_values(previous_user_text(tracker))), None)
        with store() as session:
            caller = caller_of(session, tracker)
            if not caller.is_patient:
                say_not_linked(dispatcher, tracker, "check your insurance claims", caller)
                return []
            if refuse_for_someone_else(session, dispatcher, tracker, caller, "insurance claims"):
                return []
            claims = billing.claims_for(session, caller.actor)
            refers_back = span is None and _REFERS_BACK_RE.search(latest_text(tracker))
            shown = last_invoice_shown(tracker) if refers_back else None
            if shown is not None and answered_before(tracker) == "action_ask_invoice":
                # "what did insurance pay on that?" just after a bill: that bill's visits
                try:
                    served = [line.date_of_service for line in
                              billing.get_invoice(session, caller.actor, shown).lines]  # fmt: skip
                except DomainError:
                    served = []
                span = (min(served), max(served)) if served else None
            if span is not None:
                first, last = span
                dated = [c for c in claims if c.service_from <= last and c.service_to >= first]
                claims = dated or claims
            note = ""
            if asking_denied:  # "why was it denied?", "can you appeal it?"
                denied = [c for c in claims if c.status is ClaimStatus.DENIED]
                if not denied and claims:
                    note = "None of these claims was denied. "
                claims = denied or claims
            lines = [billing.claim_status_text(c) for c in claims[:RECENT_CLAIMS]]
            any_denied = any(c.status is ClaimStatus.DENIED for c in claims[:RECENT_CLAIMS])
        if not lines:
            dispatcher.utter_message(text="There are no insurance claims on file for you.")
            return []
        head = "Your insurance claim:" if len(lines) == 1 else "Your recent insurance claims:"
        answer = "\n".join([note + head, *(f"• {line}" for line in lines)])
        if not any_denied:
            dispatcher.utter_message(text=answer)
            return []
        if _APPEAL_RE.search(latest_text(tracker)) and answered_before(tracker) == self.name():
            # "can you appeal it?" just after the denial was shown: not the same list again
            answer = (
                "I can't appeal a claim myself, but the billing office can: they review the "
                "denial and, if it was a mistake, take it up with your insurer. Tap below to ask "
                "them, and say which claim."
            )
        else:
            answer += (
                "\nIf you think a claim was denied by mistake, the billing office can look into "
                "it with your insurer."
            )
        dispatcher.utter_message(text=answer, buttons=buttons([BILLING_BUTTON]))
        return []


class ActionRequestPaymentPlan(StoreAction):
    def name(self) -> str:
        return "action_request_payment_plan"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        try:
            with store() as session:
                caller = caller_of(session, tracker)
                if not caller.is_patient:
                    say_not_linked(dispatcher, tracker, "set up a payment plan", caller)
                    return []
                current = billing.balance(session, caller.actor)
                if current.due_cents <= 0:
                    dispatcher.utter_message(
                        text=f"{current.summary()} There's nothing to spread over a payment "
                        "plan right now."
                    )
                    return []
                note = latest_text(tracker)
                request = billing.request_payment_plan(
                    session, caller.actor, note=None if note.startswith("/") else note
                )
        except DomainError as error:
            say_error(dispatcher, error)
            return []
        if request.already_asked:
            dispatcher.utter_message(
                text=f"You already asked for a payment plan on {text.when(request.slip.created_at)}"
                "; the billing office has it and will contact you. Your current balance is "
                f"{text.money(request.balance_cents)}."
            )
            return []
        floor = _PLAN_FLOOR_RE.search(request.policy or "")
        below = floor and request.balance_cents <= int(float(floor.group(1).replace(",", "")) * 100)
        asked = (
            # the policy's own minimum ("balances over $200") is no promise to break
            "That is under the amount the policy names, so I've asked the billing office whether "
            "they can help anyway; they'll contact you."
            if below
            else "I've asked the billing office to set up a plan with you; they'll contact you."
        )
        dispatcher.utter_message(
            text=f"{request.policy}\nYour current balance is {text.money(request.balance_cents)}. "
            + asked
        )
        return []


# "Balances over $200 can be split ...": the smallest balance a plan is for, in the policy text
_PLAN_FLOOR_RE = re.compile(r"\b(?:over|above|more than|from)\s+\$(\d[\d,]*(?:\.\d\d)?)", re.I)
