"""The local web chat: without a Telegram token, `make run` serves a chat page on
127.0.0.1:WEBCHAT_PORT that talks to the same gateway as Telegram (sender `web:<session id>`).

It is a local demo tool, bound to loopback only. A browser session (an HttpOnly cookie) is
one identity. The page lets a person play a patient (link with the phone and date of birth of
a demo patient, or register) or, explicitly, one of the practice's staff members: a staff
session talks as that staff member's Telegram identity (the store knows staff by Telegram id),
sees the staff chat (alerts, handoffs) and can take, answer and close conversations.

Outbox rows for web identities and for the staff channel are delivered into per-session
mailboxes that the page polls; rows for Telegram-only recipients are left for the Telegram bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot import heartbeat
from bot.clinic_bridge import ClinicBridge
from bot.documents import build_document
from bot.gateway import Gateway
from bot.replies import Reply, document_from_json
from bot.staff_desk import StaffDesk
from bot.texts import SORRY
from clinic.models import RecipientKind
from clinic.outbox import Delivery

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
COOKIE = "medsec_session"
STAFF_CHANNEL = "staff-channel"
MAX_UPLOAD = 20 * 1024 * 1024
COMMANDS = {
    "start",
    "help",
    "appointments",
    "cancel",
    "human",
    "done",
    "today",
    "schedule",
    "inbox",
}


@dataclass
class WebSession:
    id: str
    sender: str
    staff_name: str | None = None
    last_seen: float = field(default_factory=time.monotonic)


class WebChat:
    def __init__(
        self,
        gateway: Gateway,
        clinic: ClinicBridge,
        desk: StaffDesk,
        *,
        outbox_interval: float = 2.0,
    ) -> None:
        self.gateway = gateway
        self.clinic = clinic
        self.desk = desk
        self.outbox_interval = outbox_interval
        self.worker_id = f"webchat:{secrets.token_hex(4)}"
        self.sessions: dict[str, WebSession] = {}
        # token -> (filename, mime, bytes, mailboxes allowed to fetch it)
        self.files: dict[str, tuple[str, str, bytes, frozenset[str]]] = {}
        # identity (web:… / tg:…) or STAFF_CHANNEL -> pushed messages
        self.mailboxes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._new_mail = asyncio.Event()
        self._closing = False
        self._tasks: list[asyncio.Task] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    # ----------------------------------------------------------------- app

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_UPLOAD + 1024 * 1024, middlewares=[self._errors_as_replies]
        )
        app.router.add_get("/", self.index)
        app.router.add_static("/static", STATIC)
        app.router.add_get("/api/state", self.state)
        app.router.add_post("/api/send", self.send)
        app.router.add_post("/api/upload", self.upload)
        app.router.add_post("/api/role", self.role)
        app.router.add_get("/api/updates", self.updates)
        app.router.add_get("/api/files/{token}", self.file)
        app.router.add_get("/health", self.health)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 8080) -> str:
        self.runner = web.AppRunner(self.app(), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{host}:{bound}"
        self._tasks = [
            asyncio.create_task(self._outbox_loop()),
            asyncio.create_task(self._heartbeat_loop()),
        ]
        log.info("event=webchat_started url=%s", self.url)
        return self.url

    async def stop(self) -> None:
        self._closing = True
        self._wake_pollers()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self.clinic.release(self.worker_id)
        if self.runner is not None:
            await self.runner.cleanup()
        await self.gateway.close()

    @web.middleware
    async def _errors_as_replies(self, request: web.Request, handler) -> web.StreamResponse:
        """Like the Telegram error handler: one log line, and a sentence the page can show."""
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception as error:
            log.error("event=webchat_error path=%s kind=%s", request.path, type(error).__name__,
                      exc_info=error)  # fmt: skip
            if not request.path.startswith("/api/"):
                raise
            return web.json_response({"replies": [{"text": SORRY}]}, status=500)

    # ----------------------------------------------------------------- sessions

    def _session(self, request: web.Request) -> WebSession:
        session_id = request.cookies.get(COOKIE, "")
        session = self.sessions.get(session_id)
        if session is None:
            session_id = secrets.token_urlsafe(16)
            session = WebSession(id=session_id, sender=f"web:{session_id}")
            self.sessions[session_id] = session
        session.last_seen = time.monotonic()
        return session

    def _json(self, session: WebSession, body: Any) -> web.Response:
        response = web.json_response(body)
        response.set_cookie(COOKIE, session.id, httponly=True, samesite="Strict")
        return response

    # ----------------------------------------------------------------- handlers

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def state(self, request: web.Request) -> web.Response:
        session = self._session(request)
        who = await self.clinic.who_is(session.sender)
        return self._json(
            session,
            {
                "role": "staff" if session.staff_name else "patient",
                "who": who.kind,
                "name": who.staff_name or who.patient_first_name,
            },
        )

    async def role(self, request: web.Request) -> web.Response:
        """Play a patient (a fresh identity) or a staff member, named by their Telegram id
        (how the store knows staff); the id is checked against the store."""
        session = self._session(request)
        body = await _json_body(request)
        if body.get("role") == "staff":
            telegram_id = _int(body.get("telegram_id"))
            who = await self.clinic.who_is(f"tg:{telegram_id}") if telegram_id else None
            if who is None or not who.is_staff:
                return self._json(session, {"error": "No staff member has that Telegram id."})
            session.sender, session.staff_name = who.identity, who.staff_name
        else:
            session.sender, session.staff_name = f"web:{secrets.token_urlsafe(16)}", None
        return self._json(session, {"ok": True})

    async def send(self, request: web.Request) -> web.Response:
        session = self._session(request)
        body = await _json_body(request)
        payload, text = body.get("payload"), body.get("text")
        reply_to = body.get("reply_to")
        if isinstance(payload, str) and payload:
            replies = await self._button(session, payload)
        elif isinstance(text, str):
            replies = await self._text(
                session, text, reply_to if isinstance(reply_to, str) else None
            )
        else:
            return self._json(session, {"error": 'Send {"text": …} or {"payload": …}.'})
        return self._json(session, {"replies": await self._render(session, replies)})

    async def upload(self, request: web.Request) -> web.Response:
        session = self._session(request)
        try:
            form = await request.post()
        except ValueError:
            return self._json(session, {"error": "That upload was not readable."})
        item = form.get("file")
        if not isinstance(item, web.FileField):
            return self._json(session, {"error": "Choose a photo or PDF to send."})
        content = item.file.read(MAX_UPLOAD + 1)
        if len(content) > MAX_UPLOAD:
            return self._json(
                session,
                {
                    "replies": await self._render(
                        session, [Reply("That file is too big for me (20 MB at most).")]
                    )
                },
            )
        caption = form.get("caption")
        replies = await self.gateway.document(
            session.sender,
            content,
            item.filename or "upload",
            item.content_type or "application/octet-stream",
            caption=caption if isinstance(caption, str) else None,
        )
        return self._json(session, {"replies": await self._render(session, replies)})

    async def updates(self, request: web.Request) -> web.Response:
        """Messages pushed to this session (outbox), after index `after`; waits up to 20 s."""
        session = self._session(request)
        after = _int(request.query.get("after")) or 0
        staff_after = _int(request.query.get("staff_after")) or 0
        deadline = time.monotonic() + min(float(request.query.get("wait", 20)), 25)
        while True:
            mine = self.mailboxes.get(session.sender, [])[after:]
            staff = (
                self.mailboxes.get(STAFF_CHANNEL, [])[staff_after:] if session.staff_name else []
            )
            remaining = deadline - time.monotonic()
            if mine or staff or remaining <= 0 or self._closing:
                break
            event = self._new_mail
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        return self._json(
            session,
            {
                "messages": mine,
                "next": after + len(mine),
                "staff": staff,
                "staff_next": staff_after + len(staff),
            },
        )

    async def file(self, request: web.Request) -> web.StreamResponse:
        session = self._session(request)
        found = self.files.get(request.match_info["token"])
        allowed = {session.sender} | ({STAFF_CHANNEL} if session.staff_name else set())
        if found is None or not (found[3] & allowed):
            raise web.HTTPNotFound(text="That file is not available in this session.")
        filename, mime, content, _ = found
        return web.Response(
            body=content,
            content_type=mime,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    # ----------------------------------------------------------------- routing

    async def _text(self, session: WebSession, text: str, reply_to: str | None) -> list[Reply]:
        stripped = text.strip()
        if session.staff_name and reply_to:
            return await self.desk.reply(session.sender, reply_to, stripped)
        if stripped.startswith("/"):
            name, _, args = stripped[1:].partition(" ")
            name = name.lower()
            if name in ("today", "schedule", "inbox"):
                return await self.desk.command(session.sender, name, args)
            if name in COMMANDS:
                return await self.gateway.command(session.sender, name)
        return await self.gateway.message(session.sender, text)

    async def _button(self, session: WebSession, payload: str) -> list[Reply]:
        if payload.startswith("s:"):
            result = await self.desk.action(session.sender, payload)
            return result.replies
        return await self.gateway.button(session.sender, payload)

    async def _render(self, session: WebSession, replies: list[Reply]) -> list[dict[str, Any]]:
        rendered = []
        for reply in replies:
            item: dict[str, Any] = {"text": reply.text}
            if reply.buttons:
                item["buttons"] = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
            elif reply.request_contact:
                item["buttons"] = [{"title": "Link my account", "payload": "#link"}]
            if reply.image:
                item["image"] = reply.image
            if reply.document:
                built = await build_document(self.clinic, session.sender, reply.document)
                if built is not None:
                    token = secrets.token_urlsafe(12)
                    self.files[token] = (*built, frozenset({session.sender}))
                    item["document"] = {"url": f"/api/files/{token}", "filename": built[0]}
                else:
                    item["text"] = (item["text"] + "\n" if item["text"] else "") + (
                        "Sorry, I couldn't prepare that file right now."
                    )
            rendered.append(item)
        return rendered

    # ----------------------------------------------------------------- background

    async def _heartbeat_loop(self) -> None:
        while True:
            heartbeat.touch()
            await asyncio.sleep(heartbeat.INTERVAL_SECONDS)

    async def _outbox_loop(self) -> None:
        store_down = False
        while True:
            try:
                await self.deliver_due()
            except SQLAlchemyError as error:  # logged when it goes down, not every tick
                if not store_down:
                    log.warning("event=outbox_store_unavailable error=%s", type(error).__name__)
                store_down = True
            else:
                if store_down:
                    log.info("event=outbox_store_back")
                store_down = False
            await asyncio.sleep(self.outbox_interval)

    async def deliver_due(self) -> int:
        deliveries = await self.clinic.claim_due(self.worker_id, 100)
        delivered = 0
        leave_for_telegram = False
        for delivery in deliveries:
            targets = self._targets(delivery)
            if targets is None:
                leave_for_telegram = True
                continue
            if not targets:
                await self.clinic.mark_failed(
                    delivery.id, "no channel identity", self.worker_id, permanent=True
                )
                continue
            message = await self._mail(delivery, targets)
            for target in targets:
                self.mailboxes[target].append(message)
            await self.clinic.mark_sent(delivery.id, self.worker_id)
            delivered += 1
        if leave_for_telegram:
            await self.clinic.release(self.worker_id)
        if delivered:
            self._wake_pollers()
        return delivered

    def _wake_pollers(self) -> None:
        event, self._new_mail = self._new_mail, asyncio.Event()
        event.set()

    def _targets(self, delivery: Delivery) -> list[str] | None:
        """Mailboxes for a delivery; None = leave it for the Telegram bot; [] = nowhere."""
        if delivery.recipient_kind is RecipientKind.STAFF_CHANNEL:
            return [STAFF_CHANNEL]
        web_ids = [i for i in delivery.identities if i.startswith("web:")]
        if web_ids:
            return web_ids
        if delivery.recipient_kind is RecipientKind.STAFF and delivery.identities:
            return list(delivery.identities)  # a staff member playing in the web chat
        return None if delivery.identities else []

    async def _mail(self, delivery: Delivery, targets: list[str]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": delivery.id,
            "kind": delivery.kind,
            "text": delivery.text,
            "buttons": [b for b in delivery.buttons if b.get("title") and b.get("payload")],
        }
        if delivery.recipient_kind is RecipientKind.STAFF_CHANNEL:
            message.update(self.desk.web_alert(delivery.text, delivery.meta))
        documents = []
        for document in filter(None, map(document_from_json, delivery.attachments)):
            built = await build_document(self.clinic, None, document)
            if built is not None:
                token = secrets.token_urlsafe(12)
                self.files[token] = (*built, frozenset(targets))
                documents.append({"url": f"/api/files/{token}", "filename": built[0]})
        if documents:
            message["documents"] = documents
        return message


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
