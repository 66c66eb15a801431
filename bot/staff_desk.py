"""The staff side, channel-agnostic: /today, /schedule <date> [provider], /inbox, and the
Take / Reply / Close actions and replies on alerts in the staff chat.

None of this needs Rasa: it answers from the store. Every call re-checks in the store that the
sender is active staff (the staff chat is not a credential: anyone in it could press a button).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot import texts
from bot.clinic_bridge import ClinicBridge
from bot.replies import Reply
from bot.staff_refs import ACTIONS, parse_action, parse_reference, tag_of
from clinic import clock
from clinic.config import date_order
from clinic.errors import DomainError
from nlu.time_parsing import find_times, to_interval

log = logging.getLogger(__name__)

SCHEDULE_HINT = (
    "Usage: /schedule <date> [provider], e.g. /schedule tomorrow patel, /schedule next week"
)


def split_schedule_args(args: str, now: datetime) -> tuple[date, date, str | None] | None:
    """ "tomorrow patel" -> (tomorrow, tomorrow, "patel"); "next week" -> (its Monday, its
    Sunday, None); nothing -> today. Dates are read as the assistant reads them
    (nlu/time_parsing.py); None when there is no date in it."""
    text = " ".join(args.split())
    if not text:
        return now.date(), now.date(), None
    found = find_times(text, now, date_order())
    if not found:
        return None
    start, end = to_interval(found[0].value, now.tzinfo)
    last = (end - timedelta(microseconds=1)).date() if end > start else start.date()
    rest = f"{text[: found[0].start]} {text[found[0].end :]}".strip(" ,").lower()
    # "dr patel", "Anika Patel's": the provider key is the surname
    words = re.sub(r"^(dr\.?|doctor|nurse|np)\s+|'s\b", "", rest).split()
    return start.date(), last, (words[-1] if words else None)


# "reply 3 we sent the records", "close #3", "take 4", "close conversation 2": the inbox
# handled by typing, in a private chat or the web chat (the staff chat has buttons and replies)
TYPED_COMMAND = re.compile(
    r"^\s*(?P<verb>close|take|reply(?:\s+to)?|answer)\s+"
    r"(?P<what>message|msg|slip|item|conversation|chat|handoff)?\s*(?:no\.?|number)?\s*#?"
    r"(?P<tag>[HS])?(?P<id>\d{1,9})\b[\s:,.-]*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class ActionResult:
    action: str  # "take" | "reply" | "close" | "?"
    replies: list[Reply]
    ok: bool = True

    @property
    def summary(self) -> str:
        return self.replies[0].text if self.replies else ""


class StaffDesk:
    def __init__(self, clinic: ClinicBridge) -> None:
        self.clinic = clinic

    async def _staff(self, sender: str) -> bool:
        return (await self.clinic.who_is(sender)).is_staff

    async def command(self, sender: str, name: str, args: str = "") -> list[Reply]:
        if not await self._staff(sender):
            log.info("event=staff_command_refused sender=%s command=%s", sender, name)
            return [Reply(texts.STAFF_ONLY)]
        now = clock.local_now()
        try:
            if name == "today":
                return [Reply(await self.clinic.day_schedule(sender, now.date(), None))]
            if name == "schedule":
                parsed = split_schedule_args(args, now)
                if parsed is None:
                    return [Reply(f"I couldn't read that date. {SCHEDULE_HINT}")]
                first, last, provider = parsed
                if first == last:
                    return [Reply(await self.clinic.day_schedule(sender, first, provider))]
                return [Reply(await self.clinic.days_schedule(sender, first, last, provider))]
            if name == "inbox":
                return [Reply(await self.clinic.inbox_summary(sender))]
        except DomainError as error:
            return [Reply(str(error))]
        return [Reply(texts.UNKNOWN_COMMAND)]

    async def action(self, sender: str, data: str) -> ActionResult:
        """Take / Reply / Close pressed under an alert."""
        parsed = parse_action(data)
        if parsed is None:
            return ActionResult("?", [Reply(texts.BUTTON_EXPIRED)], ok=False)
        action, kind, item_id = parsed
        if not await self._staff(sender):
            return ActionResult(action, [Reply(texts.STAFF_ONLY)], ok=False)
        tag = f"{kind[0].upper()}{item_id}"
        try:
            if action == "take":
                return ActionResult(action, [Reply(await self.clinic.take(sender, kind, item_id))])
            if action == "close":
                line = await self.clinic.close_item(sender, kind, item_id)
                return ActionResult(action, [Reply(line)])
        except DomainError as error:
            return ActionResult(action, [Reply(str(error))], ok=False)
        prompt = f"Reply to this message with your answer.\n\nRef #{tag}"
        return ActionResult(action, [Reply(prompt, force_reply=True)])

    async def typed(self, sender: str, text: str) -> list[Reply] | None:
        """An inbox command typed by staff ("reply 3 we sent the records", "close 3"); None
        when the text is not one, or the sender is not staff (it is then an ordinary message)."""
        found = TYPED_COMMAND.match(text or "")
        if found is None or not await self._staff(sender):
            return None
        what = (found["what"] or "").lower()
        handoff = (found["tag"] or "").upper() == "H" or what in ("conversation", "chat", "handoff")
        kind, item_id = ("handoff" if handoff else "slip"), int(found["id"])
        verb = found["verb"].split()[0].lower()
        log.info("event=staff_typed_command sender=%s verb=%s kind=%s", sender, verb, kind)
        try:
            if verb == "close":
                return [Reply(await self.clinic.close_item(sender, kind, item_id))]
            if verb == "take":
                return [Reply(await self.clinic.take(sender, kind, item_id))]
            answer = found["rest"].strip()
            if not answer:
                return [Reply(f"What should I send? For example: reply {item_id} we sent it.")]
            return [Reply(await self.clinic.staff_reply(sender, kind, item_id, answer))]
        except DomainError as error:
            return [Reply(str(error))]

    async def reply(self, sender: str, reference: str, text: str) -> list[Reply]:
        """A staff answer to an alert; `reference` is the alert's text or a tag like "H12"."""
        ref = parse_reference(reference) or parse_reference(f"Ref #{reference}")
        if ref is None:
            return [Reply("Reply to an alert that has a Ref #… line to answer a patient.")]
        if not await self._staff(sender):
            return [Reply(texts.STAFF_ONLY)]
        if not text.strip():
            return [Reply("Your reply was empty; nothing was sent.")]
        try:
            return [Reply(await self.clinic.staff_reply(sender, ref[0], ref[1], text.strip()))]
        except DomainError as error:
            return [Reply(str(error))]

    @staticmethod
    def web_alert(text: str, meta: dict) -> dict:
        """How the web chat shows a staff-channel alert: its tag and action buttons."""
        tag = tag_of(meta)
        if tag is None:
            return {}
        return {
            "ref": tag,
            "staff_buttons": [
                {"title": title, "payload": f"s:{action}:{tag}"} for title, action in ACTIONS
            ],
        }
