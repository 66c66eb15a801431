"""What is said to a message the assistant can't help with (`out_of_scope`) or didn't
understand (`nlu_fallback`): the usual answer with the help menu and the way to a person, unless the
message is in another language. Then the person hears that only English is understood, in
their language where we have it (Spanish), and how to reach a person, who may speak it.

    other_language(text) -> "es" | "fr" | "pt" | "other" | None
"""

from __future__ import annotations

import re
import unicodedata

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.types import DomainDict

from actions.common import (
    HUMAN_BUTTON,
    StoreAction,
    answered_before,
    button_named,
    buttons,
    caller_of,
    entity,
    latest_intent,
    latest_text,
    log,
    store,
    time_entities,
)
from actions.did_you_mean import likely_meant
from actions.patient_lookup import say_patients_visits
from clinic import practice, text

# Common words of languages our patients write in, that English doesn't use ("a", "me", "no",
# "come", "pie" are left out: they are English words too).
_WORDS = {
    "es": """hola necesito quiero cita citas por favor gracias buenos buenas días dias tardes
        tengo dolor puedo hablar con una el la los las de del que mi mis es estoy para médico
        medico doctora hacer cancelar cambiar mañana manana hoy ayuda cuánto cuanto debo seguro
        usted señor señora inglés español habla sí pero cómo qué dónde donde cuándo cuando y en
        al lo le su tiene hay necesita""",
    "fr": """bonjour bonsoir je voudrais rendez-vous vous merci médecin pour avec suis est une le
        les des du mon ma mes pas ne parler aujourd'hui demain besoin j'ai s'il plaît oui
        anglais français et la au aux à mal douleur poitrine médecin aide urgence""",
    "de": """hallo guten tag ich habe ist nicht und der das ein eine einen mit für
        termin arzt ärztin bitte danke schmerzen hilfe heute morgen brauche kann mein meine
        sprechen deutsch englisch ja nein wann wie""",
    "pt": """olá ola preciso consulta marcar obrigado obrigada por favor bom dia você voce quero
        médico não nao sim com uma para meu minha estou tenho amanhã hoje falar inglês
        português e""",
}
_VOCABULARY = {lang: frozenset(words.split()) for lang, words in _WORDS.items()}
_WORD_RE = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")

# The emergency number goes with it: a message we cannot read may be an emergency
ONLY_ENGLISH = (
    "Sorry, I can only read English for now. To talk to someone at the practice, tap "
    '"Talk to a person" or call {phone}. In an emergency, call {emergency} now.'
)
IN_LANGUAGE = {
    "es": "Lo siento, por ahora solo entiendo inglés. Para hablar con una persona de la "
    'consulta, toque "Talk to a person" o llame al {phone}. En caso de emergencia, llame ya al '
    "{emergency}.",
    "fr": "Désolé, pour l'instant je ne comprends que l'anglais. Pour parler à quelqu'un du "
    'cabinet, touchez "Talk to a person" ou appelez le {phone}. En cas d\'urgence, appelez tout '
    "de suite le {emergency}.",
    "pt": "Desculpe, por enquanto só entendo inglês. Para falar com alguém da clínica, toque "
    '"Talk to a person" ou ligue para {phone}. Em caso de emergência, ligue já para {emergency}.',
    "de": "Entschuldigung, ich verstehe bisher nur Englisch. Um mit jemandem in der Praxis zu "
    'sprechen, tippen Sie auf "Talk to a person" oder rufen Sie {phone} an. Im Notfall rufen Sie '
    "sofort {emergency} an.",
}


def other_language(message: str) -> str | None:
    """The language a message seems to be in when it is not English; None for English (or
    too little to tell)."""
    letters = [ch for ch in message if ch.isalpha()]
    if not letters:
        return None
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    if latin < len(letters) / 2:
        return "other"  # Chinese, Arabic, Russian, Vietnamese in its own script ...
    words = [w.lower() for w in _WORD_RE.findall(message)]
    if len(words) < 2:
        return None
    best, hits = max(
        ((lang, sum(w in vocabulary for w in words)) for lang, vocabulary in _VOCABULARY.items()),
        key=lambda pair: pair[1],
    )
    return best if hits >= 2 and hits >= len(words) * 0.4 else None


