"""Who is talking: channel identities (`tg:<telegram user id>`, `web:<session id>`), linking
them to patients by phone + date of birth, registering new patients, and staff checks.

    who_is(session, identity) -> Caller            never raises for unknown identities
    link_identity(session, identity, phone, date_of_birth) -> Patient
    register_patient(session, *, first_name, last_name, date_of_birth, phone, ...) -> Patient
    is_staff(session, identity) -> bool
    require_patient(caller) / require_staff(caller) -> Actor   (raise NotLinked / NotStaff)
    normalize_phone(text) -> "+14135550123"                    (raise InvalidPhone)
    patient_details(session, actor) -> Patient                   the patient's own, audited

Identity comes from the channel, never from what someone types. Linking is rate limited:
at most LINK_MAX_FAILURES_PER_IDENTITY failed tries per identity and LINK_MAX_FAILURES_PER_PHONE
per phone number within LINK_WINDOW, so a date of birth cannot be guessed by brute force.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta

import phonenumbers
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from clinic import audit, clock
from clinic.audit import Actor
from clinic.errors import (
    AlreadyRegistered,
    InvalidInput,
    InvalidPhone,
    NotLinked,
    NotStaff,
    TooManyAttempts,
    VerificationFailed,
)
from clinic.models import (
    ChannelIdentity,
    HeldRequest,
    LinkAttempt,
    Patient,
    PendingLink,
    Staff,
)
from clinic.practice import find_insurer

log = logging.getLogger(__name__)

LINK_WINDOW = timedelta(hours=1)
LINK_MAX_FAILURES_PER_IDENTITY = 5
LINK_MAX_FAILURES_PER_PHONE = 10
IDENTITY_PREFIXES = ("tg:", "web:")


@dataclass(frozen=True)
class Caller:
    """The result of `who_is`: a linked patient, a staff member, both, or neither."""

    identity: str
    patient: Patient | None = None
    staff: Staff | None = None

    @property
    def is_patient(self) -> bool:
        return self.patient is not None

    @property
    def is_staff(self) -> bool:
        return self.staff is not None

    @property
    def patient_actor(self) -> Actor | None:
        return Actor.patient(self.patient.id, self.identity) if self.patient else None

    @property
    def staff_actor(self) -> Actor | None:
        return Actor.staff(self.staff.id, self.identity) if self.staff else None

    @property
    def actor(self) -> Actor:
        """Patient if linked, else guest. Staff powers are never implied: use staff_actor."""
        return self.patient_actor or Actor.guest(self.identity)


def check_identity(identity: str) -> str:
    identity = (identity or "").strip()
    if not identity.startswith(IDENTITY_PREFIXES) or len(identity) > 100 or identity[-1] == ":":
        raise InvalidInput(f"'{identity[:40]}' is not a channel identity (tg:<id> or web:<id>)")
    return identity


def telegram_user_id(identity: str) -> int | None:
    if identity.startswith("tg:") and identity[3:].lstrip("-").isdigit():
        return int(identity[3:])
    return None


def normalize_phone(text: str, region: str = "US") -> str:
    """E.164 form of a phone number typed any common way (US numbers need no +1)."""
    raw = (text or "").strip()
    if not raw or len(raw) > 40:
        raise InvalidPhone()
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone() from None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE:  # too short, too long, local only
        raise InvalidPhone()
    if not phonenumbers.is_valid_number(number):
        # the right length, but no such number ("555 123 4567": 555 is no area code)
        raise InvalidPhone(
            "That number doesn't seem to exist. Please check it, including the area code."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def who_is(session: Session, identity: str) -> Caller:
    """Who this channel identity is, from the store (staff by Telegram id, patient by link)."""
    identity = check_identity(identity)
    # Every action call asks this: one query for the link and its patient, not two.
    patient = session.scalar(
        select(Patient)
        .join(ChannelIdentity, ChannelIdentity.patient_id == Patient.id)
        .where(ChannelIdentity.identity == identity)
    )
    staff = None
    tg_id = telegram_user_id(identity)
    if tg_id is not None:
        staff = session.scalar(
            select(Staff).where(Staff.telegram_user_id == tg_id, Staff.active.is_(True))
        )
    return Caller(identity=identity, patient=patient, staff=staff)


def is_staff(session: Session, identity: str) -> bool:
    return who_is(session, identity).is_staff


def require_patient(caller: Caller) -> Actor:
    if caller.patient_actor is None:
        raise NotLinked()
    return caller.patient_actor


def require_staff(caller: Caller) -> Actor:
    if caller.staff_actor is None:
        raise NotStaff()
    return caller.staff_actor


def patient_details(session: Session, actor: Actor) -> Patient:
    """A patient's own record (name, date of birth, contact details, insurer), for "what do
    you have on file for me?"; the read is audited. Raises NotLinked for anyone else."""
    if not actor.is_patient:
        raise NotLinked()
    patient = session.get(Patient, actor.id)
    if patient is None:
        raise NotLinked()
    audit.record(session, actor, "patient.read_details", patient_id=patient.id)
    return patient


