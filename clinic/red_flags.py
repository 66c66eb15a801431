"""Symptoms that may need emergency care, said as present ("chest pain", "I can't breathe",
"he passed out"), wherever a message arrives: inside a request the NLU took for something else
(actions/red_flags.py), or typed while a person is talking to staff or the assistant is down
(bot/gateway.py), where no NLU reads it at all. History ("the chest pain I had last year",
"my breathing is better now") is no red flag.

    has_red_flags(text) -> bool
"""

from __future__ import annotations

import re

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

# Said to anyone who reports an emergency, before anything else.
EMERGENCY_ADVICE = (
    "🚨 If this is an emergency, call {number} now, or go to the nearest emergency room. "
    "Please don't wait for a reply here."
)

EMERGENCY_ALERTED = "I've also alerted the practice staff as urgent."


def has_red_flags(message: str | None) -> bool:
    text = message or ""
    return bool(_RED_FLAG_RE.search(text)) and not _NOT_NOW_RE.search(text)
