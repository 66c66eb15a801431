"""The web chat's HTTP API without a browser: sessions are cookies, garbage gets a clear
answer, a store outage gets a sentence (not a stack trace), files stay in their session."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import create_engine

from bot.clinic_bridge import ClinicBridge
from bot.gateway import Gateway
from bot.rasa_client import RasaClient
from bot.staff_desk import StaffDesk
from bot.texts import SORRY
from bot.webchat import WebChat
from tests.servers import free_port


async def started(engine) -> WebChat:
    clinic = ClinicBridge(engine)
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", retries=0)
    chat = WebChat(Gateway(rasa, clinic), clinic, StaffDesk(clinic), outbox_interval=0.2)
    await chat.start("127.0.0.1", 0)
    return chat


@pytest.fixture
async def client():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_garbage_requests_get_clear_answers(clinic_engine, client):
    chat = await started(clinic_engine)
    try:
        async with client.post(f"{chat.url}/api/send", data=b"{not json") as response:
            assert "error" in await response.json()
        async with client.post(f"{chat.url}/api/send", json={"text": ""}) as response:
            (reply,) = (await response.json())["replies"]
            assert reply["text"].startswith("I got an empty message")
        async with client.post(
            f"{chat.url}/api/role", json={"role": "staff", "telegram_id": "x"}
        ) as r:
            assert (await r.json())["error"] == "No staff member has that Telegram id."
        async with client.post(f"{chat.url}/api/upload", data={"caption": "no file"}) as response:
            assert "Choose a photo or PDF" in (await response.json())["error"]
        async with client.get(f"{chat.url}/api/files/not-a-token") as response:
            assert response.status == 404
    finally:
        await chat.stop()


async def test_a_store_outage_is_a_sentence_not_a_stack_trace(client):
    chat = await started(create_engine("sqlite:////nonexistent-dir/medsec.db"))
    try:
        async with client.post(f"{chat.url}/api/send", json={"text": "hello"}) as response:
            assert response.status == 500
            assert (await response.json()) == {"replies": [{"text": SORRY}]}
    finally:
        await chat.stop()
