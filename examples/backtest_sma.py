"""SMA-cross backtest on 14 days of real Bitstamp BTC/USD one-minute candles.

Run: `make run` (or `python examples/backtest_sma.py`). Shows a progress bar (on a terminal)
and a summary, and writes dump/backtest/sma-cross.md and dump/backtest/sma-cross.html.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from backtestkit.actors import (
    Backtest,
    Signal,
    add_exchange,
    add_frame,
    add_strategy,
    get_average_price,
    get_candles,
)
from backtestkit.adapters.candles import CsvCandles
from backtestkit.adapters.progress import ProgressBars
from backtestkit.adapters.reports import write_html
from backtestkit.adapters.summary import backtest_summary

DATA = Path(__file__).parent / "data" / "bitstamp_BTCUSD_1m.csv"


def sma_cross(symbol: str, when: datetime) -> Signal | None:
    """Market entry when SMA(5) crosses SMA(20) of the last 30 one-minute closes."""
    closes = get_candles(symbol, "1m", 30).close
    if len(closes) < 21:
        return None
    fast_now, fast_prev = closes[-5:].mean(), closes[-6:-1].mean()
    slow_now, slow_prev = closes[-20:].mean(), closes[-21:-1].mean()
    price = get_average_price(symbol)
    if fast_prev <= slow_prev and fast_now > slow_now:
        return Signal("long", price * 1.01, price * 0.993, 240, note="golden cross")
    if fast_prev >= slow_prev and fast_now < slow_now:
        return Signal("short", price * 0.99, price * 1.007, 240, note="death cross")
    return None


def main() -> None:
    add_exchange("bitstamp", candles=CsvCandles(DATA, symbol="BTCUSD"))
    add_frame(
        "aug-2026",
        start=datetime(2026, 8, 17, tzinfo=UTC),
        end=datetime(2026, 8, 30, 23, 59, tzinfo=UTC),
    )
    add_strategy("sma-cross", interval="5m", get_signal=sma_cross)

    with ProgressBars():  # a progress bar on a terminal, nothing when the output is piped
        results = Backtest.run_sync(
            "BTCUSD", strategy="sma-cross", exchange="bitstamp", frame="aug-2026"
        )
    stats = Backtest.get_data("BTCUSD", "sma-cross")
    console = Console()
    title = "SMA cross, BTC/USD 1m, 2026-08-17 .. 2026-08-30"
    rejections = Backtest.get_rejections("BTCUSD", "sma-cross")  # signals validation refused
    summary = backtest_summary(stats, title=title, results=len(results), rejections=rejections)
    console.print(summary, soft_wrap=True)
    console.print(f"Markdown report: {Backtest.dump('BTCUSD', 'sma-cross')}")
    console.print(f"HTML report: {write_html('BTCUSD', 'sma-cross')}")  # charts: extra `plot`


if __name__ == "__main__":
    main()
