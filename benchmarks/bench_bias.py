"""Look-ahead bias analyzer speed (issue 15): `analyze_bias` vs a plain backtest.

Workload: the SMA cross of bench_backtest (5m throttle, 30 candles) on its generated year of
one-minute candles (524 161 frames, about 2 800 signals). The plain backtest is
`Backtest.run_sync` in the default profile; the analyzer runs its baseline backtest under the
safe profile, then asks get_signal again at every opened signal on history cut there, with the
full history and a 1440-minute warm-up, and with the full history at the instants where it
answered None (a seeded sample of 2 000 plus every one within 5 minutes before an opened
signal; about 10 500 re-runs in all), in 2 worker processes whose
start-up is included (a new pool per call; the forkserver they fork from is started by the
first call, printed apart). Best of 3 each, printed as a ratio (target <= 3x). Prints figures;
never fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from bench_backtest import FRAMES, MINUTE, START, make_year, sma_cross

from backtestkit.actors import Backtest, add_exchange, add_frame, add_strategy, analyze_bias
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import MemoryCandles

TARGET_RATIO = 3.0
WORKERS = 2


def _best(run: Callable[[], object], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    reset_engine()
    add_exchange("year", candles=MemoryCandles({"BTCUSD": make_year()}))
    add_frame(
        "year",
        start=datetime.fromtimestamp(START / 1000).astimezone(),
        end=datetime.fromtimestamp((START + (FRAMES - 1) * MINUTE) / 1000).astimezone(),
    )
    add_strategy("sma", interval="5m", get_signal=sma_cross)
    plain = _best(
        lambda: Backtest.run_sync("BTCUSD", strategy="sma", exchange="year", frame="year")
    )
    signals = len(Backtest.run_sync("BTCUSD", strategy="sma", exchange="year", frame="year"))
    started = time.perf_counter()  # the first call also starts the forkserver
    report = analyze_bias("BTCUSD", strategies="sma", exchange="year", frame="year")
    first = time.perf_counter() - started
    analyzed = _best(
        lambda: analyze_bias(
            "BTCUSD", strategies="sma", exchange="year", frame="year", workers=WORKERS
        )
    )
    checked = report.strategy("sma").signals_checked
    idle = report.strategy("sma").idle_checked
    ratio = analyzed / plain
    verdict = "ok" if ratio <= TARGET_RATIO else "MISSED"
    print("\n== look-ahead bias analyzer (SMA cross, one year of 1m candles)")
    print(f"plain backtest:  {plain:.3f} s ({signals} closed signals)")
    print(
        f"analyze_bias:    {analyzed:.3f} s ({checked} signals x 2 histories + {idle} no-signal "
        f"instants x 1 re-run, {WORKERS} workers, changed: "
        f"{report.strategy('sma').signals_changed + report.strategy('sma').idle_changed})"
    )
    print(f"ratio:           {ratio:.2f}x (target <= {TARGET_RATIO:g}x) {verdict}")
    print(f"first call:      {first:.3f} s, {first / plain:.2f}x (starts the forkserver)")
    reset_engine()


if __name__ == "__main__":
    main()
