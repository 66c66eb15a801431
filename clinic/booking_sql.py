"""The statements of one booking (clinic.scheduling.book): one read, one write.

A booking needs to know about the patient, the practice's version and who is busy at that
time, and must write the appointment, its status history, an audit entry and the outbox
messages. Round trips are most of what a booking costs (each one is a wait, a context switch
and a statement to parse and run on both sides), so:

    read(connection, params) -> BookingFacts
        ONE query: the patient (and insurer), whether they are already booked then, their
        upcoming visits, whether they are on the waitlist for the type, the practice's cache
        token, the bookings / room bookings / time off around that time (slots.BUSY), and on
        PostgreSQL the id the appointment will have (nextval), so the outbox messages, whose
        buttons name the appointment, can be written in the same statement as it.

    write(connection, appointment, event, audit, outbox) -> bool
        PostgreSQL: ONE statement, `INSERT .. ON CONFLICT DO NOTHING` of the appointment with
        the history, audit and outbox inserts as data-modifying CTEs that select from it: if
        the exclusion constraint refuses the appointment (someone took the time or the room a
        moment ago), nothing at all is written and it returns False. SQLite (no network, writers
        serialised by BEGIN IMMEDIATE): the same rows in four statements.

Every statement here is built once (building costs more than running) and takes its values
as parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, exc, func, insert, literal_column, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from clinic.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentEvent,
    AuditEntry,
    Insurer,
    OutboxMessage,
    Patient,
    PracticeVersion,
    WaitlistEntry,
    WaitlistStatus,
)
from clinic.slots import BUSY, literal_in

ACTIVE_WAITLIST = (WaitlistStatus.ACTIVE, WaitlistStatus.OFFERED)
APPOINTMENTS = Appointment.__table__
_A = APPOINTMENTS.c
_P = Patient.__table__.c
_I = Insurer.__table__.c
_W = WaitlistEntry.__table__.c
INSURER_PREFIX = "insurer__"


class next_appointment_id(FunctionElement):
    """The id the next appointment will get (PostgreSQL: nextval of its sequence); NULL on
    SQLite, which hands out the id on INSERT."""

    type = Integer()
    inherit_cache = True


@compiles(next_appointment_id)
def _no_next_id(_element: next_appointment_id, _compiler: Any, **_kw: Any) -> str:
    return "NULL"


@compiles(next_appointment_id, "postgresql")
def _nextval(_element: next_appointment_id, _compiler: Any, **_kw: Any) -> str:
    return "nextval(pg_get_serial_sequence('appointments', 'id'))"


_MINE_ACTIVE = (_A.patient_id == bindparam("patient_id"), literal_in(_A.status, ACTIVE_STATUSES))
_BUSY_ROWS = BUSY.subquery("busy")

# Uncorrelated scalar subqueries run once per query, however many busy rows come back.
READ = (
    select(
        *_P,
        *(column.label(INSURER_PREFIX + column.key) for column in _I),
        select(_A.id)
        .where(*_MINE_ACTIVE, _A.start_at < bindparam("end"), _A.end_at > bindparam("start"))
        .limit(1)
        .scalar_subquery()
        .label("clash"),
        select(func.count())
        .select_from(APPOINTMENTS)
        .where(*_MINE_ACTIVE, _A.start_at >= bindparam("now"))
        .scalar_subquery()
        .label("upcoming"),
        select(_W.id)
        .where(
            _W.patient_id == bindparam("patient_id"),
            _W.type_id == bindparam("type_id"),
            literal_in(_W.status, ACTIVE_WAITLIST),
        )
        .exists()
        .label("waiting"),
        select(PracticeVersion.token)
        .where(PracticeVersion.id == 1)
        .scalar_subquery()
        .label("practice_token"),
        select(next_appointment_id()).scalar_subquery().label("next_id"),
        *_BUSY_ROWS.c,
    )
    .select_from(Patient.__table__.outerjoin(Insurer.__table__).outerjoin(_BUSY_ROWS, true()))
    .where(_P.id == bindparam("patient_id"))
)


@dataclass(frozen=True)
class BookingFacts:
    patient: Any  # the first row: the patient's and insurer's columns, clash, upcoming...
    busy: list[tuple[int, int, float, float]]  # (slots code, resource id, start, end)

    @property
    def token(self) -> str | None:
        return self.patient.practice_token

    @property
    def next_id(self) -> int | None:
        return self.patient.next_id

    def patient_values(self) -> dict[str, Any]:
        return {column.key: self.patient._mapping[column] for column in _P}

    def insurer_values(self) -> dict[str, Any] | None:
        if self.patient.insurer_id is None:
            return None
        return {column.key: self.patient._mapping[INSURER_PREFIX + column.key] for column in _I}


def read(connection: Any, params: dict[str, Any]) -> BookingFacts | None:
    """READ with `params` (patient_id, type_id, start, end, now and slots' busy parameters);
    None if there is no such patient."""
    rows = connection.execute(READ, params).all()
    if not rows:
        return None
    return BookingFacts(
        patient=rows[0],
        busy=[
            (row.busy_code, row.busy_resource, row.busy_start, row.busy_end)
            for row in rows
            if row.busy_code is not None
        ],
    )


# --- writing -----------------------------------------------------------------------------------

_EVENTS = AppointmentEvent.__table__
_AUDIT = AuditEntry.__table__
_OUTBOX = OutboxMessage.__table__


def _columns(table: Any, keys: Sequence[str] | None = None) -> list[Any]:
    """The table's columns (all but the id, or those named)."""
    if keys is None:
        return [column for column in table.c if column.key != "id"]
    return [table.c[key] for key in keys]


def _params(columns: list[Any], prefix: str, linked: str | None = None, new: Any = None) -> list:
    """One bound parameter per column, typed like it; the `linked` column takes the new
    appointment's id instead."""
    return [
        new.c.id if column.key == linked else bindparam(prefix + column.key, type_=column.type)
        for column in columns
    ]


def _postgresql_write(message_keys: tuple[str, ...]) -> Any:
    new = (
        postgresql.insert(APPOINTMENTS)
        .values({column: bindparam("a_" + column.key, type_=column.type) for column in _A})
        .on_conflict_do_nothing()
        .returning(_A.id)
        .cte("new_appointment")
    )
    history = _columns(_EVENTS)
    event = (
        insert(_EVENTS)
        .from_select(
            history, select(*_params(history, "e_", "appointment_id", new)).select_from(new)
        )
        .cte("new_event")
    )
    logged = _columns(_AUDIT)
    entry = (
        insert(_AUDIT)
        .from_select(logged, select(*_params(logged, "u_", "object_id", new)).select_from(new))
        .cte("new_audit_entry")
    )
    # The messages travel as one JSON array read back as outbox rows: one parameter instead
    # of one per column and message (psycopg re-parses statements with more than 50).
    sent = _columns(_OUTBOX, message_keys)
    rows = (
        func.jsonb_populate_recordset(
            literal_column(f"NULL::{_OUTBOX.name}"), bindparam("messages", type_=JSONB)
        )
        .table_valued(*(column.key for column in sent))
        .alias("message")
    )
    messages = (
        insert(_OUTBOX)
        .from_select(
            sent,
            select(*(new.c.id if c.key == "appointment_id" else rows.c[c.key] for c in sent))
            .select_from(new)
            .join(rows, true()),
        )
        .cte("new_messages")
    )
    return select(new.c.id).add_cte(event, entry, messages)


def _json_ready(message: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in message.items()
    }


_postgresql_writes: dict[tuple[str, ...], Any] = {}
_INSERT_APPOINTMENT = insert(APPOINTMENTS).returning(_A.id)
_INSERT_EVENT = insert(_EVENTS)
_INSERT_AUDIT = insert(_AUDIT)
_INSERT_OUTBOX = insert(_OUTBOX)
OVERLAP_CONSTRAINTS = ("no_provider_overlap", "no_room_overlap")


def conflict(error: exc.IntegrityError) -> str | None:
    """The no-overlap guard that refused a write, if that is what `error` is."""
    message = str(error.orig)
    return next((name for name in OVERLAP_CONSTRAINTS if name in message), None)


def write(
    connection: Any,
    appointment: dict[str, Any],
    event: dict[str, Any],
    audit: dict[str, Any],
    outbox: Callable[[int], Sequence[dict[str, Any]]],
) -> tuple[int | None, str]:
    """Write a new appointment (its column values; with its "id" on PostgreSQL, from
    BookingFacts.next_id) with its history `event`, `audit` entry and `outbox(id)` messages.

    Returns (the appointment id, "") or, when a no-overlap guard refused it and nothing was
    written, (None, the guard's name or "" when the database does not say which)."""
    if connection.dialect.name == "postgresql":
        messages = outbox(appointment["id"])
        keys = tuple(messages[0])
        statement = _postgresql_writes.get(keys)
        if statement is None:
            statement = _postgresql_writes[keys] = _postgresql_write(keys)
        params = {"a_" + key: value for key, value in appointment.items()}
        params.update(("e_" + key, value) for key, value in event.items())
        params.update(("u_" + key, value) for key, value in audit.items())
        params["messages"] = [_json_ready(message) for message in messages]
        return connection.execute(statement, params).scalar(), ""
    try:
        new_id = connection.execute(_INSERT_APPOINTMENT, appointment).scalar_one()
    except exc.IntegrityError as error:
        # The writer lock is ours (BEGIN IMMEDIATE), so only a wrong check gets here; the
        # refusing trigger aborts this statement, not the transaction.
        refused = conflict(error)
        if refused is None:
            raise
        return None, refused
    connection.execute(_INSERT_EVENT, {**event, "appointment_id": new_id})
    connection.execute(_INSERT_AUDIT, {**audit, "object_id": new_id})
    connection.execute(_INSERT_OUTBOX, list(outbox(new_id)))
    return new_id, ""
