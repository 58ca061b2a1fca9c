"""One human-readable line per live result (opened / closed / cancelled)."""

from __future__ import annotations

from backtestkit.actors.reports.formatting import iso_ms
from backtestkit.bus import Closed, TickResult

__all__ = ["live_line"]


def live_line(result: TickResult) -> str:
    signal = result.signal
    if signal is None:
        return f"{result.action} {result.symbol} at {result.current_price:g}"
    head = f"{result.action:<9} {signal.id} {signal.position} {result.symbol}"
    if isinstance(result, Closed):
        return (
            f"{head} {result.close_reason} at {result.current_price:g} "
            f"pnl {result.pnl.pnl_percentage:+.2f} % ({iso_ms(result.close_timestamp)})"
        )
    return (
        f"{head} open {signal.price_open:g} tp {signal.price_take_profit:g} "
        f"sl {signal.price_stop_loss:g} ({iso_ms(signal.pending_at)})"
    )
