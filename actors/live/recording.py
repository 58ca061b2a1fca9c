"""The live recording: the minutes a live run ticked, the candles it was served and the results it
yielded, appended to one file per (symbol, strategy) beside the state, for `parity`.

Framing: every record is `<u32 length><u32 crc32><payload>`, the payload's first byte its kind:
`R` a run started (JSON: names, the restored slots), `T` a tick (`<q` when), `Y` a symbol id
(JSON), `C` a candle (`<HBq5d`: symbol id, interval index, timestamp, OHLCV), `S` a yielded result
(JSON of `to_dict()`), `F` a broker fill (JSON: signal id, leg, side, the engine's price, the
exchange's amount, filled, average price, fee, time). A candle is written the first time it is
served and again only when it is served with other values (a revised candle).

Crash safety: the records of a tick go out in one `write(2)` at its end (the page cache survives
SIGKILL); they are fsync'd before a transition is persisted or yielded, so a signal never rests on
a minute the disk lost. A torn last record (length past the end, or a CRC mismatch) is ignored on
read and cut off before the next append, so it never spoils the records before it. A damaged
record with whole records after it is no crash: reading fails naming its offset, and the next run
moves the file aside to `<name>.corrupt-<ns>` and starts a new one.
"""

from __future__ import annotations

import os
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import orjson
import structlog

from backtestkit.bus import SignalRow, TickResult

from ..broker import OrderReport, OrderRequest
from ..market.candles import Candles, CandleTable
from ..market.intervals import CANDLE_INTERVALS
from .state_json import row_to_json

__all__ = [
    "CANDLE",
    "FILL",
    "FRAME",
    "INTERVALS",
    "RUN",
    "SIGNAL",
    "SYMBOL",
    "TICK",
    "RecordingWriter",
    "damaged_inside",
    "recording_path",
    "scan_frames",
]

_log = structlog.get_logger("backtestkit.recording")
FRAME = struct.Struct("<II")
TICK_BODY = struct.Struct("<q")
CANDLE_BODY = struct.Struct("<HBq5d")
RUN, TICK, SYMBOL, CANDLE, SIGNAL, FILL = b"R", b"T", b"Y", b"C", b"S", b"F"
INTERVALS = tuple(CANDLE_INTERVALS)
_INTERVAL_INDEX = {name: i for i, name in enumerate(INTERVALS)}
PRUNE_TICKS = 1440  # once a day of ticks, forget candles older than twice the widest window


def recording_path(base_dir: Path, symbol_name: str, strategy: str) -> Path:
    """`<state_dir>/recording/<symbol>_<strategy>.rec` (names already checked for paths)."""
    return base_dir / "recording" / f"{symbol_name}_{strategy}.rec"


def scan_frames(data: bytes) -> tuple[list[bytes], int]:
    """The intact payloads in order and the offset where intact data ends (a torn tail after)."""
    payloads: list[bytes] = []
    offset, size, header = 0, len(data), FRAME.size
    while offset + header <= size:
        length, crc = FRAME.unpack_from(data, offset)
        end = offset + header + length
        if length == 0 or end > size:
            break
        payload = data[offset + header : end]
        if zlib.crc32(payload) != crc:
            break
        payloads.append(payload)
        offset = end
    return payloads, offset


def damaged_inside(data: bytes, end: int) -> bool:
    """Whether the first bad record at `end` has whole records after it (damage inside the
    file, not the torn last write of a crash, which reaches the end of the file)."""
    if end + FRAME.size > len(data):
        return False
    length: int = FRAME.unpack_from(data, end)[0]
    return length > 0 and end + FRAME.size + length < len(data)


def _frame(payload: bytes) -> bytes:
    return FRAME.pack(len(payload), zlib.crc32(payload)) + payload


