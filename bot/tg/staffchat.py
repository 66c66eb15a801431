"""The staff chat's Telegram keyboard: Take / Reply / Close under every alert that has a
reference (see bot/staff_refs.py)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.staff_refs import ACTIONS, tag_of, with_reference

__all__ = ["staff_actions_keyboard", "with_reference"]


def staff_actions_keyboard(meta: dict[str, Any]) -> InlineKeyboardMarkup | None:
    tag = tag_of(meta)
    if tag is None:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(title, callback_data=f"s:{action}:{tag}")
                for title, action in ACTIONS
            ]
        ]
    )
