"""When the classifier is unsure (`nlu_fallback`) but leans to something we do, ask "did you
mean...?" with those things as buttons instead of only "say it another way": a patient who wrote
"my daughter said I should make an appointment for my cough" is one tap from booking, with what
was understood (the visit, the doctor, the day) carried in the button.

    likely_meant(tracker, caller) -> [(title, payload), ...]   (empty: nothing likely enough)
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Tracker

from clinic.identity import Caller

# What a patient (or someone who may become one) can be offered, in their words
FOR_PATIENTS = {
    "book_appointment": "Book an appointment",
    "cancel_appointment": "Cancel an appointment",
    "reschedule_appointment": "Reschedule an appointment",
    "list_appointments": "My appointments",
    "confirm_attendance": "Confirm my appointment",
    "join_waitlist": "Join the waiting list",
    "running_late": "I'm running late",
    "leave_message": "Leave a message",
    "request_refill": "Ask for a prescription refill",
    "request_records": "Ask for my records",
    "ask_balance": "My balance",
    "ask_invoice": "My bill",
    "ask_claim_status": "My insurance claims",
    "ask_insurance": "Insurance",
    "request_payment_plan": "A payment plan",
    "ask_payment_options": "Ways to pay",
    "ask_cost": "Prices",
    "ask_my_details": "My details on file",
    "ask_hours": "Opening hours",
    "ask_location": "Where you are",
    "ask_services": "Services you offer",
    "ask_visit_prep": "Preparing for a visit",
    "link_account": "Link my account",
    "register": "Register as a new patient",
}
FOR_STAFF = {
    "staff_schedule": "The schedule",
    "staff_messages": "Open messages",
    "staff_book_meeting": "Book a meeting room",
}
# the leaning must be clear enough to be worth a question ("can you call my son" leans nowhere)
FIRST_AT_LEAST = 0.3
SECOND_AT_LEAST = 0.2
# what the message said that the offered intents can use, carried in the buttons
CARRIED = ("appointment_type", "provider", "time", "insurer", "room")


def likely_meant(
    tracker: Tracker, caller: Caller, first_at_least: float | None = None
) -> list[tuple[str, str]]:
    """Up to two things the message most likely asked for, as (title, payload) buttons; none
    when the classifier leaned to something we don't offer (out of scope, small talk) or barely
    leaned at all."""
    offered = dict(FOR_PATIENTS) if caller.is_patient or not caller.is_staff else {}
    if caller.is_staff:
        offered.update(FOR_STAFF)
    staff_only = caller.is_staff and not caller.is_patient
    said = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    ranking = [
        # staff have no appointments of their own: their "my appointments" is the schedule
        {**r, "name": "staff_schedule"}
        if staff_only and r.get("name") == "list_appointments"
        else r
        for r in (tracker.latest_message or {}).get("intent_ranking") or []
        if r.get("name") not in ("nlu_fallback", said)
    ]
    ranking = [
        r for i, r in enumerate(ranking) if r["name"] not in [q["name"] for q in ranking[:i]]
    ]
    if not ranking or ranking[0].get("name") not in offered:
        return []
    if float(ranking[0].get("confidence") or 0) < (first_at_least or FIRST_AT_LEAST):
        return []
    picked = [ranking[0]["name"]]
    runner_up = ranking[1] if len(ranking) > 1 else {}
    if runner_up.get("name") in offered and float(runner_up["confidence"]) >= SECOND_AT_LEAST:
        picked.append(runner_up["name"])
    entities = _carried(tracker)
    return [(offered[intent], _payload(intent, entities)) for intent in picked]


def _carried(tracker: Tracker) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for e in (tracker.latest_message or {}).get("entities") or []:
        name = e.get("entity")
        if name in CARRIED and name not in found and e.get("value") is not None:
            found[name] = e["value"]
    return found


def _payload(intent: str, entities: dict[str, Any]) -> str:
    # values keep their JSON shape: a time range travels as {"from": ..., "to": ...}
    if not entities:
        return "/" + intent
    return "/" + intent + json.dumps(entities, separators=(",", ":"))
