"""Candle sources by composition: a `TableSource` (actors/market) built from a loader function;
the file, DataFrame and memory sources are TableSources built from their readers, with the
constructors and errors users know."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from backtestkit.actors.market import CandleDataError, CandleTable, TableSource
from backtestkit.adapters.candles import CsvCandles, MemoryCandles, read_csv_table

START = 1_704_067_200_000  # 2024-01-01T00:00Z, on a 5-minute boundary
MINUTE = 60_000


def ten_minutes(origin: str) -> CandleTable:
    """open 100..109, high open+2, low open-1, close open+1, volume 1..10."""
    return CandleTable.from_columns(
        {
            "timestamp": [START + i * MINUTE for i in range(10)],
            "open": [100.0 + i for i in range(10)],
            "high": [102.0 + i for i in range(10)],
            "low": [99.0 + i for i in range(10)],
            "close": [101.0 + i for i in range(10)],
            "volume": [1.0 + i for i in range(10)],
        },
        origin=origin,
    )


class CountingLoader:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, symbol: str) -> CandleTable:
        self.asked.append(symbol)
        return ten_minutes(f"loaded[{symbol}]")


def test_a_table_source_loads_each_symbol_once_and_aggregates_from_it() -> None:
    loader = CountingLoader()
    source = TableSource(loader, symbols=["BTCUSDT", "ETHUSDT"])
    five = source.table("BTCUSDT", "5m")
    assert source.table("BTCUSDT", "1m").n == 10
    source.fetch("BTCUSDT", "1m", START, 3)
    assert loader.asked == ["BTCUSDT"]
    # two 5-minute candles: opens of minutes 0 and 5, highs/lows over each five, sums of volume
    assert five.timestamp.tolist() == [START, START + 5 * MINUTE]
    assert five.open.tolist() == [100.0, 105.0]
    assert five.high.tolist() == [106.0, 111.0]
    assert five.low.tolist() == [99.0, 104.0]
    assert five.close.tolist() == [105.0, 110.0]
    assert five.volume.tolist() == [15.0, 40.0]
    assert source.symbols() == ["BTCUSDT", "ETHUSDT"] and source.declared_symbol is None
    window = source.fetch("ETHUSDT", "1m", START + 8 * MINUTE, 5)
    assert window.close.tolist() == [109.0, 110.0] and loader.asked == ["BTCUSDT", "ETHUSDT"]


def test_a_table_source_pickles_its_loaded_tables_and_loader() -> None:
    source = TableSource(CountingLoader(), symbols=["BTCUSDT"])
    source.table("BTCUSDT", "15m")
    copy = pickle.loads(pickle.dumps(source))
    assert copy.declared_symbol == "BTCUSDT"
    assert copy.table("BTCUSDT", "1m").close.tolist() == [101.0 + i for i in range(10)]
    assert copy._load.asked == ["BTCUSDT"]  # the 1m table came along: not loaded again


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("timestamp,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    return path


def test_csv_candles_is_a_table_source_built_from_the_csv_reader(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "btc.csv", [f"{START},100,102,99,101,1"])
    source = CsvCandles(csv, symbol="BTCUSDT")
    assert isinstance(source, TableSource)
    assert source.table("BTCUSDT", "1m").close.tolist() == [101.0]
    assert repr(source) == f"CsvCandles({str(csv)!r}, symbol='BTCUSDT')"
    assert read_csv_table(csv).open.tolist() == [100.0]


def test_errors_still_name_the_file_row_and_field(tmp_path: Path) -> None:
    rows = [f"{START},100,102,99,101,1", f"{START + MINUTE},x,1,1,1,1"]
    csv = write_csv(tmp_path / "bad.csv", rows)
    where = re.escape(str(csv))
    with pytest.raises(CandleDataError, match=rf"^{where}: row 3: field open: not a number"):
        CsvCandles(csv).table("BTCUSDT", "1m")
    with pytest.raises(FileNotFoundError, match=r"candle file not found: .*missing\.csv"):
        CsvCandles(tmp_path / "missing.csv").table("BTCUSDT", "1m")


def test_a_misspelt_option_is_a_type_error_naming_it(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "btc.csv", [f"{START},100,102,99,101,1"])
    unexpected = r"\(\) got an unexpected keyword argument"
    with pytest.raises(TypeError, match=rf"^CsvCandles{unexpected} 'time_units'"):
        CsvCandles(csv, time_units="s")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=rf"^read_csv_table{unexpected} 'colums'"):
        read_csv_table(csv, colums={})  # type: ignore[call-arg]


def test_memory_candles_is_a_table_source_of_its_columns() -> None:
    source = MemoryCandles({"BTCUSDT": {"timestamp": [START], "open": [1], "high": [2],
                                        "low": [0.5], "close": [1.5], "volume": [3]}})  # fmt: skip
    assert isinstance(source, TableSource) and source.symbols() == ["BTCUSDT"]
    assert source.table("BTCUSDT", "1m").origin == "MemoryCandles[BTCUSDT]"
    with pytest.raises(KeyError, match="no candles for symbol 'ETHUSDT'; have BTCUSDT"):
        source.table("ETHUSDT", "1m")
