"""Candle loaders: CsvCandles, ParquetCandles, MemoryCandles; every rejection names
the file, the row and the field."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
from structlog.testing import capture_logs

from backtestkit.actors.market import CandleDataError
from backtestkit.adapters.candles import CsvCandles, MemoryCandles, ParquetCandles

DATA = Path(__file__).resolve().parents[1] / "data" / "kaggle_BTCUSD_1m.csv"
HEADER = "timestamp,open,high,low,close,volume"
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MIN = 60_000

# rows 2, 3, 4 of a valid file (row 1 is the header)
GOOD = [
    f"{T0},100,101,99,100.5,10",
    f"{T0 + MIN},100.5,102,100,101,11",
    f"{T0 + 2 * MIN},101,101.5,100.5,101.2,12",
]


def write_csv(tmp_path: Path, lines: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "candles.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def load(path: Path) -> object:
    return CsvCandles(path).table("BTCUSDT", "1m")


def rejection(path: Path) -> str:
    with pytest.raises(CandleDataError) as info:
        load(path)
    message = str(info.value)
    assert str(path) in message
    return message


# -- the shipped sample -------------------------------------------------------------------------


def test_kaggle_sample_loads() -> None:
    table = CsvCandles(DATA).table("BTCUSD", "1m")
    assert table.n == 5000
    assert table.timestamp.dtype == np.int64
    assert int(table.timestamp[0]) == 1521808860000
    assert float(table.open[0]) == 8449.97
    assert float(table.close[0]) == 8447.38
    assert float(table.volume[0]) == 0.194736
    assert int(table.timestamp[-1]) == 1522108800000
    assert float(table.close[-1]) == 8153.04
    assert table.regular  # 5000 consecutive minutes, no gaps
    assert table.origin == str(DATA)


def test_kaggle_sample_five_minute_aggregation_matches_a_plain_python_fold() -> None:
    with DATA.open(newline="") as handle:
        raw = [[float(x) for x in row] for row in list(csv.reader(handle))[1:]]
    buckets: dict[int, list[float]] = {}
    for t, o, h, lo, c, v in raw:
        key = int(t) - int(t) % 300_000
        if key not in buckets:
            buckets[key] = [o, h, lo, c, v]
        else:
            b = buckets[key]
            b[1], b[2], b[3], b[4] = max(b[1], h), min(b[2], lo), c, b[4] + v
    table = CsvCandles(DATA).table("BTCUSD", "5m")
    assert table.timestamp.tolist() == list(buckets)
    expected = np.array(list(buckets.values()))
    for i, name in enumerate(("open", "high", "low", "close")):
        assert getattr(table, name).tolist() == expected[:, i].tolist()
    # float sums may associate differently; the numbers agree to rounding
    np.testing.assert_allclose(table.volume, expected[:, 4], rtol=1e-12)


def test_single_file_serves_every_symbol_and_mapping_serves_per_symbol(tmp_path: Path) -> None:
    path = write_csv(tmp_path, GOOD)
    shared = CsvCandles(path)
    assert shared.table("BTCUSDT", "1m").timestamp.tolist() == [T0, T0 + MIN, T0 + 2 * MIN]
    assert shared.table("ETHUSDT", "1m").n == 3
    per_symbol = CsvCandles({"BTCUSDT": path, "ETHUSDT": DATA})
    assert per_symbol.table("BTCUSDT", "1m").n == 3
    assert per_symbol.table("ETHUSDT", "1m").n == 5000
    assert per_symbol.symbols() == ["BTCUSDT", "ETHUSDT"]
    with pytest.raises(KeyError, match="DOGEUSDT"):
        per_symbol.table("DOGEUSDT", "1m")


def test_fetch_returns_first_limit_candles_since(tmp_path: Path) -> None:
    source = CsvCandles(write_csv(tmp_path, GOOD))
    candles = source.fetch("BTCUSDT", "1m", T0 + 1, 5)  # 1 ms after the first open
    assert candles.timestamp.tolist() == [T0 + MIN, T0 + 2 * MIN]
    assert source.fetch("BTCUSDT", "1m", T0, 2).timestamp.tolist() == [T0, T0 + MIN]


# -- CSV rejections -----------------------------------------------------------------------------


def replace_row3(line: str) -> list[str]:
    return [GOOD[0], line, GOOD[2]]


@pytest.mark.parametrize(
    "row3,field,problem",
    [
        (f"{T0 + MIN},100.5,102,100,nan,11", "close", "not a finite number"),
        (f"{T0 + MIN},100.5,inf,100,101,11", "high", "not a finite number"),
        (f"{T0 + MIN},100.5,102,100,101,-inf", "volume", "not a finite number"),
        (f"{T0 + MIN},100.5,102,-1,101,11", "low", "price must be > 0"),
        (f"{T0 + MIN},0,102,100,101,11", "open", "price must be > 0"),
        (f"{T0 + MIN},100.5,102,100,0,11", "close", "price must be > 0"),
        (f"{T0 + MIN},100.5,102,100,101,-0.5", "volume", "volume must be >= 0"),
        (f"{T0 + MIN},100.5,100.9,100,101,11", "high", "high below max(open, close)"),
        (f"{T0 + MIN},100.5,102,100.6,101,11", "low", "low above min(open, close)"),
        (f"{T0 + MIN + 1},100.5,102,100,101,11", "timestamp", "not aligned to 60000 ms"),
        (f"{T0 + MIN}.5,100.5,102,100,101,11", "timestamp", "not an integer"),
        (f"{T0 + MIN},100.5,102,100,101,abc", "volume", "not a number ('abc')"),
        (f"{T0 + MIN},,102,100,101,11", "open", "not a number ('')"),
        (f"x{T0 + MIN},100.5,102,100,101,11", "timestamp", "not a number"),
    ],
)
def test_csv_rejects_bad_values(tmp_path: Path, row3: str, field: str, problem: str) -> None:
    message = rejection(write_csv(tmp_path, replace_row3(row3)))
    assert "row 3" in message
    assert f"field {field}" in message
    assert problem in message


def test_csv_rejects_unsorted_timestamps(tmp_path: Path) -> None:
    lines = [GOOD[0], GOOD[2], GOOD[1]]  # 00:00, 00:02, 00:01
    message = rejection(write_csv(tmp_path, lines))
    assert re.search(r"row 4: field timestamp: not sorted ascending", message)


def test_csv_rejects_duplicate_timestamps(tmp_path: Path) -> None:
    lines = [GOOD[0], GOOD[1], GOOD[1].replace("100.5,102", "100.7,102")]
    message = rejection(write_csv(tmp_path, lines))
    assert re.search(r"row 4: field timestamp: duplicate timestamp", message)


def test_csv_reports_the_earliest_bad_row(tmp_path: Path) -> None:
    low_above_body = f"{T0 + 4 * MIN},1,1,2,1,1"  # row 5
    back_in_time_negative_volume = f"{T0 + 3 * MIN},1,1,1,1,-1"  # row 6
    message = rejection(write_csv(tmp_path, [*GOOD, low_above_body, back_in_time_negative_volume]))
    assert "row 5: field low: low above min(open, close)" in message


@pytest.mark.parametrize(
    "lines,row,got",
    [
        ([GOOD[0], f"{T0 + MIN},100.5,102,100,101", GOOD[2]], 3, 5),
        ([GOOD[0], GOOD[1], GOOD[2] + ",7"], 4, 7),
        ([line + ",1" for line in GOOD], 2, 7),  # every row has one field too many
    ],
)
def test_csv_rejects_wrong_number_of_fields(
    tmp_path: Path, lines: list[str], row: int, got: int
) -> None:
    message = rejection(write_csv(tmp_path, lines))
    assert f"row {row}: expected 6 fields, got {got}" in message


def test_csv_rejects_a_blank_line_between_rows(tmp_path: Path) -> None:
    message = rejection(write_csv(tmp_path, [GOOD[0], "", GOOD[1], GOOD[2]]))
    assert "row 3: empty line" in message


def test_csv_rejects_comment_lines(tmp_path: Path) -> None:
    message = rejection(write_csv(tmp_path, [GOOD[0], "# note", GOOD[1]]))
    assert "row 3: expected 6 fields, got 1" in message


def test_csv_row_numbers_count_the_header(tmp_path: Path) -> None:
    lines = [f"{T0 + k * MIN},1,1,1,1,1" for k in range(9)] + [f"{T0 + 9 * MIN},1,1,1,1,-2"]
    assert "row 11: field volume" in rejection(write_csv(tmp_path, lines))


def test_csv_trailing_blank_lines_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text("\n".join([HEADER, *GOOD]) + "\n\n\n", encoding="utf-8")
    assert CsvCandles(path).table("BTCUSDT", "1m").n == 3


def test_csv_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "crlf.csv"
    path.write_bytes(("\r\n".join([HEADER, *GOOD]) + "\r\n").encode())
    assert CsvCandles(path).table("BTCUSDT", "1m").close.tolist() == [100.5, 101.0, 101.2]


@pytest.mark.parametrize(
    "header",
    [
        "timestamp,open,high,low,close",
        GOOD[0],
    ],
)
def test_csv_rejects_bad_header(tmp_path: Path, header: str) -> None:
    message = rejection(write_csv(tmp_path, GOOD, header=header))
    assert "row 1: header must be 'timestamp,open,high,low,close,volume'" in message


def test_csv_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match=re.escape(str(path))):
        load(path)


def test_csv_gaps_are_allowed_and_logged_once(tmp_path: Path) -> None:
    minutes = [0, 1, 4, 5, 9]  # gaps 1 -> 4 (2 missing) and 5 -> 9 (3 missing)
    path = write_csv(tmp_path, [f"{T0 + k * MIN},1,1,1,1,1" for k in minutes])
    source = CsvCandles(path)
    with capture_logs() as logs:
        table = source.table("BTCUSDT", "1m")
        source.table("BTCUSDT", "5m")
        source.table("BTCUSDT", "1m")
    assert not table.regular
    assert table.timestamp.tolist() == [T0 + k * MIN for k in minutes]
    gap_logs = [entry for entry in logs if entry["event"] == "candle_gaps"]
    assert len(gap_logs) == 1
    entry = gap_logs[0]
    assert entry["log_level"] == "warning"
    assert entry["gaps"] == 2
    assert entry["missing_candles"] == 5
    assert entry["rows"] == 5
    assert entry["origin"] == str(path)


def test_csv_without_gaps_logs_nothing(tmp_path: Path) -> None:
    with capture_logs() as logs:
        load(write_csv(tmp_path, GOOD))
    assert [entry for entry in logs if entry["event"] == "candle_gaps"] == []


# -- Parquet ------------------------------------------------------------------------------------


def write_parquet(tmp_path: Path, columns: dict[str, list[float | int | None]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "candles.parquet"
    arrays = {
        name: pa.array(values, type=pa.int64() if name == "timestamp" else pa.float64())
        for name, values in columns.items()
    }
    pq.write_table(pa.table(arrays), path)
    return path


PARQUET_COLUMNS: dict[str, list[float | int | None]] = {
    "timestamp": [T0, T0 + MIN, T0 + 3 * MIN],
    "open": [100.0, 100.5, 101.0],
    "high": [101.0, 102.0, 101.5],
    "low": [99.0, 100.0, 100.5],
    "close": [100.5, 101.0, 101.2],
    "volume": [10.0, 11.0, 12.0],
}


def test_parquet_round_trip(tmp_path: Path) -> None:
    path = write_parquet(tmp_path, PARQUET_COLUMNS)
    table = ParquetCandles(path).table("BTCUSDT", "1m")
    for name, values in PARQUET_COLUMNS.items():
        assert getattr(table, name).tolist() == values
    assert table.timestamp.dtype == np.int64
    assert not table.regular
    five = ParquetCandles(path).table("BTCUSDT", "5m")
    assert five.timestamp.tolist() == [T0]
    assert (five.open[0], five.high[0], five.low[0], five.close[0], five.volume[0]) == (
        100.0, 102.0, 99.0, 101.2, 33.0,
    )  # fmt: skip


def test_parquet_rejects_bad_values(tmp_path: Path) -> None:
    columns = {**PARQUET_COLUMNS, "volume": [10.0, -1.0, 12.0]}
    path = write_parquet(tmp_path, columns)
    with pytest.raises(CandleDataError) as info:
        ParquetCandles(path).table("BTCUSDT", "1m")
    message = str(info.value)
    assert str(path) in message
    assert "row 1" in message  # Parquet rows are numbered from 0
    assert "field volume: volume must be >= 0" in message


def test_parquet_rejects_missing_column_and_nulls(tmp_path: Path) -> None:
    without_volume = {k: v for k, v in PARQUET_COLUMNS.items() if k != "volume"}
    path = write_parquet(tmp_path, without_volume)
    with pytest.raises(CandleDataError, match="missing column\\(s\\) volume"):
        ParquetCandles(path).table("BTCUSDT", "1m")
    (tmp_path / "candles.parquet").unlink()
    path = write_parquet(tmp_path, {**PARQUET_COLUMNS, "close": [100.5, None, 101.2]})
    with pytest.raises(CandleDataError, match="row 1: field close: missing value"):
        ParquetCandles(path).table("BTCUSDT", "1m")


def test_parquet_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.parquet"):
        ParquetCandles(tmp_path / "nope.parquet").table("BTCUSDT", "1m")


# -- MemoryCandles ------------------------------------------------------------------------------


def test_memory_candles_from_lists_and_numpy_agree() -> None:
    lists = {name: list(values) for name, values in PARQUET_COLUMNS.items()}
    arrays = {
        "timestamp": np.array(PARQUET_COLUMNS["timestamp"], dtype=np.int64),
        **{
            name: np.array(values, dtype=np.float64)
            for name, values in PARQUET_COLUMNS.items()
            if name != "timestamp"
        },
    }
    source = MemoryCandles({"A": lists, "B": arrays})
    for symbol in ("A", "B"):
        table = source.table(symbol, "1m")
        for name, values in PARQUET_COLUMNS.items():
            assert getattr(table, name).tolist() == values
        assert table.timestamp.dtype == np.int64
        assert table.close.dtype == np.float64
    assert source.symbols() == ["A", "B"]


def test_memory_candles_adopt_contiguous_numpy_columns_without_copy() -> None:
    close = np.array([100.5, 101.0, 101.2])
    columns = {**PARQUET_COLUMNS, "close": close}
    table = MemoryCandles({"A": columns}).table("A", "1m")
    assert np.shares_memory(table.close, close)


def test_memory_candles_float_timestamps_must_be_whole() -> None:
    columns = {**PARQUET_COLUMNS, "timestamp": [float(T0), T0 + MIN + 0.5, float(T0 + 3 * MIN)]}
    with pytest.raises(CandleDataError, match="row 1: field timestamp: not an integer"):
        MemoryCandles({"A": columns}).table("A", "1m")
    columns["timestamp"] = [float(T0), float(T0 + MIN), float(T0 + 3 * MIN)]
    assert MemoryCandles({"A": columns}).table("A", "1m").timestamp.tolist() == [
        T0, T0 + MIN, T0 + 3 * MIN,
    ]  # fmt: skip


def test_memory_candles_unknown_symbol() -> None:
    source = MemoryCandles({"BTCUSDT": PARQUET_COLUMNS})
    with pytest.raises(KeyError, match="ETHUSDT") as info:
        source.table("ETHUSDT", "1m")
    assert "BTCUSDT" in str(info.value)


def test_memory_candles_rejections_name_the_symbol_row_and_field() -> None:
    columns = {**PARQUET_COLUMNS, "high": [101.0, 100.9, 101.5]}
    with pytest.raises(CandleDataError) as info:
        MemoryCandles({"BTCUSDT": columns}).table("BTCUSDT", "1m")
    message = str(info.value)
    assert "MemoryCandles[BTCUSDT]" in message
    assert "row 1: field high: high below max(open, close)" in message


def test_memory_candles_missing_and_mismatched_columns() -> None:
    without_low = {k: v for k, v in PARQUET_COLUMNS.items() if k != "low"}
    with pytest.raises(CandleDataError, match="missing column\\(s\\) low"):
        MemoryCandles({"A": without_low}).table("A", "1m")
    short = {**PARQUET_COLUMNS, "volume": [1.0, 2.0]}
    with pytest.raises(CandleDataError, match="different lengths"):
        MemoryCandles({"A": short}).table("A", "1m")


def test_unknown_interval_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="unknown candle interval '2d'"):
        MemoryCandles({"A": PARQUET_COLUMNS}).table("A", "2d")
