"""A fake Telegram Bot API server for tests (see server.py)."""

from tests.fake_telegram.objects import FakeFile, FakeUser, SentMessage
from tests.fake_telegram.server import ApiCall, FakeTelegram

__all__ = ["ApiCall", "FakeFile", "FakeTelegram", "FakeUser", "SentMessage"]