class RecordingWriter:
    """Appends one live run's records; `on_phase` lets crash tests stop at each write phase
    (before_commit, before_write, after_write, after_fsync)."""

    def __init__(self, path: Path, *, on_phase: Callable[[str, Path], None] | None = None) -> None:
        self.path = path
        self.on_phase = on_phase
        self._fd: int | None = None
        self._buffer = bytearray()
        self._unsynced = False
        self._symbols: dict[str, int] = {}
        self._seen: dict[tuple[int, int, int], tuple[float, ...]] = {}
        self._spans: dict[tuple[int, int], tuple[CandleTable, int, int]] = {}
        self._reach: dict[tuple[int, int], tuple[int, int]] = {}  # (newest ts, widest window)
        self._ticks = 0
        self.writes = 0
        self.fsyncs = 0

    # -- records ------------------------------------------------------------------------------

    def run_started(
        self,
        *,
        symbol: str,
        strategy: str,
        exchange: str,
        when: int,
        pending: SignalRow | None,
        scheduled: SignalRow | None,
    ) -> None:
        """Opens the file (cutting a torn tail) and records the run with its restored slots."""
        self._open()
        body = {
            "version": 1,
            "symbol": symbol,
            "strategy": strategy,
            "exchange": exchange,
            "started": when,
            "pending": row_to_json(pending),
            "scheduled": row_to_json(scheduled),
        }
        self._buffer[:0] = _frame(RUN + orjson.dumps(body))  # before windows served by restore
        self.commit()

    def tick(self, when: int) -> None:
        self._buffer += _frame(TICK + TICK_BODY.pack(when))
        self._ticks += 1
        if self._ticks % PRUNE_TICKS == 0:
            self._prune()

    @property
    def remembered(self) -> int:
        """Candles held to spot a revision (bounded: see `_prune`)."""
        return len(self._seen)

    def _prune(self) -> None:
        """A candle older than the newest minus twice the widest window served is not served
        again in practice; if it is, it is merely recorded once more (same values)."""
        floors = {key: newest - 2 * width for key, (newest, width) in self._reach.items()}
        self._seen = {
            key: values
            for key, values in self._seen.items()
            if key[2] >= floors.get((key[0], key[1]), key[2])
        }

    def signal(self, result: TickResult) -> None:
        self._buffer += _frame(SIGNAL + orjson.dumps(result.to_dict()))

    def fill(self, request: OrderRequest, report: OrderReport) -> None:
        """A broker order's final answer, beside the signal it traded."""
        body = {
            "signal": request.signal_id,
            "leg": request.leg,
            "side": request.side,
            "client_id": request.client_id,
            "engine_price": request.price,
            "decided": request.at,
            "status": report.status,
            "amount": report.amount,
            "filled": report.filled,
            "average": report.average,
            "fee": report.fee,
            "fee_currency": report.fee_currency,
            "at": report.at,
        }
        self._buffer += _frame(FILL + orjson.dumps(body))

    def candles(self, symbol: str, interval: str, candles: Candles) -> None:
        """Records the candles of a served window not recorded before with the same values."""
        n = len(candles)
        if n == 0:
            return
        sid = self._symbols.get(symbol)
        if sid is None:
            sid = self._symbols[symbol] = len(self._symbols)
            self._buffer += _frame(SYMBOL + orjson.dumps({"id": sid, "symbol": symbol}))
        iid = _INTERVAL_INDEX.get(interval, 255)
        table = candles.table
        lo, hi = candles.bounds
        first, last = int(table.timestamp[lo]), int(table.timestamp[hi - 1])
        newest, width = self._reach.get((sid, iid), (last, 0))
        self._reach[(sid, iid)] = (max(newest, last), max(width, last - first))
        span = self._spans.get((sid, iid))
        if span is not None and span[0] is table and lo <= span[2] and span[1] <= hi:
            # a view overlapping rows of the same (immutable) table already recorded: only the
            # rows outside that span can be new
            for a, b in ((lo, span[1]), (span[2], hi)):
                if a < b:
                    self._record_rows(sid, iid, Candles(table, a, b))
            self._spans[(sid, iid)] = (table, min(lo, span[1]), max(hi, span[2]))
            return
        self._record_rows(sid, iid, candles)
        self._spans[(sid, iid)] = (table, lo, hi)

    def _record_rows(self, sid: int, iid: int, candles: Candles) -> None:
        seen, buffer = self._seen, self._buffer
        columns = zip(
            candles.timestamp.tolist(),
            candles.open.tolist(),
            candles.high.tolist(),
            candles.low.tolist(),
            candles.close.tolist(),
            candles.volume.tolist(),
            strict=True,
        )
        for ts, *ohlcv in columns:
            key = (sid, iid, ts)
            values = tuple(ohlcv)
            if seen.get(key) != values:
                seen[key] = values
                buffer += _frame(CANDLE + CANDLE_BODY.pack(sid, iid, ts, *values))

    # -- disk -----------------------------------------------------------------------------------

    def flush(self) -> None:
        """One write(2) of the buffered records: survives the process being killed."""
        if not self._buffer or self._fd is None:
            return
        phase = self.on_phase
        if phase is not None:
            phase("before_write", self.path)
        data = bytes(self._buffer)
        self._buffer.clear()
        while data:
            written = os.write(self._fd, data)
            data = data[written:]
        self._unsynced = True
        self.writes += 1
        if phase is not None:
            phase("after_write", self.path)

    def commit(self) -> None:
        """Flush and fsync: the records are on disk before anything that depends on them."""
        if self.on_phase is not None:
            self.on_phase("before_commit", self.path)
        self.flush()
        if self._unsynced and self._fd is not None:
            os.fsync(self._fd)
            self._unsynced = False
            self.fsyncs += 1
            if self.on_phase is not None:
                self.on_phase("after_fsync", self.path)

    def close(self) -> None:
        if self._fd is not None:
            try:
                self.commit()
            finally:
                os.close(self._fd)
                self._fd = None

    def _open(self) -> None:
        if self._fd is not None:
            return
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size:
                data = _read_all(fd, size)
                _, end = scan_frames(data)
                if end < size and damaged_inside(data, end):
                    os.close(fd)
                    moved = self.path.with_name(f"{self.path.name}.corrupt-{time.time_ns()}")
                    os.replace(self.path, moved)  # kept for inspection; a new file starts
                    _log.error("recording_damaged", path=str(self.path), at=end, moved=str(moved))
                    created = True
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
                elif end < size:
                    _log.warning("recording_torn_tail_cut", path=str(self.path), bytes=size - end)
                    os.ftruncate(fd, end)
                    os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        if created:
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _read_all(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)
