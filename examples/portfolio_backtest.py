"""A portfolio backtest with one cash account: two strategies on four real instruments (Bittrex
ETH/BTC, LTC/BTC, XLM/BTC and ADA/BTC one-minute candles, 2018-01-20 to 2018-01-30, from
examples/data), one position at a time across all of them, 1 BTC of capital.

Prints the portfolio summary (equity, drawdown, exposure, per-symbol contribution, refused
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

DATA = Path(__file__).resolve().parent / "data"
SYMBOLS = ["ETHBTC", "LTCBTC", "XLMBTC", "ADABTC"]
STRATEGIES = ["breakout", "dip"]


def breakout(symbol: str, when: datetime) -> Signal | None:
    """Long when the 5-candle VWAP clears the highest high of the hour before."""
    candles = get_candles(symbol, "1m", 60)
    if len(candles) < 30:
        return None
    price = get_average_price(symbol)
    if price > candles.high[:-1].max():
        return Signal("long", price * 1.01, price * 0.99, 120)
    return None


def dip(symbol: str, when: datetime) -> Signal | None:
    """Long (buy the dip) when the 5-candle VWAP falls below the lowest low of the hour before."""
    candles = get_candles(symbol, "1m", 60)
    if len(candles) < 30:
        return None
    price = get_average_price(symbol)
    if price < candles.low[:-1].min():
        return Signal("long", price * 1.01, price * 0.99, 120)
    return None


def add_market() -> None:
    """The exchange (one CSV per symbol) and the frame, shared by the example and its test."""
    files = {symbol: DATA / f"bittrex_{symbol}_1m.csv" for symbol in SYMBOLS}
    add_exchange("bittrex", candles=CsvCandles(files))
    add_frame(
        "jan-2018",
        start=datetime(2018, 1, 20, 6, tzinfo=UTC),
        end=datetime(2018, 1, 29, 23, tzinfo=UTC),
    )


def main() -> None:
    add_market()
    add_risk("one-slot", max_concurrent_positions=1)
    add_sizing(
        "risk-2pct", method="fixed_percentage", risk_percentage=2, max_position_percentage=50
    )
    for name, fn in zip(STRATEGIES, (breakout, dip), strict=True):
        add_strategy(name, interval="5m", get_signal=fn, risk="one-slot", sizing="risk-2pct")
    Portfolio.run_sync(
        SYMBOLS, strategy=STRATEGIES, exchange="bittrex", frame="jan-2018", capital=1.0
    )
    stats = Portfolio.get_data(SYMBOLS, STRATEGIES)
    print(Portfolio.get_report(SYMBOLS, STRATEGIES))
    print(
        f"final equity {stats.final_equity:.8f} BTC, {len(stats.trades)} trades, "
        f"{len(stats.rejections)} entries refused (the slot was taken)"
    )
    print("report:", Portfolio.dump(SYMBOLS, STRATEGIES))


if __name__ == "__main__":
    main()
