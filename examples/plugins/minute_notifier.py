"""Plugin: notify closed signals in batches, one message per minute of signal time (reactivex).

Batches are keyed by the minute of `close_timestamp`, not by wall time, so a backtest gives the
same messages on every machine. They are sent when `until` emits (the end of the runs).
Run: `python examples/plugins/minute_notifier.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import reactivex
import reactivex.operators as ops
from reactivex import GroupedObservable
from reactivex.abc import DisposableBase
from reactivex.subject import Subject

from backtestkit.bus import Closed, TickResult, topics

Batch = tuple[int, list[Closed]]  # (minute start in ms, the signals closed in that minute)


def minute_batches(
    results: reactivex.Observable[TickResult], until: reactivex.Observable[Any]
) -> reactivex.Observable[Batch]:
    """Closed signals grouped by close minute, each group emitted as one batch at `until`."""

    def closed(result: TickResult) -> reactivex.Observable[Closed]:
        return reactivex.just(result) if isinstance(result, Closed) else reactivex.empty()

    def minute(result: Closed) -> int:
        return result.close_timestamp // 60_000 * 60_000

    def batch(group: GroupedObservable[int, Closed]) -> reactivex.Observable[Batch]:
        def keyed(signals: list[Closed]) -> Batch:
            return group.key, signals

        return group.pipe(ops.to_list(), ops.map(keyed))

    return results.pipe(
        ops.flat_map(closed), ops.take_until(until), ops.group_by(minute), ops.flat_map(batch)
    )


def message(batch: Batch) -> str:
    minute, closed = batch
    stamp = datetime.fromtimestamp(minute / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
    items = ", ".join(f"{r.symbol} {r.close_reason} {r.pnl.pnl_percentage:+.2f} %" for r in closed)
    return f"{stamp}: {len(closed)} closed: {items}"


def notify(send: Callable[[str], None], until: reactivex.Observable[Any]) -> DisposableBase:
    """Send one message per minute batch of everything the engine closes."""
    return minute_batches(topics.transition.observable, until).subscribe(lambda b: send(message(b)))


if __name__ == "__main__":
    from _demo import run_demo

    end = Subject[bool]()
    sent: list[str] = []
    notify(sent.append, end)
    run_demo()
    end.on_next(True)
    print(f"{len(sent)} messages; the busiest minute:")
    print(max(sent, key=lambda text: int(text.split(": ")[1].split()[0])))
