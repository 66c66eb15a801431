import pytest
from pytest_asyncio import is_async_test

from tests.fake_telegram import FakeTelegram


def pytest_collection_modifyitems(items):
    # One event loop for the session: the fake server and the tests must share it.
    marker = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if is_async_test(item) and "fake_telegram" in str(item.path):
            item.add_marker(marker, append=False)


@pytest.fixture
async def fake():
    async with FakeTelegram() as server:
        yield server
