"""The channel-agnostic gateway: every adapter (Telegram, web chat) hands it what a person
sent, with the channel identity as sender (`tg:<user id>`, `web:<session id>`), and renders
the `Reply` list it returns.

Routing of a text message, first match wins:
  1. account linking in progress for this sender  -> the linking steps (bot/linking.py; the
                                                     progress is kept in the store)
  2. an open handoff thread (a person is talking)  -> relayed to staff, not to Rasa
  3. otherwise                                     -> Rasa; if Rasa is down or times out, the
     message goes to the staff inbox and the person is told so.

Staff commands (/today, /schedule, /inbox) and documents never need Rasa.
"""

from __future__ import annotations

import logging
import re
from datetime import date

from bot import texts
from bot.clinic_bridge import ClinicBridge, Who
from bot.linking import (
    ASK_DOB,
    ASK_NAME,
    ASK_PHONE,
    LEAVE_WORDS,
    LEFT,
    no_match_reply,
    read_dob,
    split_name,
)
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.replies import Button, Reply, from_rasa
from bot.staff_desk import TYPED_COMMAND, StaffDesk
from clinic import clock
from clinic.config import get_settings
from clinic.errors import (
    AlreadyRegistered,
    DomainError,
    InvalidInput,
    InvalidPhone,
    TooManyAttempts,
    VerificationFailed,
)
from clinic.identity import LinkProgress
from clinic.red_flags import (
    EMERGENCY_ADVICE,
    EMERGENCY_ALERTED,
    crisis_advice,
    has_red_flags,
)

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000  # longer texts go to a person, not the NLU
# A phone number and nothing else: on Telegram only a shared contact proves it is the sender's.
TYPED_PHONE_RE = re.compile(
    r"(my\s+(phone\s+)?(number|phone)\s+is\s+|phone:?\s*)?\+?[\d\s().-]{7,20}", re.I
)
# Commands every channel offers, and the Rasa intent each one stands for.
RASA_COMMANDS = {
    "help": "/help",
    "appointments": "/list_appointments",
    "cancel": "/cancel_appointment",
}


DOCUMENT_NAMES = {
    "insurance_card": "your insurance card",
    "referral": "your referral letter",
    "lab_result": "your lab results",
    "id": "your ID",
}
DOCUMENT_HINTS = (
    ("insurance", "insurance_card"),
    ("referral", "referral"),
    ("lab", "lab_result"),
    ("licen", "id"),
    ("passport", "id"),
)


def document_kind(caption: str | None, filename: str) -> str:
    """What a file probably is, from the words the person sent with it."""
    words = f"{caption or ''} {filename}".lower()
    return next((kind for hint, kind in DOCUMENT_HINTS if hint in words), "other")


