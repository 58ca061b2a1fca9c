"""Crash-safe live state (SPEC 11.3 and its decisions): atomic writes, quarantine of unreadable
state files, safe names in paths, and no disk write for a tick that changes nothing.

Quarantine decision (SPEC 15, 11.3): a state file that cannot be parsed or validated is renamed
to `<name>.corrupt-<timestamp>` (never deleted or overwritten), an error event is published,
and no new position is opened for that key while a quarantined file exists: the engine does not
even ask get_signal. Trading resumes on the tick after the user removes the quarantined file.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from backtestkit.actors import (
    Live,
    Signal,
    SignalRow,
    VirtualClock,
    add_exchange,
    add_risk,
    add_strategy,
)
from backtestkit.actors.live import CorruptStateError, JsonStateStore, SignalStore
from backtestkit.actors.live import persistence as persistence_module
from backtestkit.actors.live.persistence import MISSING
from backtestkit.actors.live.state_json import row_to_json
from backtestkit.actors.live.ticker import TICK_TTL_MS
from backtestkit.actors.market import Candle
from backtestkit.actors.testing import reset_engine
from backtestkit.bus import (
    listen_error,
    listen_partial_loss,
    listen_partial_profit,
    listen_signal_live,
)

SYMBOL = "BTCUSDT"
START = 1_704_067_200_000  # 2024-01-01T00:00Z
TICK = TICK_TTL_MS
TEMP_NAME = re.compile(r"^\.tmp-[0-9a-f]{12}-(?P<name>.+)$")
CORRUPT_SUFFIX = re.compile(r"\.corrupt-\d{8}T\d{6}(-\d+)?$")


@pytest.fixture(autouse=True)
def engine() -> Iterator[None]:
    reset_engine()
    yield
    reset_engine()


class Flat:
    """`limit` candles at 100 (h 101, l 99, volume 1) from `since`: every VWAP is 100."""

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Candle]:
        return [Candle(since_ms + i * 60_000, 100.0, 101.0, 99.0, 100.0, 1.0) for i in range(limit)]


class Asked:
    """A get_signal that counts its calls and opens a market long (TP 102, SL 98, `met` min)."""

    def __init__(self, met: int = 5, signal: bool = True) -> None:
        self.calls = 0
        self.met = met
        self.signal = signal

    def __call__(self, symbol: str, when: Any) -> Signal | None:
        self.calls += 1
        return Signal("long", 102, 98, self.met) if self.signal else None


def setup(strategy: str = "q", asked: Asked | None = None, **options: Any) -> Asked:
    asked = asked or Asked()
    add_exchange("flat", candles=Flat())
    add_strategy(strategy, interval="1m", get_signal=asked, **options)
    return asked


def slot(state_dir: Path, kind: str = "signal", strategy: str = "q") -> Path:
    return state_dir / kind / f"{SYMBOL}_{strategy}" / f"{SYMBOL}.json"


def pending_row(strategy: str = "q", met: int = 5) -> SignalRow:
    return SignalRow(
        id="restored",
        position="long",
        price_open=100.0,
        price_take_profit=102.0,
        price_stop_loss=98.0,
        minute_estimated_time=met,
        note="",
        scheduled_at=START,
        pending_at=START,
        symbol=SYMBOL,
        exchange_name="flat",
        strategy_name=strategy,
        is_scheduled=False,
    )


def refusal(strategy: str = "q") -> str | None:
    """Why the live instance refuses new positions (its state machine's refusal text)."""
    machine = Live._instances.get(SYMBOL, strategy).machine
    assert machine is not None
    return machine.refusal


async def run(
    state_dir: Path | SignalStore, strategy: str = "q", *, clock: VirtualClock | None = None
) -> list[Any]:
    with anyio.fail_after(10):
        return [
            r
            async for r in Live.run(
                SYMBOL,
                strategy=strategy,
                exchange="flat",
                clock=clock or VirtualClock(START),
                state_dir=state_dir,
            )
        ]


def on_tick(fn: Callable[[int, Any], Awaitable[None] | None]) -> None:
    """Call fn(tick_index, result) for every live tick (awaited inside the tick)."""
    count = 0

    async def listener(result: Any) -> None:
        nonlocal count
        outcome = fn(count, result)
        count += 1
        if outcome is not None:
            await outcome

    listen_signal_live(listener)


# -- atomic writes --------------------------------------------------------------------------------


class Crash(Exception):
    """Stands for the process dying at a write phase."""


def crashing_at(phase: str, seen: list[list[str]] | None = None) -> Callable[[str, Path], None]:
    def hook(current: str, path: Path) -> None:
        if seen is not None:
            seen.append(sorted(p.name for p in path.parent.iterdir()))
        if current == phase:
            raise Crash(phase)

    return hook


def test_crash_between_temp_write_and_rename_keeps_old_document(tmp_path: Path) -> None:
    path = tmp_path / "signal" / "BTCUSDT_q" / "BTCUSDT.json"
    JsonStateStore(tmp_path).write(path, {"version": 1})
    with pytest.raises(Crash):
        JsonStateStore(tmp_path, on_phase=crashing_at("before_rename")).write(path, {"version": 2})
    assert orjson.loads(path.read_bytes()) == {"version": 1}
    assert JsonStateStore(tmp_path).read(path) == {"version": 1}
    temps = [p for p in path.parent.iterdir() if p.name != path.name]
    assert len(temps) == 1  # the half-done write: in the same directory, never the target
    match = TEMP_NAME.match(temps[0].name)
    assert match is not None and match["name"] == "BTCUSDT.json"
    assert orjson.loads(temps[0].read_bytes()) == {"version": 2}  # fully written and fsync'd


def test_crash_before_the_temp_write_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    JsonStateStore(tmp_path).write(path, [1])
    with pytest.raises(Crash):
        JsonStateStore(tmp_path, on_phase=crashing_at("before_write")).write(path, [2])
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]
    assert orjson.loads(path.read_bytes()) == [1]


