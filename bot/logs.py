"""One structured line per event (`event=… key=value`), and quiet third-party loggers: httpx
logs every Bot API URL (which contains the token) at INFO, APScheduler every job run."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
QUIET = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.WARNING,
    "aiohttp.access": logging.WARNING,
    "telegram.ext.Application": logging.WARNING,
}


def configure(level: str = "INFO") -> None:
    logging.basicConfig(level=level.upper(), format=FORMAT, force=True)
    for name, quiet_level in QUIET.items():
        logging.getLogger(name).setLevel(max(quiet_level, logging.getLogger().level))
