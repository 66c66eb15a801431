"""Linking a chat to a patient record (phone + date of birth), or registering a new patient.

A small per-sender state machine, channel-agnostic: Telegram starts it with a verified phone
(the user's own shared contact); the local web chat starts it by asking for the phone.

    phone -> dob (-> dob_choice when "03/04/1980" could be either) -> linked
                 \\-> no match -> [Try again] [Register] -> name -> registered

Gateway-local buttons use payloads starting with "#" (they never reach Rasa). Where a chat is
in these steps is kept in the store (`clinic.identity.pending_link`), so a bot restart or a
second bot process carries on where the person left off.
"""

from __future__ import annotations

from datetime import date

from bot.dates import FORMAT_HINT, parse_date_of_birth, spoken
from bot.replies import Button, Reply
from clinic.identity import LinkProgress, looks_like_a_name

LEAVE_WORDS = {"cancel", "stop", "quit", "exit", "never mind", "nevermind", "/cancel"}

ASK_DOB = "Thanks. To confirm it's you, what is your date of birth? (e.g. 31 March 1980)"
ASK_PHONE = "What phone number do we have on file for you? (with area code)"
ASK_NAME = "What is your full name (first and last name)?"
LEFT = "OK, I've stopped linking your account. You can start again any time."


def dob_choice_buttons(choices: tuple[date, ...]) -> tuple[Button, ...]:
    return tuple(Button(spoken(d), f"#dob:{d.isoformat()}") for d in choices)


def no_match_reply(text: str) -> Reply:
    return Reply(
        text=text,
        buttons=(
            Button("Try my date of birth again", "#link_retry"),
            Button("Register as a new patient", "#register"),
            Button("Talk to a person", "#human"),
        ),
    )


def read_dob(state: LinkProgress, text: str, today: date) -> Reply | date:
    """A date of birth from the text, or the reply that asks again."""
    answer = parse_date_of_birth(text, today)
    if answer.value:
        return answer.value
    if answer.choices:
        state.step = "dob_choice"
        return Reply(
            text="Just to be sure, which date did you mean?",
            buttons=dob_choice_buttons(answer.choices),
        )
    return Reply(text=answer.problem or FORMAT_HINT)


def split_name(text: str) -> tuple[str, str] | None:
    """(first names, last name) of a full name typed; None for anything else ("John" alone,
    "book a checkup tomorrow")."""
    if not looks_like_a_name(text.strip()):
        return None
    parts = text.split()
    return " ".join(parts[:-1]), parts[-1]