def test_write_phases_and_temp_name(tmp_path: Path) -> None:
    """before_write: only the old target; before_rename: the target and one `.tmp-<12 hex>-
    <name>` beside it; after_rename: only the new target."""
    path = tmp_path / "levels.json"
    JsonStateStore(tmp_path).write(path, None)
    seen: list[list[str]] = []
    JsonStateStore(tmp_path, on_phase=crashing_at("never", seen)).write(path, {"a": 1})
    before_write, before_rename, after_rename = seen
    assert before_write == after_rename == ["levels.json"]
    [temp] = [name for name in before_rename if name != "levels.json"]
    assert TEMP_NAME.match(temp) and temp.endswith("-levels.json")
    assert orjson.loads(path.read_bytes()) == {"a": 1}


def test_two_writes_use_distinct_temp_names(tmp_path: Path) -> None:
    names: list[str] = []

    def hook(phase: str, path: Path) -> None:
        if phase == "before_rename":
            names.extend(p.name for p in path.parent.iterdir() if p.name.startswith(".tmp-"))

    store = JsonStateStore(tmp_path, on_phase=hook)
    store.write(tmp_path / "a.json", 1)
    store.write(tmp_path / "a.json", 2)
    assert len(set(names)) == 2


@pytest.mark.anyio
async def test_restore_sweeps_temporaries_a_crash_left(tmp_path: Path) -> None:
    """A crash between temp write and rename leaves `.tmp-*` beside the slot: the restore
    removes it and adopts the intact slot."""
    active: list[Any] = []
    setup(callbacks={"on_active": lambda *a: active.append(a[1])})
    store = JsonStateStore(tmp_path)
    store.write(slot(tmp_path), row_to_json(pending_row()))
    with pytest.raises(Crash):
        JsonStateStore(tmp_path, on_phase=crashing_at("before_rename")).write(slot(tmp_path), None)
    assert len(list(slot(tmp_path).parent.glob(".tmp-*"))) == 1
    on_tick(lambda i, r: Live.stop(SYMBOL, "q") if i == 0 else None)
    results = await run(tmp_path)
    assert active == [pending_row()]
    assert list(slot(tmp_path).parent.glob(".tmp-*")) == []
    assert [r.action for r in results] == ["closed"]  # the restored position ran to expiry


