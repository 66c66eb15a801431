"""Telegram Bot API objects as the real server sends them (plain JSON dicts), and the small
typed handles tests hold on to: a fake user, a file the fake stores, a message the bot sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


def utf16_length(text: str) -> int:
    """Telegram measures text in UTF-16 code units (an emoji can count 2)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class FakeUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False
    language_code: str | None = "en"

    def to_json(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def private_chat(self) -> JSON:
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass
class FakeFile:
    """A file uploaded by the bot or offered by a user; downloadable via getFile."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class SentMessage:
    """A message the bot sent. `message` is the live JSON: edits change it in place."""

    chat_id: int
    message_id: int
    method: str
    message: JSON
    document: FakeFile | None = None
    history: list[JSON] = field(default_factory=list)
    params: JSON = field(default_factory=dict)

    @property
    def text(self) -> str | None:
        return self.message.get("text", self.message.get("caption"))

    @property
    def reply_markup(self) -> JSON | None:
        return self.message.get("reply_markup")

    @property
    def inline_buttons(self) -> list[tuple[str, str]]:
        """(text, callback_data) of every inline button, row by row."""
        markup = self.reply_markup or {}
        return [
            (button["text"], button.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]

    @property
    def keyboard(self) -> list[JSON]:
        """The reply-keyboard buttons (sent as params; Telegram does not echo them back)."""
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("keyboard", []) for button in row]

    def button_data(self, text_part: str) -> str:
        """callback_data of the first inline button whose text contains `text_part`."""
        for text, data in self.inline_buttons:
            if text_part.lower() in text.lower():
                return data
        raise AssertionError(f"no button like {text_part!r} in {self.inline_buttons}")


def now_ts() -> int:
    return int(time.time())
