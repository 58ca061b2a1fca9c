"""SCENARIOS section B, Live mode and persistence (issue 5): e2e/restore/*, e2e/persist/*
(live restarts), e2e/sequence/persist-*, e2e/shutdown/live-*, e2e/timing/restored-pending-
remaining and e2e/markdown/live-persist.

Every run is on a `VirtualClock` from NOW (ticks at NOW + k * 60 001 ms, SPEC 11.1) with the
state in `tmp_path`. The reference's persistence adapters are our state files (SPEC 11.3):
a restart is set up by writing signal/<symbol>_<strategy>/<symbol>.json (or schedule/...)
with `JsonStateStore` + `row_to_json` before `Live.run`; writes are observed through
`JsonStateStore(on_phase=...)`. Our rows carry every field: where the reference row had no
`pendingAt` (so it never expires there) the restart time, or the stated downtime, is used.

Exchanges answer `limit` flat candles stamped `since + i min` ("candles at X +-d": o/c X,
h X+d, l X-d, volume 100), so P = VWAP = X on every tick. Expected values: SPEC 3.2 tick path
(TP/SL closes at the exact TP/SL price, expiry at the first tick with elapsed >= mET), SPEC 8
PnL, SPEC 11.2/11.3 (stop, what is written when), decision Q7 (after a stop an open position
is monitored until it closes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from backtestkit.actors import Live, Signal, SignalRow, VirtualClock, add_exchange, add_strategy
from backtestkit.actors.core import StrategyCallbacks
from backtestkit.actors.live import ForeignStateError, JsonStateStore
from backtestkit.actors.live.state_json import row_to_json
from backtestkit.actors.live.ticker import TICK_TTL_MS
from backtestkit.bus import DoneEvent, listen_done_live, listen_error, listen_signal_live

from .e2e_sources import PerSymbol, band, spec_pnl, spec_vwap
from .harness import P_STAR, T0, PhaseCandles, add_mock_exchange, eight_decimals

pytestmark = pytest.mark.anyio

NOW = T0 + 7 * 86_400_000  # the restart: 2024-01-08T00:00Z
TICK = TICK_TTL_MS
MIN = 60_000


# -- helpers ----------------------------------------------------------------------------------


def flat(name: str, price: float, up: float = 100, down: float | None = None) -> None:
    """An exchange whose every candle is band(price, up, down): P = price on every tick."""
    ohlcv = band(price, up, down)
    add_exchange(
        name,
        candles=PhaseCandles(lambda i: ohlcv),
        format_price=eight_decimals,
        format_quantity=eight_decimals,
    )


def row(
    signal_id: str,
    position: str,
    price_open: float,
    tp: float,
    sl: float,
    met: int,
    *,
    strategy: str,
    exchange: str = "flat",
    symbol: str = "BTCUSDT",
    note: str = "",
    scheduled_at: int = NOW,
    pending_at: int | None = None,
    is_scheduled: bool = False,
) -> SignalRow:
    return SignalRow(
        id=signal_id,
        position=position,  # type: ignore[arg-type]
        price_open=price_open,
        price_take_profit=tp,
        price_stop_loss=sl,
        minute_estimated_time=met,
        note=note,
        scheduled_at=scheduled_at,
        pending_at=scheduled_at if pending_at is None else pending_at,
        symbol=symbol,
        exchange_name=exchange,
        strategy_name=strategy,
        is_scheduled=is_scheduled,
    )


def slot_path(state_dir: Path, kind: str, symbol: str, strategy: str) -> Path:
    return state_dir / kind / f"{symbol}_{strategy}" / f"{symbol}.json"


def write_slot(state_dir: Path, kind: str, value: SignalRow, strategy: str | None = None) -> None:
    """Persist `value` in the `kind` ("signal" or "schedule") slot of (symbol, strategy)."""
    store = JsonStateStore(state_dir)
    path = slot_path(state_dir, kind, value.symbol, strategy or value.strategy_name)
    store.write(path, row_to_json(value))


def read_slot(state_dir: Path, kind: str, symbol: str, strategy: str) -> Any:
    return orjson.loads(slot_path(state_dir, kind, symbol, strategy).read_bytes())


class WriteLog:
    """A JsonStateStore phase hook: (entity, file) of every completed write, in order."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str]] = []

    def __call__(self, phase: str, path: Path) -> None:
        if phase == "after_rename":
            self.writes.append((path.parent.parent.name, path.name))

    def of(self, entity: str) -> list[tuple[str, str]]:
        return [w for w in self.writes if w[0] == entity]


