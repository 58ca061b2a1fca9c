"""Reading a live recording back: runs, their ticks, the yielded results, and the candles as the
history a backtest sees (the last served version of each), with revisions and late candles."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from backtestkit.bus import SignalRow

from ..market.candles import CandleTable
from ..market.intervals import CANDLE_INTERVALS, MINUTE_MS
from .recording import (
    CANDLE,
    CANDLE_BODY,
    FILL,
    INTERVALS,
    RUN,
    SIGNAL,
    SYMBOL,
    TICK,
    TICK_BODY,
    damaged_inside,
    scan_frames,
)
from .state_json import row_from_json

__all__ = ["CandleRevision", "RecordedRun", "Recording", "read_recording"]

OHLCV = tuple[float, float, float, float, float]


@dataclass(frozen=True, slots=True)
class CandleRevision:
    """A candle served again with other values: `tick` is the tick that saw the new ones."""

    symbol: str
    interval: str
    timestamp: int
    tick: int
    before: OHLCV
    after: OHLCV


@dataclass(slots=True)
class RecordedRun:
    """One `Live.run` from its start (after restore) to its last recorded tick."""

    symbol: str
    strategy: str
    exchange: str
    started: int
    pending: SignalRow | None
    scheduled: SignalRow | None
    ticks: list[int] = field(default_factory=list)
    signals: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (tick, to_dict)
    fills: list[dict[str, Any]] = field(default_factory=list)  # the broker's final answers


@dataclass(slots=True)
class Recording:
    path: Path
    runs: list[RecordedRun]
    candles: dict[tuple[str, str], dict[int, OHLCV]]  # the last served version of each candle
    first_served: dict[tuple[str, str, int], int]  # (symbol, interval, ts) -> first tick
    revisions: list[CandleRevision]
    torn_bytes: int  # ignored after the last intact record (a crash mid-write)

    @property
    def ticks(self) -> int:
        return sum(len(run.ticks) for run in self.runs)

    @property
    def signals(self) -> list[tuple[int, dict[str, Any]]]:
        return [item for run in self.runs for item in run.signals]

    @property
    def fills(self) -> list[dict[str, Any]]:
        return [fill for run in self.runs for fill in run.fills]

    def table(self, symbol: str, interval: str) -> CandleTable:
        """The recorded candles of (symbol, interval) as a table, oldest first."""
        rows = self.candles.get((symbol, interval))
        if not rows:
            raise KeyError(
                f"recording {self.path}: no {interval} candles of {symbol!r} were served live"
            )
        stamps = sorted(rows)
        values = np.array([rows[ts] for ts in stamps], dtype=np.float64)
        return CandleTable(
            np.array(stamps, dtype=np.int64),
            *(np.ascontiguousarray(values[:, i]) for i in range(5)),
            step_ms=CANDLE_INTERVALS[interval] * MINUTE_MS,
            origin=f"recording {self.path.name} [{symbol} {interval}]",
        )

    def late_candles(self, symbol: str, interval: str = "1m") -> list[tuple[int, int, int]]:
        """(timestamp, tick due, tick first served) of candles first served after the first tick
        at or after their timestamp: a backtest sees them one tick or more before live did."""
        ticks = sorted(t for run in self.runs for t in run.ticks)
        if not ticks:
            return []
        out = []
        stamps = np.array(ticks, dtype=np.int64)
        for (sym, name, ts), first in self.first_served.items():
            if sym != symbol or name != interval:
                continue
            due_index = int(np.searchsorted(stamps, ts, side="left"))
            if due_index < len(ticks) and ticks[due_index] < first:
                out.append((ts, ticks[due_index], first))
        return sorted(out)


def read_recording(path: str | Path) -> Recording:
    """Parse a recording; a torn tail is skipped and counted, never raised."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"no live recording at {path}") from None
    payloads, end = scan_frames(data)
    if end < len(data) and damaged_inside(data, end):
        raise ValueError(
            f"recording {path}: damaged record at byte {end} with {len(data) - end} bytes after "
            "it (not the torn last write of a crash); move the file aside to record afresh"
        )
    runs: list[RecordedRun] = []
    symbols: dict[int, str] = {}
    candles: dict[tuple[str, str], dict[int, OHLCV]] = {}
    first_served: dict[tuple[str, str, int], int] = {}
    revisions: list[CandleRevision] = []
    tick = 0
    for index, payload in enumerate(payloads):
        kind = payload[:1]
        if kind == TICK:
            (tick,) = TICK_BODY.unpack_from(payload, 1)
            if not runs:
                raise ValueError(f"recording {path}: record {index}: a tick before any run")
            runs[-1].ticks.append(tick)
        elif kind == CANDLE:
            sid, iid, ts, *values = CANDLE_BODY.unpack_from(payload, 1)
            symbol = symbols.get(sid)
            if symbol is None or iid >= len(INTERVALS):
                raise ValueError(f"recording {path}: record {index}: unknown symbol/interval id")
            interval = INTERVALS[iid]
            rows = candles.setdefault((symbol, interval), {})
            ohlcv: OHLCV = tuple(values)
            before = rows.get(ts)
            if before is None:
                first_served[(symbol, interval, ts)] = tick
            elif before != ohlcv:
                revisions.append(CandleRevision(symbol, interval, ts, tick, before, ohlcv))
            rows[ts] = ohlcv
        elif kind == SIGNAL:
            runs[-1].signals.append((tick, orjson.loads(payload[1:])))
        elif kind == FILL:
            runs[-1].fills.append(orjson.loads(payload[1:]))
        elif kind == SYMBOL:
            body = orjson.loads(payload[1:])
            symbols[int(body["id"])] = str(body["symbol"])
        elif kind == RUN:
            body = orjson.loads(payload[1:])
            if body.get("version") != 1:
                raise ValueError(f"recording {path}: record {index}: unknown version")
            runs.append(
                RecordedRun(
                    symbol=body["symbol"],
                    strategy=body["strategy"],
                    exchange=body["exchange"],
                    started=int(body["started"]),
                    pending=row_from_json(body["pending"]),
                    scheduled=row_from_json(body["scheduled"]),
                )
            )
            symbols.clear()  # each run numbers its symbols afresh
            tick = runs[-1].started
        else:
            raise ValueError(f"recording {path}: record {index}: unknown kind {kind!r}")
    return Recording(path, runs, candles, first_served, revisions, len(data) - end)
