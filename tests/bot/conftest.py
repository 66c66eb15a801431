"""Fixtures for the bot tests: the fake Telegram server, and the real Rasa + action servers
(started once per test session: Rasa takes 20-50 s to load its model) on a copy of the seeded
demo practice, with "now" frozen at DEMO_NOW for them."""

from __future__ import annotations

import shutil

import pytest
from pytest_asyncio import is_async_test
from sqlalchemy.engine import make_url

from clinic.db import create_engine_for
from tests.conftest import DEMO_NOW
from tests.fake_telegram import FakeTelegram
from tests.servers import start_action_server, start_rasa_server


def pytest_collection_modifyitems(items):
    # One event loop for the whole session: servers started by session fixtures live in it.
    marker = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if is_async_test(item) and "tests/bot/" in str(item.path):
            item.add_marker(marker, append=False)


@pytest.fixture
async def fake_telegram():
    async with FakeTelegram() as server:
        yield server


@pytest.fixture(scope="session")
def e2e_db_url(seeded_db_url, tmp_path_factory):
    """The seeded demo practice, copied once for the servers and the end-to-end tests (which
    therefore use distinct patients and slots)."""
    target = tmp_path_factory.mktemp("e2e") / "medsec.db"
    shutil.copy(make_url(seeded_db_url).database, target)
    return f"sqlite:///{target}"


@pytest.fixture
def e2e_engine(e2e_db_url, demo_now):
    engine = create_engine_for(e2e_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def action_server(e2e_db_url):
    server = start_action_server({"DATABASE_URL": e2e_db_url, "MEDSEC_NOW": DEMO_NOW})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rasa_server(action_server, e2e_db_url):
    server = start_rasa_server(
        action_server.url, env={"MEDSEC_NOW": DEMO_NOW, "DATABASE_URL": e2e_db_url}
    )
    yield server
    server.stop()
