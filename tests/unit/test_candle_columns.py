"""Which column is which (issue 26 "Data in", issue 23 item 6): standard headers in any case
and order, `columns=` mappings, extra columns only when `ignore=`d; non-UTF-8 bytes and
non-numeric (text, bool) columns refused by file, row and field. Exact messages throughout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backtestkit.actors.market import CandleDataError
from backtestkit.adapters.candles import CsvCandles, ParquetCandles

T0 = 1_786_924_800_000  # 2026-08-17T00:00:00Z
MIN = 60_000
STAMPS = [T0, T0 + MIN, T0 + 2 * MIN]
# (open, high, low, close, volume) per row
VALUES = [(100.0, 101.0, 99.0, 100.5, 10.0), (100.5, 102.0, 100.0, 101.0, 11.0),
          (101.0, 101.5, 100.5, 101.2, 12.0)]  # fmt: skip
FIELDS = ("open", "high", "low", "close", "volume")


def write(tmp_path: Path, text: str, name: str = "candles.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(header: str, order: tuple[str, ...], extra: list[str] | None = None) -> str:
    """A CSV with the candles' fields in `order` (timestamp spelt "timestamp")."""
    lines = [header]
    for i, stamp in enumerate(STAMPS):
        record = dict(zip(FIELDS, VALUES[i], strict=True), timestamp=stamp)
        cells = [str(record[name]) for name in order]
        lines.append(",".join(cells + ([extra[i]] if extra else [])))
    return "\n".join(lines) + "\n"


def assert_standard(source: Any) -> None:
    table = source.table("BTCUSD", "1m")
    assert table.timestamp.tolist() == STAMPS
    for j, name in enumerate(FIELDS):
        assert getattr(table, name).tolist() == [row[j] for row in VALUES], name


def refusal(source: Any) -> str:
    with pytest.raises(CandleDataError) as info:
        source.table("BTCUSD", "1m")
    return str(info.value)


STANDARD = ("timestamp", "open", "high", "low", "close", "volume")


@pytest.mark.parametrize(
    "header",
    [
        "Timestamp,Open,High,Low,Close,Volume",
        "time,open,high,low,close,volume",
        "Date,Open,High,Low,Close,Volume",
        "DATETIME, OPEN, HIGH, LOW, CLOSE, VOLUME",
    ],
)
def test_standard_headers_in_any_case(tmp_path: Path, header: str) -> None:
    assert_standard(CsvCandles(write(tmp_path, rows(header, STANDARD))))


def test_columns_in_another_order_are_read_by_name(tmp_path: Path) -> None:
    order = ("timestamp", "high", "open", "low", "close", "volume")
    assert_standard(
        CsvCandles(write(tmp_path, rows("timestamp,high,open,low,close,volume", order)))
    )


def test_bom_before_the_header_is_not_part_of_the_name(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + rows("Timestamp,Open,High,Low,Close,Volume", STANDARD).encode()
    )
    assert_standard(CsvCandles(path))


def test_extra_column_is_refused_with_the_fix(tmp_path: Path) -> None:
    text = rows("timestamp,open,high,low,close,volume,trades", STANDARD, ["5", "6", "7"])
    path = write(tmp_path, text)
    assert refusal(CsvCandles(path)) == (
        f"{path}: row 1: header must be 'timestamp,open,high,low,close,volume', got "
        "'timestamp,open,high,low,close,volume,trades': extra column 'trades': skip with "
        "ignore=['trades'] (or ignore='*'), or map the candle fields with columns={...}"
    )
    assert_standard(CsvCandles(path, ignore=["trades"]))
    assert_standard(CsvCandles(path, ignore="trades"))
    assert_standard(CsvCandles(path, ignore="*"))


def test_ignored_column_may_hold_text_and_is_never_parsed(tmp_path: Path) -> None:
    lines = ["symbol,Open,High,Low,Close,Volume,Time"] + [
        ",".join(["BTC/USD", *map(str, VALUES[i]), str(STAMPS[i])]) for i in range(3)
    ]
    path = write(tmp_path, "\n".join(lines) + "\n")
    assert_standard(CsvCandles(path, ignore=["symbol"]))


def test_a_row_with_a_missing_field_is_found_when_columns_are_ignored(tmp_path: Path) -> None:
    text = rows("timestamp,open,high,low,close,volume,trades", STANDARD, ["5", "6", "7"])
    lines = text.splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]  # row 3 lost its last field
    path = write(tmp_path, "\n".join(lines) + "\n")
    assert refusal(CsvCandles(path, ignore=["trades"])) == (
        f"{path}: row 3: expected 7 fields, got 6"
    )


def test_mapping_names_the_columns(tmp_path: Path) -> None:
    header = "Open time,o,h,l,c,Volume BTC,Volume USD"
    lines = [header] + [",".join([str(STAMPS[i]), *map(str, VALUES[i]), "1.5"]) for i in range(3)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    mapping = {"timestamp": "Open time", "open": "o", "high": "h", "low": "l", "close": "c",
               "volume": "Volume BTC"}  # fmt: skip
    assert_standard(CsvCandles(path, columns=mapping, ignore=["Volume USD"]))


def test_a_mapped_column_that_is_absent_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, rows("Timestamp,Open,High,Low,Close,Volume", STANDARD))
    assert refusal(CsvCandles(path, columns={"volume": "Volume BTC"})) == (
        f"{path}: row 1: header must be 'timestamp,open,high,low,close,volume', got "
        "'Timestamp,Open,High,Low,Close,Volume': missing column(s) 'Volume BTC' (for volume); "
        "the columns are 'Timestamp', 'Open', 'High', 'Low', 'Close', 'Volume' (the standard "
        "names in any case, timestamp also as time, date or datetime; or map them with "
        "columns={'timestamp': ..., 'open': ...})"
    )


