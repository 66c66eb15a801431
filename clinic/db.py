"""Engines, sessions and schema upgrades for the store (SQLite by default, or PostgreSQL).

    from clinic.db import session_scope
    with session_scope() as session:          # commits on success, rolls back on any error
        appointment = scheduling.book(session, actor, ...)

SQLite is opened in WAL mode with foreign keys on and a busy timeout, and every transaction
starts with `BEGIN IMMEDIATE`: writers are serialised, so a check-then-insert (is this slot
still free?) cannot race with another process. Pure reads may use `session_scope(readonly=
True)` (a deferred BEGIN) so they never wait for a writer. PostgreSQL runs READ COMMITTED and
relies on its constraints (exclusion constraints for bookings, SKIP LOCKED for the outbox).
A pooled PostgreSQL connection is pinged before use only when it sat idle for a few seconds.

`upgrade(url)` brings a database to the newest schema (Alembic); `medsec db upgrade` calls it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from clinic.config import PROJECT_ROOT, get_settings

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_READONLY = "medsec_readonly"


def _prepare_sqlite(engine: Engine, *, file_backed: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module: we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if file_backed:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        readonly = connection.get_execution_options().get(_READONLY, False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def create_engine_for(url: str, **kwargs: Any) -> Engine:
    """An engine for `url` with the store's connection settings (see the module docstring)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        file_backed = database not in ("", ":memory:") and not database.startswith("file::memory")
        if file_backed:
            from pathlib import Path

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {})
        kwargs["connect_args"].setdefault("check_same_thread", False)
        kwargs["connect_args"].setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = create_engine(url, **kwargs)
        _prepare_sqlite(engine, file_backed=file_backed)
        return engine
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "medsec_idle_since"


def _ping_when_idle(engine: Engine) -> None:
    """Like `pool_pre_ping`, but only for a connection that sat unused in the pool for a few
    seconds: a connection handed back a moment ago is alive, and a ping per transaction is a
    round trip per transaction (10 % of a booking). A ping that fails makes the pool replace
    the connection before anyone uses it (DisconnectionError in a checkout listener)."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"stale pooled connection: {error}") from error


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for `url` (default: DATABASE_URL from the settings)."""
    url = url or get_settings().database_url
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = create_engine_for(url)
        return engine


def dispose_engines() -> None:
    """Close every cached engine (tests that switch DATABASE_URL call this)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def make_session(engine: Engine | None = None, *, readonly: bool = False) -> Session:
    """A new Session; objects stay readable after commit (expire_on_commit=False)."""
    engine = engine or get_engine()
    if readonly:
        engine = engine.execution_options(**{_READONLY: True})
    # Session(), not sessionmaker(...)(): a sessionmaker builds a class each time.
    return Session(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None, *, readonly: bool = False) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back if it raises."""
    session = make_session(engine, readonly=readonly)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def is_ours(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic `include_name` hook: compare only the clinic's own tables. The same database
    also holds Rasa's tracker store (`events`, nlu/tracker_store.py), which autogenerate would
    otherwise offer to drop."""
    from clinic.models import Base

    if type_ == "table":
        return name in Base.metadata.tables
    return True


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; escape it for URLs with encoded characters.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database at `url` (default: DATABASE_URL) to `revision` with Alembic."""
    from alembic import command

    command.upgrade(alembic_config(url or get_settings().database_url), revision)


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_engine_for(url or get_settings().database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