def staff_member(session: Session, actor: Actor) -> Staff:
    """The active staff row behind a staff actor; the role is re-checked on every call."""
    if not actor.is_staff or actor.id is None:
        raise NotStaff()
    staff = session.get(Staff, actor.id)
    if staff is None or not staff.active:
        raise NotStaff()
    return staff


def _recent_failures(session: Session, column, value: str) -> int:
    since = clock.now() - LINK_WINDOW
    return session.scalar(
        select(func.count())
        .select_from(LinkAttempt)
        .where(column == value, LinkAttempt.at >= since, LinkAttempt.succeeded.is_(False))
    )


def _attach(session: Session, identity: str, patient: Patient) -> None:
    link = session.scalar(select(ChannelIdentity).where(ChannelIdentity.identity == identity))
    now = clock.now()
    if link is None:
        link = ChannelIdentity(identity=identity, created_at=now)
        session.add(link)
    link.patient = patient
    link.linked_at = now


def link_identity(session: Session, identity: str, phone: str, date_of_birth: date) -> Patient:
    """Link `identity` to the patient with this phone and date of birth.

    Raises InvalidPhone, VerificationFailed (no such patient) or TooManyAttempts.
    On VerificationFailed this COMMITS the session first, so the counted failure survives the
    error (call it in a session of its own, as the actions do).
    """
    identity = check_identity(identity)
    e164 = normalize_phone(phone)
    if (
        _recent_failures(session, LinkAttempt.identity, identity) >= LINK_MAX_FAILURES_PER_IDENTITY
        or _recent_failures(session, LinkAttempt.phone, e164) >= LINK_MAX_FAILURES_PER_PHONE
    ):
        log.info("identity.link refused=rate_limited")
        raise TooManyAttempts()
    patient = session.scalar(
        select(Patient)
        .where(Patient.phone == e164, Patient.date_of_birth == date_of_birth)
        .order_by(Patient.id)
    )
    session.add(
        LinkAttempt(identity=identity, phone=e164, succeeded=patient is not None, at=clock.now())
    )
    if patient is None:
        # The failed try must survive the error we raise (the caller's scope rolls back on it),
        # or the rate limit would never trigger: commit it now.
        session.commit()
        log.info("identity.link result=no_match")
        raise VerificationFailed()
    _attach(session, identity, patient)
    audit.record(
        session,
        Actor.patient(patient.id, identity),
        "identity.link",
        patient_id=patient.id,
        object_type="channel_identity",
        identity=identity,
    )
    session.flush()
    log.info("identity.link result=linked patient_id=%s", patient.id)
    return patient


def unlink_identity(session: Session, identity: str) -> None:
    link = session.scalar(select(ChannelIdentity).where(ChannelIdentity.identity == identity))
    if link is not None and link.patient_id is not None:
        audit.record(
            session,
            Actor.patient(link.patient_id, identity),
            "identity.unlink",
            patient_id=link.patient_id,
            identity=identity,
        )
        link.patient_id = None
        link.linked_at = None


# Words no first or last name is: "book a checkup tomorrow" typed when asked for the name
_NOT_NAME_TEXT = """a an the i i'm im my me you your to for at on in is are am be and or please
    pls can could would want need like book booking appointment appt cancel reschedule checkup
    tomorrow today what when where how why yes no not it this that with of have has help hi hello"""
_NOT_NAME_WORDS = frozenset(_NOT_NAME_TEXT.split())
_NAME_WORD_RE = re.compile(r"[^\W\d_][^\W\d_'.-]*(?:['.-][^\W\d_]+)*\.?")


def looks_like_a_name(text: str) -> bool:
    """ "Mary-Anne O'Brien", "José de la Cruz": two to five name words, nothing else."""
    words = text.split()
    return (
        2 <= len(words) <= 5
        and len(text) <= 160
        and all(_NAME_WORD_RE.fullmatch(w) for w in words)
        and not any(w.lower().strip(".") in _NOT_NAME_WORDS for w in words)
    )


def single_name(text: str) -> str | None:
    """ "john" -> "John": one name word, as given when asked for a full name."""
    word = text.strip(" .!")
    if " " in word or not _NAME_WORD_RE.fullmatch(word) or word.lower() in _NOT_NAME_WORDS:
        return None
    return word[:1].upper() + word[1:]