def test_two_candidate_timestamp_columns_are_ambiguous(tmp_path: Path) -> None:
    lines = ["time,date,open,high,low,close,volume"] + [
        ",".join([str(STAMPS[i]), "2026-08-17", *map(str, VALUES[i])]) for i in range(3)
    ]
    path = write(tmp_path, "\n".join(lines) + "\n")
    assert refusal(CsvCandles(path)).endswith(
        "columns 'time', 'date' could each be timestamp: pick one with columns={'timestamp': ...}"
    )
    assert_standard(CsvCandles(path, columns={"timestamp": "time"}, ignore=["date"]))


def test_mapping_keys_must_be_candle_fields(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as info:
        CsvCandles(tmp_path / "x.csv", columns={"Open": "open"})
    assert str(info.value) == (
        "columns: 'Open' is not a candle field; the keys are the fields (timestamp, open, "
        "high, low, close, volume) and the values the source's column names, "
        "e.g. columns={'timestamp': 'Date'}"
    )


# -- bytes and types ----------------------------------------------------------------------------


def test_non_utf8_bytes_are_named_by_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    body = rows("timestamp,open,high,low,close,volume", STANDARD).encode()
    lines = body.split(b"\n")
    lines[2] = lines[2].replace(b",101.0,", b",101.0\xff,")  # row 3, the close field
    path.write_bytes(b"\n".join(lines))
    assert refusal(CsvCandles(path)) == f"{path}: row 3: field close: not UTF-8 text (byte 0xff)"


def parquet(tmp_path: Path, **overrides: Any) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, Any] = {"timestamp": pa.array(STAMPS, pa.int64())}
    for j, name in enumerate(FIELDS):
        columns[name] = pa.array([row[j] for row in VALUES])
    columns.update(overrides)
    path = tmp_path / "candles.parquet"
    pq.write_table(pa.table(columns), path)
    return path


def test_parquet_string_price_column_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa

    path = parquet(tmp_path, close=pa.array(["100.5", "101.0", "n/a"]))
    assert refusal(ParquetCandles(path)) == (
        f"{path}: row 0: field close: a text column ('100.5'); prices and volume must be "
        "numbers (convert the column first)"
    )


def test_parquet_bool_volume_is_refused_not_read_as_one(tmp_path: Path) -> None:
    import pyarrow as pa

    path = parquet(tmp_path, volume=pa.array([True, False, True]))
    assert refusal(ParquetCandles(path)) == (
        f"{path}: row 0: field volume: a bool column (True); prices and volume must be "
        "numbers (convert the column first)"
    )


def test_parquet_bool_timestamp_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa

    path = parquet(tmp_path, timestamp=pa.array([True, False, True]))
    assert refusal(ParquetCandles(path)) == (
        f"{path}: row 0: field timestamp: a bool column (True); open times must be numbers"
    )


def test_parquet_nan_price_is_named(tmp_path: Path) -> None:
    import pyarrow as pa

    path = parquet(tmp_path, high=pa.array([101.0, float("nan"), 101.5]))
    assert refusal(ParquetCandles(path)) == (
        f"{path}: row 1: field high: not a finite number (nan; 1 row(s) in all)"
    )


def test_parquet_columns_by_any_case_with_mapping_and_ignore(tmp_path: Path) -> None:
    import pyarrow as pa

    path = parquet(tmp_path)
    import pyarrow.parquet as pq

    table = pq.read_table(path).rename_columns(["Date", "Open", "High", "Low", "Close", "Vol"])
    table = table.append_column("trades", pa.array([1, 2, 3]))
    pq.write_table(table, path)
    assert refusal(ParquetCandles(path, columns={"volume": "Vol"})) == (
        f"{path}: extra column 'trades': skip with ignore=['trades'] (or ignore='*'), "
        "or map the candle fields with columns={...}"
    )
    assert_standard(ParquetCandles(path, columns={"volume": "Vol"}, ignore=["trades"]))


def test_one_column_mapped_to_two_fields_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as info:
        CsvCandles(tmp_path / "x.csv", columns={"open": "price", "close": "price"})
    assert str(info.value) == "columns: 'price' is mapped to both open and close"


def test_a_file_that_is_not_parquet_is_named(tmp_path: Path) -> None:
    path = tmp_path / "candles.parquet"
    path.write_text(rows("timestamp,open,high,low,close,volume", STANDARD))
    message = refusal(ParquetCandles(path))
    assert message.startswith(f"{path}: not a readable Parquet file (")


def test_parquet_decimal_prices_are_numbers(tmp_path: Path) -> None:
    from decimal import Decimal

    import pyarrow as pa

    closes = [Decimal(str(row[3])) for row in VALUES]
    assert_standard(ParquetCandles(parquet(tmp_path, close=pa.array(closes, pa.decimal128(8, 2)))))


def test_parquet_with_the_pandas_index_column_loads(tmp_path: Path) -> None:
    """pandas stores a non-range index as `__index_level_0__`: metadata, not an extra column."""
    pd = pytest.importorskip("pandas")
    import pyarrow.parquet as pq

    frame = pd.DataFrame(
        {
            "timestamp": STAMPS,
            **{name: [row[j] for row in VALUES] for j, name in enumerate(FIELDS)},
        },
        index=[10, 20, 30],
    )
    path = tmp_path / "indexed.parquet"
    frame.to_parquet(path)
    assert "__index_level_0__" in pq.read_schema(path).names
    assert_standard(ParquetCandles(path))
