"""`python -m bot` as a real process: Telegram polling and webhook modes against the fake Bot
API, the web chat without a token, the health check, and what the logs say (one structured
line per event; never the token, never what a patient wrote)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.servers import ROOT, free_port

SECRET_TEXT = "my rash is spreading to my neck"


@pytest.fixture
def bot_env(tmp_path, db_url):
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db_url,
        "RASA_URL": f"http://127.0.0.1:{free_port()}",  # Rasa is down: the bot must cope
        "MEDSEC_HEARTBEAT_FILE": str(tmp_path / "bot.heartbeat"),
        "TELEGRAM_STATE_FILE": str(tmp_path / "telegram-state.pickle"),
        "OUTBOX_INTERVAL": "0.5",
        "MEDSEC_LOG_LEVEL": "INFO",
    }


async def start_bot(env: dict, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


async def stop_bot(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    for _ in range(150):
        if process.poll() is not None:
            return process.returncode
        await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError("the bot did not stop within 15 s of SIGTERM")


async def eventually(predicate, timeout: float = 10.0) -> None:
    for _ in range(int(timeout * 10)):
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


def healthcheck(env: dict) -> int:
    return subprocess.run([sys.executable, "-m", "bot.healthcheck"], env=env, cwd=ROOT).returncode


async def test_polling_mode_serves_patients_and_logs_safely(fake_telegram, bot_env, tmp_path):
    fake = fake_telegram
    dora = fake.user(8001, "Dora")
    env = {**bot_env, "TELEGRAM_BOT_TOKEN": fake.token,
           "TELEGRAM_API_BASE_URL": fake.api_base_url}  # fmt: skip
    assert healthcheck(env) == 1, "no heartbeat yet"
    log_path = tmp_path / "bot.log"
    process = await start_bot(env, log_path)
    try:
        await fake.wait_until(lambda: fake.calls_of("getUpdates"), timeout=30)
        fake.send_command(dora, "start")
        hello = await fake.next_message(dora.id, timeout=15)
        await fake.next_message(dora.id)  # the linking prompt
        fake.send_text(dora, SECRET_TEXT)  # Rasa is down: kept for the front desk
        kept = await fake.next_message(dora.id, timeout=15)
        await eventually(lambda: (tmp_path / "bot.heartbeat").exists())
        assert healthcheck(env) == 0
    finally:
        code = await stop_bot(process)
    log = log_path.read_text()
    assert code == 0, log
    assert "virtual secretary" in hello.text
    assert "try again shortly" in kept.text and "front desk" in kept.text
    assert "event=starting mode=telegram" in log
    assert "event=rasa_unavailable" in log
    assert fake.token not in log and fake.token.split(":")[1] not in log, "token leaked"
    assert SECRET_TEXT not in log, "a patient's words reached the log"
    for line in log.splitlines():
        if " level=" in line:
            assert line.count(" level=") == 1


async def test_webhook_mode_with_secret_token(fake_telegram, bot_env, tmp_path):
    fake = fake_telegram
    eve = fake.user(8002, "Eve")
    port = free_port()
    env = {
        **bot_env,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.api_base_url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram-hook",
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "TELEGRAM_WEBHOOK_PORT": str(port),
        "TELEGRAM_WEBHOOK_SECRET": "s3cret-Token_1",
    }
    process = await start_bot(env, tmp_path / "bot.log")
    try:
        await fake.wait_until(lambda: fake.webhook.get("url"), timeout=30)
        assert fake.webhook == {"url": f"http://127.0.0.1:{port}/telegram-hook",
                                "secret_token": "s3cret-Token_1"}  # fmt: skip
        fake.send_sticker(eve)
        reply = await fake.next_message(eve.id, timeout=15)
        async with aiohttp.ClientSession() as session:
            forged = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "hi",
                      "chat": {"id": 8002, "type": "private"}}}  # fmt: skip
            async with session.post(
                f"http://127.0.0.1:{port}/telegram-hook",
                json=forged,
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            ) as response:
                assert response.status == 403
    finally:
        code = await stop_bot(process)
    assert code == 0
    assert "only read text" in reply.text
    assert not fake.calls_of("getUpdates"), "webhook mode never polls"


async def test_without_a_token_it_serves_the_web_chat(bot_env, tmp_path):
    port = free_port()
    env = {**bot_env, "WEBCHAT_PORT": str(port)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    process = await start_bot(env, tmp_path / "bot.log")
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/") as response:
                        page = await response.text()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError((tmp_path / "bot.log").read_text())
            async with session.post(
                f"http://127.0.0.1:{port}/api/send", json={"text": "/start"}
            ) as response:
                replies = (await response.json())["replies"]
    finally:
        code = await stop_bot(process)
    assert code == 0
    assert "<title>medsec" in page
    assert "virtual secretary" in replies[0]["text"]
    assert replies[-1]["buttons"] == [{"title": "Link my account", "payload": "#link"}]


def test_a_bad_setting_stops_start_up_with_one_line(bot_env):
    env = {**bot_env, "MEDSEC_TIMEZONE": "Mars/Olympus"}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: MEDSEC_TIMEZONE: 'Mars/Olympus' is not an IANA time zone "
        "(e.g. America/New_York)"
    ]
