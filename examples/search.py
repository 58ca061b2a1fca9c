"""A parameter search for the command line, shareable by processes and machines.

    backtestkit optimize examples/search.py --symbol BTCUSD --name dip --get-signal dip_grid \\
        --space dip_space --trials 40 --batch 4 --exchange bitstamp --frame aug-2026 \\
        --interval 5m --metric total_pnl --storage dump/dip.journal --report dump/dip.md

Start the same command in several terminals (or on several machines sharing the journal file,
or with an RDB URL as --storage): they share the 40 trials; a stopped one resumes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import schemas  # noqa: F401  (registers the bitstamp exchange and the aug-2026 frame)

from backtestkit.actors import Signal, get_average_price, get_candles


def dip_grid(symbol: str, when: datetime, *, depth: float, take: float) -> Signal | None:
    """Buy `depth` under the hour's mean close; take-profit `take` above, stop 1 % under."""
    closes = get_candles(symbol, "1m", 60).close
    price = get_average_price(symbol)
    if price < closes.mean() * (1 - depth):
        return Signal("long", price * (1 + take), price * 0.99, 120)
    return None


def dip_space(trial: Any) -> dict[str, float]:
    return {
        "depth": trial.suggest_float("depth", 0.002, 0.02),
        "take": trial.suggest_float("take", 0.006, 0.03),
    }


if __name__ == "__main__":
    print("functions dip_grid (get_signal) and dip_space (space); see the docstring")
