"""Fixtures for the bot tests: the fake Telegram server, and the real Rasa + action servers
(started once per test session: Rasa takes 20-50 s to load its model)."""

from __future__ import annotations

import pytest
from pytest_asyncio import is_async_test

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
def action_server():
    server = start_action_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rasa_server(action_server):
    server = start_rasa_server(action_server.url)
    yield server
    server.stop()
