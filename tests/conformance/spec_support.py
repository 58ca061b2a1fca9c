"""Helpers shared by the SCENARIOS section A ports (test_spec_*.py).

The expected numbers are derived here from the SPEC formulas (section 8 PnL, 9.1 statistics,
the VWAP convention, 10.1 formatting), never taken from the engine's own output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import anyio

from backtestkit.actors import Backtest, TickResult
from backtestkit.bus import DoneEvent, listen_done_backtest, listen_error

from .harness import HARNESS_CONFIG

SYMBOL = "BTCUSDT"


def spec_pnl(position: str, price_open: float, price_close: float) -> float:
    """SPEC 8 in its bit-exact evaluation order, with the harness slippage and fee (0.1 / 0.1)."""
    slippage = HARNESS_CONFIG["CC_PERCENT_SLIPPAGE"]
    fee = HARNESS_CONFIG["CC_PERCENT_FEE"]
    if position == "long":
        open_adj = price_open * (1 + slippage / 100)
        close_adj = price_close * (1 - slippage / 100)
        return ((close_adj - open_adj) / open_adj) * 100 - fee * 2
    open_adj = price_open * (1 - slippage / 100)
    close_adj = price_close * (1 + slippage / 100)
    return ((open_adj - close_adj) / open_adj) * 100 - fee * 2


def mock_vwap(first: int, last: int) -> float:
    """VWAP (SPEC conventions) of the MOCK candles k = first..last of one request (0.4)."""
    numerator = volume = 0.0
    for k in range(first, last + 1):
        base = 42000 + 100 * k
        typical = (((base + 380.2) + (base + 100)) + (base + 250.8)) / 3
        numerator += typical * (100 + 10 * k)
        volume += 100 + 10 * k
    return numerator / volume


def spec_statistics(pnls: Sequence[float], durations_ms: Sequence[int]) -> dict[str, Any]:
    """SPEC 9.1 over a stored (newest-first) list: running sums in list order; None if unsafe."""
    n = len(pnls)
    if n == 0:
        return dict.fromkeys(
            (
                "win_rate",
                "avg_pnl",
                "total_pnl",
                "std_dev",
                "sharpe_ratio",
                "annualized_sharpe_ratio",
                "certainty_ratio",
                "expected_yearly_returns",
            )
        )
    total = 0.0
    wins = losses = 0
    win_sum = loss_sum = 0.0
    for p in pnls:
        total = total + p
        if p > 0:
            wins += 1
            win_sum = win_sum + p
        elif p < 0:
            losses += 1
            loss_sum = loss_sum + p
    avg = total / n
    squares = 0.0
    for p in pnls:
        diff = p - avg
        squares = squares + diff * diff
    std = math.sqrt(squares / n)
    sharpe = avg / std if std > 0 else 0.0
    avg_win = win_sum / wins if wins else 0.0
    avg_loss = loss_sum / losses if losses else 0.0
    duration = 0.0
    for d in durations_ms:
        duration = duration + d
    days = (duration / n) / 86_400_000
    per_year = 365 / days if days > 0 else 0.0
    values = {
        "win_count": wins,
        "loss_count": losses,
        "win_rate": (wins / n) * 100,
        "avg_pnl": avg,
        "total_pnl": total,
        "std_dev": std,
        "sharpe_ratio": sharpe,
        "annualized_sharpe_ratio": sharpe * math.sqrt(365),
        "certainty_ratio": avg_win / abs(avg_loss) if avg_loss < 0 else 0.0,
        "expected_yearly_returns": avg * per_year,
    }
    return {
        key: (value if isinstance(value, int) or math.isfinite(value) else None)
        for key, value in values.items()
    }


def to_fixed(x: float, digits: int) -> str:
    """JS toFixed (SPEC 10.1): exact binary value, ties away from zero."""
    text = format(Decimal(abs(x)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP), "f")
    return "-" + text if x < 0 else text


def signed(x: float, digits: int) -> str:
    return ("+" if x > 0 else "") + to_fixed(x, digits)


def epoch_ms(value: datetime | int) -> int:
    """A callback's date argument as ms UTC (the engine may pass datetimes or ints)."""
    if isinstance(value, datetime):
        assert value.tzinfo is not None, "dates handed to callbacks must be timezone-aware"
        return round(value.timestamp() * 1000)
    return int(value)


async def collect_run(
    *, strategy: str, exchange: str = "mock", frame: str = "1d", symbol: str = SYMBOL
) -> list[TickResult]:
    """Backtest.run consumed to the end."""
    with anyio.fail_after(10):
        return [
            result
            async for result in Backtest.run(
                symbol, strategy=strategy, exchange=exchange, frame=frame
            )
        ]


async def run_background(
    *, strategy: str, exchange: str = "mock", frame: str = "1d", symbol: str = SYMBOL
) -> DoneEvent:
    """Backtest.background, then wait (at most 10 s) for this run's done_backtest event."""
    done = anyio.Event()
    events: list[DoneEvent] = []

    def on_done(event: DoneEvent) -> None:
        events.append(event)
        done.set()

    unsubscribe = listen_done_backtest(
        on_done, lambda e: e.strategy_name == strategy and e.symbol == symbol
    )
    try:
        with anyio.fail_after(10):
            Backtest.background(symbol, strategy=strategy, exchange=exchange, frame=frame)
            await done.wait()
    finally:
        unsubscribe()
    return events[0]


def collect_errors() -> list[BaseException]:
    """Every error-stream event from now on."""
    errors: list[BaseException] = []
    listen_error(errors.append)
    return errors
