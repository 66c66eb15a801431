"""Inline-button callback data: Telegram allows at most 64 bytes, and it comes back untrusted.

A payload that fits is sent inline as "p:<payload>" (so a button keeps working after a restart
or when another bot process receives the press; pressing it is exactly as powerful as typing
the payload). A longer payload is stored server-side under a random key, "k:<key>", bound to
the chat it was sent to: the same key pressed from another chat is refused. Staff-chat actions
use "s:<action>:<id>" and are re-checked against the store when pressed.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, MutableMapping
from typing import Any

MAX_CALLBACK_BYTES = 64
MAX_STORED = 20_000


class CallbackCodec:
    def __init__(self, store: Callable[[], MutableMapping[str, Any]]) -> None:
        # `store()` returns a mapping inside bot_data, which persistence loads at start-up and
        # saves, so stored keys survive a restart.
        self._get_store = store

    @property
    def _store(self) -> MutableMapping[str, Any]:
        return self._get_store()

    def encode(self, chat_id: int, payload: str) -> str:
        inline = f"p:{payload}"
        if len(inline.encode()) <= MAX_CALLBACK_BYTES:
            return inline
        key = f"k:{secrets.token_urlsafe(9)}"
        self._store[key] = (chat_id, payload, time.time())
        self._trim()
        return key

    def decode(self, chat_id: int | None, data: str | None) -> str | None:
        """The payload behind callback data, or None if unknown, expired or not this chat's."""
        if not data:
            return None
        if data.startswith("p:"):
            return data[2:] or None
        if data.startswith("k:"):
            entry = self._store.get(data)
            if entry is None or entry[0] != chat_id:
                return None
            return entry[1]
        return None

    def _trim(self) -> None:
        if len(self._store) <= MAX_STORED:
            return
        oldest = sorted(self._store.items(), key=lambda item: item[1][2])
        for key, _ in oldest[: len(self._store) - MAX_STORED]:
            del self._store[key]


def first_press(bot_data: MutableMapping[str, Any], chat_id: int, message_id: int) -> bool:
    """True the first time a keyboard under this message is pressed, False after that."""
    pressed = bot_data.setdefault("pressed", {})
    key = f"{chat_id}:{message_id}"
    if key in pressed:
        return False
    pressed[key] = time.time()
    if len(pressed) > MAX_STORED:
        for old in sorted(pressed, key=pressed.__getitem__)[: len(pressed) - MAX_STORED]:
            del pressed[old]
    return True
