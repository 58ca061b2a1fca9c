"""Candle open times to ms since the epoch: the unit from a datetime dtype, or `time_unit=`
for numbers and ISO-8601 text; data that looks like another unit is refused with the fix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from backtestkit.actors.market.candle_checks import CandleDataError, IntArray, plain

__all__ = [
    "LATEST_MS",
    "TIME_UNITS",
    "TimeUnit",
    "check_time_unit",
    "epoch_ms",
    "iso_hint",
]

TimeUnit = Literal["s", "ms", "us", "ns", "iso"]
TIME_UNITS: tuple[str, ...] = ("s", "ms", "us", "ns", "iso")
LATEST_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z: no real candle opens later
_NS_PER = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_TICK_NS = {"W": 604_800 * 10**9, "D": 86_400 * 10**9, "h": 3_600 * 10**9, "m": 60 * 10**9,
            **_NS_PER}  # fmt: skip
_WORDS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}


def check_time_unit(time_unit: str | None) -> None:
    if time_unit is not None and time_unit not in TIME_UNITS:
        raise ValueError(
            f"time_unit must be one of {', '.join(map(repr, TIME_UNITS))} (or None for ms), "
            f"got {time_unit!r}"
        )


def _guess(value: float) -> str:
    """The unit whose epoch range holds `value` (1973..5138 for each unit)."""
    if value < 1e11:
        return "s"
    if value < 1e14:
        return "ms"
    return "us" if value < 1e17 else "ns"


def _when(value: float, unit: str) -> str:
    try:
        moment = datetime.fromtimestamp(value * _NS_PER[unit] / 1e9, UTC)
    except (OverflowError, OSError, ValueError):
        return "out of range"
    return moment.strftime("%Y-%m-%d %H:%M UTC")


class _Where:
    """The `origin: row N: field timestamp:` prefix of every message."""

    def __init__(self, origin: str, first_row: int, name: str) -> None:
        self.origin, self.first_row, self.name = origin, first_row, name

    def error(self, row: int, problem: str) -> CandleDataError:
        return CandleDataError(
            f"{self.origin}: row {row + self.first_row}: field {self.name}: {problem}"
        )


def epoch_ms(
    raw: npt.NDArray[Any],
    *,
    time_unit: str | None,
    origin: str,
    first_row: int,
    step_ms: int,
    name: str = "timestamp",
) -> IntArray:
    """Open times in ms; CandleDataError names the first row that cannot be one."""
    where = _Where(origin, first_row, name)
    kind = raw.dtype.kind
    if kind == "M":
        return _from_datetimes(raw, time_unit, where)
    if kind in "OUS":
        if time_unit == "iso":
            return _from_iso(raw, where)
        return _refuse_text(raw, where)
    if kind == "b" or kind not in "iuf":
        value = plain(raw[0]) if raw.size else None
        raise where.error(0, f"a {raw.dtype} column ({value!r}); open times must be numbers")
    if time_unit == "iso":
        raise where.error(
            0, f"numbers ({plain(raw[0])!r}), not ISO-8601 text: drop time_unit='iso'"
        )
    return _from_numbers(raw, time_unit, where, step_ms)


def _from_numbers(
    raw: npt.NDArray[Any], time_unit: str | None, where: _Where, step_ms: int
) -> IntArray:
    unit = time_unit or "ms"
    values = raw.astype(np.float64)
    infinite = np.flatnonzero(~np.isfinite(values))
    if infinite.size:
        row = int(infinite[0])
        raise where.error(row, f"not a finite number ({plain(raw[row])!r})")
    if raw.dtype.kind == "f" and unit != "s":
        bad = np.flatnonzero(values != np.floor(values))
        if bad.size:
            row = int(bad[0])
            raise where.error(row, f"not an integer number of {_WORDS[unit]} ({plain(raw[row])!r})")
    negative = np.flatnonzero(values < 0)
    if negative.size:
        row = int(negative[0])
        raise where.error(row, f"negative timestamp ({plain(raw[row])!r}), before 1970-01-01")
    ms = _scaled(raw, values, unit, where)
    # a value in another unit lands after 2100 or (seconds read as ms) off the candle grid
    suspects = np.flatnonzero((ms >= LATEST_MS) | (ms % step_ms != 0))
    if suspects.size:
        row = int(suspects[0])
        value = float(values[row])
        guess, shown = _guess(value), plain(raw[row])
        if guess != unit:
            raise where.error(
                row,
                f"{shown!r} looks like {_WORDS[guess]} since 1970 ({_when(value, guess)}), "
                f"not {_WORDS[unit]}: pass time_unit={guess!r}",
            )
        if ms[row] >= LATEST_MS:
            raise where.error(row, f"{shown!r} is after 2100-01-01 as {_WORDS[unit]}")
    return ms


def _scaled(
    raw: npt.NDArray[Any], values: npt.NDArray[np.float64], unit: str, where: _Where
) -> IntArray:
    if unit == "s":
        ms = values * 1000.0
        bad = ~np.isfinite(ms) | (ms != np.floor(ms))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise where.error(row, f"not a whole millisecond ({plain(raw[row])!r} seconds)")
        return ms.astype(np.int64)
    ints = raw.astype(np.int64) if raw.dtype.kind in "iu" else values.astype(np.int64)
    per_ms = 1_000_000 // _NS_PER[unit]
    if per_ms == 1:
        return np.ascontiguousarray(ints)
    bad = ints % per_ms != 0
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise where.error(row, f"not a whole millisecond ({plain(raw[row])!r} {_WORDS[unit]})")
    return ints // per_ms


def _check_range(ms: IntArray, where: _Where, shown: Callable[[int], str]) -> None:
    negative = np.flatnonzero(ms < 0)
    if negative.size:
        row = int(negative[0])
        raise where.error(row, f"negative timestamp ({shown(row)}), before 1970-01-01")
    late = np.flatnonzero(ms >= LATEST_MS)
    if late.size:
        row = int(late[0])
        raise where.error(row, f"{shown(row)} is after 2100-01-01")


def _from_datetimes(raw: npt.NDArray[Any], time_unit: str | None, where: _Where) -> IntArray:
    """A datetime column says its unit: naive values are UTC, as pandas and Parquet write."""
    unit, count = np.datetime_data(raw.dtype)
    if time_unit is not None:
        raise where.error(
            0, f"a datetime column ({raw.dtype}) knows its unit: drop time_unit={time_unit!r}"
        )
    missing = np.flatnonzero(np.isnat(raw))
    if missing.size:
        raise where.error(int(missing[0]), "missing value (NaT)")
    tick_ns = _TICK_NS.get(unit, 0) * count
    if not tick_ns:
        raise where.error(0, f"a {raw.dtype} column: its unit is not a fixed length of time")
    ints = raw.view(np.int64)
    if tick_ns < 1_000_000:
        per_ms = 1_000_000 // tick_ns
        bad = np.flatnonzero(ints % per_ms != 0)
        if bad.size:
            row = int(bad[0])
            raise where.error(row, f"not a whole millisecond ({np.datetime_as_string(raw[row])})")
        ms = ints // per_ms
    else:
        ms = ints * (tick_ns // 1_000_000)
    _check_range(ms, where, lambda row: np.datetime_as_string(raw[row]))
    return np.ascontiguousarray(ms, dtype=np.int64)


def _parse_iso(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _from_iso(raw: npt.NDArray[Any], where: _Where) -> IntArray:
    """ISO-8601 text; a time without an offset is UTC."""
    ms = np.empty(raw.size, dtype=np.int64)
    for row, text in enumerate(raw.tolist()):
        moment = _parse_iso(text) if isinstance(text, str) else None
        if moment is None:
            raise where.error(row, f"not an ISO-8601 date-time ({text!r})")
        delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
        whole_ms, rest = divmod(delta, np.timedelta64(1, "ms").item())
        if rest:
            raise where.error(row, f"not a whole millisecond ({text!r})")
        ms[row] = whole_ms
    _check_range(ms, where, lambda row: repr(plain(raw[row])))
    return ms


def iso_hint(text: str) -> str | None:
    """The fix for ISO-8601 text in a column read as numbers, else None."""
    return f"{text!r} is ISO-8601 text: pass time_unit='iso'" if _parse_iso(text) else None


def _refuse_text(raw: npt.NDArray[Any], where: _Where) -> IntArray:
    """Text in the timestamp column: the first value that is not a number, with the fix."""
    for row, value in enumerate(raw.tolist()):
        if isinstance(value, bool) or value is None:
            raise where.error(row, f"not a number ({value!r})")
        hint = iso_hint(value) if isinstance(value, str) else None
        if hint is not None:
            raise where.error(row, hint)
        try:
            float(value)
        except (TypeError, ValueError):
            raise where.error(row, f"not a number ({value!r})") from None
    raise where.error(0, f"a text column ({raw.dtype}); open times must be a numeric column")
