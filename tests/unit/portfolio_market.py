"""Three symbols for portfolio tests: the golden fixtures' real BTC/USD candles (tests/data),
the same scaled by 0.5, and scaled by 1.7 and shifted 7 minutes later (synthetic variants, so
their signals fall at other minutes)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from backtestkit.actors import (
    RiskValidation,
    Signal,
    add_exchange,
    add_frame,
    add_risk,
    add_strategy,
    get_average_price,
)
from backtestkit.adapters.candles import MemoryCandles

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
sys.path.insert(0, str(GOLDEN))
from strategies import DATA, FRAME_END, FRAME_START, STRATEGIES, outside_hours  # noqa: E402

SYMBOLS = ["BTCUSD", "HALF", "SHIFT"]
COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")


def market_data() -> dict[str, dict[str, Any]]:
    raw = np.loadtxt(Path(__file__).resolve().parents[2] / DATA, delimiter=",", skiprows=1)
    base: dict[str, Any] = {c: raw[:, i] for i, c in enumerate(COLUMNS)}
    base["timestamp"] = base["timestamp"].astype(np.int64)

    def variant(scale: float, shift_minutes: int) -> dict[str, Any]:
        out = {
            c: v * scale if c in ("open", "high", "low", "close") else v for c, v in base.items()
        }
        out["timestamp"] = base["timestamp"] + shift_minutes * 60_000
        return out

    return {"BTCUSD": base, "HALF": variant(0.5, 0), "SHIFT": variant(1.7, 7)}


OFFSETS = {"BTCUSD": 0, "HALF": 11, "SHIFT": 23}


def staggered(symbol: str, when: datetime) -> Signal | None:
    """A long every 29 minutes, each symbol at its own offset: the symbols ask for the slot at
    different minutes, so each of them gets it sometimes."""
    minute = round(when.timestamp()) // 60
    if (minute + OFFSETS[symbol]) % 29:
        return None
    price = get_average_price(symbol)
    return Signal("long", price * 1.006, price * 0.994, 45)


STRATEGIES_AND_STAGGERED = {**STRATEGIES, "staggered": ("1m", staggered, None)}


def register(name: str, *, order: list[str] | None = None, risk: str | None = None) -> None:
    """Exchange "mem" (symbols loaded in `order`), frame "f", risk "hours" and strategy `name`
    (a golden strategy, with `risk` instead of its own when given)."""
    data = market_data()
    add_exchange("mem", candles=MemoryCandles({s: data[s] for s in order or SYMBOLS}))
    add_frame("f", start=FRAME_START, end=FRAME_END, interval="1m")
    add_risk("hours", validations=[RiskValidation(outside_hours, note="trading hours 06-24 UTC")])
    interval, fn, own_risk = STRATEGIES_AND_STAGGERED[name]
    add_strategy(name, interval=interval, get_signal=fn, risk=risk or own_risk)
