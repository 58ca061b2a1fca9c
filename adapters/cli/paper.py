"""The paper session of `backtestkit live --replay-from ISO [--replay-to ISO]`: Live on a virtual
clock over the exchange's own candles, each served once it has opened (ReplayCandles).

New entries stop at `--replay-to` (or the data's end); an open position is followed until it
closes or the data runs out, then the run ends by itself (its position, if any, stays on disk).
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass

from backtestkit.actors import VirtualClock
from backtestkit.actors.core import registry
from backtestkit.actors.market import CandleDataError
from backtestkit.actors.reports.formatting import iso_ms
from backtestkit.actors.reports.live_statistics import LiveStatistics
from backtestkit.bus import SignalRow

from ..candles import ReplayCandles
from ..candles.replay import TableProvider
from .errors import plain_message
from .parser import UsageError

__all__ = ["PaperSession", "paper_session", "run_summary"]


@dataclass(frozen=True, slots=True)
class PaperSession:
    """What `live` runs on instead of the wall clock and the exchange's live feed."""

    exchange: str
    clock: VirtualClock
    start_ms: int  # --replay-from
    stop_ms: int | None  # --replay-to: no new entry from here (None: the data's end)
    data_end_ms: int  # the last one-minute candle: the run ends before a tick past it

    def describe(self) -> str:
        until = "the data's end" if self.stop_ms is None else iso_ms(self.stop_ms)
        return (
            f"paper session on {self.exchange}'s candles from {iso_ms(self.start_ms)}, "
            f"new entries until {until}, data until {iso_ms(self.data_end_ms)}"
        )


def paper_session(args: argparse.Namespace) -> PaperSession | None:
    """The session `args` ask for (None: live on the wall clock). Serves the exchange's candles
    through ReplayCandles on the session's clock, under the exchange's own name."""
    start, stop = args.replay_from, args.replay_to
    if start is None:
        if stop is not None:
            raise UsageError("--replay-to needs --replay-from")
        return None
    try:
        schema = registry.exchange(args.exchange)
    except ValueError as exc:
        raise UsageError(plain_message(exc)) from None
    source: object = schema.candles
    if isinstance(source, ReplayCandles):
        source = source.source
    if not isinstance(source, TableProvider):
        raise UsageError(
            f"--replay-from: exchange {args.exchange!r} serves {type(source).__name__}; a replay "
            "needs candles from a file or table (CsvCandles, ParquetCandles, MemoryCandles)"
        )
    try:
        table = source.table(args.symbol, "1m")
    except (CandleDataError, KeyError, OSError, ValueError) as exc:
        raise UsageError(plain_message(exc)) from None
    where = f"one-minute candles of {args.symbol} on {args.exchange!r}"
    if table.n == 0:
        raise UsageError(f"--replay-from: no {where}")
    first, last = int(table.timestamp[0]), int(table.timestamp[-1])
    span = f"{where} run from {iso_ms(first)} to {iso_ms(last)}"
    if not first <= start <= last:
        raise UsageError(f"--replay-from {iso_ms(start)}: outside the data; the {span}")
    if stop is not None and stop <= start:
        raise UsageError(f"--replay-to {iso_ms(stop)} must be after --replay-from {iso_ms(start)}")
    clock = VirtualClock(start)
    replay = dataclasses.replace(schema, candles=ReplayCandles(source, clock))
    registry.exchanges[schema.name] = replay
    return PaperSession(schema.name, clock, start, stop, last)


def run_summary(stats: LiveStatistics, still_open: SignalRow | None) -> str:
    """One line when a live run ended by itself: its closed signals and what stays open."""
    closed = stats.total_closed
    line = f"run ended: {closed} closed signal{'' if closed == 1 else 's'}"
    if closed:
        line += (
            f", {stats.win_count} won, {stats.loss_count} lost, "
            f"total PnL {stats.total_pnl or 0:+.2f} %"
        )
    if still_open is not None:
        line += f"; {still_open.id} stays open in the state dir for the next start"
    return line
