"""A source serves only the symbols it is declared for (issue 26 "Data in"): a single file with
`symbol=`, a `{symbol: path}` mapping, a DataFrame; another symbol is refused naming the ones it
has. DataFrameCandles is validated like the files."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backtestkit.actors.market import CandleDataError, UnservedSymbolError
from backtestkit.adapters.candles import CsvCandles, DataFrameCandles, ParquetCandles

pd = pytest.importorskip("pandas")

DATA = Path(__file__).resolve().parents[1] / "data" / "kaggle_BTCUSD_1m.csv"
T0 = 1_786_924_800_000  # 2026-08-17T00:00:00Z
MIN = 60_000
GOOD = "timestamp,open,high,low,close,volume\n" + "".join(
    f"{T0 + k * MIN},100,101,99,100.5,{k + 1}\n" for k in range(3)
)


def unserved(source: Any, symbol: str) -> str:
    with pytest.raises(UnservedSymbolError) as info:
        source.table(symbol, "1m")
    assert isinstance(info.value, KeyError)  # what a lookup by symbol has always raised
    return str(info.value)


def test_a_file_declared_for_btc_refuses_eth(tmp_path: Path) -> None:
    path = tmp_path / "bitstamp_BTCUSD_1m.csv"
    path.write_text(GOOD)
    source = CsvCandles(path, symbol="BTCUSD")
    assert source.symbols() == ["BTCUSD"]
    assert source.declared_symbol == "BTCUSD"
    assert source.table("BTCUSD", "1m").volume.tolist() == [1.0, 2.0, 3.0]
    assert unserved(source, "ETHUSDT") == (
        f"CsvCandles: no candles for symbol 'ETHUSDT'; it serves BTCUSD ({path})"
    )


def test_a_mapping_names_every_symbol_it_serves(tmp_path: Path) -> None:
    path = tmp_path / "btc.csv"
    path.write_text(GOOD)
    source = CsvCandles({"BTCUSDT": path, "ETHUSDT": DATA})
    assert unserved(source, "DOGEUSDT") == (
        "CsvCandles: no candles for symbol 'DOGEUSDT'; it serves BTCUSDT, ETHUSDT"
    )


def test_a_parquet_file_declared_for_its_symbol(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "btc.parquet"
    pq.write_table(pa.Table.from_pandas(pd.read_csv(DATA)), path)
    source = ParquetCandles(path, symbol="BTCUSD")
    assert source.table("BTCUSD", "1m").n == 5000
    assert unserved(source, "ETHUSD") == (
        f"ParquetCandles: no candles for symbol 'ETHUSD'; it serves BTCUSD ({path})"
    )


def test_an_undeclared_file_still_serves_any_symbol_from_one_load(tmp_path: Path) -> None:
    """Backwards compatible (documented in the README): declare the symbol to be safe."""
    path = tmp_path / "candles.csv"
    path.write_text(GOOD)
    source = CsvCandles(path)
    assert source.declared_symbol is None and source.symbols() == []
    assert source.table("ETHUSDT", "1m") is not None
    assert source.table("BTCUSD", "1m").timestamp.tolist() == [T0, T0 + MIN, T0 + 2 * MIN]


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"symbol": ""}, "CsvCandles: a symbol must be a non-empty string, got ''"),
        ({"symbol": "  "}, "CsvCandles: a symbol must be a non-empty string, got '  '"),
    ],
)
def test_an_empty_symbol_is_refused(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        CsvCandles(tmp_path / "x.csv", **kwargs)
    assert str(info.value) == message


def test_symbol_with_a_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as info:
        CsvCandles({"BTCUSD": tmp_path / "x.csv"}, symbol="BTCUSD")
    assert str(info.value) == (
        "CsvCandles: symbol= declares the symbol of a single source; a {symbol: source} "
        "mapping already names its symbols"
    )


def test_a_declared_source_pickles_with_its_symbol(tmp_path: Path) -> None:
    """Walker workers receive the source pickled: the declaration travels with it."""
    path = tmp_path / "btc.csv"
    path.write_text(GOOD)
    source = CsvCandles(path, symbol="BTCUSD")
    source.table("BTCUSD", "1m")
    again = pickle.loads(pickle.dumps(source))
    assert again.table("BTCUSD", "5m").n == 1
    assert "ETHUSD" in unserved(again, "ETHUSD")


# -- DataFrameCandles ---------------------------------------------------------------------------


def kaggle_frame() -> Any:
    return pd.read_csv(DATA)


def test_dataframe_serves_the_same_candles_as_the_file() -> None:
    from_file = CsvCandles(DATA).table("BTCUSD", "1m")
    from_frame = DataFrameCandles(kaggle_frame(), symbol="BTCUSD").table("BTCUSD", "1m")
    for name in ("timestamp", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(from_frame, name), getattr(from_file, name)), name
    assert from_frame.timestamp.dtype == np.int64
    assert from_frame.origin == "DataFrameCandles[BTCUSD]"
    five = DataFrameCandles(kaggle_frame(), symbol="BTCUSD").table("BTCUSD", "5m")
    assert np.array_equal(five.close, CsvCandles(DATA).table("BTCUSD", "5m").close)


def test_dataframe_with_a_utc_datetime_index_and_capitalised_columns() -> None:
    """The backtesting.py layout: a DatetimeIndex and Open, High, Low, Close, Volume."""
    frame = kaggle_frame()
    frame.index = pd.to_datetime(frame.pop("timestamp"), unit="ms", utc=True)
    frame.columns = ["Open", "High", "Low", "Close", "Volume"]
    table = DataFrameCandles(frame, symbol="BTCUSD").table("BTCUSD", "1m")
    assert int(table.timestamp[0]) == 1521808860000
    assert float(table.close[-1]) == 8153.04
    frame.index = frame.index.tz_convert("America/New_York")  # the same instants
    table = DataFrameCandles(frame, symbol="BTCUSD").table("BTCUSD", "1m")
    assert int(table.timestamp[0]) == 1521808860000


def test_dataframe_needs_its_symbol() -> None:
    with pytest.raises(TypeError) as info:
        DataFrameCandles(kaggle_frame())
    assert str(info.value) == (
        "DataFrameCandles: say which symbol the DataFrame holds: "
        "DataFrameCandles(df, symbol='BTCUSDT') or DataFrameCandles({'BTCUSDT': df})"
    )
    source = DataFrameCandles({"BTCUSD": kaggle_frame(), "BTCUSD-copy": kaggle_frame()})
    assert source.table("BTCUSD-copy", "1m").n == 5000
    assert unserved(source, "ETHUSDT") == (
        "DataFrameCandles: no candles for symbol 'ETHUSDT'; it serves BTCUSD, BTCUSD-copy"
    )
    assert unserved(DataFrameCandles(kaggle_frame(), symbol="BTCUSD"), "ETHUSDT") == (
        "DataFrameCandles: no candles for symbol 'ETHUSDT'; it serves BTCUSD"
    )


def frame_refusal(frame: Any, **kwargs: Any) -> str:
    with pytest.raises(CandleDataError) as info:
        DataFrameCandles(frame, symbol="BTCUSD", **kwargs).table("BTCUSD", "1m")
    return str(info.value)


def test_dataframe_bool_volume_is_refused() -> None:
    frame = kaggle_frame().head(3)
    frame["volume"] = [True, False, True]
    assert frame_refusal(frame) == (
        "DataFrameCandles[BTCUSD]: row 0: field volume: a bool column (True); prices and "
        "volume must be numbers (convert the column first)"
    )


def test_dataframe_text_prices_are_refused() -> None:
    frame = kaggle_frame().head(3)
    frame["close"] = ["8447.38", "8450.0", "8451.5"]
    assert frame_refusal(frame) == (
        "DataFrameCandles[BTCUSD]: row 0: field close: a text value ('8447.38'); prices and "
        "volume must be numbers (convert the column first)"
    )


def test_dataframe_missing_values_are_named() -> None:
    frame = kaggle_frame().head(3)
    frame.loc[1, "high"] = np.nan
    assert (
        frame_refusal(frame) == "DataFrameCandles[BTCUSD]: row 1: field high: missing value (nan)"
    )
    frame = kaggle_frame().head(3).astype({"low": "Float64"})
    frame.loc[2, "low"] = pd.NA
    assert frame_refusal(frame) == (
        "DataFrameCandles[BTCUSD]: row 2: field low: missing value (<NA>)"
    )


def test_dataframe_seconds_are_refused_with_the_fix_and_load_when_told() -> None:
    frame = kaggle_frame().head(3)
    frame["timestamp"] //= 1000
    assert frame_refusal(frame) == (
        "DataFrameCandles[BTCUSD]: row 0: field timestamp: 1521808860 looks like seconds "
        "since 1970 (2018-03-23 12:41 UTC), not milliseconds: pass time_unit='s'"
    )
    table = DataFrameCandles(frame, symbol="BTCUSD", time_unit="s").table("BTCUSD", "1m")
    assert table.timestamp.tolist() == [1521808860000, 1521808920000, 1521808980000]


def test_dataframe_extra_columns_need_ignore() -> None:
    frame = kaggle_frame().head(3)
    frame["sma"] = 1.0
    assert frame_refusal(frame) == (
        "DataFrameCandles[BTCUSD]: extra column 'sma': skip with ignore=['sma'] "
        "(or ignore='*'), or map the candle fields with columns={...}"
    )
    assert DataFrameCandles(frame, symbol="BTCUSD", ignore="*").table("BTCUSD", "1m").n == 3