# -- quarantine ---------------------------------------------------------------------------------

VALID_ROW = orjson.dumps(row_to_json(pending_row()))
CORRUPTIONS = {
    "garbage": b"\x00\xff this is not JSON",
    "truncated": VALID_ROW[: len(VALID_ROW) // 2],
    "empty": b"",
    "wrong-schema": b'{"id": "x", "position": "sideways", "priceOpen": -1}',
}


def test_read_quarantines_and_never_overwrites(tmp_path: Path, monkeypatch: Any) -> None:
    """Two unreadable versions quarantined in the same second get distinct names; both keep
    their bytes; the reader gets CorruptStateError naming both paths."""
    monkeypatch.setattr(persistence_module.time, "strftime", lambda fmt, t: "20240101T000000")
    store = JsonStateStore(tmp_path)
    path = tmp_path / "levels.json"
    moved: list[Path] = []
    for content in (b"{1", b"[2"):
        path.write_bytes(content)
        with pytest.raises(CorruptStateError) as info:
            store.read(path)
        assert info.value.path == path
        assert str(path) in str(info.value) and info.value.moved_to.name in str(info.value)
        moved.append(info.value.moved_to)
    assert [p.name for p in moved] == [
        "levels.json.corrupt-20240101T000000",
        "levels.json.corrupt-20240101T000000-1",
    ]
    assert [p.read_bytes() for p in moved] == [b"{1", b"[2"]
    assert not path.exists()
    assert store.read(path) is MISSING


@pytest.mark.anyio
@pytest.mark.parametrize("kind", list(CORRUPTIONS))
async def test_corrupt_pending_slot_is_quarantined(tmp_path: Path, kind: str) -> None:
    """Restore meets an unreadable pending slot: renamed to BTCUSDT.json.corrupt-<timestamp>
    (bytes intact), one CorruptStateError on the error topic, idle ticks without asking
    get_signal while the file exists (the refusal names it); the user removes it during tick 2
    and tick 3 opens."""
    data = CORRUPTIONS[kind]
    path = slot(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    asked = setup()
    errors: list[BaseException] = []
    listen_error(errors.append)
    seen: list[tuple[str, int, str | None, list[Path]]] = []
    quarantined: list[bytes] = []

    async def watch(index: int, result: Any) -> None:
        corrupt = sorted(path.parent.glob("*.corrupt-*"))
        seen.append((result.action, asked.calls, refusal(), corrupt))
        if index == 0:
            assert not path.exists()  # moved aside, not rewritten
            quarantined.append(corrupt[0].read_bytes())
        if index == 2:
            corrupt[0].unlink()  # the user inspected and removed it
        if result.action == "opened":
            await Live.stop(SYMBOL, "q")

    on_tick(watch)
    results = await run(tmp_path)

    [error] = errors
    assert isinstance(error, CorruptStateError)
    assert error.path == path
    assert CORRUPT_SUFFIX.search(error.moved_to.name)
    assert error.moved_to.name.startswith("BTCUSDT.json.corrupt-")
    assert str(path) in str(error) and error.moved_to.name in str(error)
    assert quarantined == [data]  # never deleted or overwritten
    for action, calls, why, corrupt in seen[:3]:
        assert (action, calls, corrupt) == ("idle", 0, [error.moved_to])
        assert why is not None and error.moved_to.name in why
    assert seen[3][:3] == ("opened", 1, None)
    opened, closed = results
    assert (opened.action, opened.signal.pending_at) == ("opened", START + 3 * TICK)
    assert (closed.close_reason, closed.close_timestamp) == ("time_expired", START + 8 * TICK)


@pytest.mark.anyio
async def test_quarantined_file_blocks_a_restarted_run(tmp_path: Path) -> None:
    """The refusal outlives the process: a new run finds the `.corrupt-*` file (and no slot),
    publishes nothing new and still refuses, until the file is removed."""
    path = slot(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"{")
    asked = setup()
    errors: list[BaseException] = []
    listen_error(errors.append)
    restarted = False
    seen: list[tuple[str, str | None]] = []

    async def watch(index: int, result: Any) -> None:
        if not restarted:
            await Live.stop(SYMBOL, "q")  # the first process ends after its first tick
            return
        seen.append((result.action, refusal()))
        if len(seen) == 2:
            moved.unlink()
        if result.action == "opened":
            await Live.stop(SYMBOL, "q")

    on_tick(watch)
    assert await run(tmp_path) == []
    assert len(errors) == 1
    [moved] = path.parent.glob("*.corrupt-*")

    Live.reset()  # a new process: no instance in memory
    restarted = True
    results = await run(tmp_path, clock=VirtualClock(START + 3_600_000))
    assert len(errors) == 1  # nothing new to quarantine
    assert asked.calls == 1  # asked only once the file was gone
    assert [action for action, _ in seen[:2]] == ["idle", "idle"]
    assert all(why is not None and moved.name in why for _, why in seen[:2])
    assert seen[2] == ("opened", None)
    assert [r.action for r in results] == ["opened", "closed"]


@pytest.mark.anyio
async def test_corrupt_schedule_slot_is_quarantined(tmp_path: Path) -> None:
    path = slot(tmp_path, "schedule")
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"id": "half')
    asked = setup()
    errors: list[BaseException] = []
    listen_error(errors.append)
    on_tick(lambda i, r: Live.stop(SYMBOL, "q") if i == 1 else None)
    assert await run(tmp_path) == []
    [error] = errors
    assert isinstance(error, CorruptStateError) and error.path == path
    assert error.moved_to.read_bytes() == b'{"id": "half'
    assert asked.calls == 0
    assert refusal() is not None and error.moved_to.name in (refusal() or "")


@pytest.mark.anyio
async def test_corrupt_partial_levels_are_quarantined(tmp_path: Path) -> None:
    """A restored position's partial levels file is unreadable: quarantined and reported; the
    position is still monitored (closes time_expired at tick 2), then no new position opens
    while partial/BTCUSDT/levels.json.corrupt-* exists."""
    JsonStateStore(tmp_path).write(slot(tmp_path), row_to_json(pending_row(met=2)))
    levels = tmp_path / "partial" / SYMBOL / "levels.json"
    levels.parent.mkdir(parents=True)
    levels.write_bytes(b"[[[")
    asked = setup()
    errors: list[BaseException] = []
    listen_error(errors.append)
    on_tick(lambda i, r: Live.stop(SYMBOL, "q") if i == 4 else None)
    results = await run(tmp_path)
    [error] = errors
    assert isinstance(error, CorruptStateError) and error.path == levels
    assert error.moved_to.read_bytes() == b"[[["
    assert [(r.action, r.close_timestamp) for r in results] == [("closed", START + 2 * TICK)]
    assert asked.calls == 0
    assert error.moved_to.name in (refusal() or "")


@pytest.mark.anyio
async def test_corrupt_risk_book_is_quarantined(tmp_path: Path) -> None:
    positions = tmp_path / "risk" / "book" / "positions.json"
    positions.parent.mkdir(parents=True)
    positions.write_bytes(b'[["q:BTCUSDT", {"strategyName": 5}]]')  # wrong schema
    add_risk("book")
    asked = setup(risk="book")
    errors: list[BaseException] = []
    listen_error(errors.append)
    on_tick(lambda i, r: Live.stop(SYMBOL, "q") if i == 1 else None)
    assert await run(tmp_path) == []
    [error] = errors
    assert isinstance(error, CorruptStateError) and error.path == positions
    assert asked.calls == 0


@pytest.mark.anyio
async def test_quarantined_risk_book_blocks_until_removed(tmp_path: Path) -> None:
    """A corrupt risk book is moved aside and reported when Live.run loads it; no position
    opens until the user removes the quarantined file, then trading resumes."""
    positions = tmp_path / "risk" / "book" / "positions.json"
    positions.parent.mkdir(parents=True)
    positions.write_bytes(b"{")
    add_risk("book")
    asked = setup(risk="book")
    errors: list[BaseException] = []
    listen_error(errors.append)
    moved_files: list[Path] = []

    async def watch(index: int, result: Any) -> None:
        if index == 0:
            [error] = errors
            assert isinstance(error, CorruptStateError)
            moved = error.moved_to
            assert moved.read_bytes() == b"{" and not positions.exists()
            assert moved.name in (refusal() or "")
            moved_files.append(moved)
            moved.unlink()
        if result.action == "opened":
            await Live.stop(SYMBOL, "q")

    on_tick(watch)
    results = await run(tmp_path)
    assert asked.calls == 1
    assert [r.action for r in results] == ["opened", "closed"]
    assert results[0].signal.pending_at == START + TICK


# -- names in paths -----------------------------------------------------------------------------


@pytest.mark.parametrize("symbol", ["..", "../etc", ".hidden", "a..b", ""])
def test_unsafe_symbol_is_refused(tmp_path: Path, symbol: str) -> None:
    setup()
    with pytest.raises(ValueError, match=r"^symbol name"):
        Live.run(
            symbol, strategy="q", exchange="flat", clock=VirtualClock(START), state_dir=tmp_path
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.anyio
async def test_symbols_with_separators_are_percent_encoded_in_paths(tmp_path: Path) -> None:
    """ccxt symbols like BTC/USDT trade live; their state files sit under BTC%2FUSDT."""
    setup()
    opened: list[Any] = []

    async def stop_after_open(result: Any) -> None:
        if result.action == "opened":
            opened.append(result)
            await Live.stop("BTC/USDT", "q")

    listen_signal_live(stop_after_open)
    with anyio.fail_after(10):
        async for _ in Live.run(
            "BTC/USDT", strategy="q", exchange="flat", clock=VirtualClock(START), state_dir=tmp_path
        ):
            pass
    assert opened and opened[0].symbol == "BTC/USDT"
    folder = tmp_path / "signal" / "BTC%2FUSDT_q"
    assert sorted(p.name for p in folder.iterdir()) == ["BTC%2FUSDT.json"]
    assert (folder / "BTC%2FUSDT.json").read_bytes() == b"null"  # closed by expiry after 5 min


@pytest.mark.parametrize("strategy", ["sma/cross", "..", "up..down", ".sma"])
def test_unsafe_strategy_is_refused(tmp_path: Path, strategy: str) -> None:
    setup(strategy)
    with pytest.raises(ValueError, match=r"^strategy name"):
        Live.run(
            SYMBOL,
            strategy=strategy,
            exchange="flat",
            clock=VirtualClock(START),
            state_dir=tmp_path,
        )
    assert list(tmp_path.iterdir()) == []


def test_unsafe_exchange_and_risk_names_are_refused(tmp_path: Path) -> None:
    add_exchange("bin/ance", candles=Flat())
    add_strategy("q", interval="1m", get_signal=Asked())
    with pytest.raises(ValueError, match=r"^exchange name"):
        Live.run(
            SYMBOL, strategy="q", exchange="bin/ance", clock=VirtualClock(START), state_dir=tmp_path
        )
    add_exchange("flat", candles=Flat())
    add_risk("../escape")
    add_strategy("r", interval="1m", get_signal=Asked(), risk="../escape")
    with pytest.raises(ValueError, match=r"^risk name"):
        Live.run(
            SYMBOL, strategy="r", exchange="flat", clock=VirtualClock(START), state_dir=tmp_path
        )
    assert list(tmp_path.iterdir()) == []


# -- no write without a state change ------------------------------------------------------


class Writes:
    def __init__(self) -> None:
        self.paths: list[Path] = []

    def __call__(self, phase: str, path: Path) -> None:
        if phase == "before_write":
            self.paths.append(path)


@pytest.mark.anyio
async def test_idle_ticks_write_nothing(tmp_path: Path) -> None:
    """1000 idle live ticks (get_signal None) touch no state file; only the live recording
    (README "Live vs backtest parity") is appended to, beside the state dir's lock file."""
    asked = setup(asked=Asked(signal=False))
    writes = Writes()
    on_tick(lambda i, r: Live.stop(SYMBOL, "q") if i == 999 else None)
    assert await run(JsonStateStore(tmp_path, on_phase=writes)) == []
    assert asked.calls == 1000
    assert writes.paths == []
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        ".lock",  # the state dir's lock, written once at the start (README "Reliability")
        "recording",
        f"recording/{SYMBOL}_q.rec",
    ]


@pytest.mark.anyio
async def test_active_ticks_write_nothing(tmp_path: Path) -> None:
    """An open position at a flat price: one write-ahead of the pending row at the open, then
    nothing for 500 active ticks (no new partial level is reached), even with partial
    listeners; the close writes null."""
    setup(asked=Asked(met=1440))
    writes = Writes()
    listen_partial_profit(lambda e: None)
    listen_partial_loss(lambda e: None)
    counts: list[int] = []

    async def watch(index: int, result: Any) -> None:
        counts.append(len(writes.paths))
        if index == 500:
            await Live.stop(SYMBOL, "q")

    on_tick(watch)
    results = await run(JsonStateStore(tmp_path, on_phase=writes))
    assert counts[1:501] == [1] * 500  # after the open's write-ahead: nothing while active
    assert writes.paths == [slot(tmp_path), slot(tmp_path)]  # the row, then null at the close
    assert [r.action for r in results] == ["opened", "closed"]


# -- a SignalStore of one's own -------------------------------------------------------------------


class DictStore:
    """A SignalStore keeping its documents in a dict (not a JsonStateStore): the seam a user
    plugs a database into."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.docs: dict[Path, Any] = {}
        self.writes: list[tuple[str, Any]] = []

    def path(self, *parts: str) -> Path:
        return self.base_dir.joinpath(*parts)

    def write(self, path: Path, value: Any) -> None:
        self.writes.append((path.relative_to(self.base_dir).as_posix(), value))
        self.docs[path] = orjson.loads(orjson.dumps(value))

    def read(self, path: Path, validate: Callable[[Any], Any] | None = None) -> Any:
        if path not in self.docs:
            return MISSING
        return validate(self.docs[path]) if validate is not None else self.docs[path]

    def quarantine(self, path: Path) -> Path:
        raise AssertionError(f"nothing here is corrupt: {path}")

    def sweep_temporaries(self, directory: Path) -> None:
        pass


def test_signal_store_protocol_matches_the_json_store_and_not_a_path(tmp_path: Path) -> None:
    assert isinstance(JsonStateStore(tmp_path), SignalStore)
    assert isinstance(DictStore(tmp_path), SignalStore)
    assert not isinstance(tmp_path, SignalStore) and not isinstance(str(tmp_path), SignalStore)


@pytest.mark.anyio
async def test_live_restores_from_and_saves_to_a_signal_store_of_ones_own(tmp_path: Path) -> None:
    """The open position comes back from the store given as state_dir, its close is written
    there (the slot emptied), and no state file is written on disk."""
    active: list[Any] = []
    setup(callbacks={"on_active": lambda *a: active.append(a[1])})
    store = DictStore(tmp_path)
    store.docs[slot(tmp_path)] = row_to_json(pending_row())
    on_tick(lambda i, r: Live.stop(SYMBOL, "q") if i == 0 else None)
    results = await run(store)
    assert active == [pending_row()]
    assert [r.action for r in results] == ["closed"]
    assert ("signal/BTCUSDT_q/BTCUSDT.json", None) in store.writes
    assert store.docs[slot(tmp_path)] is None
    assert not (tmp_path / "signal").exists()
