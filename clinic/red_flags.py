"""Symptoms that may need emergency care, said as present ("chest pain", "I can't breathe",
"he passed out"), wherever a message arrives: inside a request the NLU took for something else
(actions/red_flags.py), or typed while a person is talking to staff or the assistant is down
(bot/gateway.py), where no NLU reads it at all. History ("the chest pain I had last year",
"my breathing is better now") and denial ("a cough but no chest pain") are no red flag.

A missed emergency costs far more than a needless "if this is severe, call 911", so the list is
broad (the warning it triggers is conditional), and each clause of a message is read on its own:
"I had a seizure last year, now my chest hurts" is still a red flag.

    has_red_flags(text) -> bool
    crisis_advice(crisis_line, text) -> str | None   (self-harm: the practice's crisis line)
"""

from __future__ import annotations

import re

_PERSON = r"(i|i'?m|he|he'?s|she|she'?s|they|they'?re|my\s+\w+|someone|somebody)"
_SEVERE = r"(severe|really\s+bad|very\s+bad|terrible|unbearable|excruciating|worst|awful)"

_SELF_HARM = (
    r"suicid\w*|kill(ing)?\s+myself|end(ing)?\s+(my\s+life|it\s+all)|self[- ]harm\w*|"
    r"(want|going|thinking|thoughts?)\s+(to|of|about)\s+(hurt|harm)(ing)?\s+myself|"
    r"(don'?t|do\s+not)\s+want\s+to\s+(live|be\s+here)|want\s+to\s+die|better\s+off\s+dead|"
    # someone else's: "my friend says he wants to end his life"
    r"kill(ing)?\s+(him|her|them)sel(f|ves)|end(ing)?\s+(his|her|their)\s+(own\s+)?li(fe|ves)|"
    r"(wants?|going|thinking|talking)\s+(to|of|about)\s+(hurt|harm)(ing)?\s+(him|her|them)sel(f|ves)"
)

