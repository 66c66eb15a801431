"""The Rasa REST client against the real Rasa server and against a Rasa that misbehaves."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from bot.rasa_client import RasaClient, RasaUnavailable
from bot.replies import from_rasa
from tests.servers import free_port


@pytest.mark.rasa
async def test_real_rasa_answers_a_greeting(rasa_server):
    client = RasaClient(rasa_server.url)
    try:
        replies = from_rasa(await client.send("web:client-test", "hello"))
        assert await client.is_up()
    finally:
        await client.close()
    assert replies and "virtual secretary" in replies[0].text.lower()


class MisbehavingRasa:
    """A stand-in Rasa whose answers the test scripts: status codes, delays, bodies."""

    def __init__(self) -> None:
        self.script: list[tuple[int, object, float]] = []
        self.received: list[dict] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        status, body, delay = self.script.pop(0) if self.script else (200, [], 0)
        await asyncio.sleep(delay)
        if isinstance(body, str):
            return web.Response(status=status, text=body)
        return web.json_response(body, status=status)

    async def __aenter__(self):
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc):
        await self.runner.cleanup()


async def test_sends_sender_and_message_and_retries_a_503_once():
    async with MisbehavingRasa() as rasa:
        rasa.script = [(503, "busy", 0), (200, [{"recipient_id": "tg:5", "text": "Hi"}], 0)]
        client = RasaClient(rasa.url, retry_pause=0.01)
        try:
            messages = await client.send("tg:5", "hello")
        finally:
            await client.close()
    assert messages == [{"recipient_id": "tg:5", "text": "Hi"}]
    assert rasa.received == [{"sender": "tg:5", "message": "hello"}] * 2


async def test_a_slow_rasa_times_out_without_a_second_attempt():
    async with MisbehavingRasa() as rasa:
        rasa.script = [(200, [], 2.0)]
        client = RasaClient(rasa.url, timeout=0.3)
        try:
            with pytest.raises(RasaUnavailable):
                await client.send("tg:5", "book me in")
        finally:
            await client.close()
    assert len(rasa.received) == 1, "a timed-out message may have been acted on: never resend"


async def test_down_garbage_and_errors_are_unavailable():
    client = RasaClient(f"http://127.0.0.1:{free_port()}", retry_pause=0.01)
    try:
        with pytest.raises(RasaUnavailable, match="ClientConnectorError"):
            await client.send("tg:5", "anyone?")
        assert not await client.is_up()
    finally:
        await client.close()
    async with MisbehavingRasa() as rasa:
        rasa.script = [(200, "<html>not json</html>", 0), (500, [], 0), (200, {"a": 1}, 0)]
        client = RasaClient(rasa.url)
        try:
            for _ in range(3):
                with pytest.raises(RasaUnavailable):
                    await client.send("tg:5", "hi")
        finally:
            await client.close()
