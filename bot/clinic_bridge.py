"""The bot's only door into the store: async wrappers around clinic/ services.

Each call runs one clinic service in one transaction (`clinic.db.session_scope`) on a worker
thread, so the event loop never waits on the database, and returns plain values (never ORM
objects, which would be detached outside their session). The bot builds no queries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clinic import identity as identity_service
from clinic import outbox
from clinic.db import session_scope
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

    # -------------------------------------------------------------- outbox

    async def claim_due(self, worker_id: str, limit: int = 20) -> list[Delivery]:
        return await self.run(lambda s: outbox.claim_due(s, worker_id, limit=limit))

    async def mark_sent(self, delivery_id: int, worker_id: str) -> bool:
        return await self.run(lambda s: outbox.mark_sent(s, delivery_id, worker_id))

    async def mark_failed(
        self, delivery_id: int, error: str, worker_id: str, *, permanent: bool = False
    ) -> bool:
        return await self.run(
            lambda s: outbox.mark_failed(s, delivery_id, error, worker_id, permanent=permanent)
        )

    async def release(self, worker_id: str) -> int:
        return await self.run(lambda s: outbox.release(s, worker_id))

    @staticmethod
    def normalize_phone(text: str) -> str:
        return identity_service.normalize_phone(text)


def plain(row: Any, *fields: str) -> dict[str, Any]:
    return {name: getattr(row, name) for name in fields}