def say_if_other_language(dispatcher, tracker: Tracker) -> bool:
    """Say "only English" (in their language where we have it) if the message is in another
    language; whether it was said."""
    language = other_language(latest_text(tracker))
    if language is None:
        return False
    with store(readonly=True) as session:
        info = practice.clinic_info(session)
    numbers = {"phone": text.phone(info.phone), "emergency": info.emergency_number}
    log.info("message.other_language language=%s", language)
    lines = [ONLY_ENGLISH.format(**numbers)]
    if language in IN_LANGUAGE:
        lines.insert(0, IN_LANGUAGE[language].format(**numbers))
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons([HUMAN_BUTTON]))
    return True


MENU_BUTTONS = (("What can you do?", "/help"), HUMAN_BUTTON)
STAFF_CANNOT_HELP = (
    "Sorry, I can't help with that. For the practice I can show a day's schedule, a patient's "
    "visits (by their full name), the inbox and a doctor's next free times, and book meeting "
    "rooms."
)
STAFF_MENU = (
    ("Today's schedule", "/staff_schedule"),
    ("Open messages", "/staff_messages"),
    ("Book a meeting room", "/staff_book_meeting"),
)
CANNOT_HELP = (
    "Sorry, I can't help with that. I can help with appointments, messages to the practice, "
    "opening hours and directions, bills and insurance."
)
# Emoji that only say "OK" or "thanks", alone (skin tones and variation selectors allowed)
_FRIENDLY_ONLY_RE = re.compile(
    "(?:[\U0001f44d\U0001f44c\U0001f64f\U0001f642\U0001f60a\U0001f600\U0001f603"
    "\U0001f604\U0001f601\u2764\u263a\U0001f917\u2705\U0001f3fb-\U0001f3ff\ufe0f]|\\s)+"
)
ACKNOWLEDGED = "😊 Is there anything else I can help you with?"
# A stranger who will not, or cannot, share their number with the button
_NO_SHARING_RE = re.compile(
    r"\b(don'?t|do not|won'?t|rather not|not)\b.{0,25}\b(share|give|send)\b.{0,20}\b(number|phone|"
    r"contact)|\b(how|can'?t|cannot|don'?t know how)\b.{0,20}\b(press|tap|click|find|see)\b.{0,20}"
    r"\bbutton",
    re.IGNORECASE,
)
# A health question the assistant must not answer ("can I drink alcohol with metformin?")
MEDICAL_QUESTION_RE = re.compile(
    r"\b(medicines?|medications?|meds|pills?|tablets?|doses?|dosage|ibuprofen|tylenol|advil|"
    r"aspirin|paracetamol|acetaminophen|antibiotics?|metformin|insulin|side effects?|fever|rash|"
    r"pain|aches?|cough\w*|contagious|symptoms?|blood pressure|blood sugar|infect\w*|"
    r"er|a&e|emergency room|urgent care|pregnan\w*|sick|ill|hurts?|swollen|swelling|dizzy|"
    r"nause\w*|vomit\w*|diarrh\w*|headaches?|migraines?|sore|temperature|mole|lump|allerg\w*|"
    r"bleed\w*|injur\w*|wound|stitches|covid|flu)\b",
    re.IGNORECASE,
)
# "is my flu shot bill covered?": about the bill, not the flu
_ABOUT_MONEY_RE = re.compile(
    r"\b(bill\w*|charg\w*|cost\w*|price\w*|pay\w*|paid|covered|coverage|insurance|invoice\w*|"
    r"owe\w*|balance|claim\w*|\$)",
    re.IGNORECASE,
)
MEDICAL_QUESTION = (
    "I can't give medical advice, but your doctor or nurse can: I can pass your question on "
    "and they'll call you back. If it's an emergency, call {emergency} now."
)
MESSAGE_THE_NURSE = ("Ask the nurse to call me", '/leave_message{"provider":"nurse"}')
DID_YOU_MEAN = "Sorry, I'm not sure I understood. Did you mean one of these?"
SOMETHING_ELSE = ("Something else", "/help")
NOT_UNDERSTOOD = (
    "Sorry, I didn't understand that. Could you say it another way? You can also pick from the "
    "menu or talk to a person."
)


