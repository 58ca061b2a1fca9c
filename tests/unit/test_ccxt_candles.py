"""CcxtCandles against a loopback server that imitates binance's spot REST klines endpoint.

ccxt's real binance class runs unchanged (request building, throttling, HTTP, error mapping,
parsing); only its API base URLs point at 127.0.0.1 and its markets are preloaded, so the
klines endpoint is the only one it ever calls.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pytest

ccxt = pytest.importorskip("ccxt.async_support")
web = pytest.importorskip("aiohttp.web")

from backtestkit.actors import add_exchange  # noqa: E402
from backtestkit.actors.exchange import ExchangeActor  # noqa: E402
from backtestkit.actors.market.candles import CandleDataError, Candles  # noqa: E402
from backtestkit.adapters.candles import CcxtCandles  # noqa: E402
from backtestkit.adapters.candles import ccxt as ccxt_module  # noqa: E402

F = TypeVar("F", bound=Callable[..., Any])

SYMBOL = "BTCUSDT"
MIN = 60_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
NOW = T0 + 100 * MIN + 30_000  # half-way through the minute stamped T0 + 100 min

MARKET = {
    "id": "BTCUSDT",
    "symbol": "BTC/USDT",
    "base": "BTC",
    "quote": "USDT",
    "baseId": "BTC",
    "quoteId": "USDT",
    "type": "spot",
    "spot": True,
    "margin": False,
    "swap": False,
    "future": False,
    "option": False,
    "contract": False,
    "linear": False,  # binance's fetch_ohlcv reads these; None would be dropped by set_markets
    "inverse": False,
    "active": True,
}


def on_asyncio(fn: F) -> F:
    """ccxt.async_support is asyncio-only: run under anyio's asyncio backend alone."""
    return pytest.mark.anyio(pytest.mark.parametrize("anyio_backend", ["asyncio"])(fn))  # type: ignore[no-any-return]


@dataclass
class StubClock:
    ms: int

    def now(self) -> int:
        return self.ms


def price(t: int) -> float:
    """Deterministic close of the candle stamped t."""
    return 100.0 + (t // MIN) % 37 * 0.25


def kline(t: int, step: int = MIN) -> list[Any]:
    """One binance kline row: [openTime, "o", "h", "l", "c", "v", closeTime, ...]."""
    close = price(t)
    return [
        t,
        f"{close - 0.125:.8f}",
        f"{close + 0.5:.8f}",
        f"{close - 0.5:.8f}",
        f"{close:.8f}",
        f"{1.5 + (t // MIN) % 5:.8f}",
        t + step - 1,
        "1000.0",
        42,
        "0.7",
        "70.0",
        "0",
    ]


Reply = Callable[[Any], Awaitable[Any]]


def status(code: int, body: str = "") -> Reply:
    async def reply(_request: Any) -> Any:
        return web.Response(status=code, text=body)

    return reply


def payload(rows: Any) -> Reply:
    async def reply(_request: Any) -> Any:
        return web.json_response(rows)

    return reply


def stall(seconds: float) -> Reply:
    async def reply(_request: Any) -> Any:
        await asyncio.sleep(seconds)
        return web.json_response([])

    return reply


@dataclass
class StubBinance:
    """GET /api/v3/klines as binance answers it; every other path is recorded and 404s."""

    now_ms: int = NOW
    page_size: int = 1000
    script: list[Reply] = field(default_factory=list)  # one reply per request, then klines
    requests: list[dict[str, str]] = field(default_factory=list)
    request_times: list[float] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)

    async def klines(self, request: Any) -> Any:
        self.requests.append(dict(request.query))
        self.request_times.append(time.monotonic())
        if self.script:
            return await self.script.pop(0)(request)
        query = request.query
        step = {"1m": 1, "5m": 5, "15m": 15, "1h": 60}[query["interval"]] * MIN
        start = int(query["startTime"])
        limit = min(int(query.get("limit", 500)), self.page_size)
        first = -(-start // step) * step
        rows = []
        t = first
        while t <= self.now_ms and len(rows) < limit:  # includes the still-forming candle
            rows.append(kline(t, step))
            t += step
        return web.json_response(rows)

    async def other(self, request: Any) -> Any:
        self.stray.append(request.path_qs)
        return web.Response(status=404, text="not here")


@asynccontextmanager
async def binance_stub(*, timeout_ms: int = 2_000) -> AsyncIterator[tuple[StubBinance, Any]]:
    """A loopback stub server and a ccxt binance instance wired to it (markets preloaded)."""
    stub = StubBinance()
    app = web.Application()
    app.router.add_get("/api/v3/klines", stub.klines)
    app.router.add_route("*", "/{tail:.*}", stub.other)
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}"
    exchange = ccxt.binance({"enableRateLimit": True, "timeout": timeout_ms})
    for key in list(exchange.urls["api"]):  # nothing may leave the machine
        exchange.urls["api"][key] = f"{base}/{key}"
    exchange.urls["api"]["public"] = f"{base}/api/v3"
    exchange.set_markets([MARKET])
    exchange.timeout_on_exit = 0  # ccxt's close() otherwise sleeps 250 ms (for TLS shutdown)
    try:
        yield stub, exchange
    finally:
        await exchange.close()
        await runner.cleanup()
        assert stub.stray == []


