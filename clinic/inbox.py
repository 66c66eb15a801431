"""The staff inbox (message slips) and handoff threads (a live conversation with a person).

Message slips:
    leave_message(s, actor, *, reason, for_provider=None, desk=Desk.FRONT_DESK,
                  urgency=Urgency.ROUTINE, callback_number=None, from_name=None,
                  kind=SlipKind.MESSAGE) -> MessageSlip
    report_emergency(s, actor, text, *, callback_number=None) -> MessageSlip
    list_open(s, actor, *, desk=None, kind=None, provider_key=None, limit=50)
        -> list[MessageSlip]                                          urgent first, then oldest
    count_open(s, actor) -> int                                       how many list_open lists
    get_slip(s, actor, slip_id) -> MessageSlip
    reply(s, actor, slip_id, text, *, notify_sender=True) -> SlipReply
    close(s, actor, slip_id) -> MessageSlip
    take(s, actor, kind, item_id)    ("slip" | "handoff") assign to the staff member
    my_messages(s, actor) -> list[MessageSlip]                        the patient's own slips

Handoff threads:
    open_handoff(s, identity, *, patient_id=None, reason="") -> HandoffThread   (idempotent)
    active_handoff_for(s, identity) -> HandoffThread | None
    relay_patient_message(s, identity, text) -> HandoffMessage        (NoActiveHandoff)
    staff_reply(s, actor, thread_id, text) -> HandoffMessage
    close_handoff(s, actor, thread_id) -> HandoffThread

Who may write: a linked patient (Actor.patient) or a guest (Actor.guest(identity), who must
give a name and a callback number); replying, closing and listing are staff only. Every change
writes its outbox messages in the same transaction: a staff-channel alert for each new slip
and each patient message in a handoff (`meta` carries `slip_id` / `handoff_id` so the bot can
route a staff reply), a message to the patient for each staff reply. Staff-channel alerts
carry the reason (staff need it); log lines never do.
"""

from __future__ import annotations

import logging

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from clinic import audit, clock, outbox
from clinic.audit import Actor
from clinic.errors import (
    AlreadyClosed,
    InvalidInput,
    InvalidPhone,
    NoActiveHandoff,
    NotFound,
    NotLinked,
    NotStaff,
)
from clinic.identity import check_identity, normalize_phone, staff_member
from clinic.models import (
    ActorKind,
    Desk,
    HandoffMessage,
    HandoffStatus,
    HandoffThread,
    MessageSlip,
    Patient,
    SlipKind,
    SlipReply,
    SlipStatus,
    Urgency,
)
from clinic.practice import get_provider

log = logging.getLogger(__name__)

MAX_TEXT = 4000
URGENCY_ORDER = case(
    (MessageSlip.urgency == Urgency.EMERGENCY, 0),
    (MessageSlip.urgency == Urgency.URGENT, 1),
    else_=2,
)
URGENCY_MARK = {Urgency.EMERGENCY: "🚨 EMERGENCY", Urgency.URGENT: "❗ urgent", Urgency.ROUTINE: ""}


def _text(value: str, what: str = "message") -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"The {what} is empty. What would you like to say?")
    if len(value) > MAX_TEXT:
        raise InvalidInput(
            f"That {what} is too long ({len(value)} characters); please keep it under {MAX_TEXT}."
        )
    return value


def _require_staff(session: Session, actor: Actor):
    if not actor.is_staff:
        raise NotStaff()
    return staff_member(session, actor)


# --- message slips ---------------------------------------------------------------------------


