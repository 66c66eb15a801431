"""References that tie a staff-chat message to what it is about: a visible tag on every alert
("Ref #H12" for a handoff thread, "Ref #S9" for a message slip), and staff action data
("s:take:H12", "s:reply:S9", "s:close:H12").

The tag is how a staff member's reply finds its thread: the replied-to message comes back with
its text, so no message-id mapping has to be stored (it survives restarts and a second bot
process). Tags and action data are untrusted input like any other: the staff desk re-checks in
the store that the sender is staff and the item is still open.
"""

from __future__ import annotations

import re
from typing import Any

REFERENCE = re.compile(r"Ref #([HS])(\d{1,12})\b")
KINDS = {"H": "handoff", "S": "slip"}
ACTIONS = (("🙋 Take", "take"), ("↩️ Reply", "reply"), ("✅ Close", "close"))


def reference_of(meta: dict[str, Any]) -> tuple[str, int] | None:
    if isinstance(meta.get("handoff_id"), int):
        return "H", meta["handoff_id"]
    if isinstance(meta.get("slip_id"), int):
        return "S", meta["slip_id"]
    return None


def tag_of(meta: dict[str, Any]) -> str | None:
    ref = reference_of(meta)
    return f"{ref[0]}{ref[1]}" if ref else None


def with_reference(text: str, meta: dict[str, Any]) -> str:
    tag = tag_of(meta)
    if tag is None:
        return text
    return f"{text}\n\nRef #{tag} · reply to this message to answer"


def parse_reference(text: str | None) -> tuple[str, int] | None:
    """("handoff", 12) or ("slip", 9) from a staff-chat message's text, else None."""
    match = REFERENCE.search(text or "")
    if match is None:
        return None
    return KINDS[match[1]], int(match[2])


def parse_action(data: str | None) -> tuple[str, str, int] | None:
    """("take" | "reply" | "close", "handoff" | "slip", id) from action data, else None."""
    match = re.fullmatch(r"s:(take|reply|close):([HS])(\d{1,12})", data or "")
    if match is None:
        return None
    return match[1], KINDS[match[2]], int(match[3])