def _clean_name(value: str, what: str) -> str:
    value = " ".join((value or "").split())
    if not value or len(value) > 80 or any(ch.isdigit() for ch in value):
        raise InvalidInput(f"Please tell me your {what} (letters only).")
    return value


def register_patient(
    session: Session,
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    phone: str,
    email: str | None = None,
    insurer: str | None = None,
    member_id: str | None = None,
    identity: str | None = None,
    actor: Actor | None = None,
) -> Patient:
    """Create a patient (and link `identity` to them, when given).

    `insurer` is a key, name or synonym of an insurer in the store. Raises InvalidInput,
    InvalidPhone or AlreadyRegistered (same phone + date of birth).
    """
    first = _clean_name(first_name, "first name")
    last = _clean_name(last_name, "last name")
    today = clock.local_now().date()
    if date_of_birth > today or date_of_birth.year < today.year - 120:
        raise InvalidInput("That date of birth doesn't look right. Please check it.")
    e164 = normalize_phone(phone)
    if email is not None and ("@" not in email or len(email) > 200):
        raise InvalidInput("That email address doesn't look right.")
    exists = session.scalar(
        select(Patient.id).where(Patient.phone == e164, Patient.date_of_birth == date_of_birth)
    )
    if exists:
        raise AlreadyRegistered()
    insurer_row = None
    if insurer:
        insurer_row = find_insurer(session, insurer)
        if insurer_row is None:
            raise InvalidInput(f"I don't know the insurer '{insurer}'.")
    if identity is not None:
        identity = check_identity(identity)
    patient = Patient(
        first_name=first,
        last_name=last,
        date_of_birth=date_of_birth,
        phone=e164,
        email=email,
        insurer=insurer_row,
        member_id=(member_id or None),
        created_at=clock.now(),
    )
    session.add(patient)
    session.flush()
    if identity is not None:
        _attach(session, identity, patient)
    who = actor or (Actor.patient(patient.id, identity) if identity else Actor.system())
    audit.record(session, who, "patient.register", patient_id=patient.id, object_type="patient")
    session.flush()
    log.info("patient.register patient_id=%s", patient.id)
    return patient


# ------------------------------------------------------------------ linking in progress

PENDING_LINK_TTL = timedelta(minutes=15)


@dataclass
class LinkProgress:
    """How far a chat has got in linking or registering (the bot's steps, bot/linking.py)."""

    step: str  # phone | dob | dob_choice | no_match | name
    phone: str | None = None
    date_of_birth: date | None = None


def pending_link(session: Session, identity: str) -> LinkProgress | None:
    """The identity's linking in progress, or None (also once it is over 15 minutes old:
    whoever comes back later starts again, and a stale phone number is not kept)."""
    row = session.get(PendingLink, identity)
    if row is None:
        return None
    if clock.now() - row.started_at > PENDING_LINK_TTL:
        session.delete(row)
        return None
    return LinkProgress(step=row.step, phone=row.phone, date_of_birth=row.date_of_birth)


def keep_pending_link(session: Session, identity: str, progress: LinkProgress) -> None:
    """Remember a step (the 15 minutes run from the first one)."""
    row = session.get(PendingLink, check_identity(identity))
    if row is None:
        # Abandoned ones go when anyone starts: a stranger's phone number is not kept for long.
        stale = clock.now() - PENDING_LINK_TTL
        session.execute(delete(PendingLink).where(PendingLink.started_at < stale))
        row = PendingLink(identity=identity, started_at=clock.now())
        session.add(row)
    row.step, row.phone, row.date_of_birth = progress.step, progress.phone, progress.date_of_birth


def drop_pending_link(session: Session, identity: str) -> None:
    session.execute(delete(PendingLink).where(PendingLink.identity == identity))


def hold_request(session: Session, identity: str, text: str) -> None:
    """Keep what a stranger asked that needs their record, to carry on with once they link
    (the latest one only)."""
    identity = check_identity(identity)
    # Old ones go whenever anyone asks: what a stranger typed is not kept longer than needed.
    stale = clock.now() - PENDING_LINK_TTL
    session.execute(delete(HeldRequest).where(HeldRequest.asked_at < stale))
    row = session.get(HeldRequest, identity)
    if row is None:
        row = HeldRequest(identity=identity)
        session.add(row)
    row.text, row.asked_at = text, clock.now()


def take_held_request(session: Session, identity: str) -> str | None:
    """The request held for the identity, if asked within the linking window; forgotten either
    way, so it is carried on with once."""
    row = session.get(HeldRequest, identity)
    if row is None:
        return None
    session.delete(row)
    session.flush()
    return row.text if clock.now() - row.asked_at <= PENDING_LINK_TTL else None