# "this is useless", "I don't understand", "so frustrating"
_FRUSTRATED_RE = re.compile(
    r"\b(useless|frustrat\w*|annoying|stupid|not helping|doesn'?t help|(do ?n'?t|not) "
    r"understand|confus\w*|ridiculous|waste of (my )?time|hate (this|you)|rubbish|pointless)\b",
    re.IGNORECASE,
)
_BILLING_ANSWERS = ("action_ask_balance", "action_ask_invoice", "action_ask_claim_status")
# "why is it so high?", "how come I owe that much?", "what is this charge for?"
_WHY_SO_RE = re.compile(
    r"\b(?:why|how come|what)\b.*\b(?:high|much|expensive|charged?|charges|cost|owe|pay|"
    r"denied|amount)\b",
    re.IGNORECASE,
)
_FOLLOW_UP_RE = re.compile(r"^\s*(?:and|what about|how about)\b", re.IGNORECASE)


def say_unclear(dispatcher, tracker: Tracker, answer: str, suggest: bool) -> list[EventType]:
    """The answer to a message nothing else could place: "only English", a question the clinic
    file answers, "did you mean...?" (with `suggest`, outside a form), or `answer` with the menu
    (staff hear what the assistant does for them)."""
    if say_if_other_language(dispatcher, tracker):
        return []
    from actions.red_flags import emergency_instead_of  # it imports actions.common, as we do

    if emergency_instead_of(dispatcher, tracker, then=None):
        # "I took 20 tylenol an hour ago", "i feel like ending it all, can i talk to someone":
        # not understood as a request, but never met with "I didn't understand"
        return []
    if _FRIENDLY_ONLY_RE.fullmatch(latest_text(tracker)):  # "👍", "🙂🙏": an acknowledgement
        dispatcher.utter_message(text=ACKNOWLEDGED, buttons=buttons(MENU_BUTTONS))
        return []
    # imported here: actions.faq -> actions.also_asked -> ... -> this module
    from actions.faq import say_practice_answer

    if say_practice_answer(dispatcher, tracker):  # "can my husband come in with me?"
        return []
    with store(readonly=True) as session:
        caller = caller_of(session, tracker)
    if caller.is_staff and say_patients_visits(dispatcher, tracker):
        return []  # "what does Maria Lopez have booked": a lookup the classifier can't place
    if caller.is_staff:
        from actions.staff import say_my_meetings  # actions.staff imports this module

        if say_my_meetings(dispatcher, tracker):  # "what meetings do I have?"
            return []
    again = suggest and answered_before(tracker) == "action_fallback"
    if _FRUSTRATED_RE.search(latest_text(tracker)) or again:
        # "this is useless", or a second message in a row not understood: a person, first
        log.info("fallback.offer_person")
        dispatcher.utter_message(
            text="I'm sorry, I'm not getting this right. Would you like to talk to a person at "
            "the practice? Or tap What can you do? to see what I can help with.",
            buttons=buttons([HUMAN_BUTTON, MENU_BUTTONS[0]]),
        )
        return []
    in_form = bool((tracker.active_loop or {}).get("name"))
    meant = likely_meant(tracker, caller) if suggest and not in_form else []
    if meant:
        log.info("fallback.did_you_mean intents=%s", ",".join(p.split("{")[0] for _, p in meant))
        dispatcher.utter_message(
            text=DID_YOU_MEAN, buttons=buttons([*meant, SOMETHING_ELSE, HUMAN_BUTTON])
        )
        return []
    if caller.is_staff and not caller.is_patient:  # what it does for staff, not a patient menu
        dispatcher.utter_message(text=STAFF_CANNOT_HELP, buttons=buttons(STAFF_MENU))
        return []
    if not caller.is_patient and _NO_SHARING_RE.search(latest_text(tracker)):
        # "i dont want to share my number", "i dont know how to press that button": another way
        with store(readonly=True) as session:
            phone = text.phone(practice.clinic_info(session).phone)
        dispatcher.utter_message(
            text="No problem. Without linking, I can still answer questions about hours, "
            "directions and insurance, and take a message for the practice. To book or hear "
            f"about your own appointments, the front desk can help you on {phone}.",
            buttons=buttons([("Leave a message", "/leave_message"), HUMAN_BUTTON]),
        )
        return []
    if MEDICAL_QUESTION_RE.search(latest_text(tracker)) and not _ABOUT_MONEY_RE.search(
        latest_text(tracker)
    ):
        # "is my rash contagious?", "should I go to the ER?": no advice, but the way to someone
        # who can give it, and the emergency number in case it is one
        from actions.red_flags import emergency_number  # it imports actions.common, as we do

        log.info("fallback.medical_question")
        dispatcher.utter_message(
            text=MEDICAL_QUESTION.format(emergency=emergency_number()),
            buttons=buttons([MESSAGE_THE_NURSE, HUMAN_BUTTON]),
        )
        return []
    dispatcher.utter_message(text=answer, buttons=buttons(MENU_BUTTONS))
    return []


