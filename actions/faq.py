"""Questions about the practice, answered from the store (the clinic file), never made up:
opening hours (holidays included: "are you open Saturday?", "on Dec 24?"), where it is, how to
prepare for a visit, which insurance it takes (and, for a patient, the policy on file), and how
to pay. Anyone may ask these.
"""

from __future__ import annotations

import re
from datetime import timedelta

from rasa_sdk.events import EventType
from rasa_sdk.types import DomainDict

from actions.also_asked import answers
from actions.billing import BILLING_BUTTON
from actions.common import (
    HUMAN_BUTTON,
    StoreAction,
    buttons,
    caller_of,
    entity,
    latest_text,
    log,
    payload,
    say_error,
    store,
    time_entities,
    today,
)
from actions.when import wanted
from clinic import billing, clock, practice, scheduling, text
from clinic.errors import DomainError
from clinic.practice import DayHours

NO_PRICES = (
    "What you pay depends on the visit and on your insurance plan, so I can't quote a price "
    "here. The billing office can give you an estimate."
)
MAX_DAYS_LISTED = 14
CLOSURES_AHEAD = timedelta(days=60)
HOLIDAYS_AHEAD = timedelta(days=400)
# What people call some holidays, in the words of the clinic file's closure reasons
_HOLIDAY_ALIASES = (
    (re.compile(r"\b(4th|fourth) of july|july (4|4th|fourth)\b", re.I), "independence"),
    (re.compile(r"\bmlk\b", re.I), "martin luther king"),
    (re.compile(r"\bxmas\b", re.I), "christmas"),
    (re.compile(r"\bnew years?\b", re.I), "new year"),
)
_FILLER = {"day", "observed", "jr", "s"}


