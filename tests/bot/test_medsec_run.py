"""`medsec run`, the README's way to run the assistant, as a real process tree: it starts the
action server, the Rasa server and the Telegram bot against a Bot API server (here the fake
one), a patient's message goes through all three and back, and SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess

from sqlalchemy.engine import make_url

from tests.conftest import DEMO_NOW
from tests.servers import ROOT, free_port

MEDSEC = ROOT / ".venv" / "bin" / "medsec"
STARTUP_SECONDS = 240  # Rasa loads its model: ~20 s here, more on a busy machine


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def test_medsec_run_serves_a_telegram_patient_and_stops_cleanly(
    fake_telegram, seeded_db_url, tmp_path
):
    fake = fake_telegram
    database = tmp_path / "medsec.db"
    shutil.copy(make_url(seeded_db_url).database, database)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "MEDSEC_NOW": DEMO_NOW,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.api_base_url,
        "ACTIONS_PORT": str(free_port()),
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "MEDSEC_HEARTBEAT_FILE": str(tmp_path / "bot.heartbeat"),
        "TELEGRAM_STATE_FILE": str(tmp_path / "telegram-state.pickle"),
    }
    output = tmp_path / "run.out"
    with open(output, "wb") as out:
        process = subprocess.Popen(
            [str(MEDSEC), "run"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        for _ in range(STARTUP_SECONDS * 2):
            if "medsec is running" in output.read_text() or process.poll() is not None:
                break
            await asyncio.sleep(0.5)
        started = output.read_text()
        assert "medsec is running" in started, started
        for name in ("actions", "rasa", "bot"):
            assert re.search(rf"\b{name}\b", started), started
        pids = [int(pid) for pid in re.findall(r"│\s*\w+\s*│\s*(\d+)\s*│", started)]
        assert len(pids) == 3, started

        frank = fake.user(8101, "Frank")
        fake.send_text(frank, "what are your opening hours?")
        hours = await fake.next_message(frank.id, timeout=30)
        # from the clinic file, through Rasa and the action server, with "now" frozen
        assert "Today (Monday, March 1): open 8 AM" in hours.text, hours.text
        fake.send_text(frank, "how much do I owe?")  # a stranger: no patient data
        refusal = await fake.next_message(frank.id, timeout=30)
        assert "first need to know who you are" in refusal.text, refusal.text
        assert "$" not in refusal.text, refusal.text
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, output.read_text()
    for _ in range(40):
        if not any(_alive(pid) for pid in pids):
            break
        await asyncio.sleep(0.25)
    assert not any(_alive(pid) for pid in pids), "a child of medsec run outlived it"
