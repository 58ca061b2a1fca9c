"""Open times in other units (issues 23 and 26): a datetime dtype says its unit; numbers in
seconds, microseconds or nanoseconds and ISO-8601 text load when `time_unit=` says so, and are
refused otherwise with the fix; a negative time is refused. Exact messages throughout.

2026-08-17T00:00:00Z is 1_786_924_800 s = 1_786_924_800_000 ms (date -u -d @1786924800).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backtestkit.actors.market import CandleDataError
from backtestkit.adapters.candles import CsvCandles, ParquetCandles

S0 = 1_786_924_800  # 2026-08-17T00:00:00Z in seconds
T0 = S0 * 1000
MIN = 60_000
EXPECTED = [T0, T0 + MIN, T0 + 2 * MIN]
PRICES = ["100,101,99,100.5,10", "100.5,102,100,101,11", "101,101.5,100.5,101.2,12"]
HEADER = "timestamp,open,high,low,close,volume"


def csv_file(tmp_path: Path, stamps: list[Any], header: str = HEADER) -> Path:
    path = tmp_path / "candles.csv"
    rows = [f"{stamp},{prices}" for stamp, prices in zip(stamps, PRICES, strict=False)]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def refusal(source: Any) -> str:
    with pytest.raises(CandleDataError) as info:
        source.table("BTCUSD", "1m")
    return str(info.value)


def loaded(source: Any) -> list[int]:
    return source.table("BTCUSD", "1m").timestamp.tolist()


# -- numbers in another unit: refused with the fix, loaded when told ----------------------------


@pytest.mark.parametrize(
    "scale,unit,word",
    [
        (1, "s", "seconds"),
        (1_000_000, "us", "microseconds"),
        (1_000_000_000, "ns", "nanoseconds"),
    ],
)
def test_csv_in_another_unit_is_refused_with_the_fix(
    tmp_path: Path, scale: int, unit: str, word: str
) -> None:
    stamps = [(S0 + 60 * k) * scale for k in range(3)]
    path = csv_file(tmp_path, stamps)
    assert refusal(CsvCandles(path)) == (
        f"{path}: row 2: field timestamp: {stamps[0]} looks like {word} since 1970 "
        f"(2026-08-17 00:00 UTC), not milliseconds: pass time_unit='{unit}'"
    )
    assert loaded(CsvCandles(path, time_unit=unit)) == EXPECTED


def test_milliseconds_told_to_be_seconds_are_refused_with_the_fix(tmp_path: Path) -> None:
    path = csv_file(tmp_path, EXPECTED)
    assert refusal(CsvCandles(path, time_unit="s")) == (
        f"{path}: row 2: field timestamp: {T0} looks like milliseconds since 1970 "
        "(2026-08-17 00:00 UTC), not seconds: pass time_unit='ms'"
    )
    assert loaded(CsvCandles(path, time_unit="ms")) == EXPECTED == loaded(CsvCandles(path))


def test_fractional_seconds_load_when_whole_milliseconds(tmp_path: Path) -> None:
    path = csv_file(tmp_path, [f"{S0}.0", f"{S0 + 60}.000", S0 + 120])
    assert loaded(CsvCandles(path, time_unit="s")) == EXPECTED


def test_nanoseconds_that_are_not_whole_milliseconds_are_refused(tmp_path: Path) -> None:
    # read as an exact integer: through float64 the last 1 ns would round away
    path = csv_file(tmp_path, [S0 * 10**9, (S0 + 60) * 10**9 + 1, (S0 + 120) * 10**9])
    assert refusal(CsvCandles(path, time_unit="ns")) == (
        f"{path}: row 3: field timestamp: not a whole millisecond "
        f"({(S0 + 60) * 10**9 + 1} nanoseconds)"
    )


def test_negative_timestamp_is_refused(tmp_path: Path) -> None:
    path = csv_file(tmp_path, [-MIN, 0, MIN])
    assert refusal(CsvCandles(path)) == (
        f"{path}: row 2: field timestamp: negative timestamp (-60000), before 1970-01-01"
    )
    assert "row 2: field timestamp: negative timestamp (-60)" in refusal(
        CsvCandles(csv_file(tmp_path, [-60, 0, 60]), time_unit="s")
    )


def test_a_time_after_2100_is_refused(tmp_path: Path) -> None:
    late = 4_102_444_800_000  # 2100-01-01T00:00:00Z in ms
    path = csv_file(tmp_path, [late, late + MIN, late + 2 * MIN])
    assert refusal(CsvCandles(path)) == (
        f"{path}: row 2: field timestamp: {late} is after 2100-01-01 as milliseconds"
    )


def test_small_grid_aligned_milliseconds_still_load(tmp_path: Path) -> None:
    """Synthetic data near 1970 is not mistaken for seconds while it sits on the minute grid."""
    assert loaded(CsvCandles(csv_file(tmp_path, [0, MIN, 2 * MIN]))) == [0, MIN, 2 * MIN]


def test_unknown_time_unit_is_refused_at_construction(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as info:
        CsvCandles(tmp_path / "x.csv", time_unit="sec")
    assert str(info.value) == (
        "time_unit must be one of 's', 'ms', 'us', 'ns', 'iso' (or None for ms), got 'sec'"
    )


# -- ISO-8601 text ------------------------------------------------------------------------------


def test_iso_text_is_refused_with_the_fix_and_loads_when_told(tmp_path: Path) -> None:
    stamps = ["2026-08-17T00:00:00Z", "2026-08-17 00:01:00", "2026-08-17T02:02:00+02:00"]
    path = csv_file(tmp_path, stamps)
    assert refusal(CsvCandles(path)) == (
        f"{path}: row 2: field timestamp: '2026-08-17T00:00:00Z' is ISO-8601 text: "
        "pass time_unit='iso'"
    )
    # Z, no offset (read as UTC) and +02:00 are the three consecutive minutes
    assert loaded(CsvCandles(path, time_unit="iso")) == EXPECTED


def test_iso_that_does_not_parse_names_the_row(tmp_path: Path) -> None:
    path = csv_file(tmp_path, ["2026-08-17T00:00:00Z", "17/08/2026 00:01", "2026-08-17T00:02"])
    assert refusal(CsvCandles(path, time_unit="iso")) == (
        f"{path}: row 3: field timestamp: not an ISO-8601 date-time ('17/08/2026 00:01')"
    )


# -- Parquet: the column type says the unit -----------------------------------------------------


def parquet_file(tmp_path: Path, stamps: Any, **overrides: Any) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, Any] = {
        "timestamp": stamps,
        "open": pa.array([100.0, 100.5, 101.0]),
        "high": pa.array([101.0, 102.0, 101.5]),
        "low": pa.array([99.0, 100.0, 100.5]),
        "close": pa.array([100.5, 101.0, 101.2]),
        "volume": pa.array([10.0, 11.0, 12.0]),
        **overrides,
    }
    path = tmp_path / "candles.parquet"
    pq.write_table(pa.table(columns), path)
    return path


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "UTC", "Asia/Tokyo"])
def test_parquet_timestamp_columns_load_in_their_unit(
    tmp_path: Path, unit: str, tz: str | None
) -> None:
    import pyarrow as pa

    per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    values = [(S0 + 60 * k) * per_second for k in range(3)]
    path = parquet_file(tmp_path, pa.array(values, pa.timestamp(unit, tz=tz)))
    assert loaded(ParquetCandles(path)) == EXPECTED


def test_parquet_written_by_pandas_loads(tmp_path: Path) -> None:
    """pandas writes datetime64[ns] as Parquet timestamp[ns] (or [us] in pandas 3)."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(EXPECTED, unit="ms").astype("datetime64[ns]"),
            "open": [100.0, 100.5, 101.0],
            "high": [101.0, 102.0, 101.5],
            "low": [99.0, 100.0, 100.5],
            "close": [100.5, 101.0, 101.2],
            "volume": [10.0, 11.0, 12.0],
        }
    )
    path = tmp_path / "pandas.parquet"
    frame.to_parquet(path)
    import pyarrow.parquet as pq

    assert str(pq.read_schema(path).field("timestamp").type) == "timestamp[ns]"
    table = ParquetCandles(path).table("BTCUSD", "1m")
    assert table.timestamp.tolist() == EXPECTED
    assert table.close.tolist() == [100.5, 101.0, 101.2]