_SYMPTOMS = (
    # heart
    r"chest\s+(pains?|hurts?|hurting|tight(ness)?|pressure|feels?\s+(tight|like))|crushing",
    r"pains?\s+in\s+(my|his|her)\s+chest",
    r"h(e)?art\s+attack",
    # everyday wording and typos: "chst pain", "chest is tight n hurts", "pressure in my chest"
    r"ch(e|a)?st\s*(is\s+|feels?\s+|feeling\s+|got\s+)?(pain|pian|pains|hurt\w*|tight\w*|"
    r"heavy|pressure|ache|aching|burning)|tight\s+chest|"
    r"(pain|pressure|tightness|heaviness|ache|squeezing)\s+in\s+((my|his|her|the)\s+)?chest",
    r"(left\s+)?arm\s+(is\s+|went\s+|going\s+)?numb.*chest|chest.*(left\s+)?arm\s+(is\s+)?numb",
    # breathing
    r"(can'?t|cannot|can\s+not|couldn'?t|hard\s+to|trouble|difficulty|struggling\s+to)\s+breath\w*",
    r"i\s+cant\s+breath\w*",
    r"short(ness)?\s+of\s+breath",
    r"(can'?t|cannot|couldn'?t|cant)\s+catch\s+(my|his|her|a)\s+breath",
    r"(not|isn'?t|stopped|barely|hardly)\s+breathing",
    r"(turning|turned|going)\s+blue|blue\s+lips|lips\s+(are\s+)?(turning\s+)?blue",
    r"chok(ing|ed)",
    r"throat\s+(is\s+)?(swelling|swollen|closing)",
    r"(tongue|lips?|face)\s+(is\s+|are\s+)?(swelling|swollen)",
    r"anaphyla\w*|allergic\s+reaction",
    # stroke
    r"having\s+a\s+stroke|a\s+stroke\b(?!\s+(of|patient))",
    r"face\s+(is\s+)?droop\w*|slurred\s+speech|speech\s+is\s+slurred|(can'?t|cannot)\s+speak",
    r"(sudden|suddenly)\s+\w*\s*(numb\w*|weak\w*|confus\w*|blind\w*|(can'?t|cannot)\s+see)",
    r"(numb|weak)\w*\s+(on|in)\s+one\s+side|one\s+side\s+of\s+(my|his|her)\s+(body|face)",
    r"(can'?t|cannot|cant)\s+feel\s+(my|his|her)\s+(left|right)\s+(side|arm|leg)|"
    r"(left|right)\s+(arm|side)\s+(is\s+|went\s+|going\s+)?(numb|weak|dead)",
    # labour, a wound
    r"waters?\s+(has\s+|have\s+|just\s+)?(broke|broken)|in\s+labou?r\b|"
    r"(was|been|got|i'?ve\s+been)\s+(stabbed|shot)\b|stab\s+wound|gunshot",
    r"worst\s+headache|headache\s+(is\s+)?(the\s+)?worst|thunderclap",
    # consciousness
    r"unconscious|not\s+conscious|unresponsive|not\s+responding|isn'?t\s+responding",
    r"passed\s+out|fainted|blacked\s+out|collapsed|(won'?t|will\s+not|isn'?t|not)\s+waking\s+up|"
    r"(won'?t|can'?t)\s+wake\s+(him|her|them)",
    r"seizures?(?!\s+(medication|medicine|meds|pills|prescription|drugs?))|convulsi\w*|"
    r"having\s+a\s+fit|(going\s+to|about\s+to|gonna)\s+faint",
    r"fell\s+and\s+(can'?t|cannot|couldn'?t)\s+get\s+up",
    r"(isn'?t|not)\s+moving",
    # bleeding, injury
    r"bleeding\s+(heavily|a\s+lot|badly|everywhere|profusely)|heavy\s+bleeding|"
    r"(won'?t|doesn'?t|can'?t)\s+stop\s+(the\s+)?bleeding|bleeding\s+(won'?t|doesn'?t)\s+stop|"
    r"(so\s+much|lots?\s+of)\s+blood|severe\s+bleeding",
    r"pregnant\s+and\s+bleeding|bleeding\s+(and|while)\s+pregnant",
    r"(coughing|vomiting|throwing)\s+(up\s+)?blood|blood\s+in\s+(my|his|her)\s+vomit",
    r"hit\s+(my|his|her)\s+head.*(confus|vomit|throw|sleepy|pass)",
    r"(car|bad)\s+accident|burned\s+\w*\s*badly|bad(ly)?\s+burn",
    r"bone\s+(is\s+)?(sticking|poking)\s+out",
    # poisoning, self-harm
    r"overdos\w*|too\s+many\s+(pills|tablets)|too\s+much\s+(of\s+(my|his|her)\s+)?"
    r"(medicine|medication|meds|insulin|methadone|tylenol|paracetamol|acetaminophen)|"
    r"bottle\s+of\s+pills|swallowed\s+(pills|bleach|poison|a\s+battery|batteries)|"
    # "I took 20 tylenol", "took a handful of pills", "took double my pills by mistake"
    r"(took|taken|swallowed)\s+((about|around|like|maybe|over|almost)\s+)?"
    r"([1-9]\d|a\s+(whole\s+)?(bottle|box|pack(et)?|handful))\s+(of\s+)?"
    r"(?!minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|times?|steps?|photos?|pictures?)"
    r"[a-z]|(took|taken|had)\s+(a\s+)?(double|twice|triple)\s+(dose|(my|his|her|the)\s+)|"
    r"(took|taken|had)\s+(my|his|her|the)\s+(\w+\s+){0,2}(pills|tablets|meds|medication|dose)\s+"
    r"(twice|two\s+times|again\s+by\s+mistake)|"
    r"(?<!food\s)poison(ed|ing)|(ate|swallowed|drank)\s+(\w+\s+){0,2}"
    r"(poison|bleach|antifreeze|detergent|pods?|batter(y|ies))|"
    r"(child|kid|son|daughter|baby|toddler|grandson|granddaughter|\d+\s*(year|yr|month)s?"
    r"[\s-]*old)\s+(has\s+)?"
    r"(ate|eaten|swallowed|drank|drunk|took|taken|got\s+into)\s+(\w+\s+){0,3}"
    r"(pills|medicines?|tablets|meds|medications?|methadone|opioids?|oxy\w*|fentanyl|vitamins|"
    r"gummies|edibles|cleaner|bleach)",
    _SELF_HARM,
    # fever that needs care now
    r"(fever|temperature|temp)\s+(is\s+|was\s+|of\s+|at\s+)*(10[4-9]|4[0-3])(\.\d)?|"
    r"(10[4-9]|4[0-3])(\.\d)?\s*(°|degrees?|f\b|c\b).*(fever|temperature|temp\b)",
    r"fever.*(stiff\s+neck|confus\w*|(bad|severe|terrible|worst)\s+headache|"
    r"rash\s+that\s+(doesn'?t|won'?t)\s+fade)|"
    r"(stiff\s+neck|(bad|severe|terrible|worst)\s+headache).*fever",
    r"(newborn|new\s+born|baby|infant|\d+\s*(week|wk)s?\s*old).*(fever|high\s+temperature|"
    r"temperature\s+(of|is)\s+\d)|fever.*(newborn|baby|infant|\d+\s*(week|wk)s?\s*old)",
    # pain said as the worst
    r"worst\s+pain|" + _SEVERE + r"\s+(stomach|belly|abdominal|chest|head)\s*(pain|ache)",
    # words that mean it
    r"emergency|ambulance|call\s+911|\b911\b",
    # the commonest said in another language (the reply is "English only", the alert is not)
    r"dolor\s+(de|en\s+el)\s+pecho|no\s+puedo\s+respirar|ataque\s+(al\s+)?coraz[oó]n|"
    r"emergencia|ambulancia|quiero\s+morir|mal\s+[àa]\s+la\s+poitrine|douleur\s+thoracique|"
    r"(je\s+)?ne\s+peux\s+pas\s+respirer|urgence|dor\s+no\s+peito|n[ãa]o\s+consigo\s+respirar|"
    r"brustschmerz\w*|kann\s+nicht\s+atmen|notfall|herzinfarkt",
)
_NOT_LATIN_FLAGS = (
    *("胸痛", "胸口痛", "心脏病", "呼吸困难", "救命"),
    *("боль в груди", "не могу дышать"),
)
_RED_FLAG_RE = re.compile(r"\b(" + "|".join(f"(?:{s})" for s in _SYMPTOMS) + r")", re.IGNORECASE)
_SELF_HARM_RE = re.compile(rf"\b({_SELF_HARM})", re.IGNORECASE)

