"""Schemas for the command line: the example strategies on the shipped Bitstamp candles.

    backtestkit backtest examples/schemas.py --symbol BTCUSD --strategy sma-cross \\
        --exchange bitstamp --frame aug-2026 --report dump/cli/sma-cross.md \\
        --html dump/cli/sma-cross.html --jsonl dump/cli/sma-cross.jsonl
    backtestkit walk examples/schemas.py --symbol BTCUSD --walker compare --workers 2

The CLI imports this file as the module `schemas` (its folder first on sys.path), so the
strategies below are importable by reference and `walk --workers N` can ship them to worker
processes. Registration happens at import; running this file directly only lists the names.
"""

from __future__ import annotations

from backtest_sma import DATA, sma_cross
from walker_compare import AUGUST, mean_reversion, sma_5_20, sma_10_40

from backtestkit.actors import add_exchange, add_frame, add_strategy, add_walker
from backtestkit.adapters.candles import CsvCandles

add_exchange("bitstamp", candles=CsvCandles(DATA, symbol="BTCUSD"))
add_frame("aug-2026", start=AUGUST[0], end=AUGUST[1])
add_strategy("sma-cross", interval="5m", get_signal=sma_cross)
add_strategy("sma-5-20", interval="5m", get_signal=sma_5_20)
add_strategy("sma-10-40", interval="5m", get_signal=sma_10_40)
add_strategy("mean-reversion", interval="5m", get_signal=mean_reversion)
add_walker(
    "compare",
    strategies=["sma-5-20", "sma-10-40", "mean-reversion"],
    exchange="bitstamp",
    frame="aug-2026",
    metric="sharpe_ratio",
)

if __name__ == "__main__":
    print("exchange bitstamp, frame aug-2026, strategies sma-cross sma-5-20 sma-10-40")
    print("mean-reversion, walker compare; see the docstring for the backtestkit commands")
