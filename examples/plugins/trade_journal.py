"""Plugin: a JSONL trade journal, one line per closed signal, written as the engine closes it.

Run: `python examples/plugins/trade_journal.py` (writes dump/journal.jsonl).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from backtestkit.bus import Closed, TickResult, Unsubscribe, listen_signal_backtest


class TradeJournal:
    """A plain callable listener; `attach()` subscribes it to closed backtest signals."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(b"")  # a fresh journal per run

    def __call__(self, result: TickResult) -> None:
        assert isinstance(result, Closed)
        entry = {
            "close_timestamp": result.close_timestamp,
            "symbol": result.symbol,
            "strategy": result.strategy_name,
            "signal_id": result.signal.id,
            "position": result.signal.position,
            "price_open": result.pnl.price_open,
            "price_close": result.pnl.price_close,
            "close_reason": result.close_reason,
            "pnl_percentage": result.pnl.pnl_percentage,
        }
        with self.path.open("ab") as journal:  # one flushed line per trade, crash or not
            journal.write(orjson.dumps(entry) + b"\n")

    def attach(self) -> Unsubscribe:
        return listen_signal_backtest(self, where=lambda r: r.action == "closed")


if __name__ == "__main__":
    from _demo import run_demo

    journal = TradeJournal("dump/journal.jsonl")
    unsubscribe = journal.attach()
    run_demo()
    unsubscribe()
    lines = journal.path.read_text().splitlines()
    print(f"{len(lines)} trades journaled in {journal.path}; the first:\n{lines[0]}")
