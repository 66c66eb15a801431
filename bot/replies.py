"""What the assistant says, as typed values every channel can render.

Rasa's REST channel answers with a list of dicts; `from_rasa` turns them into `Reply` objects:

    {"text": "...", "buttons": [{"title": "Tue 9:00", "payload": "/inform{...}"}]}
    {"image": "https://..."}
    {"custom": {"document": {"kind": "ics", "appointment_id": 12}}}         # built by clinic
    {"custom": {"document": {"filename": "bill.pdf", "mime_type": "application/pdf",
                             "content_base64": "..."}}}                     # sent as is
    {"custom": {"request_contact": true, "text": "..."}}                    # account linking

Anything else under "custom" is kept in `Reply.custom` and ignored by channels that do not
understand it.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class DocumentRef:
    """A file to send: either inline bytes, or a reference the clinic builds (`kind` + ids)."""

    kind: str
    filename: str | None = None
    mime_type: str | None = None
    content: bytes | None = None
    ref: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    text: str = ""
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    document: DocumentRef | None = None
    request_contact: bool = False
    force_reply: bool = False  # ask the person to answer this very message (staff replies)
    custom: dict[str, Any] | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.text.strip() or self.buttons or self.image or self.document) and not (
            self.request_contact
        )


def _buttons(raw: Any) -> tuple[Button, ...]:
    buttons = []
    for item in raw or []:
        if not isinstance(item, dict):
            continue
        title = str(item.get("title") or "").strip()
        payload = str(item.get("payload") or title).strip()
        if title:
            buttons.append(Button(title, payload))
    return tuple(buttons)


def document_from_json(raw: dict[str, Any]) -> DocumentRef | None:
    """A document description from Rasa (custom.document) or the outbox (attachments)."""
    if not isinstance(raw, dict):
        return None
    if "content_base64" in raw:
        try:
            content = base64.b64decode(raw["content_base64"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            log.warning("event=bad_document_payload reason=base64")
            return None
        return DocumentRef(
            kind=str(raw.get("kind") or "file"),
            filename=str(raw.get("filename") or "document"),
            mime_type=raw.get("mime_type"),
            content=content,
        )
    kind = raw.get("kind")
    if not isinstance(kind, str) or not kind:
        return None
    ref = {k: v for k, v in raw.items() if k != "kind"}
    return DocumentRef(kind=kind, filename=raw.get("filename"), ref=ref)


def from_rasa(messages: list[dict[str, Any]]) -> list[Reply]:
    """Rasa REST channel messages -> replies (malformed entries are skipped, not fatal)."""
    replies: list[Reply] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        custom = message.get("custom") if isinstance(message.get("custom"), dict) else None
        text = str(message.get("text") or "")
        buttons = _buttons(message.get("buttons"))
        document = None
        request_contact = False
        if custom:
            text = text or str(custom.get("text") or "")
            buttons = buttons or _buttons(custom.get("buttons"))
            document = document_from_json(custom.get("document") or {})
            request_contact = bool(custom.get("request_contact"))
        reply = Reply(
            text=text,
            buttons=buttons,
            image=message.get("image") if isinstance(message.get("image"), str) else None,
            document=document,
            request_contact=request_contact,
            custom=custom,
        )
        if not reply.is_empty:
            replies.append(reply)
    return replies
