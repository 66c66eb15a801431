"""Container health check for the bot: healthy while its heartbeat file is fresh.

The running bot touches the heartbeat from its job queue (see bot/heartbeat.py), so a hung
event loop or a dead process turns the check red. Exit 0 healthy, 1 not.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from clinic.config import PROJECT_ROOT

# MEDSEC_HEARTBEAT_FILE moves it (tests, read-only images); the bot and the check read the same.
HEARTBEAT_FILE = Path(
    os.environ.get("MEDSEC_HEARTBEAT_FILE") or PROJECT_ROOT / "var" / "bot.heartbeat"
)
MAX_AGE_SECONDS = 90


def is_healthy(path: Path = HEARTBEAT_FILE, max_age: float = MAX_AGE_SECONDS) -> bool:
    try:
        return time.time() - path.stat().st_mtime < max_age
    except FileNotFoundError:
        return False


if __name__ == "__main__":
    sys.exit(0 if is_healthy() else 1)