def _words(phrase: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", phrase.lower().replace("'s", "")) if w not in _FILLER}


def named_closure(session, question: str):
    """The next closure the question names ("open on thanksgiving?", "christmas eve"): the one
    whose reason's words are all in the question, the most specific if several are."""
    said = question.lower()
    for pattern, words in _HOLIDAY_ALIASES:
        said = pattern.sub(f" {words} ", said)
    heard = _words(said)
    now = today()
    found = [
        c for c in practice.closures(session, now, now + HOLIDAYS_AHEAD)
        if _words(c.reason or "") and _words(c.reason or "") <= heard
    ]  # fmt: skip
    return max(found, key=lambda c: (len(_words(c.reason)), -c.day.toordinal()), default=None)


def intervals(hours: DayHours) -> str:
    return ", ".join(f"{_clock(opens)}–{_clock(closes)}" for opens, closes in hours.intervals)


def _clock(value) -> str:
    return value.strftime("%I:%M %p").lstrip("0").replace(":00 ", " ")


def day_status(hours: DayHours) -> str:
    if hours.closure_reason:
        return f"closed ({hours.closure_reason})"
    return f"open {intervals(hours)}" if hours.is_open else "closed"


def day_name(day) -> str:
    """ "Monday, February 21, 2028" when not this year ("Presidents' Day" asked in March)."""
    name = text.day(day)
    return name if day.year == today().year else f"{name}, {day.year}"


def day_answer(hours: DayHours) -> str:
    name = day_name(hours.day)
    if hours.closure_reason:
        return f"We're closed on {name} ({hours.closure_reason})."
    if not hours.is_open:
        return f"We're closed on {name}."
    return f"On {name} we're open {intervals(hours)}."


def _spans(intervals) -> str:
    return ", ".join(f"{_clock(start)}–{_clock(end)}" for start, end in intervals)


def provider_day_answer(who: str, found: practice.ProviderDay) -> str:
    name = text.day(found.day)
    if found.closure_reason:
        return f"We're closed on {name} ({found.closure_reason})."
    if found.away:
        return f"{who} is away on {name}."
    if not found.intervals:
        return f"{who} doesn't see patients on {name}."
    return f"{who} sees patients on {name}: {_spans(found.intervals)}."


def provider_hours(dispatcher, key: str, asked: list, about: bool = False) -> list[EventType]:
    """When a provider sees patients: on the days asked, or their usual week (with `about`,
    what they do first: "is Dr Garcia a dermatologist?")."""
    try:
        with store(readonly=True) as session:
            provider = practice.get_provider(session, key)
            who = provider.display_name
            if not asked:
                week = practice.provider_week(session, key)
                lead = f"{who} ({provider.specialty}) " if about and provider.specialty else who
                lines = [f"{lead.strip()} usually sees patients:"] + [
                    f"• {day.title()}: {_spans(intervals)}" for day, intervals in week
                ]
            else:
                lines = []
                for want in asked:
                    day = text.local(want.start).date()
                    last = text.local(want.end - timedelta(microseconds=1)).date()
                    while day <= last and len(lines) < MAX_DAYS_LISTED:
                        lines.append(
                            provider_day_answer(who, practice.provider_day(session, key, day))
                        )
                        day += timedelta(days=1)
    except DomainError as error:
        say_error(dispatcher, error)
        return []
    dispatcher.utter_message(
        text="\n".join(lines),
        buttons=buttons([(f"Book with {who}", payload("book_appointment", provider=key))]),
    )
    return []


@answers("ask_hours")
class ActionAskHours(StoreAction):
    def name(self) -> str:
        return "action_ask_hours"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        asked = [wanted(e.get("value")) for e in time_entities(tracker)]
        asked = [w for w in asked if w is not None]
        provider = entity(tracker, "provider")
        if provider:  # "is Dr Lee in on Thursdays?", "what days does Dr Patel work?"
            return provider_hours(dispatcher, str(provider), asked)
        with store(readonly=True) as session:
            holiday = None if asked else named_closure(session, latest_text(tracker))
            if holiday is not None:
                dispatcher.utter_message(
                    text=f"We're closed on {holiday.reason}, {day_name(holiday.day)}."
                )
                return []
            if not asked and _RIGHT_NOW_RE.search(latest_text(tracker)):
                dispatcher.utter_message(text=open_now(session))  # "are you open right now?"
                return []
            if not asked:
                dispatcher.utter_message(text=self._week(session))
                return []
            lines = []
            for want in asked:
                if want.is_exact:
                    hours = practice.hours_on(session, text.local(want.exact).date())
                    open_then = practice.is_open_at(session, want.exact)
                    lines.append(
                        (
                            f"Yes, we're open at {text.clock_time(want.exact)}. "
                            if open_then
                            else f"No, we're not open at {text.clock_time(want.exact)}. "
                        )
                        + day_answer(hours)
                    )
                    continue
                first = text.local(want.start).date()
                last = text.local(want.end - timedelta(microseconds=1)).date()
                day = first
                while day <= last and len(lines) < MAX_DAYS_LISTED:
                    lines.append(day_answer(practice.hours_on(session, day)))
                    day += timedelta(days=1)
        dispatcher.utter_message(text="\n".join(lines))
        return []

    @staticmethod
    def _week(session) -> str:
        lines = ["Our regular opening hours:"]
        for hours in practice.week_hours(session):
            weekday = f"{hours.day:%A}"
            lines.append(f"• {weekday}: {intervals(hours) if hours.is_open else 'closed'}")
        now = today()
        now_hours = practice.hours_on(session, now)
        lines.insert(0, f"Today ({text.day(now)}): " + day_status(now_hours) + ".")
        coming = practice.closures(session, now, now + CLOSURES_AHEAD)
        if coming:
            lines.append(
                "Closed on: " + "; ".join(f"{text.day(c.day)} ({c.reason})" for c in coming) + "."
            )
        return "\n".join(lines)


# "are you open now?", "are you still open?", "open at the moment?"
_RIGHT_NOW_RE = re.compile(
    r"\b(open|closed)\s+(right\s+now|now|at the moment|currently|yet)\b|\bstill open\b|"
    r"\b(currently|now)\s+open\b",
    re.IGNORECASE,
)


def open_now(session) -> str:
    """Open now and until when, or closed and when it opens next."""
    now = clock.now().astimezone(clock.clinic_tz())
    hours = practice.hours_on(session, now.date())
    for opens, closes in hours.intervals:
        if opens <= now.time() < closes:
            return f"Yes, we're open now, until {_clock(closes)} today."
    for ahead in range(0, 15):
        day = now.date() + timedelta(days=ahead)
        for opens, _ in practice.hours_on(session, day).intervals:
            if ahead or opens > now.time():
                when = (
                    "today" if not ahead else ("tomorrow" if ahead == 1 else f"on {day_name(day)}")
                )
                return f"No, we're closed right now. We open again {when} at {_clock(opens)}."
    return "No, we're closed right now."


@answers("ask_location")
class ActionAskLocation(StoreAction):
    def name(self) -> str:
        return "action_ask_location"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        if say_practice_answer(dispatcher, tracker):  # "what's your fax number?"
            return []
        with store(readonly=True) as session:
            info = practice.clinic_info(session)
        lines = [f"{info.name} is at {info.address}."]
        if info.parking:
            lines.append(info.parking)
        lines.append(f"Phone: {text.phone(info.phone)}.")
        if info.email:
            lines.append(f"Email: {info.email}.")
        dispatcher.utter_message(text=" ".join(lines))
        return []


_HOW_LONG_RE = re.compile(r"\bhow (long|much time|many minutes)\b", re.IGNORECASE)
_FASTING_RE = re.compile(r"\b(fast|fasting|eat|eating|food|drink|breakfast)\b", re.IGNORECASE)


# "do you send reminders?", "can you remind me the day before?" (a question about reminders,
# not "remind me when my appointment is" nor "I got a reminder but ...")
REMINDER_ASKED_RE = re.compile(
    r"^\W*(?:do|does|will|would|can|could|are|is|how)\b.*\bremind(?:er|ers)?\b(?!.*\bwhen\b)",
    re.I,
)


def reminder_when(before: timedelta) -> str:
    """ "the day before", "2 hours before": when a reminder goes out, as said to a patient."""
    return (
        "the day before"
        if before >= timedelta(hours=24)
        else f"{before.seconds // 3600} hours before"
    )


def reminders_answer() -> str:
    """What the assistant itself does about reminders (clinic.scheduling.REMINDERS)."""
    hours = sorted((before for _, before in scheduling.REMINDERS), reverse=True)
    times = [reminder_when(h) for h in hours]
    return (
        f"Yes: for every visit booked, I send you a reminder here {' and again '.join(times)}, "
        "with buttons to confirm, move or cancel it."
    )


def say_practice_answer(dispatcher, tracker, *, also: str = "") -> bool:
    """The practice's own answer (the clinic file's `faq`) to the question, if it has one:
    said, and True. `also`: a topic to look up when the question's own words find nothing.
    Reminders, which the assistant itself sends, are answered when the file does not."""
    asked = latest_text(tracker)
    with store(readonly=True) as session:
        answer = practice.faq_answer(session, asked)
        if answer is None and also:
            answer = practice.faq_answer(session, also)
    if answer is None and REMINDER_ASKED_RE.search(asked):
        answer = reminders_answer()
    if answer is None:
        return False
    log.info("faq.answered intent=%s", (tracker.latest_message or {}).get("intent", {}).get("name"))
    money = re.search(r"\$\d|\bprice|\bcost|\bfee|\bcharge", answer, re.I)
    dispatcher.utter_message(text=answer, buttons=buttons([BILLING_BUTTON]) if money else [])
    return True


@answers("ask_cost")
class ActionAskCost(StoreAction):
    """ "How much is a check-up without insurance?", "is there a fee if I miss my appointment?":
    the practice's own answer from the clinic file, else that prices depend on the plan, with the
    way to the billing office. Never a made-up price."""

    def name(self) -> str:
        return "action_ask_cost"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        if not say_practice_answer(dispatcher, tracker, also="prices"):
            dispatcher.utter_message(text=NO_PRICES, buttons=buttons([BILLING_BUTTON]))
        return []


@answers("ask_visit_prep")
class ActionAskVisitPrep(StoreAction):
    def name(self) -> str:
        return "action_ask_visit_prep"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        if say_practice_answer(dispatcher, tracker):  # "do I need a referral?"
            return []
        type_key = entity(tracker, "appointment_type") or tracker.get_slot("appointment_type")
        named = bool(type_key)  # a visit named ("a physical"), or the patient's next one
        when = ""
        with store() as session:
            if not type_key:
                caller = caller_of(session, tracker)
                if caller.is_patient:
                    upcoming = scheduling.upcoming_for_patient(session, caller.actor, limit=5)
                    if _FASTING_RE.search(latest_text(tracker)):
                        # "do I need to fast?": for the visit of theirs that asks it, if any
                        # (the blood test on Friday, not tomorrow's check-up)
                        fasting = [
                            a
                            for a in upcoming
                            if _FASTING_RE.search(
                                practice.visit_prep(session, a.appointment_type.key)
                            )
                        ]
                        upcoming = fasting[:1] or upcoming
                    type_key = upcoming[0].appointment_type.key if upcoming else None
                    when = f" on {text.when(upcoming[0].start_at)}" if upcoming else ""
            try:
                advice = practice.visit_prep(session, type_key)
                kind = practice.get_type(session, type_key) if type_key else None
            except DomainError:
                advice, kind = practice.visit_prep(session), None
        if kind is None:
            dispatcher.utter_message(text=advice)
            return []
        name = kind.name.lower()
        visit = text.article(name) if named else f"your {name}{when}"
        asked = latest_text(tracker)
        length = f"{visit[0].upper()}{visit[1:]} takes about {kind.duration_minutes} minutes."
        if _HOW_LONG_RE.search(asked):  # "how long is a physical?": that first
            dispatcher.utter_message(text=f"{length} {advice}")
            return []
        lead = f"For {visit}: "
        if _FASTING_RE.search(asked) and not _FASTING_RE.search(advice):
            # "do I need to fast?" for a visit whose instructions don't say: say that they
            # don't, rather than answer a question that wasn't asked
            lead = (
                f"The instructions for {visit} don't ask you to fast (if your doctor told you "
                "to, do as they said). "
            )
        dispatcher.utter_message(text=f"{lead}{advice} It takes about {kind.duration_minutes} "
                                 "minutes.")  # fmt: skip
        return []


# "who are your doctors?", "do you have a female doctor?": the providers, by name
_WHO_RE = re.compile(
    r"\b(doctors?|drs?|physicians?|providers?|nurse practitioners?|specialists?|who works)\b",
    re.IGNORECASE,
)


@answers("ask_services")
class ActionAskServices(StoreAction):
    """ "Do you offer flu shots?", "do you do covid tests?", "is there a dermatologist?": from
    the visit types and providers in the store; what isn't there is not promised, the front
    desk is offered instead."""

    def name(self) -> str:
        return "action_ask_services"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        if say_practice_answer(dispatcher, tracker):  # "do you have an interpreter?"
            return []
        type_key, provider = entity(tracker, "appointment_type"), entity(tracker, "provider")
        if provider and not type_key:
            return provider_hours(dispatcher, str(provider), [], about=True)
        with store(readonly=True) as session:
            try:
                kind = practice.get_type(session, str(type_key)) if type_key else None
            except DomainError:
                kind = None
            if kind is not None:
                who = [p.display_name for p in practice.providers(session, kind.key)]
                answer = (
                    f"Yes: {text.article(kind.name.lower())} ({kind.duration_minutes} minutes) "
                    f"with {_joined(who)}."
                )
                choices = [(f"Book {text.article(kind.name.lower())}",
                            payload("book_appointment", appointment_type=kind.key))]  # fmt: skip
            elif _WHO_RE.search(latest_text(tracker)):  # "who are your doctors?"
                who = [
                    f"• {p.display_name}" + (f" ({p.specialty})" if p.specialty else "")
                    for p in practice.providers(session)
                ]
                answer = "\n".join(["Our providers:", *who])
                choices = [("Book an appointment", "/book_appointment"), HUMAN_BUTTON]
            else:
                kinds = ", ".join(k.name for k in practice.appointment_types(session))
                answer = (
                    f"The visits you can book here: {kinds}. If what you need isn't one of "
                    "them, the front desk can tell you whether we can help."
                )
                choices = [("Book an appointment", "/book_appointment"), HUMAN_BUTTON]
        dispatcher.utter_message(text=answer, buttons=buttons(choices))
        return []


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@answers("ask_insurance")
class ActionAskInsurance(StoreAction):
    def name(self) -> str:
        return "action_ask_insurance"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        asked = entity(tracker, "insurer") or plan_named(latest_text(tracker))
        if not asked and say_practice_answer(dispatcher, tracker):  # "a price without insurance?"
            return []
        lines = []
        with store() as session:
            accepted = practice.accepted_insurers(session)
            info = practice.clinic_info(session)
            if asked:
                insurer = practice.find_insurer(session, str(asked))
                variant = re.search(
                    rf"\b{re.escape(str(asked))}\s+(advantage|supplement\w*|replacement|"
                    r"managed care|hmo|ppo)\b",
                    latest_text(tracker),
                    re.IGNORECASE,
                )
                if insurer is not None and insurer.accepted and variant:
                    # "medicare advantage": a private plan under the name, not Medicare itself
                    lines.append(
                        f"We accept {insurer.name} itself. A {insurer.name} "
                        f"{variant.group(1).lower()} plan is run by a private insurer, so it "
                        "depends on which one: tell me its name, or ask the billing office."
                    )
                elif insurer is not None and insurer.accepted:
                    lines.append(f"Yes, we accept {insurer.name}.")
                elif insurer is not None:
                    lines.append(f"Sorry, we're not in network with {insurer.name}.")
                else:
                    lines.append(f"I don't see {asked} among the plans we take.")
            if not asked or not lines[0].startswith("Yes"):
                lines.append("We accept: " + ", ".join(i.name for i in accepted) + ".")
            caller = caller_of(session, tracker)
            if caller.is_patient and not asked:
                policies = billing.insurance_on_file(session, caller.actor)
                if policies:
                    lines.append(
                        "On file for you: "
                        + "; ".join(
                            f"{p.insurer.name}, member ID ending {p.member_id[-4:]}"
                            f"{' (primary)' if p.is_primary else ''}"
                            for p in policies
                        )
                        + "."
                    )
                else:
                    lines.append("We have no insurance on file for you.")
        if _COVERED_RE.search(latest_text(tracker)):
            # "is my blood test covered?": the plan decides, and no one here can promise it
            lines.append(
                "Whether a visit is covered depends on your plan: your insurer can tell you, or "
                "the billing office can check it for you."
            )
            dispatcher.utter_message(text=" ".join(lines), buttons=buttons([BILLING_BUTTON]))
            return []
        if info.insurance_update:
            lines.append(f"To update your insurance: {info.insurance_update}")
        dispatcher.utter_message(text=" ".join(lines))
        return []


# "do you take Kaiser?", "are you in network with Oscar Health": a plan the lookup table does
# not know (so no insurer entity), to be answered "I don't see it", not with the list alone
_PLAN_ASKED_RE = re.compile(
    r"\b(?:take|accept|in[- ]network with|work with|contracted with)\s+(?:the\s+)?"
    r"(?P<plan>[A-Za-z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*){0,3})",
    re.IGNORECASE,
)
_NOT_A_PLAN_WORDS = """insurance my our your any all a an the cards card credit debit cash checks
    cheques check plans plan new walk walk-ins payment payments it that this them patients kids
    children medical health coverage insurances insurers insurer apple google paypal venmo hsa
    fsa"""
_NOT_A_PLAN = frozenset(_NOT_A_PLAN_WORDS.split())


def plan_named(message: str) -> str | None:
    """The plan a "do you take X?" names, as typed, when it is not one of ours."""
    found = _PLAN_ASKED_RE.search(message or "")
    if not found:
        return None
    plan = re.sub(
        r"\s+(insurance|plan|coverage|health plan)$", "", found["plan"].strip(" .?!"), flags=re.I
    )
    return None if plan.split()[0].lower() in _NOT_A_PLAN else plan


# "is my blood test covered?", "will insurance pay for a physical?"
_COVERED_RE = re.compile(r"\b(cover(ed|s|age)?|pay for)\b", re.IGNORECASE)


class ActionAskPaymentOptions(StoreAction):
    def name(self) -> str:
        return "action_ask_payment_options"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        with store(readonly=True) as session:
            info = practice.clinic_info(session)
        if not info.payment_methods:
            dispatcher.utter_message(
                text=f"Please call the front desk on {text.phone(info.phone)} about paying your "
                "bill."
            )
            return []
        methods = "\n".join(f"• {m}" for m in info.payment_methods)
        named = next((w for w in _WAYS_TO_PAY if w[0].search(latest_text(tracker))), None)
        if named:  # "do you take Apple Pay?": yes or no first, then what we take
            _, name, listed = named
            taken = listed.search(methods)
            lead = f"Yes, we take {name}." if taken else f"Sorry, we don't take {name}."
            dispatcher.utter_message(text=f"{lead} You can pay by:\n{methods}")
            return []
        dispatcher.utter_message(text="You can pay by:\n" + methods)
        return []


# Ways to pay people ask about by name: (in the question, what to call it, in the clinic's list)
_WAYS_TO_PAY = [
    (re.compile(asked, re.IGNORECASE), name, re.compile(listed, re.IGNORECASE))
    for asked, name, listed in (
        (r"\bapple\s*pay\b", "Apple Pay", r"\bapple\s*pay\b"),
        (r"\bgoogle\s*pay\b", "Google Pay", r"\bgoogle\s*pay\b"),
        (r"\bsamsung\s*pay\b", "Samsung Pay", r"\bsamsung\s*pay\b"),
        (r"\bpay\s*pal\b", "PayPal", r"\bpay\s*pal\b"),
        (r"\bvenmo\b", "Venmo", r"\bvenmo\b"),
        (r"\bzelle\b", "Zelle", r"\bzelle\b"),
        (r"\bcash\s*app\b", "Cash App", r"\bcash\s*app\b"),
        (r"\b(?:bitcoin|crypto\w*)\b", "cryptocurrency", r"\b(?:bitcoin|crypto)"),
        (r"\b(?:klarna|afterpay)\b", "buy-now-pay-later services", r"\b(?:klarna|afterpay)\b"),
        (r"\b(?:amex|american express)\b", "American Express", r"\b(?:amex|american express)\b"),
        (r"\bvisa\b", "Visa", r"\bvisa\b"),
        (r"\bmaster\s*card\b", "Mastercard", r"\bmaster\s*card\b"),
        (r"\bdiscover\b", "Discover", r"\bdiscover\b"),
        (r"\bcash\b(?!\s*app)", "cash", r"\bcash\b(?!\s*app)"),
        (r"\b(?:checks|cheques?|(?:by|a|personal) check)\b", "checks", r"\b(?:check|cheque)"),
        (r"\bcredit\s*cards?\b", "credit cards", r"\bcredit\b"),
        (r"\bdebit\s*cards?\b", "debit cards", r"\bdebit\b"),
        (
            r"\b(?:bank|wire)\s+transfers?\b|\bach\b|\bwire\b",
            "bank transfers",
            r"\b(?:bank|wire)\s+transfer|\bach\b",
        ),
        (r"\bdirect\s+debit\b", "direct debit", r"\bdirect\s+debit\b"),
        (r"\b(?:money\s+order|postal\s+order)s?\b", "money orders", r"\bmoney\s+order"),
        (r"\bhsa\b", "HSA cards", r"\bhsa\b"),
        (r"\bfsa\b", "FSA cards", r"\bfsa\b"),
    )
]