class Calls:
    """Strategy callbacks recording their arguments."""

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple[Any, ...]]] = {}

    def __getitem__(self, name: str) -> list[tuple[Any, ...]]:
        return self.calls.get(name, [])

    def callbacks(self, *extra: tuple[str, Callable[..., None]]) -> StrategyCallbacks:
        names = ("on_active", "on_schedule", "on_open", "on_close", "on_cancel", "on_idle")
        fns: dict[str, Any] = {n: self._recorder(n) for n in names}
        fns["on_tick"] = self._recorder("on_tick")
        fns["on_write"] = self._recorder("on_write")
        for name, fn in extra:
            record = fns[name]
            fns[name] = lambda *args, _r=record, _f=fn: (_r(*args), _f(*args))
        return StrategyCallbacks(**fns)

    def _recorder(self, name: str) -> Callable[..., None]:
        return lambda *args: self.calls.setdefault(name, []).append(args)

    def ticks(self) -> list[Any]:
        return [args[1] for args in self["on_tick"]]


def stop_after(
    count: int, strategy: str, symbol: str = "BTCUSDT"
) -> Callable[[Any], Awaitable[None]]:
    """An async signal_live listener (awaited by the tick) that stops the run at event `count`."""
    seen = 0

    async def listener(result: Any) -> None:
        nonlocal seen
        seen += 1
        if seen == count:
            await Live.stop(symbol, strategy)

    return listener


async def run_live(
    strategy: str,
    state_dir: Path | JsonStateStore,
    *,
    exchange: str = "flat",
    symbol: str = "BTCUSDT",
    until: Callable[[Any], bool] | None = None,
) -> list[Any]:
    """Live.run on virtual time from NOW; the yielded results. The run ends by a stop (from a
    listener or callback), or at the first result matching `until` (the test then stops it and
    the generator ends normally, so the slots are written as after any consumed result)."""
    results: list[Any] = []
    with anyio.fail_after(10):
        async for result in Live.run(
            symbol,
            strategy=strategy,
            exchange=exchange,
            clock=VirtualClock(NOW),
            state_dir=state_dir,
        ):
            results.append(result)
            if until is not None and until(result):
                await Live.stop(symbol, strategy)
    return results


def errors() -> list[BaseException]:
    seen: list[BaseException] = []
    listen_error(seen.append)
    return seen


# -- e2e/restore ------------------------------------------------------------------------------


async def test_restore_pending(tmp_path: Path) -> None:
    """e2e/restore/pending: restored long 43000/44000/42000 mET 60 (pendingAt = now), candles
    at 43500: on_active(symbol, row, 43500, False); the first tick is `active`, percentTp 50.
    Stopped there (Q7), it is monitored until its expiry at tick 60, time_expired at 43500."""
    flat("flat", 43500)
    calls = Calls()
    add_strategy(
        "restore-pending",
        interval="1m",
        get_signal=lambda s, w: None,
        callbacks=calls.callbacks(),
    )
    stored = row(
        "restore-pending-signal",
        "long",
        43000,
        44000,
        42000,
        60,
        strategy="restore-pending",
        note="Restored pending signal",
    )
    write_slot(tmp_path, "signal", stored)
    listen_signal_live(stop_after(1, "restore-pending"))
    results = await run_live("restore-pending", tmp_path)
    assert calls["on_active"]  # asserted: called
    [(symbol, restored, price, backtest)] = calls["on_active"]
    assert (restored.position, restored.note) == ("long", "Restored pending signal")  # asserted
    assert (symbol, restored, price, backtest) == ("BTCUSDT", stored, 43500, False)
    first = calls.ticks()[0]
    assert (first.action, first.percent_tp, first.percent_sl) == ("active", 50.0, 0.0)
    [closed] = results
    assert (closed.close_reason, closed.close_timestamp) == ("time_expired", NOW + 60 * TICK)
    assert closed.current_price == 43500
    assert closed.pnl.pnl_percentage == spec_pnl("long", 43000, 43500)
    assert read_slot(tmp_path, "signal", "BTCUSDT", "restore-pending") is None


async def test_restore_scheduled(tmp_path: Path) -> None:
    """e2e/restore/scheduled: no pending slot; the schedule slot holds short 3000/2900/3100
    mET 120 (_isScheduled). Candles o/c 3200 h 3300 l 3100 (P 3200): on_schedule(symbol, row,
    3200, False); the same first tick drops it by SL (P >= 3100) with an `idle` result and
    neither on_cancel nor on_idle (Q5); the cleared schedule slot is written (null)."""
    flat("flat", 3200, 100)
    calls = Calls()
    add_strategy(
        "restore-scheduled",
        interval="1m",
        get_signal=lambda s, w: None,
        callbacks=calls.callbacks(),
    )
    stored = row(
        "restore-scheduled-signal",
        "short",
        3000,
        2900,
        3100,
        120,
        strategy="restore-scheduled",
        symbol="ETHUSDT",
        note="Restored scheduled signal",
        is_scheduled=True,
    )
    write_slot(tmp_path, "schedule", stored)
    listen_signal_live(stop_after(1, "restore-scheduled", "ETHUSDT"))
    assert await run_live("restore-scheduled", tmp_path, symbol="ETHUSDT") == []
    assert calls["on_schedule"]  # asserted: called
    [(symbol, restored, price, backtest)] = calls["on_schedule"]
    assert restored.position == "short"  # asserted
    assert restored.note == "Restored scheduled signal"  # asserted
    assert restored.is_scheduled is True  # asserted
    assert restored.price_open == 3000  # asserted
    assert (symbol, restored, price, backtest) == ("ETHUSDT", stored, 3200, False)
    [first] = calls.ticks()
    assert (first.action, first.current_price) == ("idle", 3200)
    assert calls["on_cancel"] == [] and calls["on_idle"] == [] and calls["on_active"] == []
    assert read_slot(tmp_path, "schedule", "ETHUSDT", "restore-scheduled") is None