def leave_message(
    session: Session,
    actor: Actor,
    *,
    reason: str,
    for_provider: str | None = None,
    desk: Desk | str = Desk.FRONT_DESK,
    urgency: Urgency | str = Urgency.ROUTINE,
    callback_number: str | None = None,
    from_name: str | None = None,
    kind: SlipKind | str = SlipKind.MESSAGE,
) -> MessageSlip:
    """A message slip for a provider (`for_provider` key) or a desk; alerts the staff channel.

    A guest (not linked) must give `from_name` and `callback_number`; a patient's callback
    defaults to the phone on file. Raises InvalidInput, InvalidPhone, UnknownProvider."""
    reason = _text(reason, "message")
    try:
        urgency, desk, kind = Urgency(urgency), Desk(desk), SlipKind(kind)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    patient = None
    if actor.is_patient:
        patient = session.get(Patient, actor.id)
        if patient is None:
            raise NotLinked()
        from_name = from_name or patient.full_name
        callback_number = normalize_phone(callback_number) if callback_number else patient.phone
    elif actor.kind is ActorKind.GUEST and kind is SlipKind.EMERGENCY:
        # Never hold back an emergency alert for want of a name or number.
        from_name = from_name or f"unknown ({actor.identity})"
        callback_number = _maybe_phone(callback_number)
    elif actor.kind is ActorKind.GUEST:
        if not (from_name or "").strip():
            raise InvalidInput("Please tell me your name so the staff know who to call back.")
        if not callback_number:
            raise InvalidInput("Please give me a phone number the staff can call you back on.")
        callback_number = normalize_phone(callback_number)
    elif actor.is_staff:
        from_name = from_name or _require_staff(session, actor).name
    provider = None
    if for_provider:
        provider = get_provider(session, for_provider)
        desk = Desk.PROVIDER
    slip = MessageSlip(
        kind=kind,
        patient_id=patient.id if patient else None,
        from_identity=actor.identity,
        from_name=" ".join((from_name or "system").split())[:160],
        callback_number=callback_number,
        desk=desk,
        provider_id=provider.id if provider else None,
        reason=reason,
        urgency=urgency,
        status=SlipStatus.OPEN,
        created_at=clock.now(),
    )
    session.add(slip)
    session.flush()
    audit.record(
        session,
        actor,
        "message.create",
        patient_id=slip.patient_id,
        object_type="message_slip",
        object_id=slip.id,
        kind=kind.value,
        urgency=urgency.value,
    )
    for_whom = provider.display_name if provider else desk.value.replace("_", " ")
    mark = URGENCY_MARK[urgency]
    outbox.enqueue(
        session,
        kind="staff_alert",
        to_staff_channel=True,
        text=(
            f"{mark + ' ' if mark else ''}New {kind.value.replace('_', ' ')} #{slip.id} for "
            f"{for_whom} from {slip.from_name}"
            f"{' (patient #' + str(slip.patient_id) + ')' if slip.patient_id else ' (not linked)'}"
            f", callback {callback_number or 'n/a'}:\n{reason}"
        ),
        meta={"slip_id": slip.id, "urgency": urgency.value},
        max_attempts=20 if urgency is not Urgency.ROUTINE else 6,
    )
    log.info("message.create id=%s kind=%s urgency=%s", slip.id, kind.value, urgency.value)
    return slip


def report_emergency(
    session: Session, actor: Actor, text: str, *, callback_number: str | None = None
) -> MessageSlip:
    """Alert the staff at once (urgency emergency, front desk). The caller tells the person to
    call the emergency number (practice.clinic_info(s).emergency_number) first."""
    return leave_message(
        session,
        actor,
        reason=text or "(no details given)",
        desk=Desk.FRONT_DESK,
        urgency=Urgency.EMERGENCY,
        kind=SlipKind.EMERGENCY,
        callback_number=callback_number,
    )