def test_parquet_timestamp_column_with_time_unit_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa

    path = parquet_file(tmp_path, pa.array(EXPECTED, pa.timestamp("ms")))
    assert refusal(ParquetCandles(path, time_unit="s")) == (
        f"{path}: row 0: field timestamp: a datetime column (datetime64[ms]) knows its unit: "
        "drop time_unit='s'"
    )


def test_parquet_integer_nanoseconds_are_refused_with_the_fix(tmp_path: Path) -> None:
    import pyarrow as pa

    path = parquet_file(tmp_path, pa.array([t * 10**6 for t in EXPECTED], pa.int64()))
    assert refusal(ParquetCandles(path)) == (
        f"{path}: row 0: field timestamp: {T0 * 10**6} looks like nanoseconds since 1970 "
        "(2026-08-17 00:00 UTC), not milliseconds: pass time_unit='ns'"
    )
    assert loaded(ParquetCandles(path, time_unit="ns")) == EXPECTED


def test_parquet_sub_millisecond_timestamp_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa

    values = [t * 1000 for t in EXPECTED]
    values[2] += 1  # 1 us past the minute
    path = parquet_file(tmp_path, pa.array(values, pa.timestamp("us")))
    assert refusal(ParquetCandles(path)) == (
        f"{path}: row 2: field timestamp: not a whole millisecond (2026-08-17T00:02:00.000001)"
    )


