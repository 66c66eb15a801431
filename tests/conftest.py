"""Store fixtures shared by every test area.

    frozen_now(iso=DEMO_NOW)   freeze MEDSEC_NOW (and clear the settings cache); a function
    db_url / db_engine         a fresh, migrated SQLite file per test (copied from a template)
    db_session                 a Session on it (empty schema)
    clinic_session             a Session on a fresh database with clinic/demo_clinic.yml loaded
    seeded_db_url              session-scoped SQLite file with `seed_demo(now=DEMO_NOW)`;
                               point DATABASE_URL at it for end-to-end tests, and set MEDSEC_NOW
                               to clinic.seed.DEMO_NOW so "now" matches the seeded month
    seeded_session             a Session on a private copy of it (change it freely)
    pg_url / pg_engine         PostgreSQL from TEST_DATABASE_URL in a schema of its own,
                               migrated once and emptied before each test (skip if unset)
    store_engine               parametrised: the same test on SQLite and on PostgreSQL;
                               the demo clinic is loaded

Tests that only need "now" frozen can use `frozen_now` directly; the clinic fixtures freeze it
at DEMO_NOW (Monday 2027-03-01 09:00 America/New_York) unless the test already did.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from clinic.config import PROJECT_ROOT, get_settings
from clinic.db import create_engine_for, make_session, upgrade
from clinic.models import Base
from clinic.seed import DEMO_NOW as SEED_DEMO_NOW

DEMO_CLINIC_FILE = PROJECT_ROOT / "clinic" / "demo_clinic.yml"
DEMO_NOW = SEED_DEMO_NOW.isoformat()  # "2027-03-01T09:00:00-05:00", a Monday


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Call it with an ISO 8601 moment to freeze clinic.clock.now() there for this test."""

    def freeze(iso: str = DEMO_NOW) -> None:
        monkeypatch.setenv("MEDSEC_NOW", iso)
        get_settings.cache_clear()

    yield freeze
    get_settings.cache_clear()


@pytest.fixture
def demo_now(frozen_now: Callable[[str], None]) -> str:
    if not os.environ.get("MEDSEC_NOW"):
        frozen_now(DEMO_NOW)
    return os.environ["MEDSEC_NOW"]


def _load_demo_clinic(engine: Engine) -> None:
    from clinic.db import session_scope
    from clinic.practice import load_clinic_file

    with session_scope(engine) as session:
        load_clinic_file(session, DEMO_CLINIC_FILE)


@pytest.fixture(scope="session")
def _sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Migrate once; every test copies the file (much faster than migrating each time)."""
    folder = tmp_path_factory.mktemp("sqlite-templates")
    empty = folder / "empty.db"
    upgrade(sqlite_url(empty))
    clinic = folder / "clinic.db"
    shutil.copy(empty, clinic)
    engine = create_engine_for(sqlite_url(clinic))
    _load_demo_clinic(engine)
    engine.dispose()  # the last connection closing folds the WAL back into the file
    assert not Path(f"{clinic}-wal").exists()
    return {"empty": empty, "clinic": clinic}


def _copy_db(template: Path, target: Path) -> str:
    shutil.copy(template, target)
    return sqlite_url(target)


@pytest.fixture
def db_url(tmp_path: Path, _sqlite_templates: dict[str, Path]) -> str:
    return _copy_db(_sqlite_templates["empty"], tmp_path / "medsec.db")


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = create_engine_for(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(db_engine: Engine) -> Iterator[Session]:
    session = make_session(db_engine)
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def clinic_db_url(tmp_path: Path, _sqlite_templates: dict[str, Path], demo_now: str) -> str:
    return _copy_db(_sqlite_templates["clinic"], tmp_path / "medsec.db")


@pytest.fixture
def clinic_engine(clinic_db_url: str) -> Iterator[Engine]:
    engine = create_engine_for(clinic_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clinic_session(clinic_engine: Engine) -> Iterator[Session]:
    session = make_session(clinic_engine)
    yield session
    session.rollback()
    session.close()


@pytest.fixture(scope="session")
def seeded_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A demo practice seeded around DEMO_NOW, shared by the whole test session (read it, or
    copy it with `shutil.copy` before changing it)."""
    from clinic.db import session_scope
    from clinic.seed import seed_demo

    path = tmp_path_factory.mktemp("seeded") / "medsec.db"
    url = sqlite_url(path)
    upgrade(url)
    engine = create_engine_for(url)
    with session_scope(engine) as session:
        seed_demo(session, now=SEED_DEMO_NOW, progress=False)
    engine.dispose()
    return url


@pytest.fixture
def seeded_session(seeded_db_url: str, tmp_path: Path, demo_now: str) -> Iterator[Session]:
    """A Session on a private copy of the seeded demo database, with now = DEMO_NOW."""
    source = Path(make_url(seeded_db_url).database)
    engine = create_engine_for(_copy_db(source, tmp_path / "seeded.db"))
    session = make_session(engine)
    yield session
    session.rollback()
    session.close()
    engine.dispose()


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """TEST_DATABASE_URL, migrated into a fresh schema of this test session (dropped after)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set (PostgreSQL tests skipped)")
    schema = f"medsec_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine_for(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema},public"})
    rendered = url.render_as_string(hide_password=False)
    try:
        upgrade(rendered)
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def _pg_engine_shared(pg_url: str) -> Iterator[Engine]:
    engine = create_engine_for(pg_url, pool_size=5, max_overflow=60)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(_pg_engine_shared: Engine) -> Engine:
    """The PostgreSQL test schema, emptied (tables truncated) for this test."""
    truncate_all(_pg_engine_shared)
    return _pg_engine_shared


# Tables the demo clinic file fills; everything else is emptied between tests.
REFERENCE_TABLES = {
    "clinic_settings",
    "opening_hours",
    "closures",
    "insurers",
    "rooms",
    "providers",
    "provider_hours",
    "appointment_types",
    "appointment_type_providers",
    "appointment_type_rooms",
}


def _reference_fingerprint(engine: Engine) -> tuple:
    with engine.connect() as connection:
        return tuple(
            connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in sorted(REFERENCE_TABLES)
        ) + (connection.execute(text("SELECT updated_at FROM clinic_settings")).scalar(),)


@pytest.fixture(scope="session")
def _pg_clinic(_pg_engine_shared: Engine) -> tuple[Engine, tuple]:
    truncate_all(_pg_engine_shared)
    _load_demo_clinic(_pg_engine_shared)
    return _pg_engine_shared, _reference_fingerprint(_pg_engine_shared)


def _pg_with_clinic(pg: tuple[Engine, tuple]) -> Engine:
    """Empty the patient-side tables (fast DELETEs); reload everything only if a test changed
    the practice itself."""
    engine, fingerprint = pg
    mutable = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with engine.begin() as connection:
        for table in mutable:
            connection.execute(table.delete())
    if _reference_fingerprint(engine) != fingerprint:
        truncate_all(engine)
        _load_demo_clinic(engine)
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_engine(request: pytest.FixtureRequest, demo_now: str) -> Iterator[Engine]:
    """The same test on both backends, with the demo clinic loaded."""
    if request.param == "sqlite":
        url = request.getfixturevalue("clinic_db_url")
        engine = create_engine_for(url)
        yield engine
        engine.dispose()
        return
    yield _pg_with_clinic(request.getfixturevalue("_pg_clinic"))


@pytest.fixture
def store(store_engine: Engine) -> Iterator[Session]:
    """A Session on `store_engine` (both backends)."""
    session = make_session(store_engine)
    yield session
    session.rollback()
    session.close()
