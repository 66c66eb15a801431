"""The liveness heartbeat: the running bot touches var/bot.heartbeat from its job loop, and
bot/healthcheck.py (docker-compose's health check) reads its age. A hung event loop stops the
touches, so the check turns red."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.healthcheck import HEARTBEAT_FILE

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 20


def touch(path: Path = HEARTBEAT_FILE) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError as error:  # a read-only disk must not stop the bot; the check will say so
        log.warning("event=heartbeat_failed error=%s", error)


async def heartbeat_job(_context: object = None) -> None:
    """JobQueue callback (also used by the web chat's own loop)."""
    touch()
