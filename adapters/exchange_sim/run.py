"""Starting the local exchange: markets from `SYMBOL=CSV`, balances from `ASSET=AMOUNT`."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from ..candles.csv import read_csv_table
from .book import SimExchange, SimMarket
from .faults import FaultPlan, parse_fault
from .server import SimServer, build_app

__all__ = ["QUOTE_ASSETS", "market_from_arg", "parse_balance", "serve"]

QUOTE_ASSETS = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD", "EUR", "BTC", "ETH", "BNB")


def market_from_arg(text: str) -> SimMarket:
    """`BTCUSDT=candles.csv` (quote asset found by its suffix) or `BTC/USDT=candles.csv`."""
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise ValueError(f"--data {text!r}: expected SYMBOL=CSV")
    if "/" in name:
        base, _, quote = name.partition("/")
    else:
        quote = next((q for q in QUOTE_ASSETS if name.endswith(q) and len(name) > len(q)), "")
        base = name[: -len(quote)] if quote else ""
    if not base or not quote:
        raise ValueError(
            f"--data {text!r}: cannot tell base from quote in {name!r}; write it BASE/QUOTE"
        )
    return SimMarket(id=base + quote, base=base, quote=quote, candles=read_csv_table(Path(path)))


def parse_balance(text: str) -> tuple[str, float]:
    asset, sep, amount = text.partition("=")
    try:
        value = float(amount)
    except ValueError:
        value = -1.0
    if not sep or not asset or not (value >= 0):
        raise ValueError(f"--balance {text!r}: expected ASSET=AMOUNT with AMOUNT >= 0")
    return asset, value


async def serve(
    exchange: SimExchange,
    *,
    port: int,
    faults: Sequence[str] = (),
    fault_delay_s: float = 10.0,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve on 127.0.0.1:port until cancelled; prints the URL once listening."""
    server = SimServer(
        exchange,
        api_key=os.environ.get("BACKTESTKIT_API_KEY", ""),
        api_secret=os.environ.get("BACKTESTKIT_API_SECRET", ""),
        faults=FaultPlan([parse_fault(f) for f in faults]),
        fault_delay_s=fault_delay_s,
    )
    runner = web.AppRunner(build_app(server), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"exchange-sim listening on http://127.0.0.1:{bound}", flush=True)
    sys.stdout.flush()
    if ready is not None:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
