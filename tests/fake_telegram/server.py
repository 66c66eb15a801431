"""A fake Telegram Bot API server for tests: real HTTP on 127.0.0.1 (aiohttp), good enough for
python-telegram-bot 22 pointed at it with `base_url(f"{fake.url}/bot")` and
`base_file_url(f"{fake.url}/file/bot")`.

The bot side speaks the Bot API (getUpdates long poll, sendMessage, edits, callback answers,
multipart sendDocument, getFile + download, commands, webhooks). The control side is a Python
API the tests call in the same event loop: inject what users do (`send_text`, `press_button`,
`send_contact`, `send_photo`, …), read what the bot sent (`sent`, `messages_to`,
`next_message`), and make the next call fail the way Telegram fails (`fail_next`,
`rate_limit_next`, `block`). Errors use Telegram's own shapes and HTTP codes so the library
raises the same exceptions it raises in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from tests.fake_telegram.objects import (
    JSON,
    FakeFile,
    FakeUser,
    SentMessage,
    now_ts,
    utf16_length,
)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
# Form values arrive JSON-encoded except plain strings (python-telegram-bot's RequestData):
# these parameters are always strings, so "123" stays "123".
STRING_PARAMS = {
    "text",
    "caption",
    "callback_query_id",
    "url",
    "secret_token",
    "file_id",
    "parse_mode",
    "action",
    "inline_message_id",
    "language_code",
    "description",
    "short_description",
    "name",
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: JSON | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters

    def response(self) -> web.Response:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.code)


@dataclass
class Failure:
    method: str
    error: ApiError
    times: int
    chat_id: int | None = None


@dataclass
class ApiCall:
    method: str
    params: JSON
    at: float
    error: str | None = None


class FakeTelegram:
    """One fake Bot API server for one bot token."""

    def __init__(self, token: str = "123456:TEST-token", bot_username: str = "medsec_test_bot"):
        self.token = token
        self.bot = FakeUser(
            id=int(token.split(":")[0]),
            first_name="Medsec",
            is_bot=True,
            username=bot_username,
            language_code=None,
        )
        self.url = ""
        self.calls: list[ApiCall] = []
        self.sent: list[SentMessage] = []
        self.callback_answers: list[JSON] = []
        self.chat_actions: list[JSON] = []
        self.commands: dict[str, list[JSON]] = {}
        self.webhook: JSON = {}
        self.files: dict[str, FakeFile] = {}
        self._chats: dict[int, JSON] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._update_ids = itertools.count(1000)
        self._updates: list[JSON] = []
        self._open_queries: set[str] = set()
        self._failures: list[Failure] = []
        self._blocked: set[int] = set()
        self._cursors: dict[int, int] = defaultdict(int)
        self._event = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task | None = None
        self._file_counter = itertools.count(1)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_download)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._closing = True
        self._notify()  # end open long polls now instead of at their timeout
        if self._webhook_task:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ control: who exists

    def user(self, user_id: int, first_name: str, **fields: Any) -> FakeUser:
        """A Telegram user with a private chat with the bot."""
        user = FakeUser(id=user_id, first_name=first_name, **fields)
        self._chats[user.id] = user.private_chat()
        return user

    def group(self, chat_id: int, title: str) -> JSON:
        """A group chat the bot is in (e.g. the staff chat); chat_id is negative."""
        assert chat_id < 0, "group chat ids are negative"
        self._chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": title}
        return self._chats[chat_id]

    def block(self, user: FakeUser) -> None:
        """The user blocked the bot: sending to them gives 403 from now on."""
        self._blocked.add(user.id)

    # ------------------------------------------------------------------ control: users act

    def send_text(
        self,
        user: FakeUser,
        text: str,
        chat_id: int | None = None,
        reply_to: SentMessage | JSON | None = None,
    ) -> JSON:
        fields: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            fields["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
            ]
        if reply_to is not None:
            replied = reply_to.message if isinstance(reply_to, SentMessage) else reply_to
            fields["reply_to_message"] = dict(replied)
        return self._user_message(user, fields, chat_id)

    def send_command(self, user: FakeUser, command: str, chat_id: int | None = None) -> JSON:
        return self.send_text(user, command if command.startswith("/") else f"/{command}", chat_id)

    def send_contact(
        self,
        user: FakeUser,
        phone_number: str,
        *,
        first_name: str | None = None,
        contact_user_id: int | None = -1,
        forwarded_from: FakeUser | None = None,
    ) -> JSON:
        """Share a contact. By default the user's own (contact.user_id == user.id); pass another
        id (or None for a non-Telegram contact) and/or forwarded_from to share a stranger's."""
        contact: JSON = {"phone_number": phone_number, "first_name": first_name or user.first_name}
        owner = user.id if contact_user_id == -1 else contact_user_id
        if owner is not None:
            contact["user_id"] = owner
        fields: JSON = {"contact": contact}
        if forwarded_from is not None:
            fields["forward_origin"] = {
                "type": "user",
                "sender_user": forwarded_from.to_json(),
                "date": now_ts() - 3600,
            }
        return self._user_message(user, fields)

    def send_photo(self, user: FakeUser, data: bytes, caption: str | None = None) -> JSON:
        big = self._store_file(data, "photos", ".jpg", None, "image/jpeg")
        small = self._store_file(data[: max(1, len(data) // 4)], "photos", ".jpg", None, None)
        sizes = [
            {
                "file_id": small.file_id,
                "file_unique_id": small.file_unique_id,
                "width": 90,
                "height": 67,
                "file_size": small.size,
            },
            {
                "file_id": big.file_id,
                "file_unique_id": big.file_unique_id,
                "width": 1280,
                "height": 960,
                "file_size": big.size,
            },
        ]
        fields: JSON = {"photo": sizes}
        if caption:
            fields["caption"] = caption
        return self._user_message(user, fields)

    def send_document(
        self,
        user: FakeUser,
        data: bytes,
        file_name: str,
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> JSON:
        stored = self._store_file(data, "documents", "", file_name, mime_type)
        fields: JSON = {"document": self._document_json(stored)}
        if caption:
            fields["caption"] = caption
        return self._user_message(user, fields)

    def send_sticker(self, user: FakeUser, emoji: str = "👍") -> JSON:
        stored = self._store_file(b"RIFF-webp-sticker", "stickers", ".webp", None, "image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._user_message(user, {"sticker": sticker})

    def send_voice(self, user: FakeUser, data: bytes = b"OggS\x00voice", duration: int = 4) -> JSON:
        stored = self._store_file(data, "voice", ".oga", None, "audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.size,
        }
        return self._user_message(user, {"voice": voice})

    def send_location(self, user: FakeUser, latitude: float, longitude: float) -> JSON:
        return self._user_message(
            user, {"location": {"latitude": latitude, "longitude": longitude}}
        )

    def press_button(self, user: FakeUser, message: SentMessage, data: str) -> JSON:
        """The user taps an inline button carrying `data` under a message the bot sent.
        Any data may be injected (callback data is untrusted), not only the buttons shown."""
        query_id = secrets.token_hex(8)
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": user.to_json(),
            "chat_instance": str(abs(message.chat_id)),
            "message": dict(self._messages[(message.chat_id, message.message_id)]),
            "data": data,
        }
        self.inject_update({"callback_query": query})
        return query

    def inject_update(self, update: JSON) -> JSON:
        """Queue a raw update (any type); update_id is assigned here."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._notify()
        return update

    def _user_message(self, user: FakeUser, fields: JSON, chat_id: int | None = None) -> JSON:
        chat_id = user.id if chat_id is None else chat_id
        chat = self._chats.get(chat_id) or user.private_chat()
        self._chats.setdefault(chat_id, chat)
        message = {
            "message_id": next(self._message_ids[chat_id]),
            "from": user.to_json(),
            "chat": chat,
            "date": now_ts(),
            **fields,
        }
        self._messages[(chat_id, message["message_id"])] = message
        self.inject_update({"message": message})
        return message

    def _store_file(
        self, data: bytes, folder: str, suffix: str, name: str | None, mime: str | None
    ) -> FakeFile:
        number = next(self._file_counter)
        file_id = f"FILE{number:05d}{secrets.token_hex(6)}"
        stored = FakeFile(
            file_id=file_id,
            file_unique_id=f"U{number:05d}",
            data=data,
            file_path=f"{folder}/file_{number}{suffix or _suffix(name)}",
            file_name=name,
            mime_type=mime,
        )
        self.files[file_id] = stored
        return stored

    @staticmethod
    def _document_json(stored: FakeFile) -> JSON:
        doc: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        if stored.file_name:
            doc["file_name"] = stored.file_name
        if stored.mime_type:
            doc["mime_type"] = stored.mime_type
        return doc

    # ------------------------------------------------------------------ control: failures

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        parameters: JSON | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """The next `times` calls of `method` (optionally only to `chat_id`) fail like this."""
        self._failures.append(
            Failure(method, ApiError(error_code, description, parameters), times, chat_id)
        )

    def rate_limit_next(
        self, method: str = "sendMessage", retry_after: int = 1, times: int = 1, **kw: Any
    ) -> None:
        self.fail_next(
            method,
            429,
            f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
            times=times,
            **kw,
        )

    # ------------------------------------------------------------------ control: observe

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def calls_of(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    async def next_message(self, chat_id: int, timeout: float = 10.0) -> SentMessage:
        """The next message to `chat_id` that this method has not returned yet."""

        def ready() -> bool:
            return len(self.messages_to(chat_id)) > self._cursors[chat_id]

        try:
            await self.wait_until(ready, timeout)
        except TimeoutError:
            seen = [m.text for m in self.messages_to(chat_id)]
            raise TimeoutError(
                f"no new message to chat {chat_id} within {timeout}s; all so far: {seen}"
            ) from None
        message = self.messages_to(chat_id)[self._cursors[chat_id]]
        self._cursors[chat_id] += 1
        return message

    async def next_messages(self, chat_id: int, count: int, timeout: float = 10.0):
        return [await self.next_message(chat_id, timeout) for _ in range(count)]

    def skip_to_end(self, chat_id: int) -> None:
        """Forget unread messages to this chat (next_message waits for a new one)."""
        self._cursors[chat_id] = len(self.messages_to(chat_id))

    async def no_message(self, chat_id: int, within: float = 1.0) -> None:
        """Assert nothing new reaches chat_id within `within` seconds."""
        with contextlib.suppress(TimeoutError):
            message = await self.next_message(chat_id, within)
            raise AssertionError(f"unexpected message to {chat_id}: {message.text!r}")

    async def wait_until(self, predicate: Callable[[], object], timeout: float = 10.0) -> Any:
        """Wait until predicate() is truthy (re-checked on every API call); return its value."""
        async with asyncio.timeout(timeout):
            while True:
                event = self._event
                value = predicate()
                if value:
                    return value
                await event.wait()

    def _notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    # ------------------------------------------------------------------ Bot API side

    async def _handle_api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if token != self.token:
            return ApiError(401, "Unauthorized").response()
        params = await _read_params(request)
        call = ApiCall(
            method, {k: v for k, v in params.items() if not isinstance(v, FakeFile)}, time.time()
        )
        self.calls.append(call)
        self._notify()  # "has the bot called X yet?" must not wait for a long poll to end
        try:
            self._maybe_fail(method, params)
            handler = getattr(self, f"api_{_snake(method)}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await handler(params)
        except ApiError as error:
            call.error = error.description
            self._notify()
            return error.response()
        self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return web.Response(status=404, text="Not Found")

    def _maybe_fail(self, method: str, params: JSON) -> None:
        for failure in self._failures:
            if failure.method != method or failure.times <= 0:
                continue
            if failure.chat_id is not None and params.get("chat_id") != failure.chat_id:
                continue
            failure.times -= 1
            raise failure.error

    def _chat(self, params: JSON) -> JSON:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _check_markup(self, markup: Any) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _bot_message(
        self, method: str, chat: JSON, fields: JSON, params: JSON, document: FakeFile | None = None
    ) -> JSON:
        markup = params.get("reply_markup")
        message: JSON = {
            "message_id": next(self._message_ids[chat["id"]]),
            "from": self.bot.to_json(),
            "chat": chat,
            "date": now_ts(),
            **fields,
        }
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram echoes only inline keyboards
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id") or params.get("reply_to_message_id")
        if reply_to is not None:
            replied = self._messages.get((chat["id"], reply_to))
            if replied is None:
                raise ApiError(400, "Bad Request: message to be replied not found")
            message["reply_to_message"] = dict(replied)
        self._messages[(chat["id"], message["message_id"])] = message
        self.sent.append(
            SentMessage(
                chat["id"],
                message["message_id"],
                method,
                message,
                document,
                params={k: v for k, v in params.items() if not isinstance(v, FakeFile)},
            )
        )
        return message

    async def api_get_me(self, params: JSON) -> JSON:
        return {
            **self.bot.to_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def api_log_out(self, params: JSON) -> bool:
        return True

    async def api_close(self, params: JSON) -> bool:
        return True

    async def api_set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be an array of at most 100 commands")
        for command in commands:
            if not COMMAND_RE.match(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[_scope_key(params)] = commands
        return True

    async def api_get_my_commands(self, params: JSON) -> list[JSON]:
        return self.commands.get(_scope_key(params), [])

    async def api_delete_my_commands(self, params: JSON) -> bool:
        self.commands.pop(_scope_key(params), None)
        return True

    async def api_set_webhook(self, params: JSON) -> bool:
        url = params.get("url") or ""
        if url and not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: Failed to resolve host")
        self.webhook = {"url": url, "secret_token": params.get("secret_token")} if url else {}
        if url and self._webhook_task is None:
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        return True

    async def api_delete_webhook(self, params: JSON) -> bool:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def api_get_webhook_info(self, params: JSON) -> JSON:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def api_get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates") or []
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

        def pending() -> list[JSON]:
            return [u for u in self._updates if not allowed or any(kind in u for kind in allowed)][
                :limit
            ]

        if timeout > 0:
            with contextlib.suppress(TimeoutError):
                await self.wait_until(lambda: self._closing or pending(), timeout)
        return pending()

    async def api_send_message(self, params: JSON) -> JSON:
        chat = self._chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        self._check_markup(params.get("reply_markup"))
        return self._bot_message("sendMessage", chat, {"text": text}, params)

    async def api_send_chat_action(self, params: JSON) -> bool:
        self._chat(params)
        if not params.get("action"):
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append(params)
        return True

    async def api_send_document(self, params: JSON) -> JSON:
        return await self._send_file(params, "document", "sendDocument")

    async def api_send_photo(self, params: JSON) -> JSON:
        return await self._send_file(params, "photo", "sendPhoto")

    async def _send_file(self, params: JSON, field: str, method: str) -> JSON:
        chat = self._chat(params)
        upload = params.get(field)
        if isinstance(upload, FakeFile):
            stored = upload
            self.files[stored.file_id] = stored
        elif isinstance(upload, str) and upload in self.files:
            stored = self.files[upload]
        elif isinstance(upload, str) and upload.startswith(("http://", "https://")):
            # Telegram fetches URLs itself; the fake keeps the URL as the file's name.
            stored = self._store_file(b"", "remote", "", upload, None)
        else:
            raise ApiError(400, f"Bad Request: there is no {field} in the request")
        caption = params.get("caption")
        if caption and utf16_length(caption) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        self._check_markup(params.get("reply_markup"))
        fields: JSON = (
            {field: self._document_json(stored)}
            if field == "document"
            else {
                "photo": [
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "width": 800,
                        "height": 600,
                        "file_size": stored.size,
                    }
                ]
            }
        )
        if caption:
            fields["caption"] = caption
        return self._bot_message(method, chat, fields, params, document=stored)

    async def api_edit_message_text(self, params: JSON) -> JSON:
        message = self._editable(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        markup = params.get("reply_markup")
        self._check_markup(markup)
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        return self._apply_edit(message, text=text, markup=markup)

    async def api_edit_message_reply_markup(self, params: JSON) -> JSON:
        message = self._editable(params)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        if message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        return self._apply_edit(message, text=None, markup=markup)

    def _editable(self, params: JSON) -> JSON:
        chat = self._chat(params)
        message = self._messages.get((chat["id"], params.get("message_id")))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot.id:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _apply_edit(self, message: JSON, text: str | None, markup: JSON | None) -> JSON:
        sent = next(
            m
            for m in self.sent
            if m.chat_id == message["chat"]["id"] and m.message_id == message["message_id"]
        )
        sent.history.append(dict(message))
        if text is not None:
            message["text"] = text
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = now_ts()
        return message

    async def api_answer_callback_query(self, params: JSON) -> bool:
        query_id = params.get("callback_query_id")
        if query_id not in self._open_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_queries.discard(query_id)
        self.callback_answers.append(params)
        return True

    async def api_get_file(self, params: JSON) -> JSON:
        stored = self.files.get(params.get("file_id", ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    async def _deliver_webhooks(self) -> None:
        """POST queued updates to the webhook, in order, like Telegram (retrying on errors)."""
        async with aiohttp.ClientSession() as session:
            while True:
                await self.wait_until(lambda: self.webhook and self._updates, timeout=3600)
                update = self._updates[0]
                headers = {}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                try:
                    async with session.post(
                        self.webhook["url"], json=update, headers=headers
                    ) as response:
                        delivered = response.status == 200
                except aiohttp.ClientError:
                    delivered = False
                if delivered and self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                    self._notify()
                elif not delivered:
                    await asyncio.sleep(0.2)


async def _read_params(request: web.Request) -> JSON:
    params: JSON = {key: _decode(key, value) for key, value in request.query.items()}
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        params.update(await request.json())
        return params
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            data = value.file.read()
            params[key] = FakeFile(
                file_id=f"BOT{secrets.token_hex(8)}",
                file_unique_id=f"B{secrets.token_hex(4)}",
                data=data,
                file_path=f"uploads/{secrets.token_hex(4)}_{value.filename}",
                file_name=value.filename,
                mime_type=value.content_type,
            )
        else:
            params[key] = _decode(key, value)
    # python-telegram-bot names attachments "attach://<name>" inside the JSON parameters
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value.removeprefix("attach://"), value)
    return params


def _decode(key: str, value: str) -> Any:
    if key in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _snake(method: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower()


def _scope_key(params: JSON) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True)


def _suffix(name: str | None) -> str:
    return "." + name.rsplit(".", 1)[1] if name and "." in name else ""
