"""ServerClock: the bot's clock follows the local exchange's (the time authority of an
accelerated rehearsal): `sleep(ms)` asks the exchange to advance its clock by `ms`."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import aiohttp

__all__ = ["ServerClock"]


class ServerClock:
    """`now()` is the exchange time last heard; `sleep(ms)` POSTs /sim/advance and takes the
    answer. With `accelerated=False` it really sleeps, then reads /api/v3/time."""

    def __init__(self, url: str, *, now_ms: int | None = None, accelerated: bool = True) -> None:
        self.url = url.rstrip("/")
        self.accelerated = accelerated
        self._now = now_ms if now_ms is not None else self._fetch_now()
        self._session: aiohttp.ClientSession | None = None

    def _fetch_now(self) -> int:
        with urllib.request.urlopen(f"{self.url}/api/v3/time", timeout=10) as answer:
            return int(json.loads(answer.read())["serverTime"])

    def now(self) -> int:
        return self._now

    async def _request(self, method: str, path: str, body: Any = None) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        async with self._session.request(method, self.url + path, json=body) as answer:
            answer.raise_for_status()
            return await answer.json()

    async def sleep(self, ms: int) -> None:
        if self.accelerated:
            self._now = int((await self._request("POST", "/sim/advance", {"ms": ms}))["serverTime"])
            return
        import anyio

        await anyio.sleep(ms / 1000)
        self._now = int((await self._request("GET", "/api/v3/time"))["serverTime"])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
