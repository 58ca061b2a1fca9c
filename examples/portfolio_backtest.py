"""A portfolio backtest with one cash account: two strategies on 14 days of real Bitstamp
BTC/USD candles (examples/data), one risk slot between them, 10 000 USD of capital.

Prints the portfolio summary (equity, drawdown, exposure, per-symbol contribution, rejected
entries and the heatmap) and writes it to dump/portfolio/.
Run: python examples/portfolio_backtest.py
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from backtestkit.actors import (
    Portfolio,
    Signal,
    add_exchange,
    add_frame,
    add_risk,
    add_sizing,
    add_strategy,
    get_average_price,
    get_candles,
)
from backtestkit.adapters.candles import CsvCandles

DATA = Path(__file__).resolve().parent / "data" / "bitstamp_BTCUSD_1m.csv"


def breakout(symbol: str, when: datetime) -> Signal | None:
    candles = get_candles(symbol, "1m", 60)
    if len(candles) < 30:
        return None
    price = get_average_price(symbol)
    if price > candles.high[:-1].max():
        return Signal("long", price * 1.01, price * 0.99, 120)
    return None


def dip(symbol: str, when: datetime) -> Signal | None:
    closes = get_candles(symbol, "1m", 60).close
    price = get_average_price(symbol)
    if len(closes) == 60 and price < closes.mean() * 0.99:
        return Signal("long", price * 1.01, price * 0.99, 120)
    return None


def main() -> None:
    add_exchange("bitstamp", candles=CsvCandles(DATA, symbol="BTCUSD"))
    add_frame("aug", start=datetime(2026, 8, 17, tzinfo=UTC), end=datetime(2026, 8, 30, tzinfo=UTC))
    add_risk("one-slot", max_concurrent_positions=1)
    add_sizing(
        "risk-2pct", method="fixed_percentage", risk_percentage=2, max_position_percentage=50
    )
    for name, fn in (("breakout", breakout), ("dip", dip)):
        add_strategy(name, interval="5m", get_signal=fn, risk="one-slot", sizing="risk-2pct")
    strategies = ["breakout", "dip"]
    Portfolio.run_sync(
        ["BTCUSD"], strategy=strategies, exchange="bitstamp", frame="aug", capital=10_000
    )
    stats = Portfolio.get_data(["BTCUSD"], strategies)
    print(Portfolio.get_report(["BTCUSD"], strategies))
    print(
        f"final equity {stats.final_equity:.2f} USD, {len(stats.trades)} trades, "
        f"{len(stats.rejections)} entries refused (the slot was taken)"
    )
    print("report:", Portfolio.dump(["BTCUSD"], strategies))


if __name__ == "__main__":
    main()
