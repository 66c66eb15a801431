"""The Rasa REST channel client: one shared aiohttp session, timeouts, a short retry.

Retry policy: a request that never reached Rasa (connection refused/reset, 502/503/504 from a
proxy) is retried once after a short pause; a request that timed out is NOT retried, because
Rasa may have acted on it (sending it twice could book twice). Every failure ends in
`RasaUnavailable`, which the gateway turns into a clear reply plus an inbox item.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

RETRYABLE_STATUS = {502, 503, 504}


class RasaUnavailable(Exception):
    """Rasa could not be reached or did not answer in time."""


class RasaClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 20.0,
        connect_timeout: float = 3.0,
        retries: int = 1,
        retry_pause: float = 0.5,
    ) -> None:
        self.webhook_url = base_url.rstrip("/") + "/webhooks/rest/webhook"
        self.status_url = base_url.rstrip("/") + "/status"
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self._retries = retries
        self._retry_pause = retry_pause
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self, sender: str, message: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Post one user message; return Rasa's list of bot messages."""
        await self.start()
        assert self._session is not None
        body: dict[str, Any] = {"sender": sender, "message": message}
        if metadata:
            body["metadata"] = metadata
        started = time.monotonic()
        for attempt in range(self._retries + 1):
            try:
                async with self._session.post(self.webhook_url, json=body) as response:
                    if response.status in RETRYABLE_STATUS and attempt < self._retries:
                        await asyncio.sleep(self._retry_pause)
                        continue
                    if response.status != 200:
                        raise RasaUnavailable(f"HTTP {response.status}")
                    data = await response.json(content_type=None)
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                # Never reached Rasa: safe to try again.
                if attempt < self._retries:
                    await asyncio.sleep(self._retry_pause)
                    continue
                raise RasaUnavailable(type(exc).__name__) from exc
            except (aiohttp.ClientError, TimeoutError) as exc:
                # Timed out or cut off mid-request: Rasa may have acted on it, so no retry.
                raise RasaUnavailable(type(exc).__name__) from exc
            except ValueError as exc:  # not JSON
                raise RasaUnavailable("bad response") from exc
            if not isinstance(data, list):
                raise RasaUnavailable("bad response")
            log.debug(
                "event=rasa_turn sender=%s ms=%d replies=%d",
                sender,
                (time.monotonic() - started) * 1000,
                len(data),
            )
            return data
        raise RasaUnavailable("retries exhausted")

    async def is_up(self) -> bool:
        await self.start()
        assert self._session is not None
        try:
            async with self._session.get(self.status_url) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False