def test_parquet_negative_datetime_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa

    path = parquet_file(tmp_path, pa.array([-MIN, 0, MIN], pa.timestamp("ms")))
    assert refusal(ParquetCandles(path)) == (
        f"{path}: row 0: field timestamp: negative timestamp (1969-12-31T23:59:00.000), "
        "before 1970-01-01"
    )


def test_loaded_timestamps_are_int64(tmp_path: Path) -> None:
    table = CsvCandles(csv_file(tmp_path, [S0, S0 + 60, S0 + 120]), time_unit="s").table(
        "BTCUSD", "1m"
    )
    assert table.timestamp.dtype == np.int64


def test_memory_and_exchange_candles_refuse_a_negative_timestamp_too() -> None:
    from backtestkit.adapters.candles import MemoryCandles

    columns = {"timestamp": [-MIN, 0, MIN], "open": [1.0] * 3, "high": [1.0] * 3,
               "low": [1.0] * 3, "close": [1.0] * 3, "volume": [1.0] * 3}  # fmt: skip
    assert refusal(MemoryCandles({"BTCUSD": columns})) == (
        "MemoryCandles[BTCUSD]: row 0: field timestamp: negative timestamp, before 1970-01-01 "
        "(-60000; 1 row(s) in all)"
    )


def test_nan_seconds_are_not_a_finite_number(tmp_path: Path) -> None:
    path = csv_file(tmp_path, [S0, "nan", S0 + 120])
    assert refusal(CsvCandles(path, time_unit="s")) == (
        f"{path}: row 3: field timestamp: not a finite number (nan)"
    )


def test_off_grid_seconds_show_plain_numbers(tmp_path: Path) -> None:
    """The message shows 1786924861000, not np.int64(1786924861000) (issue 26)."""
    path = csv_file(tmp_path, [S0, S0 + 61, S0 + 120])
    assert refusal(CsvCandles(path, time_unit="s")) == (
        f"{path}: row 3: field timestamp: not aligned to 60000 ms (1786924861000; 1 row(s) in all)"
    )
