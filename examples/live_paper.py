"""Paper trading in Live mode on an accelerated clock: two days of Bitstamp BTC/USD in seconds.

Run: `python examples/live_paper.py` (from the command line: `backtestkit live
examples/schemas.py ... --replay-from ISO --replay-to ISO`, see the README). The live loop
ticks every 60 001 ms of *virtual* time (VirtualClock: sleeping advances the clock at once);
ReplayCandles serves the CSV as an exchange would, only candles that have opened by now. State
goes to a temporary directory; the report to dump/live/sma-cross-live.md. At the end
`parity_async` replays the run's recording as a backtest of the same strategy and prints
whether every signal matched.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import anyio

from backtestkit.actors import (
    Closed,
    Live,
    Signal,
    VirtualClock,
    add_exchange,
    add_strategy,
    configure_logging,
    get_average_price,
    get_candles,
)
from backtestkit.actors.live import parity_async
from backtestkit.adapters.candles import CsvCandles, ReplayCandles

DATA = Path(__file__).parent / "data" / "bitstamp_BTCUSD_1m.csv"
START = datetime(2026, 8, 17, 1, tzinfo=UTC)
DAYS = 2
SYMBOL, NAME = "BTCUSD", "sma-cross-live"


def sma_cross(symbol: str, when: datetime) -> Signal | None:
    """Market entry when SMA(5) crosses SMA(20) of the last 30 one-minute closes."""
    closes = get_candles(symbol, "1m", 30).close
    fast_now, fast_prev = closes[-5:].mean(), closes[-6:-1].mean()
    slow_now, slow_prev = closes[-20:].mean(), closes[-21:-1].mean()
    price = get_average_price(symbol)
    if fast_prev <= slow_prev and fast_now > slow_now:
        return Signal("long", price * 1.01, price * 0.993, 240, note="golden cross")
    if fast_prev >= slow_prev and fast_now < slow_now:
        return Signal("short", price * 0.99, price * 1.007, 240, note="death cross")
    return None


async def main() -> None:
    configure_logging("warning", force=True)
    clock = VirtualClock(int(START.timestamp() * 1000))
    end = clock.now() + DAYS * 86_400_000
    add_exchange("bitstamp", candles=ReplayCandles(CsvCandles(DATA, symbol=SYMBOL), clock))
    add_strategy(NAME, interval="5m", get_signal=sma_cross)
    with tempfile.TemporaryDirectory(prefix="live_paper_") as state:
        # stop_at: no new entry from then on; an open position is followed until it closes
        run = Live.run(
            SYMBOL, strategy=NAME, exchange="bitstamp", clock=clock, state_dir=state, stop_at=end
        )
        async for result in run:
            signal = result.signal
            if signal is None:  # a live run yields opened, closed and cancelled signals only
                continue
            stamp = datetime.fromtimestamp(clock.now() / 1000, UTC).strftime("%Y-%m-%d %H:%M")
            line = f"{stamp} {result.action:<9} {signal.position:<5} {signal.note:<12}"
            if isinstance(result, Closed):
                line += f" {result.close_reason:<12} {result.pnl.pnl_percentage:+.2f} %"
            else:
                line += f" at {result.current_price:,.2f}"
            print(line)
        print((await parity_async(state)).first_divergence())  # the recording as a backtest
    stats = Live.get_data(SYMBOL, NAME)
    print(f"{stats.total_closed} closed, total PnL {stats.total_pnl or 0:+.2f} %")
    print(f"Live report: {Live.dump(SYMBOL, NAME)}")


if __name__ == "__main__":
    anyio.run(main)
