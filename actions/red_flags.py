"""Symptoms that may need emergency care, said in a request the NLU took for something else
("can I book an appointment, I have chest pain", "tell Dr Patel I can't breathe well"): the
emergency advice comes first, then the request goes on as asked. A secretary would say the same;
the assistant does not judge how serious it is, and staff are not alerted (that is what an
emergency report does: actions/messages.py ActionReportEmergency).

Only symptoms said as present: "the chest pain I had last year", "my breathing is better now"
are history, not a warning.
"""

from __future__ import annotations

import logging
import re

from rasa_sdk.executor import CollectingDispatcher

from actions.common import store
from clinic import practice
from clinic.config import get_settings

log = logging.getLogger(__name__)


def emergency_number() -> str:
    try:
        with store(readonly=True) as session:
            return practice.clinic_info(session).emergency_number
    except Exception:  # the store is down: the number from the environment still goes out
        log.exception("emergency.number_lookup_failed")
        return get_settings().emergency_number


_RED_FLAG_RE = re.compile(
    r"\b(chest\s+(pains?|hurts?|hurting|tight(ness)?|pressure)|"
    r"(can'?t|cannot|can not|hard to|trouble|difficulty)\s+breath\w*|short(ness)?\s+of\s+breath|"
    r"heart\s+attack|having\s+a\s+stroke|face\s+(is\s+)?droop\w*|slurred\s+speech|"
    r"unconscious|passed\s+out|fainted|seizures?|overdosed?|suicid\w*|kill\s+myself|"
    r"end\s+my\s+life|bleeding\s+(heavily|a\s+lot|badly)|won'?t\s+stop\s+bleeding|"
    r"coughing\s+(up\s+)?blood|vomiting\s+blood)\b",
    re.IGNORECASE,
)
_NOT_NOW_RE = re.compile(
    r"\b(last\s+(week|month|year|time)|ago|gone|better|no\s+longer|not\s+anymore|used\s+to|"
    r"history\s+of|in\s+the\s+past|years?)\b",
    re.IGNORECASE,
)


def has_red_flags(message: str) -> bool:
    return bool(_RED_FLAG_RE.search(message or "")) and not _NOT_NOW_RE.search(message or "")


def warn_if_red_flags(dispatcher: CollectingDispatcher, message: str, number: str) -> bool:
    """Say the emergency advice if the message names a red-flag symptom as present."""
    if not has_red_flags(message):
        return False
    dispatcher.utter_message(
        text=f"🚨 If this is happening now or is severe, call {number} now or go to the nearest "
        "emergency room; don't wait for an appointment or a call back."
    )
    log.info("red_flag.warned")
    return True
