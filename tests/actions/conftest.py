"""Action tests: real actions and form validators, called with built rasa_sdk Trackers and a
CollectingDispatcher, against a fresh copy of the seeded demo store (clinic.seed, "now" frozen
at DEMO_NOW: Monday 2027-03-01 09:00 New York).

Demo identities (clinic/seed.py): tg:1001 Maria Lopez (patient), web:demo-aisha Aisha Khan
(patient), tg:2001 Rita Alvarez (front desk staff); anything else is a stranger.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from clinic.config import get_settings
from clinic.db import dispose_engines, make_session
from clinic.seed import DEMO_NOW


@pytest.fixture
def store_url(seeded_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    target = tmp_path / "medsec.db"
    shutil.copy(seeded_db_url.removeprefix("sqlite:///"), target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MEDSEC_NOW", DEMO_NOW.isoformat())
    get_settings.cache_clear()
    yield url
    dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def db(store_url: str) -> Iterator[Session]:
    """A read-only session on the store the actions use, to check what they did. Call
    `db.rollback()` before reading again after an action ran (a read sees one snapshot); write
    with `clinic.db.session_scope()` (a writer holds SQLite's lock until it commits)."""
    session = make_session(readonly=True)
    yield session
    session.rollback()
    session.close()