async def test_restore_exchange_mismatch(tmp_path: Path) -> None:
    """e2e/restore/exchange-mismatch, under the decision that overrides SPEC 11.3's matching
    rule: the pending record names exchange "binance", the run uses "bybit". The reference
    ignores it (and later overwrites it); here the run refuses to start with an error naming
    the file, the signal and the difference, before any tick, and both records stay on disk
    byte for byte."""
    flat("bybit", 50000)
    calls = Calls()
    add_strategy(
        "mismatch-ex",
        interval="1m",
        get_signal=lambda s, w: None,
        callbacks=calls.callbacks(),
    )
    foreign = row(
        "wrong-exchange",
        "long",
        50000,
        51000,
        49000,
        60,
        strategy="mismatch-ex",
        exchange="binance",
        note="Wrong exchange",
    )
    write_slot(tmp_path, "signal", foreign)
    scheduled = row(
        "sched", "long", 49500, 51000, 49000, 60, strategy="mismatch-ex", exchange="bybit"
    )
    write_slot(tmp_path, "schedule", scheduled)
    with pytest.raises(ForeignStateError) as caught:
        await run_live("mismatch-ex", tmp_path, exchange="bybit")
    assert caught.value.path == slot_path(tmp_path, "signal", "BTCUSDT", "mismatch-ex")
    assert caught.value.row_id == "wrong-exchange"
    assert caught.value.differences == ["exchangeName 'binance' != run 'bybit'"]
    assert "wrong-exchange" in str(caught.value) and "adopt" in str(caught.value)
    assert calls["on_active"] == [] and calls["on_schedule"] == [] and calls.ticks() == []
    assert read_slot(tmp_path, "signal", "BTCUSDT", "mismatch-ex") == row_to_json(foreign)
    assert read_slot(tmp_path, "schedule", "BTCUSDT", "mismatch-ex") == row_to_json(scheduled)


async def test_restore_strategy_mismatch(tmp_path: Path) -> None:
    """e2e/restore/strategy-mismatch: the record of strategy-a (short 3000/2900/3100 mET 120)
    found by strategy-b on ETHUSDT: ForeignStateError naming the strategy, no tick, the record
    kept."""
    flat("binance", 3000, 50)
    calls = Calls()
    add_strategy(
        "strategy-b",
        interval="1m",
        get_signal=lambda s, w: None,
        callbacks=calls.callbacks(),
    )
    foreign = row(
        "strategy-a-signal",
        "short",
        3000,
        2900,
        3100,
        120,
        strategy="strategy-a",
        exchange="binance",
        symbol="ETHUSDT",
    )
    write_slot(tmp_path, "signal", foreign, strategy="strategy-b")
    with pytest.raises(ForeignStateError) as caught:
        await run_live("strategy-b", tmp_path, exchange="binance", symbol="ETHUSDT")
    assert caught.value.differences == ["strategyName 'strategy-a' != run 'strategy-b'"]
    assert calls["on_active"] == [] and calls.ticks() == []
    assert read_slot(tmp_path, "signal", "ETHUSDT", "strategy-b") == row_to_json(foreign)


async def test_restore_empty_storage(tmp_path: Path) -> None:
    """e2e/restore/empty-storage: nothing persisted, candles at 1.4 +-0.05: no on_active /
    on_schedule; the first tick asks get_signal and opens the market long at P (the float
    VWAP 1.3999999999999997), written ahead to the pending slot before it is yielded."""
    flat("flat", 1.4, 0.05)
    calls = Calls()
    asked: list[int] = []

    def get_signal(symbol: str, when: Any) -> Signal | None:
        asked.append(1)
        if len(asked) > 1:
            return None
        price = 1.4
        return Signal("long", price + 0.1, 1.3, 60, note="New signal after empty restore")

    add_strategy("empty-restore", interval="1m", get_signal=get_signal, callbacks=calls.callbacks())
    on_disk: list[Any] = []

    def capture(result: Any) -> bool:
        on_disk.append(read_slot(tmp_path, "signal", "ADAUSDT", "empty-restore"))
        return True

    results = await run_live("empty-restore", tmp_path, symbol="ADAUSDT", until=capture)
    assert calls["on_active"] == [] and calls["on_schedule"] == []  # asserted: 0, 0
    assert asked and calls["on_open"]  # asserted: get_signal called (the flag)
    p = spec_vwap([band(1.4, 0.05)] * 5)
    assert p == 1.3999999999999997
    opened = results[0]
    assert (opened.action, opened.signal.price_open, opened.signal.pending_at) == ("opened", p, NOW)
    assert opened.signal.note == "New signal after empty restore"
    assert on_disk[0] == row_to_json(opened.signal)  # write-ahead


