"""Files the bot sends: a reply's document as (filename, mime type, bytes).

Inline documents (bytes already in the reply) are sent as they are. References
(`{"kind": "ics", "appointment_id": 12}`, `{"kind": "invoice_pdf", "invoice_id": 3}`) are
built by clinic/documents.py through the bridge, as the person asking (so a patient only ever
gets their own files) or as the system for outbox deliveries.
"""

from __future__ import annotations

import logging

from bot.clinic_bridge import ClinicBridge
from bot.replies import DocumentRef
from clinic.errors import DomainError

log = logging.getLogger(__name__)


async def build_document(
    clinic: ClinicBridge, sender: str | None, document: DocumentRef
) -> tuple[str, str, bytes] | None:
    if document.content is not None:
        return (
            document.filename or "document",
            document.mime_type or "application/octet-stream",
            document.content,
        )
    try:
        return await clinic.render_document(sender, document.kind, document.ref)
    except DomainError as error:
        log.info("event=document_refused kind=%s reason=%s", document.kind, type(error).__name__)
        return None