def expected(ts: list[int]) -> dict[str, list[float]]:
    rows = [kline(t) for t in ts]
    return {
        name: [float(row[i]) for row in rows]
        for i, name in enumerate(("open", "high", "low", "close", "volume"), start=1)
    }


def minutes(candles: Candles) -> list[int]:
    return [int(t - T0) // MIN for t in candles.timestamp]


# -- conversion and pass-through ---------------------------------------------------------------


@on_asyncio
async def test_converts_rows_and_passes_since_and_limit() -> None:
    async with binance_stub() as (stub, exchange):
        source = CcxtCandles(exchange, clock=StubClock(NOW))
        candles = await source.fetch(SYMBOL, "1m", T0 + 10 * MIN, 5)
    assert stub.requests == [
        {"interval": "1m", "limit": "5", "symbol": "BTCUSDT", "startTime": str(T0 + 10 * MIN)}
    ]
    assert isinstance(candles, Candles)
    assert minutes(candles) == [10, 11, 12, 13, 14]
    assert candles.timestamp.dtype == np.int64 and candles.close.dtype == np.float64
    want = expected([T0 + m * MIN for m in range(10, 15)])
    for name, values in want.items():
        assert getattr(candles, name).tolist() == values
    first = candles[0]
    assert first.timestamp == T0 + 10 * MIN and first.close == price(T0 + 10 * MIN)


@on_asyncio
async def test_unified_symbol_and_higher_interval() -> None:
    async with binance_stub() as (stub, exchange):
        source = CcxtCandles(exchange, clock=StubClock(NOW))
        candles = await source.fetch("BTC/USDT", "5m", T0 + 1, 3)  # since not aligned
    assert stub.requests[0]["symbol"] == "BTCUSDT"
    assert stub.requests[0]["interval"] == "5m"
    assert stub.requests[0]["startTime"] == str(T0 + 1)
    assert minutes(candles) == [5, 10, 15]


@on_asyncio
async def test_engine_awaits_it_through_the_exchange_actor() -> None:
    async with binance_stub() as (_stub, exchange):
        source = CcxtCandles(exchange, clock=StubClock(NOW))
        actor = ExchangeActor(add_exchange("live-binance", candles=source))
        assert not actor.is_table_backed
        window = actor.lookback(SYMBOL, "1m", 5, T0 + 50 * MIN)
        assert not isinstance(window, Candles)
        assert minutes(await window) == [46, 47, 48, 49, 50]


# -- the still-forming candle ------------------------------------------------------------------


def json_minutes(stub: StubBinance) -> list[int]:
    """Minutes the stub served to the last request (recomputed from its rule)."""
    query = stub.requests[-1]
    start = int(query["startTime"])
    stamps = range(start, stub.now_ms + 1, MIN)
    return [(t - T0) // MIN for t in stamps][: int(query["limit"])]


@pytest.mark.parametrize(
    ("now", "last"),
    [
        (NOW, 99),  # mid-minute 100: the candle stamped 100 is still forming
        (T0 + 100 * MIN, 99),  # candle 99 closes exactly now; 100 opens now (served, dropped)
        (T0 + 100 * MIN - 1, 98),  # 1 ms before: candle 99 is still forming
    ],
)
@on_asyncio
async def test_still_forming_candle_is_dropped(now: int, last: int) -> None:
    async with binance_stub() as (stub, exchange):
        stub.now_ms = now
        source = CcxtCandles(exchange, clock=StubClock(now))
        candles = await source.fetch(SYMBOL, "1m", T0 + 95 * MIN, 10)
    served = json_minutes(stub)
    assert served[-1] == last + 1  # the server did hand out the forming candle
    assert minutes(candles) == list(range(95, last + 1))
    assert len(stub.requests) == 1  # no paging past now


@on_asyncio
async def test_still_forming_higher_interval_candle_is_dropped() -> None:
    async with binance_stub() as (_stub, exchange):
        source = CcxtCandles(exchange, clock=StubClock(NOW))  # 100.5 min: 5m candle 100 forming
        candles = await source.fetch(SYMBOL, "5m", T0 + 80 * MIN, 10)
    assert minutes(candles) == [80, 85, 90, 95]


@on_asyncio
async def test_nothing_closed_after_since_gives_an_empty_window() -> None:
    async with binance_stub() as (stub, exchange):
        source = CcxtCandles(exchange, clock=StubClock(NOW))
        candles = await source.fetch(SYMBOL, "1m", T0 + 100 * MIN, 10)
        assert len(candles) == 0
        assert len(await source.fetch(SYMBOL, "1m", T0 + 500 * MIN, 10)) == 0
        assert len(await source.fetch(SYMBOL, "1m", T0, 0)) == 0
    assert len(stub.requests) == 2  # limit 0 asks nothing


@on_asyncio
async def test_limit_above_the_page_size_is_paged() -> None:
    async with binance_stub() as (stub, exchange):
        stub.now_ms = T0 + 3000 * MIN
        stub.page_size = 1000  # binance's cap, which ccxt applies to the request too
        source = CcxtCandles(exchange, clock=StubClock(stub.now_ms))
        candles = await source.fetch(SYMBOL, "1m", T0, 1500)
    assert [(q["startTime"], q["limit"]) for q in stub.requests] == [
        (str(T0), "1000"),
        (str(T0 + 1000 * MIN), "500"),
    ]
    assert minutes(candles) == list(range(1500))


# -- retries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [500, 503, 429])
@on_asyncio
async def test_server_error_is_retried(code: int) -> None:
    async with binance_stub() as (stub, exchange):
        stub.script = [status(code, "<html>busy</html>")]
        source = CcxtCandles(exchange, clock=StubClock(NOW), backoff_ms=5)
        candles = await source.fetch(SYMBOL, "1m", T0, 3)
    assert len(stub.requests) == 2
    assert minutes(candles) == [0, 1, 2]


@on_asyncio
async def test_timeout_is_retried() -> None:
    async with binance_stub(timeout_ms=150) as (stub, exchange):
        stub.script = [stall(2.0)]
        source = CcxtCandles(exchange, clock=StubClock(NOW), backoff_ms=5)
        started = time.monotonic()
        candles = await source.fetch(SYMBOL, "1m", T0, 3)
        elapsed = time.monotonic() - started
    assert len(stub.requests) == 2
    assert minutes(candles) == [0, 1, 2]
    assert 0.15 <= elapsed < 1.5


@on_asyncio
async def test_persistent_network_error_raises_after_the_backoff_schedule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []

    async def recording_sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(seconds)

    monkeypatch.setattr(ccxt_module, "_sleep", recording_sleep)
    async with binance_stub() as (stub, exchange):
        stub.script = [status(503)] * 4
        source = CcxtCandles(
            exchange, clock=StubClock(NOW), retries=4, backoff_ms=20, max_backoff_ms=50
        )
        assert source.backoff_schedule() == [20, 40, 50]
        started = time.monotonic()
        with pytest.raises(ccxt.ExchangeNotAvailable, match=r"after 4 attempt\(s\)") as info:
            await source.fetch(SYMBOL, "1m", T0, 3)
        elapsed = time.monotonic() - started
    assert "binance" in str(info.value) and "BTCUSDT" in str(info.value)
    assert len(stub.requests) == 4
    assert slept == [0.02, 0.04, 0.05]
    assert elapsed >= 0.11
    gaps = np.diff(stub.request_times)
    assert (gaps >= np.array([0.02, 0.04, 0.05]) - 0.005).all()


@on_asyncio
async def test_single_attempt_when_retries_is_one() -> None:
    async with binance_stub() as (stub, exchange):
        stub.script = [status(502)]
        source = CcxtCandles(exchange, clock=StubClock(NOW), retries=1)
        assert source.backoff_schedule() == []
        with pytest.raises(ccxt.NetworkError):
            await source.fetch(SYMBOL, "1m", T0, 3)
    assert len(stub.requests) == 1


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (status(400, json.dumps({"code": -1121, "msg": "Invalid symbol."})), "BadSymbol"),
        (status(401, "unauthorized"), "AuthenticationError"),
    ],
)
@on_asyncio
async def test_other_errors_are_not_retried(reply: Reply, error: str) -> None:
    async with binance_stub() as (stub, exchange):
        stub.script = [reply]
        source = CcxtCandles(exchange, clock=StubClock(NOW), backoff_ms=5)
        with pytest.raises(getattr(ccxt, error), match="not retried") as info:
            await source.fetch(SYMBOL, "1m", T0, 3)
    assert len(stub.requests) == 1
    assert "BTCUSDT" in str(info.value) and "binance" in str(info.value)
    assert not isinstance(info.value, ccxt.NetworkError)