# -- e2e/persist (live restarts) ----------------------------------------------------------------


async def restart_and_close(
    tmp_path: Path, strategy: str, stored: SignalRow, price: float
) -> tuple[Any, Calls, WriteLog]:
    """Restart with `stored` in the pending slot, candles at `price`: the first yielded result
    (the close); the run is then stopped."""
    flat("flat", price)
    calls = Calls()
    add_strategy(strategy, interval="1m", get_signal=lambda s, w: None, callbacks=calls.callbacks())
    write_slot(tmp_path, "signal", stored)
    log = WriteLog()
    results = await run_live(strategy, JsonStateStore(tmp_path, on_phase=log), until=lambda r: True)
    [closed] = results
    return closed, calls, log


def assert_first_tick_close(
    closed: Any, calls: Calls, log: WriteLog, state_dir: Path, reason: str, price: float
) -> None:
    assert calls["on_close"]  # asserted: on_close called
    assert calls["on_active"][0][1] == closed.signal
    assert (closed.action, closed.close_reason) == ("closed", reason)
    assert (closed.current_price, closed.close_timestamp) == (price, NOW)
    position = closed.signal.position
    assert closed.pnl.pnl_percentage == spec_pnl(position, closed.signal.price_open, price)
    assert calls["on_write"] == [("BTCUSDT", None, False)]  # writeValue(null) follows
    assert log.writes == [("signal", "BTCUSDT.json")]
    assert read_slot(state_dir, "signal", "BTCUSDT", closed.strategy_name) is None


async def test_persist_long_tp_after_restart(tmp_path: Path) -> None:
    """e2e/persist/long-tp-after-restart: restored long 43000/44000/42000, candles at 44000:
    first tick P >= TP: take_profit at 44000, pnl +1.921135 %; the slot is cleared (null)."""
    stored = row("persist-long-tp", "long", 43000, 44000, 42000, 60, strategy="persist-long")
    closed, calls, log = await restart_and_close(tmp_path, "persist-long", stored, 44000)
    assert_first_tick_close(closed, calls, log, tmp_path, "take_profit", 44000)
    assert round(closed.pnl.pnl_percentage, 6) == 1.921135


async def test_persist_short_sl_after_restart(tmp_path: Path) -> None:
    """e2e/persist/short-sl-after-restart: short 42000/41000/43000, candles at 43000:
    stop_loss at 43000, pnl -2.785919 %."""
    stored = row("persist-short-sl", "short", 42000, 41000, 43000, 60, strategy="persist-short")
    closed, calls, log = await restart_and_close(tmp_path, "persist-short", stored, 43000)
    assert_first_tick_close(closed, calls, log, tmp_path, "stop_loss", 43000)
    assert round(closed.pnl.pnl_percentage, 6) == -2.785919


async def test_persist_long_expired_after_restart(tmp_path: Path) -> None:
    """e2e/persist/long-expired-after-restart: long 43000/48000/38000 mET 1, scheduledAt =
    pendingAt = now - 2 min, candles at 43000: elapsed 2 min >= 1: time_expired at 43000,
    pnl -0.399800 %."""
    stored = row(
        "persist-time-exp",
        "long",
        43000,
        48000,
        38000,
        1,
        strategy="persist-exp",
        scheduled_at=NOW - 2 * MIN,
    )
    closed, calls, log = await restart_and_close(tmp_path, "persist-exp", stored, 43000)
    assert_first_tick_close(closed, calls, log, tmp_path, "time_expired", 43000)
    assert round(closed.pnl.pnl_percentage, 6) == -0.3998


async def test_persist_short_tp_long_downtime(tmp_path: Path) -> None:
    """e2e/persist/short-tp-long-downtime: short 45000/43000/47000 mET 180 opened 60 min
    before the restart, candles at 43000: take_profit at 43000, pnl +4.053142 %."""
    stored = row(
        "persist-short-tp-downtime",
        "short",
        45000,
        43000,
        47000,
        180,
        strategy="persist-downtime",
        scheduled_at=NOW - 60 * MIN,
    )
    closed, calls, log = await restart_and_close(tmp_path, "persist-downtime", stored, 43000)
    assert_first_tick_close(closed, calls, log, tmp_path, "take_profit", 43000)
    assert round(closed.pnl.pnl_percentage, 6) == 4.053142


class ReadLog(JsonStateStore):
    """A store that records every read (the reference test's readValue flag)."""

    def __init__(self, base_dir: Path) -> None:
        super().__init__(base_dir)
        self.reads: list[Path] = []

    def read(self, path: Path, validate: Callable[[Any], Any] | None = None) -> Any:
        self.reads.append(path)
        return super().read(path, validate)


