"""Files a patient sends (a photo of the insurance card, a referral PDF): kept under
`var/documents/`, recorded with metadata, audited, and announced to the staff.

    store_document(s, actor, *, data, filename, content_type, kind="other", caption=None,
                   base_dir=None) -> PatientDocument
    documents_for(s, actor, patient_id=None) -> list[PatientDocument]

Accepted: JPEG, PNG, WebP, HEIC photos and PDF, up to 20 MB, checked by their first bytes (not
the name a client claims). Anything else raises UnsupportedDocument. The file is written
before the row; if the transaction then fails, an orphan file may remain (harmless, and
never a row without its file).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic import audit, clock, outbox
from clinic.audit import Actor
from clinic.config import PROJECT_ROOT
from clinic.errors import InvalidInput, NotLinked, UnsupportedDocument
from clinic.identity import staff_member
from clinic.models import ActorKind, Patient, PatientDocument

log = logging.getLogger(__name__)

DOCUMENTS_DIR = PROJECT_ROOT / "var" / "documents"
MAX_BYTES = 20 * 1024 * 1024
KINDS = ("insurance_card", "referral", "lab_result", "id", "other")
# Magic numbers: what the bytes are, whatever the file is called.
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


def sniff(data: bytes) -> tuple[str, str] | None:
    """(mime type, extension) from the first bytes, or None if not an accepted kind."""
    for magic, mime, ext in SIGNATURES:
        if data.startswith(magic):
            return mime, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"heif"):
        return "image/heic", ".heic"
    return None


def store_document(
    session: Session,
    actor: Actor,
    *,
    data: bytes,
    filename: str,
    content_type: str | None = None,
    kind: str = "other",
    caption: str | None = None,
    base_dir: Path | None = None,
) -> PatientDocument:
    if actor.kind not in (ActorKind.PATIENT, ActorKind.GUEST) or not actor.identity:
        raise NotLinked("Please send documents from your own chat.")
    if kind not in KINDS:
        raise InvalidInput(f"Unknown document kind '{kind}'.")
    if not data or len(data) > MAX_BYTES:
        raise UnsupportedDocument()
    sniffed = sniff(data)
    if sniffed is None:
        raise UnsupportedDocument()
    mime, ext = sniffed
    patient = session.get(Patient, actor.id) if actor.is_patient else None
    now = clock.now()
    folder = (base_dir or DOCUMENTS_DIR) / f"{now:%Y}" / f"{now:%m}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{ext}"
    path.write_bytes(data)
    safe_name = Path(filename or f"document{ext}").name[:200] or f"document{ext}"
    document = PatientDocument(
        patient_id=patient.id if patient else None,
        identity=actor.identity,
        kind=kind,
        filename=safe_name,
        content_type=mime,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        path=str(path),
        caption=(caption or "").strip()[:1000] or None,
        received_at=now,
    )
    session.add(document)
    session.flush()
    who = f"{patient.full_name} (patient #{patient.id})" if patient else f"{actor.identity}"
    outbox.enqueue(
        session,
        kind="staff_alert",
        to_staff_channel=True,
        text=f"📎 {who} sent a document ({kind.replace('_', ' ')}, {safe_name}, "
        f"{len(data) // 1024} KB). Stored as document #{document.id}.",
        meta={"document_id": document.id},
    )
    audit.record(
        session,
        actor,
        "document.receive",
        patient_id=document.patient_id,
        object_type="patient_document",
        object_id=document.id,
        kind=kind,
    )
    log.info("document.receive id=%s kind=%s bytes=%d", document.id, kind, len(data))
    return document


def documents_for(
    session: Session, actor: Actor, patient_id: int | None = None
) -> list[PatientDocument]:
    if actor.is_patient:
        patient_id = actor.id
    elif actor.is_staff:
        staff_member(session, actor)
    else:
        raise NotLinked()
    documents = list(
        session.scalars(
            select(PatientDocument)
            .where(PatientDocument.patient_id == patient_id)
            .order_by(PatientDocument.received_at.desc())
        )
    )
    audit.record(session, actor, "document.list", patient_id=patient_id, count=len(documents))
    return documents