@on_asyncio
async def test_unknown_market_is_rejected_by_ccxt_without_a_request() -> None:
    async with binance_stub() as (stub, exchange):
        source = CcxtCandles(exchange, clock=StubClock(NOW))
        with pytest.raises(ccxt.BadSymbol, match="DOGEBTC"):
            await source.fetch("DOGEBTC", "1m", T0, 3)
    assert stub.requests == []


# -- malformed payloads ------------------------------------------------------------------------


def _rows(n: int = 4) -> list[list[Any]]:
    return [kline(T0 + i * MIN) for i in range(n)]


def _with(row: int, column: int, value: Any) -> list[list[Any]]:
    rows = _rows()
    rows[row][column] = value
    return rows


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (_with(2, 4, "abc"), r"row 2: field close: not a finite number"),
        (_with(1, 1, "-5"), r"row 1: field open: price must be > 0"),
        (_with(3, 3, "0"), r"row 3: field low: price must be > 0"),
        (_with(0, 5, "-1"), r"row 0: field volume: volume must be >= 0"),
        (_with(2, 0, T0 + 2 * MIN + 7), r"row 2: field timestamp: not aligned to 60000 ms"),
        (_with(2, 0, T0 + MIN), r"row 2: field timestamp: duplicate timestamp"),
        (_with(1, 2, "1.0"), r"row 1: field high: high below max\(open, close\)"),
        ([*_rows(2), [T0 + 2 * MIN, "1.0", "1.0"]], r"row 2: field low: not a finite number"),
    ],
)
@on_asyncio
async def test_malformed_payload_is_rejected(rows: list[list[Any]], problem: str) -> None:
    async with binance_stub() as (stub, exchange):
        stub.script = [payload(rows)]
        source = CcxtCandles(exchange, clock=StubClock(NOW))
        with pytest.raises(CandleDataError, match=problem) as info:
            await source.fetch(SYMBOL, "1m", T0, 10)
    assert "CcxtCandles[binance BTCUSDT 1m]" in str(info.value)
    assert len(stub.requests) == 1  # bad data is not a network error: no retry