class Gateway:
    def __init__(self, rasa: RasaClient, clinic: ClinicBridge) -> None:
        self.rasa = rasa
        self.clinic = clinic
        self.staff_desk = StaffDesk(clinic)

    async def close(self) -> None:
        await self.rasa.close()

    # ---------------------------------------------------------------- entry points

    async def message(self, sender: str, text: str) -> list[Reply]:
        """Free text from a person."""
        text = (text or "").strip()
        if not text:
            return [Reply(texts.EMPTY_MESSAGE)]
        state, handoff = await self.clinic.where_is(sender)
        if state is not None:
            return await self._linking_step(sender, state, text)
        if handoff is not None:
            return await self._relay(sender, text)
        if TYPED_COMMAND.match(text):  # staff: "reply 3 we sent the records", "close 3"
            handled = await self.staff_desk.typed(sender, text)
            if handled is not None:
                return handled
        if sender.startswith("tg:") and TYPED_PHONE_RE.fullmatch(text):
            who = await self.clinic.who_is(sender)
            if not who.is_patient and not who.is_staff:  # typed where the button was shown
                return [Reply(texts.TYPED_PHONE, request_contact=True)]
        if len(text) > MAX_MESSAGE_CHARS:
            await self.clinic.leave_for_front_desk(sender, text, reason="long_message")
            log.info("event=long_message_to_inbox sender=%s chars=%d", sender, len(text))
            return [Reply(texts.LONG_MESSAGE)]
        return await self._ask_rasa(sender, text)

    async def command(self, sender: str, name: str) -> list[Reply]:
        """/start, /help, /appointments, /cancel, /human, /done."""
        if name == "start":
            return await self.start(sender)
        if name == "human":
            return await self.request_human(sender)
        if name == "done":
            return await self.end_handoff(sender)
        if name == "cancel" and await self.clinic.pending_link(sender) is not None:
            return await self.message(sender, "cancel")
        if name in RASA_COMMANDS:
            return await self.button(sender, RASA_COMMANDS[name])
        return [Reply(texts.UNKNOWN_COMMAND)]

    async def start(self, sender: str) -> list[Reply]:
        """The first thing a person sees: a greeting, and how to link if we don't know them."""
        who = await self.clinic.who_is(sender)
        try:
            replies = from_rasa(await self.rasa.send(sender, "/greet"))
        except RasaUnavailable as error:  # a greeting is not worth an inbox item
            log.warning("event=rasa_unavailable sender=%s reason=%s", sender, error)
            replies = [Reply(texts.GREETING_OFFLINE)]
        if who.is_staff:
            replies.append(Reply(texts.STAFF_HELLO.format(name=who.staff_name)))
        elif not who.is_patient:
            replies.append(Reply(texts.LINK_PROMPT, request_contact=True))
        return replies

    async def button(self, sender: str, payload: str) -> list[Reply]:
        """A pressed button's payload (untrusted: it is treated like typed text, and
        gateway-local "#" payloads only do what the sender could do by typing)."""
        payload = (payload or "").strip()
        if payload.startswith("#"):
            return await self._local_button(sender, payload)
        state, handoff = await self.clinic.where_is(sender)
        if state is not None:
            await self.clinic.drop_pending_link(sender)  # a Rasa button means they moved on
        if handoff is not None:
            return await self._relay(sender, payload)
        return await self._ask_rasa(sender, payload)

    async def contact(self, sender: str, phone: str) -> list[Reply]:
        """A phone number the channel has verified as the sender's own (Telegram contact)."""
        who = await self.clinic.who_is(sender)
        if who.is_patient:
            return [Reply(texts.ALREADY_LINKED.format(name=who.patient_first_name))]
        try:
            phone = self.clinic.normalize_phone(phone)
        except InvalidPhone as error:
            return [Reply(str(error))]
        await self.clinic.keep_pending_link(sender, LinkProgress(step="dob", phone=phone))
        return [Reply(ASK_DOB)]

    async def start_linking(self, sender: str) -> list[Reply]:
        """Start linking by asking for the phone (channels that cannot verify a phone)."""
        who = await self.clinic.who_is(sender)
        if who.is_patient:
            return [Reply(texts.ALREADY_LINKED.format(name=who.patient_first_name))]
        await self.clinic.keep_pending_link(sender, LinkProgress(step="phone"))
        return [Reply(ASK_PHONE)]

    async def request_human(self, sender: str, reason: str = "") -> list[Reply]:
        thread_id = await self.clinic.open_handoff(sender, reason or "asked for a person")
        log.info("event=handoff_open sender=%s thread=%s", sender, thread_id)
        return [Reply(texts.HANDOFF_OPENED, buttons=(Button("End chat with staff", "#done"),))]

    async def end_handoff(self, sender: str) -> list[Reply]:
        closed = await self.clinic.close_handoff_by_patient(sender)
        return [Reply(texts.HANDOFF_CLOSED if closed else texts.NO_HANDOFF)]

    async def document(
        self, sender: str, content: bytes, filename: str, mime_type: str, caption: str | None
    ) -> list[Reply]:
        """A photo or file from a person: stored with their record, staff told."""
        kind = document_kind(caption, filename)
        try:
            _, linked = await self.clinic.store_document(
                sender, content, filename, mime_type, caption, kind
            )
        except DomainError as error:  # not a photo/PDF, too big, ...
            return [Reply(str(error))]
        log.info("event=document_stored sender=%s kind=%s bytes=%d", sender, kind, len(content))
        if not linked:
            return [Reply(texts.DOCUMENT_NEEDS_LINK)]
        return [Reply(texts.DOCUMENT_STORED.format(what=DOCUMENT_NAMES.get(kind, "your file")))]

    async def who(self, sender: str) -> Who:
        return await self.clinic.who_is(sender)

    # ---------------------------------------------------------------- Rasa

    async def _ask_rasa(self, sender: str, text: str) -> list[Reply]:
        try:
            messages = await self.rasa.send(sender, text)
        except RasaUnavailable as error:
            log.warning("event=rasa_unavailable sender=%s reason=%s", sender, error)
            if has_red_flags(text):  # no assistant to read it: the advice and an alert now
                return await self._emergency(sender, text)
            try:
                await self.clinic.leave_for_front_desk(sender, text, reason="assistant_down")
            except Exception:  # the store is down too: say so honestly
                log.exception("event=inbox_write_failed sender=%s", sender)
                return [Reply(texts.ALL_DOWN)]
            return [Reply(texts.RASA_DOWN)]
        replies = from_rasa(messages)
        if any(reply.custom and reply.custom.get("held_request") for reply in replies):
            # What a stranger asked that needs their record: carried on with once they link
            # (kept in the store, so a restart or another bot process does not drop it).
            await self.clinic.hold_request(sender, text)
        if not replies:
            log.warning("event=rasa_empty_reply sender=%s", sender)
            return [Reply(texts.NO_ANSWER, buttons=(Button("Talk to a person", "#human"),))]
        return replies

    # ---------------------------------------------------------------- handoff

    async def _relay(self, sender: str, text: str) -> list[Reply]:
        if text.lower() in {"/done", "done", "end chat"}:
            return await self.end_handoff(sender)
        try:
            relayed = await self.clinic.relay_to_staff(sender, text)
        except DomainError as error:  # e.g. far too long
            return [Reply(str(error))]
        if not relayed:  # closed by staff a moment ago
            return await self._ask_rasa(sender, text)
        relayed_reply = Reply(texts.RELAYED, buttons=(Button("End chat with staff", "#done"),))
        if has_red_flags(text):  # staff may not be reading: the advice now, and an alert
            return [*await self._emergency(sender, text), relayed_reply]
        return [relayed_reply]

    async def _emergency(self, sender: str, text: str) -> list[Reply]:
        """What the assistant's emergency report does, for a message no assistant reads (the
        person is talking to staff, or the assistant is down): the advice, and staff alerted."""
        crisis_line = None
        try:
            number, crisis_line = await self.clinic.report_emergency(sender, text)
            alerted = EMERGENCY_ALERTED
        except Exception:  # the store is down too: the advice still goes out
            log.exception("event=emergency_alert_failed sender=%s", sender)
            number, alerted = get_settings().emergency_number, texts.EMERGENCY_NOT_ALERTED
        log.info("event=emergency_from_gateway sender=%s", sender)
        crisis = crisis_advice(crisis_line, text)
        return [
            Reply(EMERGENCY_ADVICE.format(number=number)),
            *([Reply(crisis)] if crisis else []),
            Reply(alerted),
        ]

    # ---------------------------------------------------------------- local buttons

    async def _local_button(self, sender: str, payload: str) -> list[Reply]:
        command, _, argument = payload[1:].partition(":")
        state = await self.clinic.pending_link(sender)
        if command == "dob" and state is not None and state.phone:
            try:
                chosen = date.fromisoformat(argument)
            except ValueError:
                return [Reply(ASK_DOB)]
            return await self._try_link(sender, state, chosen)
        if command == "link_retry" and state is not None and state.phone:
            state.step = "dob"
            await self.clinic.keep_pending_link(sender, state)
            return [Reply(ASK_DOB)]
        if command == "register" and state is not None and state.phone and state.date_of_birth:
            state.step = "name"
            await self.clinic.keep_pending_link(sender, state)
            return [Reply(ASK_NAME)]
        if command == "link":
            return await self.start_linking(sender)
        if command == "human":
            await self.clinic.drop_pending_link(sender)
            return await self.request_human(sender)
        if command == "done":
            return await self.end_handoff(sender)
        return [Reply(texts.BUTTON_EXPIRED)]

    # ---------------------------------------------------------------- linking

    async def _linking_step(self, sender: str, state: LinkProgress, text: str) -> list[Reply]:
        if text.lower() in LEAVE_WORDS:
            await self.clinic.drop_pending_link(sender)
            return [Reply(LEFT)]
        if state.step == "phone":
            try:
                state.phone = self.clinic.normalize_phone(text)
            except InvalidPhone as error:
                return [Reply(str(error))]
            state.step = "dob"
            await self.clinic.keep_pending_link(sender, state)
            return [Reply(ASK_DOB)]
        if state.step in ("dob", "dob_choice", "no_match"):
            answer = read_dob(state, text, clock.local_now().date())
            if isinstance(answer, Reply):
                await self.clinic.keep_pending_link(sender, state)  # may now be dob_choice
                return [answer]
            return await self._try_link(sender, state, answer)
        if state.step == "name":
            return await self._register(sender, state, text)
        await self.clinic.drop_pending_link(sender)
        return [Reply(LEFT)]

    async def _try_link(self, sender: str, state: LinkProgress, dob: date) -> list[Reply]:
        assert state.phone is not None
        state.date_of_birth = dob
        try:
            first_name = await self.clinic.link(sender, state.phone, dob)
        except VerificationFailed as error:
            state.step = "no_match"
            await self.clinic.keep_pending_link(sender, state)
            log.info("event=link_no_match sender=%s", sender)
            return [no_match_reply(str(error))]
        except TooManyAttempts as error:
            await self.clinic.drop_pending_link(sender)
            return [Reply(str(error))]
        except DomainError as error:
            await self.clinic.keep_pending_link(sender, state)
            return [Reply(str(error))]
        await self.clinic.drop_pending_link(sender)
        log.info("event=linked sender=%s", sender)
        return [Reply(texts.LINKED.format(name=first_name)), *await self._carry_on(sender)]

    async def _register(self, sender: str, state: LinkProgress, text: str) -> list[Reply]:
        assert state.phone and state.date_of_birth
        name = split_name(text)
        if name is None:
            return [Reply(texts.NAME_AGAIN)]
        try:
            first_name = await self.clinic.register(sender, *name, state.date_of_birth, state.phone)
        except InvalidInput as error:
            return [Reply(str(error))]
        except (AlreadyRegistered, DomainError) as error:
            await self.clinic.drop_pending_link(sender)
            return [Reply(str(error))]
        await self.clinic.drop_pending_link(sender)
        log.info("event=registered sender=%s", sender)
        return [Reply(texts.REGISTERED.format(name=first_name)), *await self._carry_on(sender)]

    async def _carry_on(self, sender: str) -> list[Reply]:
        """The request that needed the person's record, asked again now that they are known
        (if it was asked in the last few minutes)."""
        asked = await self.clinic.take_held_request(sender)
        if asked is None:
            return []
        log.info("event=carry_on sender=%s", sender)
        return [Reply(texts.CARRY_ON.format(asked=asked)), *await self._ask_rasa(sender, asked)]
