"""Staff asking about one patient's visits: "is Maria Lopez booked this week?", "when is
maria lopez's next appointment?". The front desk sees every patient on the day's schedule
already; this is the same data found by name instead of by day. Staff only (the store re-checks
the role), each lookup audited; a patient naming someone else never gets here.

    say_patients_visits(dispatcher, tracker) -> bool   False: not staff, or no patient named
    say_staff_cannot_change(session, caller, dispatcher, tracker, verb) -> bool
"""

from __future__ import annotations

import re

from rasa_sdk import Tracker

from actions.common import QUESTION_START_RE, caller_of, latest_text, log, store, time_entities
from actions.when import day_phrase, days_of
from clinic import scheduling, staff, text
from clinic.models import Appointment, Patient

SHOWN_PATIENTS = 3  # same-named patients shown at once; more means "ask with the birth date"
SHOWN_VISITS = 10


def say_patients_visits(dispatcher, tracker: Tracker) -> bool:
    """The upcoming visits (on the days said, if any) of each patient the staff member's
    message names; whether a patient was named and answered for."""
    with store() as session:
        answer = visits_answer(session, caller_of(session, tracker), tracker)
    if answer is None:
        return False
    dispatcher.utter_message(text=answer)
    return True


def say_staff_cannot_change(session, caller, dispatcher, tracker: Tracker, verb: str) -> bool:
    """Staff asking to book, move or cancel for a patient they name ("move Maria Lopez to
    Thursday"): that patient's visits and who does it, instead of "you are not a patient";
    whether a patient was named."""
    answer = visits_answer(session, caller, tracker)
    if answer is None:
        return False
    if not QUESTION_START_RE.match(latest_text(tracker)):  # not "when is she coming in?"
        answer += (
            f"\n\nI can't {verb} a patient's appointment from this chat: that is done in the "
            "practice's own scheduling system."
        )
    dispatcher.utter_message(text=answer)
    return True


def visits_answer(session, caller, tracker: Tracker) -> str | None:
    """The text of a staff member's lookup; None when the caller is no staff member or the
    message names no patient (their own record is theirs to ask about as a patient)."""
    if not caller.is_staff:
        return None
    named = [
        p
        for p in staff.patients_named(session, caller.staff_actor, latest_text(tracker))
        if caller.patient is None or p.id != caller.patient.id
    ]
    if not named:
        return None
    said = next((e.get("value") for e in time_entities(tracker)), None)
    answers = [
        _visits_of(patient, _upcoming(session, caller, patient), said)
        for patient in named[:SHOWN_PATIENTS]
    ]
    if len(named) > SHOWN_PATIENTS:
        answers.append(
            f"{len(named) - SHOWN_PATIENTS} more patients have that name; the schedule by day "
            "(/schedule) shows them all."
        )
    log.info("staff.patient_lookup patients=%d", len(named))
    cannot = _CANNOT_DO_RE.search(latest_text(tracker))
    if cannot:
        # "refund Aisha Khan $50", "what's her phone number?": said plainly, before the visits
        what = cannot.group(0).lower()
        answers.insert(0, CANNOT_DO.get(what.split()[0], CANNOT_DO["_"]))
    return "\n\n".join(answers)


# Things about a patient this chat never does for staff; what it can show follows
_CANNOT_DO_RE = re.compile(
    r"\b(refund|delete|remove|erase|merge|waive|write off|discount|charge|"
    r"phone|number|address|email|e-mail|contact|ssn|social security|diagnos\w*|notes|chart|"
    r"results|records?|balance|owes?|bills?|invoices?|claims?)\b",
    re.IGNORECASE,
)
_ADMIN = "that is done in the practice's own systems."
CANNOT_DO = {
    "phone": "A patient's contact details aren't shown in this chat: the practice's own system "
    "has them.",
    "_": f"I can't change a patient's record, bills or payments from this chat: {_ADMIN} What I "
    "can show is below.",
}
for _word in ("number", "address", "email", "e-mail", "contact", "ssn", "social"):
    CANNOT_DO[_word] = CANNOT_DO["phone"]
for _word in ("balance", "owe", "owes", "bill", "bills", "invoice", "invoices", "claim", "claims"):
    CANNOT_DO[_word] = "A patient's bills aren't shown in this chat: the billing system has them."
for _word in ("diagnosis", "diagnoses", "diagnosed", "notes", "chart", "results", "record",
              "records"):  # fmt: skip
    CANNOT_DO[_word] = (
        "Clinical records aren't shown in this chat: the practice's records system has them."
    )


def _upcoming(session, caller, patient: Patient) -> list[Appointment]:
    return scheduling.upcoming_for_patient(
        session, caller.staff_actor, patient_id=patient.id, limit=SHOWN_VISITS
    )


def _visits_of(patient: Patient, upcoming: list[Appointment], said) -> str:
    who = (
        f"{patient.first_name} {patient.last_name} (born {text.short_date(patient.date_of_birth)})"
    )
    if not upcoming:
        return f"{who} has no upcoming appointments."
    span = days_of(said) if said is not None else None
    if span is None:
        return "\n".join([f"{who}, upcoming:", *map(_line, upcoming)])
    first, last = span
    on_days = [a for a in upcoming if first <= text.local(a.start_at).date() <= last]
    if on_days:
        return "\n".join([f"{who}, {day_phrase(said)}:", *map(_line, on_days)])
    lines = [f"{who} has no appointment {day_phrase(said)}. Upcoming:"]
    return "\n".join([*lines, *map(_line, upcoming)])


def _line(appointment: Appointment) -> str:
    return f"• {scheduling.describe(appointment)} ({appointment.status.value})"
