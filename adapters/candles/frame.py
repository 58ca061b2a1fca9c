"""DataFrameCandles: pandas DataFrames as a candle source, validated like the files.

The open time is a column (found or mapped like a file's) or, when there is none, a
DatetimeIndex (or an index named timestamp, time, date or datetime). Rows in messages count
from 0 by position. Needs pandas (the `pandas` extra) only to read the frames given to it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Unpack

import numpy as np
import numpy.typing as npt

from backtestkit.actors.market.candle_checks import plain
from backtestkit.actors.market.candles import COLUMNS, CandleDataError, CandleTable
from backtestkit.actors.market.table_source import TableSource

from .column_map import TIMESTAMP_NAMES, ColumnMap
from .declared import ReadOptions, read_options
from .fields import table_from_fields
from .symbols import SymbolSources
from .time_units import TimeUnit

__all__ = ["DataFrameCandles", "read_frame_table"]

INDEX = "<index>"


class FrameTables:
    """The loader of a DataFrameCandles: the DataFrame serving a symbol, read by
    `read_frame_table`."""

    def __init__(
        self, frame: Any, *, symbol: str | None, owner: str, **options: Unpack[ReadOptions]
    ) -> None:
        self._options = read_options(owner, options)
        self._frames: SymbolSources[Any] = SymbolSources.of(
            frame, symbol=symbol, owner=owner, convert=_frame, describe=no_label
        )

    def symbols(self) -> list[str]:
        return self._frames.symbols()

    def __call__(self, symbol: str) -> CandleTable:
        frame = self._frames.get(symbol)
        return read_frame_table(frame, origin=f"DataFrameCandles[{symbol}]", **self._options)

    def __repr__(self) -> str:
        return f"symbols={self.symbols()!r}"


class DataFrameCandles(TableSource):
    """`DataFrameCandles(df, symbol="BTCUSDT")` or `DataFrameCandles({"BTCUSDT": df, ...})`.

    A single DataFrame must be declared for its symbol: asking for another symbol is a
    KeyError naming the ones it has. `columns=`, `ignore=` and `time_unit=` work as for
    CsvCandles; higher intervals are aggregated from the 1-minute rows. A TableSource built
    from `FrameTables`.
    """

    def __init__(
        self, frame: Any, *, symbol: str | None = None, **options: Unpack[ReadOptions]
    ) -> None:
        if symbol is None and not isinstance(frame, Mapping):
            raise TypeError(
                "DataFrameCandles: say which symbol the DataFrame holds: "
                "DataFrameCandles(df, symbol='BTCUSDT') or DataFrameCandles({'BTCUSDT': df})"
            )
        frames = FrameTables(frame, symbol=symbol, owner=type(self).__name__, **options)
        super().__init__(frames, symbols=frames.symbols())


def no_label(item: Any) -> None:
    """A DataFrame is not named in messages."""
    return None


def _frame(item: Any) -> Any:
    if not (hasattr(item, "columns") and hasattr(item, "index") and hasattr(item, "iloc")):
        raise TypeError(f"DataFrameCandles: expected a pandas DataFrame, got {type(item).__name__}")
    return item


def read_frame_table(
    frame: Any,
    *,
    step_ms: int = 60_000,
    origin: str = "DataFrame",
    columns: Mapping[str, str] | None = None,
    ignore: Collection[str] | str = (),
    time_unit: TimeUnit | None = None,
) -> CandleTable:
    """Validate one DataFrame's candles; errors name `origin`, the row position, the field."""
    layout = ColumnMap(dict(columns or {}), ignore)
    names = [str(name) for name in frame.columns]
    by_name = dict(zip(names, frame.columns, strict=True))
    if _index_is_time(frame, layout, names):
        layout = ColumnMap({**layout.columns, "timestamp": INDEX}, layout.ignore)
        names = [*names, INDEX]
    fields = layout.resolve(names, origin)
    raw: dict[str, Any] = {}
    for name in COLUMNS:
        label = names[fields[name]]
        series = frame.index.to_series() if label == INDEX else frame[by_name[label]]
        raw[name] = _values(series, origin, name)
    return table_from_fields(raw, step_ms=step_ms, origin=origin, first_row=0, time_unit=time_unit)


def _index_is_time(frame: Any, layout: ColumnMap, names: list[str]) -> bool:
    """No timestamp column, and the index is a DatetimeIndex or named like a timestamp."""
    wanted = layout.columns.get("timestamp")
    if wanted is not None:
        return wanted not in names and wanted == frame.index.name
    if any(name.strip().lower() in TIMESTAMP_NAMES for name in names):
        return False
    index_name = frame.index.name
    named = isinstance(index_name, str) and index_name.strip().lower() in TIMESTAMP_NAMES
    return named or str(getattr(frame.index, "dtype", "")).startswith("datetime64")


def _values(series: Any, origin: str, name: str) -> npt.NDArray[Any]:
    """The column as numpy: tz-aware times in UTC; a missing value is refused by row."""
    missing = np.flatnonzero(np.asarray(series.isna()))
    if missing.size:
        row = int(missing[0])
        raise CandleDataError(
            f"{origin}: row {row}: field {name}: missing value ({plain(series.iloc[row])!r})"
        )
    if getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    values: npt.NDArray[Any] = series.to_numpy()
    return values