class _Unclear(StoreAction):
    answer = ""
    suggests = False  # "did you mean...?" when the classifier leaned to something we do

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        pressed = button_named(tracker)
        if pressed:  # a button's title typed ("Carry on"): what the button does
            # imported here: actions.follow_up imports the forms, which import this module
            from actions.follow_up import PICKS, started_by

            picked = await started_by(pressed, PICKS, dispatcher, tracker, domain)
            if picked is not None:
                return picked
        if latest_intent(tracker) == "nlu_fallback" and _FOLLOW_UP_RE.match(latest_text(tracker)):
            # "and tomorrow?", "what about Dr Lee?": read against what was just answered, as a
            # bare detail would be (the classifier is unsure what a few words are)
            from actions.follow_up import ActionInformWithoutContext

            return await ActionInformWithoutContext().run(dispatcher, tracker, domain)
        if self.questions_a_bill(tracker):
            # "why is it so high?", "that's wrong" just after a bill, a balance or claims
            from actions.billing import BILLING_BUTTON

            log.info("fallback.bill_questioned")
            dispatcher.utter_message(
                text="I can't explain or change charges myself, but the billing office can go "
                "through them with you and check anything that looks wrong.",
                buttons=buttons([BILLING_BUTTON]),
            )
            return []
        if self.is_booking(tracker):
            # "bloodwork with grace": unsure whether it is a request or an answer, but either
            # way it books that visit (as the rules do for both)
            log.info("fallback.booking_named")
            return [FollowupAction("booking_form")]
        if (
            entity(tracker, "insurer")
            and not (tracker.active_loop or {}).get("name")
            and "ask_claim_status" not in self.torn_between(tracker)
        ):
            # "my plan is blue cross", unsure whether a question or a detail: do we take it
            from actions.also_asked import awaited
            from actions.faq import ActionAskInsurance

            log.info("fallback.insurer_named")
            return await awaited(ActionAskInsurance().run(dispatcher, tracker, domain))
        if self.torn_between(tracker) & {"staff_schedule", "list_appointments"} and (
            time_entities(tracker) and not (tracker.active_loop or {}).get("name")
        ):
            # "my schedule thursday" from staff, unsure between their schedule and "my
            # appointments": for staff both are the schedule of that day (it only reads)
            with store(readonly=True) as session:
                caller = caller_of(session, tracker)
            if caller.is_staff and not caller.is_patient:
                from actions.also_asked import awaited
                from actions.staff import ActionStaffSchedule  # it imports this module

                log.info("fallback.staff_schedule")
                return await awaited(ActionStaffSchedule().run(dispatcher, tracker, domain))
        if self.asks_for_room(tracker):
            # "is there any opening with Dr Patel this friday?": a patient looking for a time
            from actions.staff import look_for_a_time  # actions.staff imports the forms

            with store(readonly=True) as session:
                caller = caller_of(session, tracker)
            if caller.is_patient and not caller.is_staff:
                log.info("fallback.availability_asked")
                return look_for_a_time(tracker)
        return say_unclear(dispatcher, tracker, self.answer, suggest=self.suggests)

    @staticmethod
    def asks_for_room(tracker: Tracker) -> bool:
        from actions.staff import AVAILABILITY_RE

        return (
            latest_intent(tracker) == "nlu_fallback"
            and not (tracker.active_loop or {}).get("name")
            and bool(entity(tracker, "provider") or time_entities(tracker))
            and bool(AVAILABILITY_RE.search(latest_text(tracker)))
        )

    @staticmethod
    def questions_a_bill(tracker: Tracker) -> bool:
        from actions.billing import DISPUTED_RE  # actions.billing imports this module

        return answered_before(tracker) in _BILLING_ANSWERS and bool(
            DISPUTED_RE.search(latest_text(tracker)) or _WHY_SO_RE.search(latest_text(tracker))
        )

    @staticmethod
    def torn_between(tracker: Tracker) -> set[str]:
        """The two intents the classifier was torn between."""
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        candidates = [r.get("name") for r in ranking if r.get("name") != "nlu_fallback"]
        return set(candidates[:2])

    @classmethod
    def is_booking(cls, tracker: Tracker) -> bool:
        unsure_between = cls.torn_between(tracker)
        return (
            latest_intent(tracker) == "nlu_fallback"
            and bool(entity(tracker, "appointment_type"))
            and len(unsure_between) == 2
            and unsure_between <= {"book_appointment", "inform"}
        )