# In the same clause, these make it history or good news, not something happening now.
_NOT_NOW_RE = re.compile(
    r"\b(last\s+(week|month|year|time|summer|winter|spring|fall)|"
    # "two years ago", "a while ago" (an hour ago is now: an overdose an hour ago is urgent)
    r"(days?|weeks?|months?|years?|yrs?|while|long|ages)\s+ago|"
    r"(is|are|has|have|had)\s+(all\s+)?gone|went\s+away|(is|are|got|feel|feeling|much|now|all)"
    r"\s+better|no\s+longer|not\s+anymore|used\s+to|history\s+of|in\s+the\s+past|"
    r"years?\s+ago|as\s+a\s+child|when\s+i\s+was|in\s+(19|20)\d\d|"
    r"(is|are|i'?m|he'?s|she'?s|we'?re)\s+(fine|ok|okay|alright)(\s+now)?)\b",
    re.IGNORECASE,
)
_STILL_BAD_RE = re.compile(r"\b(not|isn'?t|aren'?t|no)\s+(getting\s+|any\s+)?better\b", re.I)
# A denial just before the symptom: "no chest pain", "without shortness of breath".
_DENIED_RE = re.compile(
    r"\b(no|not|without|never|denies|don'?t\s+have|doesn'?t\s+have|didn'?t\s+have|"
    r"free\s+of)\s+(\w+\s+){0,2}$",
    re.IGNORECASE,
)
# Words that name the emergency services themselves in an ordinary question.
_ORDINARY_RE = re.compile(
    r"\b(emergency\s+(contact|number|room\s+visit|appointment|dental|fund)|"
    r"non[- ]?emergency|not\s+an?\s+emergency|no\s+emergency|"
    r"(was|went|been)\s+(in|to)\s+the\s+(er|emergency))",
    re.IGNORECASE,
)
_CLAUSE_RE = re.compile(r"[.;!?\n]+|,\s*(?:and\s+)?now\b|\bbut\b", re.IGNORECASE)

# Said to anyone who reports an emergency, before anything else.
EMERGENCY_ADVICE = (
    "🚨 If this is an emergency, call {number} now, or go to the nearest emergency room. "
    "Please don't wait for a reply here."
)

EMERGENCY_ALERTED = "I've also alerted the practice staff as urgent."

# Said after the advice when the person writes of harming themselves, if the practice names a line
CRISIS_ADVICE = "You don't have to face this alone: you can talk to someone right now at {line}."


def _present_in(clause: str, flags: re.Pattern[str] = _RED_FLAG_RE) -> bool:
    if _NOT_NOW_RE.search(clause) and not _STILL_BAD_RE.search(clause):
        return False
    for match in flags.finditer(clause):
        before = clause[: match.start()]
        if _DENIED_RE.search(before):
            continue
        if match.group(0).lower().startswith(("emergency", "911", "call 911")) and (
            _ORDINARY_RE.search(clause)
        ):
            continue
        return True
    return False


# A head injury and what makes it urgent, said in separate clauses ("I had a fall and hit my
# head, now I keep vomiting"): the whole message counts
_HEAD_INJURY_RE = re.compile(
    r"\b(hit|hurt|banged|bumped|knocked|injured)\s+(my|his|her|their)\s+head\b.*\b(vomit\w*|"
    r"throw\w*\s+up|confus\w*|sleepy|drowsy|pass(ed)?\s+out|unconscious|blurr\w*|seizure)",
    re.IGNORECASE | re.DOTALL,
)


def has_red_flags(message: str | None) -> bool:
    text = (message or "").replace("’", "'")
    if any(flag in text.lower() for flag in _NOT_LATIN_FLAGS) or _HEAD_INJURY_RE.search(text):
        return True
    return any(_present_in(clause) for clause in _CLAUSE_RE.split(text) if clause.strip())


def about_self_harm(message: str | None) -> bool:
    """Does the message speak of harming oneself, now ("I want to end my life"; not "I used to
    self-harm")? Such a message also has red flags."""
    text = (message or "").replace("’", "'")
    return any(
        _present_in(clause, _SELF_HARM_RE) for clause in _CLAUSE_RE.split(text) if clause.strip()
    )


def crisis_advice(crisis_line: str | None, message: str | None) -> str | None:
    """The practice's crisis line, for a message about self-harm; None otherwise."""
    if not crisis_line or not about_self_harm(message):
        return None
    return CRISIS_ADVICE.format(line=crisis_line)
