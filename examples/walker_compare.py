"""Walker: three strategies on 14 days of real Bitstamp BTC/USD 1m candles, ranked by Sharpe.
Run: `python examples/walker_compare.py`; writes dump/walker/compare.md. (With `workers=2` the
backtests run in two processes; the strategies must then live in an importable module.)"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import anyio

from backtestkit.actors import (
    Signal,
    Walker,
    add_exchange,
    add_frame,
    add_strategy,
    add_walker,
    get_average_price,
    get_candles,
)
from backtestkit.adapters.candles import CsvCandles

DATA = Path(__file__).parent / "data" / "bitstamp_BTCUSD_1m.csv"
AUGUST = (datetime(2026, 8, 17, 1, tzinfo=UTC), datetime(2026, 8, 30, 23, 59, tzinfo=UTC))


def sma(symbol: str, fast: int, slow: int) -> Signal | None:
    """Market entry when SMA(fast) crosses SMA(slow) of the one-minute closes."""
    closes = get_candles(symbol, "1m", slow + 1).close
    fast_now, fast_prev = closes[-fast:].mean(), closes[-fast - 1 : -1].mean()
    slow_now, slow_prev = closes[-slow:].mean(), closes[-slow - 1 : -1].mean()
    price = get_average_price(symbol)
    if fast_prev <= slow_prev and fast_now > slow_now:
        return Signal("long", price * 1.01, price * 0.993, 240)
    if fast_prev >= slow_prev and fast_now < slow_now:
        return Signal("short", price * 0.99, price * 1.007, 240)
    return None


def sma_5_20(symbol: str, when: datetime) -> Signal | None:
    return sma(symbol, 5, 20)


def sma_10_40(symbol: str, when: datetime) -> Signal | None:
    return sma(symbol, 10, 40)


def mean_reversion(symbol: str, when: datetime) -> Signal | None:
    mean = get_candles(symbol, "1m", 60).close.mean()
    price = get_average_price(symbol)
    if price < mean * 0.985:
        return Signal("long", price * 1.01, price * 0.99, 120)
    if price > mean * 1.015:
        return Signal("short", price * 0.99, price * 1.01, 120)
    return None


async def main() -> None:
    add_exchange("bitstamp", candles=CsvCandles(DATA, symbol="BTCUSD"))
    add_frame("aug", start=AUGUST[0], end=AUGUST[1])
    strategies = {"sma-5-20": sma_5_20, "sma-10-40": sma_10_40, "mean-reversion": mean_reversion}
    for name, fn in strategies.items():
        add_strategy(name, interval="5m", get_signal=fn)
    add_walker("compare", strategies=list(strategies), exchange="bitstamp", frame="aug")
    async for done in Walker.run("BTCUSD", walker="compare"):
        print(
            f"{done.strategies_tested}/{done.total_strategies} {done.strategy_name}: "
            f"sharpe {done.current_metric}, best so far {done.best_strategy}"
        )
    results = Walker.get_data("BTCUSD", "compare").strategy_results
    ranked = sorted(results, key=lambda r: -1e9 if r.metric_value is None else -r.metric_value)
    print("\nRanking by Sharpe ratio:")
    for rank, r in enumerate(ranked, 1):
        pnl = "N/A" if r.stats.total_pnl is None else f"{r.stats.total_pnl:+.2f} %"
        print(f"{rank}. {r.strategy_name:<15} sharpe {r.metric_value!s:<21} total PnL {pnl}")
    print(f"Markdown report: {Walker.dump('BTCUSD', 'compare')}")


if __name__ == "__main__":
    anyio.run(main)