async def test_persist_restored_ok(tmp_path: Path) -> None:
    """e2e/persist/restored-ok: the pending slot is read at start (long 43000/45000/41000
    mET 240, candles at 43500, no callbacks): it stays `active` with percentTp 25; stopped
    there (Q7) it runs to its expiry at tick 240, time_expired at 43500."""
    flat("flat", 43500)
    add_strategy("persist-ok", interval="1m", get_signal=lambda s, w: None)
    stored = row("persist-restored", "long", 43000, 45000, 41000, 240, strategy="persist-ok")
    write_slot(tmp_path, "signal", stored)
    ticks: list[Any] = []
    listen_signal_live(ticks.append)
    listen_signal_live(stop_after(1, "persist-ok"))
    store = ReadLog(tmp_path)
    results = await run_live("persist-ok", store)
    assert slot_path(tmp_path, "signal", "BTCUSDT", "persist-ok") in store.reads  # asserted
    assert (ticks[0].action, ticks[0].signal, ticks[0].percent_tp) == ("active", stored, 25.0)
    [closed] = results
    assert (closed.close_reason, closed.close_timestamp) == ("time_expired", NOW + 240 * TICK)
    assert closed.signal == stored


def scheduled_setup(
    strategy: str, candles: tuple[float, float, float], signal: Signal
) -> tuple[Calls, WriteLog]:
    """Candles (close, high, low) and a strategy answering `signal` until it is scheduled."""
    close, high, low = candles
    add_exchange("flat", candles=PhaseCandles(lambda i: (close, high, low, close, 100)))
    calls = Calls()
    add_strategy(
        strategy,
        interval="1m",
        get_signal=lambda s, w: None if calls["on_schedule"] else signal,
        callbacks=calls.callbacks(),
    )
    return calls, WriteLog()


async def test_persist_scheduled_not_written(tmp_path: Path) -> None:
    """e2e/persist/scheduled-not-written: candles o/c 45000 h 45200 l 44900 (P 45033.33), a
    long limit at 43000 (TP 45000, SL 41000, mET 120): `scheduled` at the first tick; nothing
    ever goes to the pending (signal) slot. The scheduled row goes to the schedule slot
    (decision: persisted in live); untouched, it is cancelled at the first tick >= 120 min
    after scheduledAt (tick 120), and its slot is cleared after that result was taken."""
    signal = Signal(
        "long",
        45000,
        41000,
        120,
        price_open=43000,
        note="Scheduled signal - priceOpen below current",
    )
    calls, log = scheduled_setup("sched-not-written", (45000, 45200, 44900), signal)
    results = await run_live(
        "sched-not-written", JsonStateStore(tmp_path, on_phase=log), until=lambda r: True
    )
    assert calls["on_schedule"]  # asserted: on_schedule called
    assert calls["on_active"] == []  # asserted: on_active not called
    assert log.of("signal") == [] and calls["on_write"] == []  # asserted: writeValue never
    p = spec_vwap([(45000, 45200, 44900, 45000, 100)] * 5)
    assert calls["on_schedule"][0][2] == p
    assert calls.ticks()[0].action == "scheduled"
    [cancelled] = results
    assert (cancelled.action, cancelled.close_timestamp) == ("cancelled", NOW + 120 * TICK)
    assert cancelled.signal.scheduled_at == NOW
    assert log.writes == [("schedule", "BTCUSDT.json")] * 2  # the row, then null
    assert read_slot(tmp_path, "schedule", "BTCUSDT", "sched-not-written") is None


# -- e2e/sequence persist-* -------------------------------------------------------------------


async def test_sequence_persist_long_tp(tmp_path: Path) -> None:
    """e2e/sequence/persist-long-tp: as persist/long-tp-after-restart (row id
    "persist-long-tp-test"): take_profit at 44000, pnl +1.921135 %."""
    stored = row(
        "persist-long-tp-test",
        "long",
        43000,
        44000,
        42000,
        60,
        strategy="seq-long",
        note="Persisted LONG signal - TP after restart",
    )
    closed, calls, log = await restart_and_close(tmp_path, "seq-long", stored, 44000)
    assert_first_tick_close(closed, calls, log, tmp_path, "take_profit", 44000)
    assert closed.signal.note == "Persisted LONG signal - TP after restart"


async def test_sequence_persist_short_sl(tmp_path: Path) -> None:
    """e2e/sequence/persist-short-sl: as persist/short-sl-after-restart (row id
    "persist-short-sl-test"): stop_loss at 43000, pnl -2.785919 %."""
    stored = row("persist-short-sl-test", "short", 42000, 41000, 43000, 60, strategy="seq-short")
    closed, calls, log = await restart_and_close(tmp_path, "seq-short", stored, 43000)
    assert_first_tick_close(closed, calls, log, tmp_path, "stop_loss", 43000)
    assert closed.pnl.pnl_percentage == spec_pnl("short", 42000, 43000)


