"""What a visit is about, in the patient's words, taken from what they said while booking ("a
checkup for my knee", "it's about my blood pressure", "my back hurts"): kept with the
appointment so the day's schedule tells the doctor (clinic.scheduling `reason`). Only the
words about the problem are kept, never the whole message; health information, so never logged.

    reason_in(text) -> str | None           the words kept
    sounds_like_a_reason(text) -> bool      about a problem, even in words not kept
"""

from __future__ import annotations

import re

# "for my knee", "about my blood pressure", "because of a rash", "regarding the lump"
_ABOUT_RE = re.compile(
    r"\b(?:for|about|because of|regarding|re:?|with)\s+"
    r"(?P<reason>(?:my|a|an|the|some|this|these|that|bad|terrible|awful)\s+[^.,;!?()]+)",
    re.IGNORECASE,
)
# "my knee hurts", "my back has been aching", "my ears are blocked"
_SYMPTOM_RE = re.compile(
    r"\b(?P<reason>my\s+[a-z]+(?:\s+[a-z]+)?\s+(?:hurts?|aches?|aching|is\s+\w+|are\s+\w+|"
    r"has\s+been\s+\w+|have\s+been\s+\w+|keeps?\s+\w+))",
    re.IGNORECASE,
)
# Where the problem's words stop: the when, the who, or the rest of the request
_DAYISH = (
    r"(?:the\s+)?\d|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|"
    r"noon|midday|lunch"
)
_CUT_RE = re.compile(
    rf"\s+(?:(?:on|at|by|from)\s+(?:{_DAYISH})\w*|next|this|tomorrow|today|tonight|"
    r"in\s+the\s+(?:morning|afternoon|evening)|asap|please|pls|with\s+(?:dr|doctor|nurse)|"
    r"and\s+(?:can|could|also|i)|so|but|if|when|before|after|sometime|any\s*time)\b.*$",
    re.IGNORECASE,
)
# A date or a day is when, not what
_WHEN_RE = re.compile(rf"^(?:my|a|an|the|some|this|these|that)?\s*(?:{_DAYISH})", re.IGNORECASE)
# Not a problem: the visit itself, or a person ("for my son" is a relative, not a reason)
_NOT_A_REASON_RE = re.compile(
    r"^(?:my|a|an|the|some|this|these|that)\s+(?:appointment|appt|visit|booking|check-?\s*up|"
    r"physical|follow-?\s*up|blood\s*(?:test|work|draw)|labs?|vaccin\w*|flu\s*(?:shot|jab)|"
    r"shot|jab|consult\w*|procedure|exam|doctor|dr|nurse|son|daughter|husband|wife|mum|mom|"
    r"mother|dad|father|kids?|child(?:ren)?|baby|partner|friend|family|time|slot|day|week|"
    r"morning|afternoon|evening|hour|minutes?|bit|while|moment|question|insurance|bill|"
    r"referral|letter|form|records?|results?|prescription|refill)\b",
    re.IGNORECASE,
)
MAX_WORDS = 12
THANKS_FOR_THE_REASON = "Thanks for telling me what it's about."
# what a visit is about, said where its kind was asked: "it's for my blood pressure", "about
# my knee", "because of a rash", "my back hurts", "I've had a cough for a week"
_SOUNDS_LIKE_A_REASON_RE = re.compile(
    r"\b(?:for|about|because of|regarding|with)\s+(?:my|a|an|the|some|this|these|her|his)\b|"
    r"\b(?:hurts?|aches?|aching|pain|sore|itch(?:y|ing)?|swollen|swelling|rash|cough|fever|"
    r"problems?|issues?|worried|concerned)\b|\bi(?:'ve| have) (?:had|got|been)\b",
    re.IGNORECASE,
)


def sounds_like_a_reason(text: str) -> bool:
    return bool(_SOUNDS_LIKE_A_REASON_RE.search(text or ""))


def reason_in(text: str) -> str | None:
    """The words of the message that say what the visit is about, or None."""
    said = " ".join((text or "").split())
    for pattern in (_ABOUT_RE, _SYMPTOM_RE):
        for found in pattern.finditer(said):
            reason = _CUT_RE.sub("", found.group("reason")).strip(" .,;:-")
            if not reason or _NOT_A_REASON_RE.match(reason) or _WHEN_RE.match(reason):
                continue
            words = reason.split()
            if len(words) < 2:
                continue
            return " ".join(words[:MAX_WORDS])
    return None