class ActionOutOfScope(_Unclear):
    answer = CANNOT_HELP

    def name(self) -> str:
        return "action_out_of_scope"


class ActionFallback(_Unclear):
    answer = NOT_UNDERSTOOD
    suggests = True

    def name(self) -> str:
        return "action_fallback"


# A greeting with a request after it ("helo i ned to se the doctr tomorow morning"): the words
# after the greeting count; a runner-up this likely is offered with the hello
GREETING = (
    "Hello! I'm the practice's virtual secretary. I can book, move or cancel appointments, take "
    "a message, and answer questions about hours, bills and insurance. How can I help?"
)
GREETING_WITH_MORE_WORDS = 5
RUNNER_UP_AFTER_A_GREETING = 0.15


class ActionGreet(StoreAction):
    """ "Hi": the greeting. A greeting the classifier heard in a longer, misspelt request also
    offers what the rest most likely asked for, with what was understood (the day, the doctor)."""

    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        offered: list[tuple[str, str]] = []
        with store(readonly=True) as session:
            caller = caller_of(session, tracker)
        if caller.is_staff and not caller.is_patient:  # staff: what it does for them
            first = caller.staff.name.split()[0]
            dispatcher.utter_message(
                text=f"Hello, {first}! I can show a day's schedule, who's next, the inbox, a "
                "doctor's next free times, and book meeting rooms.",
                buttons=buttons(STAFF_MENU),
            )
            return []
        if len(latest_text(tracker).split()) >= GREETING_WITH_MORE_WORDS:
            offered = likely_meant(tracker, caller, first_at_least=RUNNER_UP_AFTER_A_GREETING)
        if not offered:
            dispatcher.utter_message(text=GREETING)
            return []
        dispatcher.utter_message(
            text="Hello! Did you mean this? Tap it, or tell me in other words.",
            buttons=buttons([*offered[:1], ("Something else", "/help")]),
        )
        return []


PATIENT_HELP = "Here's what I can do. Tap one, or just tell me in your own words:"
PATIENT_HELP_MENU = (
    ("Book an appointment", "/book_appointment"),
    ("My appointments", "/list_appointments"),
    ("Reschedule", "/reschedule_appointment"),
    ("Cancel an appointment", "/cancel_appointment"),
    ("Leave a message", "/leave_message"),
    ("My balance", "/ask_balance"),
    ("Opening hours", "/ask_hours"),
    ("Where are you?", "/ask_location"),
    ("Insurance", "/ask_insurance"),
    HUMAN_BUTTON,
)
STAFF_HELP = (
    "For the practice I can show a day's schedule (\"who is Dr Lee seeing friday?\"), who's "
    'next, a patient\'s visits by their full name, the inbox ("any urgent messages?"), a '
    "doctor's next free times, take a message for a colleague, and book meeting rooms. I can't "
    "book, move or cancel a patient's visits, or change bills or records: those stay in the "
    "practice's own system."
)


class ActionHelp(StoreAction):
    """ "What can you do?": the patient menu, or what the assistant does for staff (a staff
    member tapping "My balance" would only be told they have no record)."""

    def name(self) -> str:
        return "action_help"

    def run(self, dispatcher, tracker, domain: DomainDict) -> list[EventType]:
        with store(readonly=True) as session:
            caller = caller_of(session, tracker)
        if caller.is_staff and not caller.is_patient:
            dispatcher.utter_message(text=STAFF_HELP, buttons=buttons(STAFF_MENU))
        else:
            dispatcher.utter_message(text=PATIENT_HELP, buttons=buttons(PATIENT_HELP_MENU))
        return []