async def test_sequence_persist_scheduled_not_written(tmp_path: Path) -> None:
    """e2e/sequence/persist-scheduled-not-written: candles o/c 44500 h 44600 l 44100 (P 44400),
    long limit 44000 / TP 45000 / SL 42500, mET 120: scheduled on the first tick, nothing in
    the pending slot. A stop at the next tick drops it and writes the cleared schedule slot
    (SPEC 11.2); the loop ends there."""
    signal = Signal("long", 45000, 42500, 120, price_open=44000)
    calls, log = scheduled_setup("seq-sched", (44500, 44600, 44100), signal)
    listen_signal_live(stop_after(2, "seq-sched"))
    assert await run_live("seq-sched", JsonStateStore(tmp_path, on_phase=log)) == []
    assert calls["on_schedule"]  # asserted
    assert calls["on_schedule"][0][2] == 44400
    assert calls["on_active"] == []  # asserted
    assert log.of("signal") == [] and calls["on_write"] == []  # asserted: writeValue never
    assert [t.action for t in calls.ticks()] == ["scheduled", "active"]
    assert calls["on_cancel"] == []
    assert log.writes == [("schedule", "BTCUSDT.json")] * 2
    assert read_slot(tmp_path, "schedule", "BTCUSDT", "seq-sched") is None


async def test_sequence_persist_only_active(tmp_path: Path) -> None:
    """e2e/sequence/persist-only-active: same market and signal (note "Scheduled signal -
    should NOT be persisted"), get_signal None once scheduled: no row whose note contains
    "Scheduled" is written to the pending slot (the schedule slot holds it until the
    120-minute cancel at tick 120)."""
    signal = Signal(
        "long",
        45000,
        42500,
        120,
        price_open=44000,
        note="Scheduled signal - should NOT be persisted",
    )
    calls, log = scheduled_setup("seq-only-active", (44500, 44600, 44100), signal)
    pending_notes: list[str] = []
    schedule_rows: list[Any] = []

    def inspect_slots(phase: str, path: Path) -> None:
        log(phase, path)
        if phase == "after_rename":
            value = orjson.loads(path.read_bytes())
            kind = path.parent.parent.name
            if kind == "signal" and value is not None:
                pending_notes.append(value["note"])
            if kind == "schedule":
                schedule_rows.append(value)

    store = JsonStateStore(tmp_path, on_phase=inspect_slots)
    results = await run_live("seq-only-active", store, until=lambda r: True)
    assert calls["on_schedule"]  # asserted
    assert not any("Scheduled" in note for note in pending_notes)  # asserted
    assert pending_notes == []
    [cancelled] = results
    assert (cancelled.action, cancelled.close_timestamp) == ("cancelled", NOW + 120 * TICK)
    assert [r if r is None else r["note"] for r in schedule_rows] == [signal.note, None]


# -- e2e/shutdown (live) ------------------------------------------------------------------------


async def test_shutdown_live_stop_idle(tmp_path: Path) -> None:
    """e2e/shutdown/live-stop-idle: flat 43000, get_signal None; a stop after three idle ticks
    ends the loop at once (the tick after a stop is not needed: idle while stopped breaks);
    on_close never called."""
    flat("flat", 43000)
    calls = Calls()
    asked: list[int] = []
    add_strategy(
        "stop-idle",
        interval="1m",
        get_signal=lambda s, w: asked.append(1),
        callbacks=calls.callbacks(),
    )
    listen_signal_live(stop_after(3, "stop-idle"))
    clock = VirtualClock(NOW)
    with anyio.fail_after(10):
        results = [
            r
            async for r in Live.run(
                "BTCUSDT", strategy="stop-idle", exchange="flat", clock=clock, state_dir=tmp_path
            )
        ]
    assert results == []
    assert calls["on_close"] == []  # asserted
    assert [t.action for t in calls.ticks()] == ["idle"] * 3
    assert len(asked) == 3
    assert clock.now() == NOW + 2 * TICK  # no sleep after the last tick


async def test_shutdown_live_stop_after_close(tmp_path: Path) -> None:
    """e2e/shutdown/live-stop-after-close: restored long 43000/44000/42000 mET 60, candles at
    44000: take_profit on the first tick; on_close cancels the background run: no new signal
    afterwards (get_signal, which would open a long, is never asked), done_live follows."""
    flat("flat", 44000)
    calls = Calls()
    asked: list[int] = []
    cancel: list[Callable[[], None]] = []

    def get_signal(symbol: str, when: Any) -> Signal:
        asked.append(1)
        return Signal("long", 45000, 43000, 60)

    add_strategy(
        "stop-after-close",
        interval="1m",
        get_signal=get_signal,
        callbacks=calls.callbacks(("on_close", lambda *a: cancel[0]())),
    )
    write_slot(
        tmp_path,
        "signal",
        row("restored", "long", 43000, 44000, 42000, 60, strategy="stop-after-close"),
    )
    done: list[DoneEvent] = []
    finished = anyio.Event()
    listen_done_live(lambda e: (done.append(e), finished.set()))
    with anyio.fail_after(10):
        cancel.append(
            Live.background(
                "BTCUSDT",
                strategy="stop-after-close",
                exchange="flat",
                clock=VirtualClock(NOW),
                state_dir=tmp_path,
            )
        )
        await finished.wait()
    assert len(calls["on_close"]) == 1  # asserted: on_close called
    assert calls["on_open"] == [] and asked == []  # asserted: no new signal afterwards
    [closed] = calls.ticks()
    assert (closed.close_reason, closed.current_price) == ("take_profit", 44000)
    assert closed.pnl.pnl_percentage == spec_pnl("long", 43000, 44000)
    assert done == [
        DoneEvent(
            exchange_name="flat",
            strategy_name="stop-after-close",
            backtest=False,
            symbol="BTCUSDT",
        )
    ]
    assert [i.status for i in Live.list()] == ["fulfilled"]