def _maybe_phone(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return normalize_phone(text)
    except InvalidPhone:
        return text[:32]


def list_open(
    session: Session,
    actor: Actor,
    *,
    desk: Desk | str | None = None,
    kind: SlipKind | str | None = None,
    provider_key: str | None = None,
    limit: int = 50,
) -> list[MessageSlip]:
    """Open and answered-but-not-closed slips, emergencies first, then urgent, then oldest;
    only one kind ("refill") or one provider's, when asked."""
    _require_staff(session, actor)
    query = select(MessageSlip).where(
        MessageSlip.status.in_([SlipStatus.OPEN, SlipStatus.ANSWERED])
    )
    if desk is not None:
        query = query.where(MessageSlip.desk == Desk(desk))
    if kind is not None:
        query = query.where(MessageSlip.kind == SlipKind(kind))
    if provider_key is not None:
        query = query.where(MessageSlip.provider_id == get_provider(session, provider_key).id)
    slips = list(
        session.scalars(
            query.order_by(
                case((MessageSlip.status == SlipStatus.OPEN, 0), else_=1),
                URGENCY_ORDER,
                MessageSlip.created_at,
                MessageSlip.id,
            ).limit(limit)
        )
    )
    audit.record(session, actor, "message.list", patient_id=None, count=len(slips))
    return slips


def count_open(session: Session, actor: Actor) -> int:
    """How many slips `list_open` would list with no filter (staff only)."""
    _require_staff(session, actor)
    return session.scalar(
        select(func.count())
        .select_from(MessageSlip)
        .where(MessageSlip.status.in_([SlipStatus.OPEN, SlipStatus.ANSWERED]))
    )


def get_slip(session: Session, actor: Actor, slip_id: int | str) -> MessageSlip:
    try:
        slip = session.get(MessageSlip, int(slip_id))
    except (TypeError, ValueError):
        slip = None
    if actor.is_patient:
        if slip is None or slip.patient_id != actor.id:
            raise NotFound("I couldn't find that message among yours.")
    else:
        _require_staff(session, actor)
        if slip is None:
            raise NotFound(f"There is no message #{slip_id}.")
    audit.record(
        session,
        actor,
        "message.read",
        patient_id=slip.patient_id,
        object_type="message_slip",
        object_id=slip.id,
    )
    return slip


def my_messages(session: Session, actor: Actor, limit: int = 10) -> list[MessageSlip]:
    if not actor.is_patient:
        raise NotLinked()
    slips = list(
        session.scalars(
            select(MessageSlip)
            .where(MessageSlip.patient_id == actor.id)
            .order_by(MessageSlip.created_at.desc())
            .limit(limit)
        )
    )
    audit.record(session, actor, "message.list", patient_id=actor.id, count=len(slips))
    return slips


def reply(
    session: Session, actor: Actor, slip_id: int | str, text: str, *, notify_sender: bool = True
) -> SlipReply:
    """Staff answer a slip; the sender gets the reply (patient or the guest's identity)."""
    staff = _require_staff(session, actor)
    slip = get_slip(session, actor, slip_id)
    if slip.status is SlipStatus.CLOSED:
        raise AlreadyClosed("That message is already closed.")
    body = _text(text, "reply")
    answer = SlipReply(
        slip_id=slip.id,
        author_kind=ActorKind.STAFF,
        staff_id=staff.id,
        text=body,
        at=clock.now(),
    )
    session.add(answer)
    slip.status = SlipStatus.ANSWERED
    if notify_sender and (slip.patient_id or slip.from_identity):
        recipient = (
            {"to_patient": slip.patient_id}
            if slip.patient_id
            else {"to_identity": slip.from_identity}
        )
        outbox.enqueue(
            session,
            kind="message_reply",
            text=f"Reply from {staff.name} about your message: {body}",
            meta={"slip_id": slip.id},
            **recipient,
        )
    audit.record(
        session,
        actor,
        "message.reply",
        patient_id=slip.patient_id,
        object_type="message_slip",
        object_id=slip.id,
    )
    session.flush()
    return answer


def close(session: Session, actor: Actor, slip_id: int | str) -> MessageSlip:
    staff = _require_staff(session, actor)
    slip = get_slip(session, actor, slip_id)
    if slip.status is SlipStatus.CLOSED:
        raise AlreadyClosed("That message is already closed.")
    slip.status = SlipStatus.CLOSED
    slip.closed_at = clock.now()
    slip.closed_by_id = staff.id
    audit.record(
        session,
        actor,
        "message.close",
        patient_id=slip.patient_id,
        object_type="message_slip",
        object_id=slip.id,
    )
    session.flush()
    return slip


def take(session: Session, actor: Actor, kind: str, item_id: int | str) -> str:
    """A staff member takes a slip or handoff ("I'll handle it"); returns a confirmation line.
    The staff channel is told so two people don't answer the same thing."""
    staff = _require_staff(session, actor)
    if kind == "handoff":
        thread = _thread(session, item_id)
        if thread.status is HandoffStatus.CLOSED:
            raise AlreadyClosed()
        thread.assigned_staff_id = staff.id
        line = f"{staff.name} is handling conversation #{thread.id}."
        meta = {"handoff_id": thread.id}
    elif kind == "slip":
        slip = get_slip(session, actor, item_id)
        if slip.status is SlipStatus.CLOSED:
            raise AlreadyClosed("That message is already closed.")
        line = f"{staff.name} is handling message #{slip.id}."
        meta = {"slip_id": slip.id}
    else:
        raise InvalidInput("I can take a 'slip' or a 'handoff'.")
    outbox.enqueue(session, kind="staff_note", to_staff_channel=True, text=line, meta=meta)
    return line


# --- handoff ---------------------------------------------------------------------------------


def _thread(session: Session, thread_id: int | str) -> HandoffThread:
    try:
        thread = session.get(HandoffThread, int(thread_id))
    except (TypeError, ValueError):
        thread = None
    if thread is None:
        raise NotFound(f"There is no conversation #{thread_id}.")
    return thread


def active_handoff_for(session: Session, identity: str) -> HandoffThread | None:
    return session.scalar(
        select(HandoffThread)
        .where(HandoffThread.identity == identity, HandoffThread.status == HandoffStatus.OPEN)
        .order_by(HandoffThread.id.desc())
    )


def open_handoff(
    session: Session, identity: str, *, patient_id: int | None = None, reason: str = ""
) -> HandoffThread:
    """Open (or return the already open) handoff for this identity and alert the staff."""
    identity = check_identity(identity)
    existing = active_handoff_for(session, identity)
    if existing is not None:
        return existing
    patient = session.get(Patient, patient_id) if patient_id else None
    thread = HandoffThread(
        identity=identity,
        patient_id=patient.id if patient else None,
        status=HandoffStatus.OPEN,
        reason=(reason or "").strip()[:MAX_TEXT],
        opened_at=clock.now(),
    )
    session.add(thread)
    session.flush()
    who = f"{patient.full_name} (patient #{patient.id})" if patient else f"{identity} (not linked)"
    outbox.enqueue(
        session,
        kind="handoff_open",
        to_staff_channel=True,
        text=(
            f"🙋 {who} asks to talk to a person (conversation #{thread.id})."
            + (f"\nThey said: {thread.reason}" if thread.reason else "")
            + "\nReply to this message to answer them."
        ),
        meta={"handoff_id": thread.id},
        max_attempts=20,
    )
    actor = Actor.patient(patient.id, identity) if patient else Actor.guest(identity)
    audit.record(
        session,
        actor,
        "handoff.open",
        patient_id=thread.patient_id,
        object_type="handoff",
        object_id=thread.id,
    )
    log.info("handoff.open id=%s", thread.id)
    return thread


def relay_patient_message(session: Session, identity: str, text: str) -> HandoffMessage:
    """A message from the person in an open handoff, relayed to the staff channel."""
    thread = active_handoff_for(session, identity)
    if thread is None:
        raise NoActiveHandoff()
    body = _text(text)
    message = HandoffMessage(
        thread_id=thread.id,
        author_kind=ActorKind.PATIENT if thread.patient_id else ActorKind.GUEST,
        text=body,
        at=clock.now(),
    )
    session.add(message)
    who = thread.patient.full_name if thread.patient else identity
    outbox.enqueue(
        session,
        kind="handoff_message",
        to_staff_channel=True,
        text=f"💬 #{thread.id} {who}: {body}",
        meta={"handoff_id": thread.id},
        max_attempts=20,
    )
    session.flush()
    return message


def staff_reply(session: Session, actor: Actor, thread_id: int | str, text: str) -> HandoffMessage:
    """A staff member answers in a handoff; the message goes to the person's identity."""
    staff = _require_staff(session, actor)
    thread = _thread(session, thread_id)
    if thread.status is HandoffStatus.CLOSED:
        raise AlreadyClosed()
    body = _text(text, "reply")
    message = HandoffMessage(
        thread_id=thread.id,
        author_kind=ActorKind.STAFF,
        staff_id=staff.id,
        text=body,
        at=clock.now(),
    )
    session.add(message)
    thread.assigned_staff_id = thread.assigned_staff_id or staff.id
    outbox.enqueue(
        session,
        kind="handoff_reply",
        to_identity=thread.identity,
        text=f"{staff.name}: {body}",
        meta={"handoff_id": thread.id},
        max_attempts=20,
    )
    audit.record(
        session,
        actor,
        "handoff.reply",
        patient_id=thread.patient_id,
        object_type="handoff",
        object_id=thread.id,
    )
    session.flush()
    return message


def close_handoff(session: Session, actor: Actor, thread_id: int | str) -> HandoffThread:
    """Close a handoff (staff, or the person themselves); the person is told the assistant
    is back."""
    thread = _thread(session, thread_id)
    if actor.is_staff:
        _require_staff(session, actor)
    elif actor.identity != thread.identity and not actor.is_system:
        raise NotFound(f"There is no conversation #{thread_id}.")
    if thread.status is HandoffStatus.CLOSED:
        raise AlreadyClosed()
    thread.status = HandoffStatus.CLOSED
    thread.closed_at = clock.now()
    thread.closed_by_kind = actor.kind
    if actor.is_staff:
        outbox.enqueue(
            session,
            kind="handoff_closed",
            to_identity=thread.identity,
            text="The staff member has closed this conversation. You're back with the "
            "assistant; ask me anything or say 'talk to a person' to reach the staff again.",
            meta={"handoff_id": thread.id},
        )
    else:
        outbox.enqueue(
            session,
            kind="handoff_closed",
            to_staff_channel=True,
            text=f"Conversation #{thread.id} was closed by the patient.",
            meta={"handoff_id": thread.id},
        )
    audit.record(
        session,
        actor,
        "handoff.close",
        patient_id=thread.patient_id,
        object_type="handoff",
        object_id=thread.id,
    )
    session.flush()
    return thread


def open_handoffs(session: Session, actor: Actor) -> list[HandoffThread]:
    _require_staff(session, actor)
    return list(
        session.scalars(
            select(HandoffThread)
            .where(HandoffThread.status == HandoffStatus.OPEN)
            .order_by(HandoffThread.opened_at)
        )
    )
