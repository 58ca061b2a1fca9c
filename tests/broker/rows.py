"""Hand-made signal rows for the broker tests."""

from __future__ import annotations

from backtestkit.bus import SignalRow

START_MS = 1_521_810_000_000  # 2018-03-23T13:00Z, inside tests/data/kaggle_BTCUSD_1m.csv


def long_row(signal_id: str, price: float = 8300.0, *, position: str = "long") -> SignalRow:
    return SignalRow(
        id=signal_id,
        position=position,  # type: ignore[arg-type]
        price_open=price,
        price_take_profit=price * 1.01,
        price_stop_loss=price * 0.99,
        minute_estimated_time=60,
        note="",
        scheduled_at=START_MS,
        pending_at=START_MS,
        symbol="BTCUSD",
        exchange_name="sim",
        strategy_name="s",
        is_scheduled=False,
    )