async def test_shutdown_live_stop_after_close_slot_cleared_at_done(tmp_path: Path) -> None:
    """e2e/shutdown/live-stop-after-close, persistence part: SPEC 11.3 writes null to the
    pending slot on a close; when done_live arrives (the run is over, Live.list says
    fulfilled) that write must have happened. Today it happens a loop turn later, when the
    orphaned ticker generator is finalised."""
    flat("flat", 44000)
    cancel: list[Callable[[], None]] = []
    add_strategy(
        "slot-at-done",
        interval="1m",
        get_signal=lambda s, w: None,
        callbacks={"on_close": lambda *a: cancel[0]()},
    )
    write_slot(
        tmp_path,
        "signal",
        row("restored", "long", 43000, 44000, 42000, 60, strategy="slot-at-done"),
    )
    at_done: list[Any] = []
    finished = anyio.Event()

    def on_done(event: DoneEvent) -> None:
        at_done.append(read_slot(tmp_path, "signal", "BTCUSDT", "slot-at-done"))
        finished.set()

    listen_done_live(on_done)
    with anyio.fail_after(10):
        cancel.append(
            Live.background(
                "BTCUSDT",
                strategy="slot-at-done",
                exchange="flat",
                clock=VirtualClock(NOW),
                state_dir=tmp_path,
            )
        )
        await finished.wait()
    assert at_done == [None]


async def test_live_run_aclose_writes_cleared_slot(tmp_path: Path) -> None:
    """API.md: breaking out of Live.run releases its resources. After `aclose()` of the run
    returns, the close consumed just before must be persisted (pending slot null)."""
    stored = row("aclose", "long", 43000, 44000, 42000, 60, strategy="aclose")
    flat("flat", 44000)
    add_strategy("aclose", interval="1m", get_signal=lambda s, w: None)
    write_slot(tmp_path, "signal", stored)
    with anyio.fail_after(10):
        run = Live.run(
            "BTCUSDT",
            strategy="aclose",
            exchange="flat",
            clock=VirtualClock(NOW),
            state_dir=tmp_path,
        )
        async with contextlib.aclosing(run):  # type: ignore[type-var]
            async for result in run:
                assert result.action == "closed"
                break
    assert read_slot(tmp_path, "signal", "BTCUSDT", "aclose") is None


async def test_shutdown_live_list_pending(tmp_path: Path) -> None:
    """e2e/shutdown/live-list-pending: three Live.background runs are listed as pending; once
    cancelled (each ends at its next idle tick) they are fulfilled."""
    add_mock_exchange()
    add_strategy("listed", interval="1m", get_signal=lambda s, w: None)
    symbols = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    done: list[DoneEvent] = []
    all_done = anyio.Event()

    def on_done(event: DoneEvent) -> None:
        done.append(event)
        if len(done) == 3:
            all_done.set()

    listen_done_live(on_done)
    with anyio.fail_after(10):
        cancels = [
            Live.background(
                symbol,
                strategy="listed",
                exchange="mock",
                clock=VirtualClock(NOW),
                state_dir=tmp_path / symbol,
            )
            for symbol in symbols
        ]
        listed = Live.list()
        for cancel in cancels:
            cancel()
        await all_done.wait()
    assert len(listed) == 3  # asserted
    assert all(item.status == "pending" for item in listed)  # asserted
    assert {item.symbol for item in listed} == set(symbols)
    assert all(item.name == "listed" for item in listed)
    assert {e.symbol for e in done} == set(symbols)
    assert [item.status for item in Live.list()] == ["fulfilled"] * 3


# -- e2e/timing ---------------------------------------------------------------------------------


