"""Hand-made closed signals for statistics tests."""

from __future__ import annotations

from backtestkit.bus import Closed, Pnl, SignalRow


def closed_signal(pending_at: int, close_at: int, pnl: float, n: int) -> Closed:
    """A closed long signal opened at pending_at, closed at close_at with `pnl` percent."""
    signal = SignalRow(
        id=f"s{n}",
        position="long",
        price_open=100.0,
        price_take_profit=110.0,
        price_stop_loss=90.0,
        minute_estimated_time=1440,
        note="",
        scheduled_at=pending_at,
        pending_at=pending_at,
        symbol="BTCUSD",
        exchange_name="x",
        strategy_name="s",
        is_scheduled=False,
    )
    return Closed(
        symbol="BTCUSD",
        strategy_name="s",
        exchange_name="x",
        current_price=100.0,
        backtest=True,
        signal=signal,
        close_reason="take_profit" if pnl > 0 else "stop_loss",
        close_timestamp=close_at,
        pnl=Pnl(pnl_percentage=pnl, price_open=100.0, price_close=100.0 + pnl),
    )
