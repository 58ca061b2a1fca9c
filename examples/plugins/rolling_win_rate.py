"""Plugin: merge the closed-signal streams of several symbols into one rolling win rate (ops.scan).

Run: `python examples/plugins/rolling_win_rate.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

import reactivex
import reactivex.operators as ops

from backtestkit.bus import Closed, TickResult, topics


def closed_of(
    symbol: str, source: reactivex.Observable[TickResult]
) -> reactivex.Observable[Closed]:
    def closed(result: TickResult) -> reactivex.Observable[Closed]:
        if isinstance(result, Closed) and result.symbol == symbol:
            return reactivex.just(result)
        return reactivex.empty()

    return source.pipe(ops.flat_map(closed))


def rolling_win_rate(
    symbols: Sequence[str], window: int = 10, source: reactivex.Observable[TickResult] | None = None
) -> reactivex.Observable[tuple[Closed, float]]:
    """(closed signal, win rate in % over the last `window` closes of all `symbols`)."""
    stream = source if source is not None else topics.transition.observable
    merged = reactivex.merge(*(closed_of(symbol, stream) for symbol in symbols))

    def step(recent: tuple[Closed, ...], closed: Closed) -> tuple[Closed, ...]:
        return (*recent, closed)[-window:]

    def win_rate(recent: tuple[Closed, ...]) -> tuple[Closed, float]:
        return recent[-1], 100 * sum(r.pnl.pnl_percentage > 0 for r in recent) / len(recent)

    seed: tuple[Closed, ...] = ()
    return merged.pipe(ops.scan(step, seed), ops.map(win_rate))


if __name__ == "__main__":
    from _demo import SYMBOLS, run_demo

    rates: list[tuple[Closed, float]] = []
    rolling_win_rate(SYMBOLS, window=20).subscribe(rates.append)
    run_demo()
    for closed, rate in rates[-3:]:
        print(f"{closed.symbol} {closed.close_reason:<12} win rate of the last 20: {rate:.0f} %")
    print(f"{len(rates)} closes; lowest rolling win rate {min(r for _, r in rates):.0f} %")
