"""The outbox: what must reach a person, written in the same transaction as its cause, and
delivered by the bot.

Writing (services do this; you rarely need to):
    enqueue(session, kind=..., text=..., to_patient=id | to_staff=id | to_identity="tg:1"
            | to_staff_channel=True, buttons=[button(...)], attachments=[...], due_at=...)
    enqueue_rows(session, [row(kind=..., ...), ...])   the same, several at once, no ORM objects
    button(title, intent, **entities) -> {"title": ..., "payload": '/intent{"k":"v"}'}

Delivering (the bot's loop; safe with several bot processes):
    with session_scope() as s: batch = claim_due(s, worker_id, now, limit=20, lease_seconds=60)
    for d in batch:                       # Delivery: recipient identities, text, buttons, files
        send(...)
        with session_scope() as s: mark_sent(s, d.id, worker_id)
        # or on error:               mark_failed(s, d.id, str(error), worker_id, permanent=...)
    on shutdown: with session_scope() as s: release(s, worker_id)

A claimed row is leased to one worker (`status = sending`, `lease_owner`, `lease_expires_at`).
PostgreSQL claims with `FOR UPDATE SKIP LOCKED`; SQLite's BEGIN IMMEDIATE serialises the
claim. Only the lease owner can mark a row sent or failed, and a sent row is never claimed
again. A worker that dies mid-send leaves a lease that expires; the row is then retried
(at-least-once for that crash window, which the bot keeps tiny by marking right after sending).
Failures back off exponentially (30 s, 1 min, 2 min ... capped at 1 h) up to `max_attempts`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from clinic import clock
from clinic.models import (
    ChannelIdentity,
    OutboxMessage,
    OutboxStatus,
    RecipientKind,
    Staff,
)

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
DEFAULT_MAX_ATTEMPTS = 6


def button(title: str, intent: str, **entities: Any) -> dict[str, str]:
    """A button whose payload is Rasa's intent syntax: `/intent{"key":"value"}`.

    Entity values are sent as strings (Rasa slots from buttons are strings anyway)."""
    payload = "/" + intent
    if entities:
        payload += json.dumps(
            {key: str(value) for key, value in entities.items()}, separators=(",", ":")
        )
    return {"title": title, "payload": payload}


def enqueue(
    session: Session,
    *,
    kind: str,
    text: str,
    to_patient: int | None = None,
    to_staff: int | None = None,
    to_identity: str | None = None,
    to_staff_channel: bool = False,
    buttons: Sequence[dict[str, str]] = (),
    attachments: Sequence[dict[str, Any]] = (),
    meta: dict[str, Any] | None = None,
    due_at: datetime | None = None,
    appointment_id: int | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> OutboxMessage:
    """Add one message to the outbox (exactly one recipient)."""
    message = OutboxMessage(
        **row(
            kind=kind,
            text=text,
            to_patient=to_patient,
            to_staff=to_staff,
            to_identity=to_identity,
            to_staff_channel=to_staff_channel,
            buttons=buttons,
            attachments=attachments,
            meta=meta,
            due_at=due_at,
            appointment_id=appointment_id,
            max_attempts=max_attempts,
        )
    )
    session.add(message)
    return message


def row(
    *,
    kind: str,
    text: str,
    to_patient: int | None = None,
    to_staff: int | None = None,
    to_identity: str | None = None,
    to_staff_channel: bool = False,
    buttons: Sequence[dict[str, str]] = (),
    attachments: Sequence[dict[str, Any]] = (),
    meta: dict[str, Any] | None = None,
    due_at: datetime | None = None,
    appointment_id: int | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The column values of one outbox message (what `enqueue` adds; `enqueue_rows` writes a
    batch of them with one statement)."""
    targets = [
        (RecipientKind.PATIENT, to_patient is not None),
        (RecipientKind.STAFF, to_staff is not None),
        (RecipientKind.IDENTITY, to_identity is not None),
        (RecipientKind.STAFF_CHANNEL, to_staff_channel),
    ]
    chosen = [kind_ for kind_, present in targets if present]
    if len(chosen) != 1:
        raise ValueError("an outbox message needs exactly one recipient")
    now = now or clock.now()
    due = due_at or now
    return {
        "kind": kind,
        "recipient_kind": chosen[0],
        "patient_id": to_patient,
        "staff_id": to_staff,
        "identity": to_identity,
        "text": text,
        "buttons": list(buttons),
        "attachments": list(attachments),
        "meta": dict(meta or {}),
        "appointment_id": appointment_id,
        "due_at": due,
        "next_attempt_at": due,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "max_attempts": max_attempts,
        "created_at": now,
    }


