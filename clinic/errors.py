"""Domain errors: every refusal the clinic core can give, each with a message fit for a patient.

All of them subclass `DomainError`; `str(err)` and `err.user_message` are the same short,
plain sentence that an action or the bot can show as is. Extra context travels as attributes
(e.g. `SlotTaken.alternatives`), never inside a stack trace. Nothing in a message names another
patient or a health detail.

Callers catch `DomainError` to say the message, or a specific subclass to offer something more
(SlotTaken -> offer `alternatives`; NotLinked -> offer account linking).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clinic.slots import Slot


class DomainError(Exception):
    """A request the clinic cannot fulfil; the message is safe to show to the person asking."""

    default_message = "Sorry, I couldn't do that."

    def __init__(self, message: str | None = None) -> None:
        self.user_message = message or self.default_message
        super().__init__(self.user_message)

    def __str__(self) -> str:
        return self.user_message


# --- who is asking -------------------------------------------------------------------------


class NotLinked(DomainError):
    default_message = (
        "I don't know which patient you are yet. Share your phone number and confirm your "
        "date of birth to link your account, or register as a new patient."
    )


class NotStaff(DomainError):
    default_message = "Sorry, that is only available to the practice's staff."


class NotYourAppointment(DomainError):
    default_message = "I couldn't find that appointment among yours."


class NotYourRecord(DomainError):
    default_message = "I couldn't find that among your records."


class VerificationFailed(DomainError):
    default_message = (
        "That phone number and date of birth don't match our records. Please check them and "
        "try again, or call the front desk."
    )


class TooManyAttempts(DomainError):
    default_message = (
        "Too many attempts to link an account. For your security please wait an hour or call "
        "the front desk."
    )


class InvalidPhone(DomainError):
    default_message = "That doesn't look like a phone number. Please include the area code."


class InvalidInput(DomainError):
    """A value is malformed (empty name, future date of birth, text far too long, ...)."""

    default_message = "Sorry, I couldn't understand that."


class AlreadyRegistered(DomainError):
    default_message = (
        "A patient with that phone number and date of birth is already registered. "
        "Link your account instead."
    )


# --- what is asked for ---------------------------------------------------------------------


class UnknownProvider(DomainError):
    def __init__(self, provider: str | None = None, known: Sequence[str] = ()) -> None:
        self.provider = provider
        self.known = list(known)
        names = ", ".join(self.known)
        message = (
            f"I don't know a provider called '{provider}'." if provider else "Unknown provider."
        )
        if names:
            message += f" Our providers are: {names}."
        super().__init__(message)


class UnknownAppointmentType(DomainError):
    def __init__(self, type_key: str | None = None, known: Sequence[str] = ()) -> None:
        self.type_key = type_key
        self.known = list(known)
        message = (
            f"I don't know the visit type '{type_key}'." if type_key else "Unknown visit type."
        )
        if self.known:
            message += f" We offer: {', '.join(self.known)}."
        super().__init__(message)


class ProviderDoesNotOffer(DomainError):
    def __init__(self, provider_name: str, type_name: str, offered_by: Sequence[str]) -> None:
        self.offered_by = list(offered_by)
        message = f"{provider_name} doesn't offer {type_name.lower()} visits."
        if self.offered_by:
            message += f" You can book it with {', '.join(self.offered_by)}."
        super().__init__(message)


class UnknownRoom(DomainError):
    default_message = "I don't know that room."


class NotFound(DomainError):
    default_message = "I couldn't find that."


# --- when ----------------------------------------------------------------------------------


class PastTime(DomainError):
    default_message = "That time has already passed. Please pick a time in the future."


class TooSoon(DomainError):
    """Inside the appointment type's minimum notice."""

    default_message = "That is too soon to book; please pick a later time."


class TooFarAhead(DomainError):
    default_message = "That is too far ahead; we can't book that far out yet."


class OutsideHours(DomainError):
    default_message = "That time is outside the provider's working hours."


class ClinicClosed(DomainError):
    default_message = "The practice is closed that day."


class InvalidTimeRange(DomainError):
    default_message = "That time range doesn't make sense (the end is before the start)."


class SlotTaken(DomainError):
    """The slot is no longer free; `alternatives` are the nearest free slots, earliest first."""

    def __init__(self, alternatives: Sequence[Slot] = (), message: str | None = None) -> None:
        self.alternatives = list(alternatives)
        super().__init__(
            message
            or (
                "Sorry, that time was just taken."
                + (" Here are the nearest free times." if self.alternatives else "")
            )
        )


class PatientAlreadyBooked(DomainError):
    default_message = "You already have an appointment at that time."


class TooManyAppointments(DomainError):
    default_message = (
        "You already have several upcoming appointments. Please call the front desk to book more."
    )


class RoomTaken(DomainError):
    default_message = "That room is already booked at that time."


# --- state ---------------------------------------------------------------------------------


class AlreadyCancelled(DomainError):
    default_message = "That appointment is already cancelled."


class AppointmentNotActive(DomainError):
    """Completed, no-show or otherwise not changeable."""

    default_message = "That appointment can no longer be changed."


class AlreadyClosed(DomainError):
    default_message = "That conversation is already closed."


class NoActiveHandoff(DomainError):
    default_message = "There is no open conversation with the staff."


class UnsupportedDocument(DomainError):
    default_message = "I can only accept photos (JPEG, PNG) and PDF files up to 20 MB."
