"""Rasa's SQL tracker store, pointed at the same database as the clinic store.

Conversations survive a Rasa restart mid-form. Rasa 3.6 runs SQLAlchemy 1.4 with psycopg2,
so a `postgresql+psycopg://` URL (psycopg 3, what our app env uses) is rewritten for it.
Runs inside .venv-rasa: imports nothing from clinic/.

endpoints.yml:  tracker_store: {type: nlu.tracker_store.StoreDatabaseTrackerStore}
URL: TRACKER_DATABASE_URL if set, else DATABASE_URL, else the default SQLite file.
"""

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.pool import NullPool, QueuePool

DEFAULT_SQLITE = Path(__file__).resolve().parent.parent / "var" / "medsec.db"


def tracker_database_url(explicit: str | None = None) -> str:
    url = (
        explicit
        or os.environ.get("TRACKER_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or f"sqlite:///{DEFAULT_SQLITE}"
    )
    for driver in ("postgresql+psycopg://", "postgres://", "postgresql+asyncpg://"):
        if url.startswith(driver):
            url = "postgresql+psycopg2://" + url[len(driver) :]
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    return url


class StoreDatabaseTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Any = None,
        host: str | None = None,
        event_broker: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            domain=domain, host=tracker_database_url(host), event_broker=event_broker, **kwargs
        )
        if self.engine.dialect.name == "sqlite" and isinstance(self.engine.pool, NullPool):
            # SQLAlchemy 1.4 opens a new SQLite connection for every session of a file
            # database, two or three per turn (~5 % of Rasa's CPU per turn, measured with
            # py-spy). Keep a few open instead, as SQLAlchemy 2 does by default. The event loop
            # thread uses them; check_same_thread is off so the pool may hand them around.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(
                url,
                poolclass=QueuePool,
                pool_size=2,
                max_overflow=8,
                connect_args={"check_same_thread": False},
            )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