_INSERT = insert(OutboxMessage.__table__)


def enqueue_rows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write several `row(...)`s now, in the session's transaction, as one statement (no ORM
    objects: for hot paths that do not need them back). Flush first if a row refers to
    something still pending in the session."""
    if rows:
        session.connection().execute(_INSERT, list(rows))


def cancel_pending(
    session: Session, *, appointment_id: int, kinds: Iterable[str] | None = None
) -> int:
    """Cancel not-yet-sent messages about an appointment (superseded reminders)."""
    query = update(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment_id,
        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
    )
    if kinds is not None:
        query = query.where(OutboxMessage.kind.in_(list(kinds)))
    result = session.execute(
        query.values(status=OutboxStatus.CANCELLED, lease_owner=None, lease_expires_at=None),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def revise_pending(
    session: Session,
    *,
    appointment_id: int,
    kinds: Iterable[str],
    text: Callable[[str], str],
    keep_button: Callable[[str], bool],
) -> int:
    """Rewrite the not-yet-claimed messages about an appointment (a reminder's question once
    it is answered); how many were rewritten. A message already being sent goes as it was."""
    pending = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.appointment_id == appointment_id,
            OutboxMessage.kind.in_(list(kinds)),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .with_for_update(skip_locked=True)  # one a sender is claiming right now goes as it was
    ).all()
    for message in pending:
        message.text = text(message.text)
        message.buttons = [b for b in message.buttons or [] if keep_button(str(b.get("payload")))]
    return len(pending)


@dataclass(frozen=True)
class Delivery:
    """A claimed outbox row, ready to send.

    `identities`: where to send it: a patient's linked channel identities (`tg:…`, `web:…`),
    a staff member's `tg:<id>`, or the one identity; empty for the staff channel (send to
    TELEGRAM_STAFF_CHAT_ID) and for a patient with no linked identity (mark it failed,
    permanent)."""

    id: int
    kind: str
    recipient_kind: RecipientKind
    identities: list[str]
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    patient_id: int | None = None
    staff_id: int | None = None
    appointment_id: int | None = None
    attempt: int = 1


def _identities(session: Session, message: OutboxMessage) -> list[str]:
    if message.recipient_kind is RecipientKind.PATIENT:
        return list(
            session.scalars(
                select(ChannelIdentity.identity)
                .where(ChannelIdentity.patient_id == message.patient_id)
                .order_by(ChannelIdentity.linked_at.desc(), ChannelIdentity.id.desc())
            )
        )
    if message.recipient_kind is RecipientKind.STAFF:
        staff = session.get(Staff, message.staff_id)
        return [staff.identity] if staff is not None and staff.identity else []
    if message.recipient_kind is RecipientKind.IDENTITY:
        return [message.identity] if message.identity else []
    return []


def claim_due(
    session: Session,
    worker_id: str,
    now: datetime | None = None,
    limit: int = 20,
    lease_seconds: int = 60,
) -> list[Delivery]:
    """Lease up to `limit` due messages to `worker_id` and return them, oldest due first.

    Due: pending with next_attempt_at <= now, or sending whose lease expired (its worker
    died). Commit the session right after so other workers see the lease."""
    now = now or clock.now()
    rows = list(
        session.scalars(
            select(OutboxMessage)
            .where(
                or_(
                    (OutboxMessage.status == OutboxStatus.PENDING)
                    & (OutboxMessage.next_attempt_at <= now),
                    (OutboxMessage.status == OutboxStatus.SENDING)
                    & (OutboxMessage.lease_expires_at < now),
                )
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    lease_until = now + timedelta(seconds=lease_seconds)
    deliveries = []
    for row in rows:
        if row.attempts >= row.max_attempts:  # an expired lease on its last attempt
            row.status = OutboxStatus.FAILED
            row.last_error = (row.last_error or "") + " (lease expired on the last attempt)"
            row.lease_owner = row.lease_expires_at = None
            continue
        row.status = OutboxStatus.SENDING
        row.lease_owner = worker_id
        row.lease_expires_at = lease_until
        row.attempts += 1
        deliveries.append(
            Delivery(
                id=row.id,
                kind=row.kind,
                recipient_kind=row.recipient_kind,
                identities=_identities(session, row),
                text=row.text,
                buttons=list(row.buttons),
                attachments=list(row.attachments),
                meta=dict(row.meta),
                patient_id=row.patient_id,
                staff_id=row.staff_id,
                appointment_id=row.appointment_id,
                attempt=row.attempts,
            )
        )
    session.flush()
    if deliveries:
        log.info("outbox.claim worker=%s count=%d", worker_id, len(deliveries))
    return deliveries


def _leased(session: Session, message_id: int, worker_id: str | None) -> OutboxMessage | None:
    row = session.get(OutboxMessage, message_id, with_for_update=True)
    if row is None or row.status is not OutboxStatus.SENDING:
        return None
    if worker_id is not None and row.lease_owner != worker_id:
        return None
    return row


def mark_sent(session: Session, message_id: int, worker_id: str | None = None) -> bool:
    """Record a successful send. False if the row is not leased (to this worker)."""
    row = _leased(session, message_id, worker_id)
    if row is None:
        return False
    row.status = OutboxStatus.SENT
    row.sent_at = clock.now()
    row.lease_owner = row.lease_expires_at = None
    row.last_error = None
    log.info("outbox.sent id=%s kind=%s attempt=%s", row.id, row.kind, row.attempts)
    return True


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed tries: 30 s doubling, capped at 1 h."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def mark_failed(
    session: Session,
    message_id: int,
    error: str,
    worker_id: str | None = None,
    *,
    permanent: bool = False,
    retry_after: timedelta | None = None,
    now: datetime | None = None,
) -> bool:
    """Record a failed send: retry later with backoff, or give up (`permanent`, e.g. the user
    blocked the bot, or the last attempt). False if the row is not leased (to this worker).

    `retry_after`: the channel asked us to wait (Telegram's 429 flood limit). That is not the
    message's fault, so the attempt is not counted, and no worker may retry it sooner (a second
    bot process would otherwise hit the same limit at the usual backoff)."""
    row = _leased(session, message_id, worker_id)
    if row is None:
        return False
    now = now or clock.now()
    row.last_error = (error or "unknown error")[:2000]
    row.lease_owner = row.lease_expires_at = None
    if retry_after is not None and not permanent:
        row.attempts = max(row.attempts - 1, 0)
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = now + max(retry_after, timedelta(seconds=1))
        log.info("outbox.deferred id=%s seconds=%.0f", row.id, retry_after.total_seconds())
        return True
    if permanent or row.attempts >= row.max_attempts:
        row.status = OutboxStatus.FAILED
        log.warning("outbox.failed id=%s kind=%s attempts=%s", row.id, row.kind, row.attempts)
    else:
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = now + backoff(row.attempts)
        log.info("outbox.retry id=%s attempt=%s", row.id, row.attempts)
    return True


def release(session: Session, worker_id: str) -> int:
    """Give back every row leased to `worker_id` (clean shutdown): they become due again and
    the attempt is not counted."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_owner == worker_id)
        .values(
            status=OutboxStatus.PENDING,
            lease_owner=None,
            lease_expires_at=None,
            attempts=OutboxMessage.attempts - 1,
        ),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def pending_for(
    session: Session, *, appointment_id: int | None = None, patient_id: int | None = None
) -> list[OutboxMessage]:
    """Not-yet-sent messages (for tests and staff views)."""
    query = select(OutboxMessage).where(
        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
    )
    if appointment_id is not None:
        query = query.where(OutboxMessage.appointment_id == appointment_id)
    if patient_id is not None:
        query = query.where(OutboxMessage.patient_id == patient_id)
    return list(session.scalars(query.order_by(OutboxMessage.due_at, OutboxMessage.id)))
