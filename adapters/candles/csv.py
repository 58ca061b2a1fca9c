"""CsvCandles: a header row naming the columns (`timestamp,open,high,low,close,volume` in any
case and order, or mapped with `columns=`), then one candle per line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Unpack

import numpy as np

from backtestkit.actors.market.candles import COLUMNS, CandleDataError, CandleTable
from backtestkit.actors.market.table_source import TableSource

from .declared import ReadOptions, TableOptions
from .fields import table_from_fields
from .files import CandleFile, FileTables, PathOrFiles
from .time_units import iso_hint

__all__ = ["CsvCandles", "read_csv_table"]

HEADER = ",".join(COLUMNS)


def read_csv_table(path: str | Path, **options: Unpack[TableOptions]) -> CandleTable:
    """Load and validate one CSV (options as for CsvCandles, and `step_ms=`); errors name the
    file, the row (file line) and the field."""
    file = CandleFile.of(path, options, "read_csv_table")
    path, time_unit = file.path, file.time_unit
    raw = path.read_bytes()
    header = _decode(raw[: raw.find(b"\n") if b"\n" in raw else len(raw)], raw, path)
    names = header.rstrip("\r").split(",")
    where = f"{path}: row 1: header must be {HEADER!r}, got {header.strip()!r}"
    csv = _CsvFile(path, raw, names, file.fields(names, where), time_unit)
    return table_from_fields(
        csv.parse(), step_ms=file.step_ms, origin=str(path), first_row=2, time_unit=time_unit
    )


def _decode(part: bytes, raw: bytes, path: Path) -> str:
    """`part` of the file as UTF-8 (without a byte-order mark); a bad byte in the file is
    named by row and field."""
    try:
        return part.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        column = raw.count(b",", line_start, exc.start)
        header = raw.split(b"\n", 1)[0].decode("utf-8", errors="replace").split(",")
        field = f"field {header[column].strip()}: " if row > 1 and column < len(header) else ""
        raise CandleDataError(
            f"{path}: row {row}: {field}not UTF-8 text (byte {raw[exc.start]:#04x})"
        ) from None
    raise AssertionError("unreachable: a part of valid UTF-8 did not decode")  # pragma: no cover


class _CsvFile:
    """One CSV's bytes and resolved header; `parse()` returns the raw candle columns."""

    def __init__(
        self,
        path: Path,
        raw: bytes,
        names: list[str],
        fields: dict[str, int],
        time_unit: str | None,
    ) -> None:
        self.path, self.raw, self.names, self.fields = path, raw, names, fields
        self.time_unit = time_unit
        self.body_start = raw.find(b"\n") + 1 if b"\n" in raw else len(raw)
        # trailing blank lines are fine; blank lines between rows are not
        self.body_end = max(len(raw.rstrip()), self.body_start)
        self.rows = raw.count(b"\n", self.body_start, self.body_end) + 1
        if self.body_end == self.body_start:
            self.rows = 0

    def parse(self) -> dict[str, Any]:
        """The candle columns, the timestamp as int64 when every value is an integer."""
        if not self.rows:
            return {name: np.zeros(0, dtype=np.int64 if name == "timestamp" else np.float64)
                    for name in COLUMNS}  # fmt: skip
        every_column = len(self.names) == len(COLUMNS)
        # with every column read, loadtxt itself refuses a row with another field count
        if not every_column and self._field_counts_differ():
            self.locate_bad_row()
        order = sorted(COLUMNS, key=self.fields.__getitem__)
        stamp_types: tuple[str, ...] = ("U64",) if self.time_unit == "iso" else ("i8", "f8")
        for stamp in stamp_types:
            dtype = [(name, stamp if name == "timestamp" else "f8") for name in order]
            try:
                data = np.loadtxt(
                    self.path, delimiter=",", dtype=dtype, comments=None, ndmin=1, skiprows=1,
                    usecols=None if every_column else [self.fields[name] for name in order],
                    encoding="utf-8-sig",
                )  # fmt: skip
            except UnicodeDecodeError:
                _decode(self.raw, self.raw, self.path)
                raise
            except ValueError:
                continue
            # loadtxt skips blank lines, which would shift the row number of any later error
            if data.shape[0] != self.rows:
                break
            return {name: data[name] for name in COLUMNS}
        self.locate_bad_row()
        raise CandleDataError(f"{self.path}: cannot be parsed as candles")  # pragma: no cover

    def _field_counts_differ(self) -> bool:
        buffer = np.frombuffer(self.raw, dtype=np.uint8)[self.body_start : self.body_end]
        ends = np.append(np.flatnonzero(buffer == 10), buffer.size)
        commas = np.flatnonzero(buffer == 44)
        per_line = np.diff(np.searchsorted(commas, ends), prepend=0)
        return bool((per_line != len(self.names) - 1).any())

    def locate_bad_row(self) -> None:
        """Slow path after a parse failure: find the first malformed line, say what is wrong."""
        path, names = self.path, self.names
        body = self.raw[self.body_start : self.body_end].decode("utf-8")
        in_file_order = sorted(self.fields.items(), key=lambda item: item[1])
        for line_no, line in enumerate(body.split("\n"), start=2):
            text = line.strip()
            if not text:
                raise CandleDataError(f"{path}: row {line_no}: empty line")
            values = text.split(",")
            if len(values) != len(names):
                raise CandleDataError(
                    f"{path}: row {line_no}: expected {len(names)} fields, got {len(values)}"
                )
            for name, index in in_file_order:
                if name == "timestamp" and self.time_unit == "iso":
                    continue
                try:
                    float(values[index])
                except ValueError:
                    hint = iso_hint(values[index]) if name == "timestamp" else None
                    raise CandleDataError(
                        f"{path}: row {line_no}: field {name}: "
                        + (hint or f"not a number ({values[index]!r})")
                    ) from None


class CsvCandles(TableSource):
    """One CSV per symbol (`{symbol: path}`), or one declared with `symbol=`; higher intervals
    aggregated from 1m. `columns=`, `ignore=` and `time_unit=` say how to read the files.
    A TableSource built from `FileTables(read_csv_table, ...)`."""

    def __init__(
        self, source: PathOrFiles, *, symbol: str | None = None, **options: Unpack[ReadOptions]
    ) -> None:
        owner = type(self).__name__
        files = FileTables(read_csv_table, source, symbol=symbol, owner=owner, **options)
        super().__init__(files, symbols=files.symbols())
