"""analyze_bias: twelve deliberately biased strategies are flagged, twelve clean ones are not
(tests/fixtures/bias_strategies.py, on the shipped Kaggle BTC/USD minutes)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtestkit.actors import (
    Backtest,
    Signal,
    add_exchange,
    add_frame,
    add_strategy,
    analyze_bias,
    set_config,
)
from backtestkit.actors.analysis import BiasReport, Decision, TruncatedCandles, first_difference
from backtestkit.actors.analysis.idle_sample import idle_instants
from backtestkit.actors.market import CandleTable, vwap
from backtestkit.actors.market.candles import COLUMNS
from backtestkit.adapters.candles import CsvCandles, MemoryCandles

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))

import bias_strategies as bs  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "kaggle_BTCUSD_1m.csv"
MIN = 60_000
FIRST_ROW = int(datetime(2018, 3, 23, 12, 41, tzinfo=UTC).timestamp() * 1000)
FRAME_START = int(datetime(2018, 3, 24, tzinfo=UTC).timestamp() * 1000)


def register(*strategies: object, interval: str = "15m") -> list[str]:
    add_exchange("kaggle", candles=CsvCandles(DATA))
    add_frame(
        "days",
        start=datetime(2018, 3, 24, tzinfo=UTC),
        end=datetime(2018, 3, 26, 12, tzinfo=UTC),
    )
    names = []
    for fn in strategies:
        name = fn.__name__  # type: ignore[attr-defined]
        add_strategy(name, interval=interval, get_signal=fn)  # type: ignore[arg-type]
        names.append(name)
    return names


@pytest.fixture(scope="module")
def report() -> BiasReport:
    names = register(*bs.BIASED, *bs.CLEAN)
    return analyze_bias(
        "BTCUSD",
        strategies=names,
        exchange="kaggle",
        frame="days",
        warmups=(None, 1440, 720),
        workers=2,
    )


def test_twelve_biased_flagged_twelve_clean_not(report: BiasReport) -> None:
    assert len(bs.BIASED) == 12 and len(bs.CLEAN) == 12
    assert set(report.biased) == {fn.__name__ for fn in bs.BIASED}
    for fn in bs.CLEAN:
        clean = report.strategy(fn.__name__)
        assert clean.signals_checked > 0, fn.__name__  # it did open signals to check
        assert (clean.signals_changed, clean.first) == (0, None), fn.__name__
    for fn in bs.BIASED:
        biased = report.strategy(fn.__name__)
        assert 0 < biased.signals_changed <= biased.signals_checked, fn.__name__


def test_first_offending_signal_names_time_and_field(report: BiasReport) -> None:
    # at the frame's first minute, 2018-03-24 00:00, the cut history holds the 679 minutes
    # 2018-03-23 12:41 .. 23:59 (11 h 19 min): the peek at the next row falls off the end
    peek = report.strategy("shift_minus_one")
    assert (FRAME_START - FIRST_ROW) // MIN == 679
    assert peek.signals_changed == peek.signals_checked
    first = peek.first
    assert first is not None
    assert (first.timestamp, first.field, first.warmup_minutes) == (FRAME_START, "outcome", None)
    assert (first.baseline, first.truncated) == ("signal", "error")
    assert first.error == "IndexError: index 679 is out of bounds for axis 0 with size 679"

    reads = report.strategy("reads_the_file").first
    assert reads is not None and reads.field == "outcome"
    assert reads.error.startswith("PermissionError: get_signal opened ")
    assert "kaggle_BTCUSD_1m.csv" in reads.error

    cache = report.strategy("global_future_cache").first  # filled from the cut table there
    assert cache is not None and (cache.baseline, cache.truncated) == ("signal", "none")

    zscore = report.strategy("zscore_whole_series").first
    assert zscore is not None and zscore.field == "price_take_profit"
    assert zscore.timestamp == FRAME_START and zscore.warmup_minutes is None

    # only a shorter history shows it, and only once 12 hours of history exist before the
    # signal: until 2018-03-24 00:41 every history starts at the first row
    expanding = report.strategy("expanding_mean_from_start").first
    assert expanding is not None
    assert (expanding.field, expanding.warmup_minutes) == ("price_take_profit", 720)
    assert expanding.timestamp > FIRST_ROW + 720 * MIN


def test_signals_checked_are_the_backtests_opened_signals(report: BiasReport) -> None:
    register(bs.sma_cross, bs.limit_dip)
    set_config(CC_LOOKAHEAD_PROFILE="safe")
    for name in ("sma_cross", "limit_dip"):
        results = Backtest.run_sync("BTCUSD", strategy=name, exchange="kaggle", frame="days")
        assert report.strategy(name).signals_checked == len(results)


def test_the_forming_candle_is_flagged_under_the_reference_profile() -> None:
    names = register(bs.forming_hour_reference, bs.sma_cross)
    kwargs = {"exchange": "kaggle", "frame": "days", "workers": 1}
    reference = analyze_bias("BTCUSD", strategies=names, profile="reference", **kwargs)
    assert reference.biased == ("forming_hour_reference",)
    first = reference.strategy("forming_hour_reference").first
    assert first is not None and first.field in ("position", "price_take_profit")
    assert reference.strategy("sma_cross").signals_checked > 0
    safe = analyze_bias("BTCUSD", strategies=names, **kwargs)
    assert safe.biased == ()  # the safe profile never serves the open hour


def test_bad_arguments_are_named() -> None:
    names = register(bs.sma_cross)
    common = {"strategies": names, "exchange": "kaggle", "frame": "days"}
    with pytest.raises(ValueError, match="profile must be one of 'reference', 'safe', got 'x'"):
        analyze_bias("BTCUSD", profile="x", **common)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="warm-up must be a positive number of minutes"):
        analyze_bias("BTCUSD", warmups=(None, 0), **common)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="workers must be an integer >= 1, got 0"):
        analyze_bias("BTCUSD", workers=0, **common)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="strategy 'nope'"):
        analyze_bias("BTCUSD", strategies=["nope"], exchange="kaggle", frame="days")

    add_strategy("inline", interval="15m", get_signal=lambda symbol, when: None)
    with pytest.raises(ValueError, match=r"strategy 'inline' get_signal.*importable by reference"):
        analyze_bias("BTCUSD", strategies=["inline"], exchange="kaggle", frame="days")

    class Rows:
        def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[object]:
            return []

    add_exchange("rows", candles=Rows())
    with pytest.raises(ValueError, match="exchange 'rows' serves candles from Rows"):
        analyze_bias("BTCUSD", strategies=names, exchange="rows", frame="days")


def test_truncated_candles_by_hand() -> None:
    t0 = int(datetime(2024, 1, 1, 9, tzinfo=UTC).timestamp() * 1000)
    minutes = np.arange(90)
    source = MemoryCandles(
        {
            "S": {
                "timestamp": t0 + minutes * MIN,
                "open": 100.0 + minutes,
                "high": 101.0 + minutes,
                "low": 99.0 + minutes,
                "close": 100.5 + minutes,
                "volume": np.ones(90),
            }
        }
    )
    ten = t0 + 60 * MIN
    # reference cut at 10:02 keeps 09:00 .. 10:02; the 10:00 5m bucket holds 10:00 .. 10:02
    cut = TruncatedCandles(source, until=ten + 2 * MIN)
    assert cut.table("S", "1m").n == 63
    five = cut.table("S", "5m")
    assert int(five.timestamp[-1]) == ten
    assert (float(five.open[-1]), float(five.close[-1])) == (160.0, 162.5)
    assert (float(five.high[-1]), float(five.volume[-1])) == (163.0, 3.0)
    # a 30-minute warm-up from 09:32: the 1h table holds one partial bucket (09:32 .. 09:59)
    short = TruncatedCandles(source, until=ten - MIN, start=ten - 28 * MIN)
    hour = short.table("S", "1h")
    assert hour.n == 1 and float(hour.open[0]) == 132.0 and float(hour.close[0]) == 159.5
    # the cut shares the loaded table's memory, its VWAP columns included
    base, minute = source.table("S", "1m"), short.table("S", "1m")
    assert np.shares_memory(minute.close, base.close) and minute.n == 28
    assert float(minute.timestamp[0]) == ten - 28 * MIN
    assert (
        vwap(minute.view(23, 28))
        == vwap(base.view(55, 60))
        == (sum((101.0 + k + 99.0 + k + 100.5 + k) / 3 for k in range(55, 60)) / 5)
    )
    assert (minute.min_low, minute.max_high) == (99.0, 190.0)  # the loaded table's bounds


def test_first_difference_order() -> None:
    when = FRAME_START
    long = Decision.of(when, Signal("long", 110.0, 90.0, 60))
    assert first_difference(long, Decision.of(when, Signal("long", 110.0, 90.0, 60))) is None
    assert first_difference(long, Decision.of(when, Signal("short", 90.0, 110.0, 60))) == (
        "position"
    )
    assert first_difference(long, Decision.of(when, Signal("long", 110.0, 90.0, 61))) == (
        "minute_estimated_time"
    )
    assert first_difference(long, Decision.of(when, None)) == "outcome"
    failed = Decision.failed(when, KeyError("x"))
    assert (failed.outcome, failed.error) == ("error", "KeyError: 'x'")


GAPPY = np.array([k for k in range(3000) if k % 97 not in (3, 4, 5) and not 1400 <= k < 1460])
RNG = np.random.default_rng(15)
PRICES = 100 + np.cumsum(RNG.normal(0, 0.3, GAPPY.size))
GAPPY_SOURCE = MemoryCandles(
    {
        "S": {
            "timestamp": FRAME_START + GAPPY * MIN,
            "open": PRICES,
            "high": PRICES + 0.5,
            "low": PRICES - 0.5,
            "close": PRICES + RNG.normal(0, 0.2, GAPPY.size).clip(-0.4, 0.4),
            "volume": RNG.lognormal(0, 1, GAPPY.size),
        }
    }
)


@settings(max_examples=200, deadline=None)
@given(
    interval=st.sampled_from(["3m", "5m", "15m", "30m", "1h", "4h", "1d"]),
    until=st.integers(min_value=-10, max_value=3010),
    warmup=st.one_of(st.none(), st.integers(min_value=1, max_value=2000)),
)
def test_a_cut_higher_interval_is_the_aggregation_of_the_cut_minutes(
    interval: str, until: int, warmup: int | None
) -> None:
    start = None if warmup is None else FRAME_START + (until - warmup) * MIN
    cut = TruncatedCandles(GAPPY_SOURCE, FRAME_START + until * MIN, start)
    step = {"3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "4h": 240, "1d": 1440}[interval]
    minutes = cut.table("S", "1m")
    kept = [k for k in GAPPY if k <= until and (warmup is None or k >= until - warmup)]
    assert [int((t - FRAME_START) // MIN) for t in minutes.timestamp] == kept
    fast = cut.table("S", interval)
    plain = CandleTable.from_columns(
        {name: getattr(minutes, name).copy() for name in COLUMNS}
    ).aggregate(step * MIN)
    for name in COLUMNS:
        assert np.array_equal(getattr(fast, name), getattr(plain, name)), name


def test_a_leak_that_only_skips_losing_entries_is_flagged_and_its_twin_is_not() -> None:
    names = register(bs.skips_future_losers, bs.sma_cross)
    report = analyze_bias("BTCUSD", strategies=names, exchange="kaggle", frame="days",
                          warmups=(None,), workers=2)  # fmt: skip
    leak, twin = report.strategy("skips_future_losers"), report.strategy("sma_cross")
    # Every signal it opened opens again on a cut history: the opened signals alone show
    # nothing (what the analyzer checked before it also re-asked "no signal" instants).
    assert leak.signals_checked > 0 and leak.signals_changed == 0
    assert leak.biased and leak.idle_changed > 0
    assert leak.first is not None
    assert (leak.first.field, leak.first.baseline, leak.first.truncated) == (
        "outcome", "none", "signal",
    )  # fmt: skip
    # The instant is one where the unfiltered twin opens a signal in its backtest.
    set_config(CC_LOOKAHEAD_PROFILE="safe")
    results = Backtest.run_sync("BTCUSD", strategy="sma_cross", exchange="kaggle", frame="days")
    assert leak.first.timestamp in {r.signal.scheduled_at for r in results}
    assert not twin.biased
    assert twin.idle_checked > 0 and (twin.signals_changed, twin.idle_changed) == (0, 0)
    line = next(x for x in report.lines() if x.startswith("skips_future_losers"))
    assert line.split()[1:5] == [
        str(leak.signals_checked), "0", str(leak.idle_checked), str(leak.idle_changed)
    ]


def test_idle_instants_sample_and_the_interval_before_each_signal() -> None:
    idle = np.arange(0, 100 * 5 * MIN, 5 * MIN, dtype=np.int64)  # 100 "None" answers, 5m apart
    opened = [402 * MIN, 250 * MIN]  # [397, 402) holds the answer at 400, [245, 250) at 245
    every = idle_instants(idle, opened, 5 * MIN, sample=1000)
    assert every.tolist() == idle.tolist()  # fewer than the sample: all of them
    none = idle_instants(idle, opened, 5 * MIN, sample=0)
    assert none.tolist() == [245 * MIN, 400 * MIN]  # only [t - 5m, t) of each opened t
    drawn = idle_instants(idle, opened, 5 * MIN, sample=10, seed=3)
    again = idle_instants(idle, opened, 5 * MIN, sample=10, seed=3)
    assert drawn.tolist() == again.tolist() == sorted(set(drawn.tolist()))
    expected = np.random.default_rng(3).choice(idle, size=10, replace=False).tolist()
    assert set(drawn.tolist()) == set(expected) | {245 * MIN, 400 * MIN}
    assert idle_instants(idle[:0], opened, 5 * MIN).size == 0