@on_asyncio
async def test_html_page_with_status_200_is_rejected() -> None:
    # ccxt parses a body it cannot read into an empty candle list; that must not pass as
    # "no candles yet"
    async with binance_stub() as (stub, exchange):
        stub.script = [status(200, "<html>down for maintenance</html>"), payload([])]
        source = CcxtCandles(exchange, clock=StubClock(NOW))
        with pytest.raises(CandleDataError, match=r"not JSON.*maintenance"):
            await source.fetch(SYMBOL, "1m", T0, 10)
        assert len(await source.fetch(SYMBOL, "1m", T0, 10)) == 0  # a real empty answer
    assert len(stub.requests) == 2


# -- construction, lifecycle, optional dependency ----------------------------------------------


@on_asyncio
async def test_exchange_id_and_async_context_manager() -> None:
    async with CcxtCandles("binance", retries=2) as source:
        source.exchange.timeout_on_exit = 0
        assert isinstance(source.exchange, ccxt.binance)
        assert source.exchange.enableRateLimit is True
        assert source.exchange_id == "binance"
    assert source.exchange.session is None  # closed


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown ccxt exchange id 'nope'"):
        CcxtCandles("nope")
    with pytest.raises(ValueError, match="retries"):
        CcxtCandles("binance", retries=0)
    with pytest.raises(ValueError, match="backoff"):
        CcxtCandles("binance", backoff_ms=-1)


def test_wall_clock_is_the_default() -> None:
    before = time.time_ns() // 1_000_000
    now = ccxt_module.WallClock().now()
    assert before <= now <= time.time_ns() // 1_000_000


def test_package_imports_without_ccxt_and_says_how_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['ccxt'] = None\n"
        "sys.modules['ccxt.async_support'] = None\n"
        "import backtestkit.adapters.candles as candles\n"
        "try:\n"
        "    candles.CcxtCandles('binance')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'backtestkit[ccxt]'" in out.stdout