async def test_timing_restored_pending_remaining(tmp_path: Path) -> None:
    """e2e/timing/restored-pending-remaining: restored long at P* (TP P*x1000, SL P*/1000,
    mET 1440) scheduled 24 h and opened 12 h before the restart: on_active sees a remaining
    lifetime 1440 min - (now - pendingAt) of exactly 12 h, i.e. it is not reset. The close
    confirms it: time_expired at the first tick with elapsed >= 24 h, tick 720
    (720 * 60001 ms >= 12 h), at P*."""
    add_mock_exchange()
    remaining: list[int] = []
    clock = VirtualClock(NOW)

    def on_active(symbol: str, restored: SignalRow, price: float, backtest: bool) -> None:
        remaining.append(restored.minute_estimated_time * MIN - (clock.now() - restored.pending_at))

    add_strategy(
        "remaining",
        interval="1m",
        get_signal=lambda s, w: None,
        callbacks={"on_active": on_active},
    )
    stored = row(
        "restored-pending-signal-id",
        "long",
        P_STAR,
        P_STAR * 1000,
        P_STAR / 1000,
        1440,
        strategy="remaining",
        exchange="mock",
        scheduled_at=NOW - 24 * 60 * MIN,
        pending_at=NOW - 12 * 60 * MIN,
    )
    write_slot(tmp_path, "signal", stored)
    with anyio.fail_after(10):
        async for result in Live.run(
            "BTCUSDT", strategy="remaining", exchange="mock", clock=clock, state_dir=tmp_path
        ):
            closed = result
            break
    assert len(remaining) == 1
    assert abs(remaining[0] - 12 * 60 * MIN) <= 60 * MIN  # asserted: within +-1 h of 12 h
    assert remaining[0] == 12 * 60 * MIN
    assert (closed.action, closed.close_reason) == ("closed", "time_expired")
    assert closed.close_timestamp == NOW + 720 * TICK
    assert closed.current_price == P_STAR
    assert closed.pnl.pnl_percentage == spec_pnl("long", P_STAR, P_STAR)


# -- e2e/markdown -------------------------------------------------------------------------------


async def test_markdown_live_persist(tmp_path: Path) -> None:
    """e2e/markdown/live-persist: two symbols restored at once: BTC long 95000/96000/94000 with
    candles at 96000 (h 96100 l 95900) closes take_profit at 96000 (pnl +0.650728 %); ETH short
    4000/3900/4100 with candles at 4100 (h 4150 l 4050) closes stop_loss at 4100 (pnl
    -2.905205 %), both on their first tick. Each run is cancelled at its close; no error
    event; each symbol's live data and report hold only its own close."""
    add_exchange(
        "two",
        candles=PerSymbol(
            {
                "BTCUSDT": PhaseCandles(lambda i: band(96000)),
                "ETHUSDT": PhaseCandles(lambda i: band(4100, 50)),
            }
        ),
    )
    add_strategy("live-persist", interval="1m", get_signal=lambda s, w: None)
    btc = row(
        "persist-btc-live-markdown",
        "long",
        95000,
        96000,
        94000,
        60,
        strategy="live-persist",
        exchange="two",
    )
    eth = row(
        "persist-eth-live-markdown",
        "short",
        4000,
        3900,
        4100,
        60,
        strategy="live-persist",
        exchange="two",
        symbol="ETHUSDT",
    )
    for stored in (btc, eth):
        write_slot(tmp_path, "signal", stored)
    seen_errors = errors()
    cancels: dict[str, Callable[[], None]] = {}
    closed: dict[str, Any] = {}

    def on_signal(result: Any) -> None:
        if result.action == "closed":
            closed[result.symbol] = result
            cancels[result.symbol]()

    listen_signal_live(on_signal)
    done = anyio.Event()
    finished: list[DoneEvent] = []
    listen_done_live(lambda e: (finished.append(e), len(finished) == 2 and done.set()))
    with anyio.fail_after(10):
        for symbol in ("BTCUSDT", "ETHUSDT"):
            cancels[symbol] = Live.background(
                symbol,
                strategy="live-persist",
                exchange="two",
                clock=VirtualClock(NOW),
                state_dir=tmp_path,
            )
        await done.wait()
    assert seen_errors == []  # asserted: no error event
    btc_close, eth_close = closed["BTCUSDT"], closed["ETHUSDT"]
    assert (btc_close.close_reason, btc_close.current_price) == ("take_profit", 96000)
    assert btc_close.pnl.pnl_percentage == spec_pnl("long", 95000, 96000)
    assert round(btc_close.pnl.pnl_percentage, 6) == 0.650728
    assert (eth_close.close_reason, eth_close.current_price) == ("stop_loss", 4100)
    assert eth_close.pnl.pnl_percentage == spec_pnl("short", 4000, 4100)
    assert round(eth_close.pnl.pnl_percentage, 6) == -2.905205
    for symbol, result in closed.items():
        data = Live.get_data(symbol, "live-persist")  # asserted: an object
        assert (data.total_events, data.total_closed) == (1, 1)
        assert data.event_list[0].signal_id == result.signal.id
        assert data.total_pnl == result.pnl.pnl_percentage
        report = Live.get_report(symbol, "live-persist")
        assert report and symbol in report  # asserted: non-empty, contains its symbol
        other = "ETHUSDT" if symbol == "BTCUSDT" else "BTCUSDT"
        assert other not in report
