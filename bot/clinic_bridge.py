"""The bot's only door into the store: async wrappers around clinic/ services.

Each call runs one clinic service in one transaction (`clinic.db.session_scope`) on a worker
thread, so the event loop never waits on the database, and returns plain values (never ORM
objects, which would be detached outside their session). The bot builds no queries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot import texts
from clinic import documents, inbox, outbox, patient_documents, practice, staff
from clinic import identity as identity_service
from clinic import text as text_of
from clinic.audit import Actor
from clinic.db import session_scope
from clinic.errors import NoActiveHandoff, NotStaff
from clinic.identity import LinkProgress
from clinic.models import Desk, SlipKind
from clinic.outbox import Delivery

T = TypeVar("T")


@dataclass(frozen=True)
class Who:
    """Who a channel identity is, as plain values."""

    identity: str
    patient_id: int | None = None
    patient_first_name: str | None = None
    staff_id: int | None = None
    staff_name: str | None = None

    @property
    def is_patient(self) -> bool:
        return self.patient_id is not None

    @property
    def is_staff(self) -> bool:
        return self.staff_id is not None

    @property
    def kind(self) -> str:
        return "staff" if self.is_staff else "patient" if self.is_patient else "unknown"


class ClinicBridge:
    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    async def run(self, work: Callable[[Session], T], *, readonly: bool = False) -> T:
        """Run `work(session)` in one transaction on a worker thread."""

        def in_session() -> T:
            with session_scope(self._engine, readonly=readonly) as session:
                return work(session)

        return await asyncio.to_thread(in_session)

    # -------------------------------------------------------------- identity

    async def who_is(self, identity: str) -> Who:
        def work(session: Session) -> Who:
            caller = identity_service.who_is(session, identity)
            return Who(
                identity=caller.identity,
                patient_id=caller.patient.id if caller.patient else None,
                patient_first_name=caller.patient.first_name if caller.patient else None,
                staff_id=caller.staff.id if caller.staff else None,
                staff_name=caller.staff.name if caller.staff else None,
            )

        return await self.run(work, readonly=True)

    async def pending_link(self, identity: str) -> LinkProgress | None:
        return await self.run(lambda session: identity_service.pending_link(session, identity))

    async def keep_pending_link(self, identity: str, progress: LinkProgress) -> None:
        def work(session: Session) -> None:
            identity_service.keep_pending_link(session, identity, progress)

        await self.run(work)

    async def drop_pending_link(self, identity: str) -> None:
        await self.run(lambda session: identity_service.drop_pending_link(session, identity))

    async def hold_request(self, identity: str, text: str) -> None:
        await self.run(lambda session: identity_service.hold_request(session, identity, text))

    async def take_held_request(self, identity: str) -> str | None:
        return await self.run(lambda session: identity_service.take_held_request(session, identity))

    async def link(self, identity: str, phone: str, date_of_birth: date) -> str:
        """Link the identity; return the patient's first name. Raises clinic DomainErrors."""

        def work(session: Session) -> str:
            patient = identity_service.link_identity(session, identity, phone, date_of_birth)
            return patient.first_name

        return await self.run(work)

    async def register(
        self, identity: str, first_name: str, last_name: str, date_of_birth: date, phone: str
    ) -> str:
        def work(session: Session) -> str:
            patient = identity_service.register_patient(
                session,
                first_name=first_name,
                last_name=last_name,
                date_of_birth=date_of_birth,
                phone=phone,
                identity=identity,
            )
            return patient.first_name

        return await self.run(work)

    # -------------------------------------------------------------- handoff and inbox

    async def where_is(self, identity: str) -> tuple[LinkProgress | None, int | None]:
        """(linking in progress, open handoff thread id): what routes a person's next message,
        read in one transaction (every message asks)."""

        def work(session: Session) -> tuple[LinkProgress | None, int | None]:
            thread = inbox.active_handoff_for(session, identity)
            return identity_service.pending_link(session, identity), thread.id if thread else None

        return await self.run(work)

    async def open_handoff(self, identity: str, reason: str = "") -> int:
        def work(session: Session) -> int:
            caller = identity_service.who_is(session, identity)
            patient_id = caller.patient.id if caller.patient else None
            return inbox.open_handoff(session, identity, patient_id=patient_id, reason=reason).id

        return await self.run(work)

    async def relay_to_staff(self, identity: str, text: str) -> bool:
        """Relay into the open handoff; False if there is none (closed meanwhile)."""

        def work(session: Session) -> bool:
            try:
                inbox.relay_patient_message(session, identity, text)
            except NoActiveHandoff:
                return False
            return True

        return await self.run(work)

    async def report_emergency(self, identity: str, text: str) -> tuple[str, str | None]:
        """Alert the staff at once (as the assistant's emergency report does); returns the
        emergency number to tell the person, and the practice's crisis line (or None)."""

        def work(session: Session) -> tuple[str, str | None]:
            caller = identity_service.who_is(session, identity)
            inbox.report_emergency(session, caller.actor, text[: inbox.MAX_TEXT])
            info = practice.clinic_info(session)
            return info.emergency_number, info.crisis_line

        return await self.run(work)

    async def close_handoff_by_patient(self, identity: str) -> bool:
        def work(session: Session) -> bool:
            thread = inbox.active_handoff_for(session, identity)
            if thread is None:
                return False
            inbox.close_handoff(
                session, identity_service.who_is(session, identity).actor, thread.id
            )
            return True

        return await self.run(work)

    async def leave_for_front_desk(self, identity: str, text: str, reason: str) -> str:
        """Keep a message nobody (no assistant) could answer: a linked patient's becomes a
        message slip for the front desk; a not-linked person's opens a handoff, because a
        slip from a guest needs a callback number we don't have, while a handoff lets staff
        answer right in this chat. Returns "slip" or "handoff"."""

        def work(session: Session) -> str:
            caller = identity_service.who_is(session, identity)
            if caller.patient_actor is not None:
                inbox.leave_message(
                    session,
                    caller.patient_actor,
                    reason=text[: inbox.MAX_TEXT],
                    desk=Desk.FRONT_DESK,
                    kind=SlipKind.MESSAGE,
                )
                return "slip"
            inbox.open_handoff(session, identity, reason=text[: inbox.MAX_TEXT])
            return "handoff"

        kind = await self.run(work)
        return kind

    # -------------------------------------------------------------- documents

    async def store_document(
        self,
        identity: str,
        data: bytes,
        filename: str,
        content_type: str,
        caption: str | None,
        kind: str,
    ) -> tuple[int, bool]:
        """Store a patient's file with their record; (document id, linked to a patient?)."""

        def work(session: Session) -> tuple[int, bool]:
            caller = identity_service.who_is(session, identity)
            document = patient_documents.store_document(
                session,
                caller.actor,
                data=data,
                filename=filename,
                content_type=content_type,
                kind=kind,
                caption=caption,
            )
            return document.id, document.patient_id is not None

        return await self.run(work)

    async def render_document(
        self, identity: str | None, kind: str, ref: dict[str, Any]
    ) -> tuple[str, str, bytes]:
        """Build an .ics or invoice PDF as `identity` may see it (None: the system, for
        outbox deliveries). Raises DomainError when not allowed or not found."""

        def work(session: Session) -> tuple[str, str, bytes]:
            if identity is None:
                actor = Actor.system()
            else:
                caller = identity_service.who_is(session, identity)
                actor = caller.staff_actor or caller.actor
            rendered = documents.render_attachment(session, actor, {**ref, "kind": kind})
            return rendered.filename, rendered.mime_type, rendered.content

        return await self.run(work)

    # -------------------------------------------------------------- staff

    def _staff_work(
        self, identity: str, work: Callable[[Session, Actor], T]
    ) -> Callable[[Session], T]:
        def in_session(session: Session) -> T:
            actor = identity_service.who_is(session, identity).staff_actor
            if actor is None:
                raise NotStaff()
            return work(session, actor)

        return in_session

    async def day_schedule(self, identity: str, day: date, provider_key: str | None) -> str:
        def work(session: Session, actor: Actor) -> str:
            return staff.format_schedule(staff.day_schedule(session, actor, day, provider_key), day)

        return await self.run(self._staff_work(identity, work))

    async def days_schedule(
        self, identity: str, first: date, last: date, provider_key: str | None
    ) -> str:
        def work(session: Session, actor: Actor) -> str:
            return staff.format_days(session, actor, first, last, provider_key)

        return await self.run(self._staff_work(identity, work))

    async def inbox_summary(self, identity: str) -> str:
        def work(session: Session, actor: Actor) -> str:
            return format_inbox(
                inbox.list_open(session, actor), inbox.open_handoffs(session, actor)
            )

        return await self.run(self._staff_work(identity, work))

    async def take(self, identity: str, kind: str, item_id: int) -> str:
        return await self.run(
            self._staff_work(identity, lambda s, actor: inbox.take(s, actor, kind, item_id))
        )

    async def close_item(self, identity: str, kind: str, item_id: int) -> str:
        def work(session: Session, actor: Actor) -> str:
            if kind == "handoff":
                inbox.close_handoff(session, actor, item_id)
                return f"Conversation #{item_id} closed; the patient is back with the assistant."
            inbox.close(session, actor, item_id)
            return f"Message #{item_id} closed."

        return await self.run(self._staff_work(identity, work))

    async def staff_reply(self, identity: str, kind: str, item_id: int, text: str) -> str:
        def work(session: Session, actor: Actor) -> str:
            if kind == "handoff":
                inbox.staff_reply(session, actor, item_id, text)
                return f"Sent to the patient in conversation #{item_id}."
            inbox.reply(session, actor, item_id, text)
            return f"Reply to message #{item_id} sent."

        return await self.run(self._staff_work(identity, work))

    # -------------------------------------------------------------- outbox

    async def claim_due(self, worker_id: str, limit: int = 20) -> list[Delivery]:
        return await self.run(lambda s: outbox.claim_due(s, worker_id, limit=limit))

    async def mark_sent(self, delivery_id: int, worker_id: str) -> bool:
        return await self.run(lambda s: outbox.mark_sent(s, delivery_id, worker_id))

    async def mark_failed(
        self,
        delivery_id: int,
        error: str,
        worker_id: str,
        *,
        permanent: bool = False,
        retry_after: timedelta | None = None,
    ) -> bool:
        return await self.run(
            lambda s: outbox.mark_failed(
                s, delivery_id, error, worker_id, permanent=permanent, retry_after=retry_after
            )
        )

    async def release(self, worker_id: str) -> int:
        return await self.run(lambda s: outbox.release(s, worker_id))

    @staticmethod
    def normalize_phone(text: str) -> str:
        return identity_service.normalize_phone(text)


def format_inbox(slips: list[Any], threads: list[Any]) -> str:
    """The /inbox answer: open conversations, then open messages (most urgent, oldest first).
    Staff see the reason (they need it); it is cut short to keep the list readable."""
    if not slips and not threads:
        return "The inbox is empty: no open messages or conversations."
    lines: list[str] = []
    if threads:
        lines.append(f"Open conversations ({len(threads)}):")
        for thread in threads:
            who = thread.patient.full_name if thread.patient else "not linked"
            lines.append(f"  #{thread.id} {who}, since {text_of.when(thread.opened_at)}")
    if slips:
        lines.append(f"Open messages ({len(slips)}):")
        for slip in slips:
            mark = inbox.URGENCY_MARK.get(slip.urgency) or "•"
            reason = " ".join(slip.reason.split())
            reason = reason if len(reason) <= 80 else reason[:77] + "…"
            lines.append(
                f"  {mark} #{slip.id} {slip.kind.value.replace('_', ' ')} for {slip.for_whom} "
                f"from {slip.from_name} ({text_of.when(slip.created_at)}): {reason}"
            )
    lines.append("Reply to an alert in the staff chat to answer, or use its Close button.")
    lines.append(texts.INBOX_TYPED_HINT)
    return "\n".join(lines)
