"""A name used in a dump path cannot leave its folder (issue 23, item 5).

Strategy, walker and symbol names are the user's, and reports are written under
./dump/<kind>/<name>.md by default (or <dir>/<name>.md for a directory `path=`). A name
such as "../../x" or "/abs/x" used to write outside ./dump; now its separators are
percent-encoded and a leading dot too, so the file stays in the folder. An explicit file
`path=` is the user's choice and is used as given.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from backtestkit.actors import (
    Backtest,
    Heat,
    Live,
    RiskRejections,
    Schedule,
    Walker,
    add_exchange,
    add_frame,
    add_strategy,
    add_walker,
)
from backtestkit.actors.core.path_names import file_name
from backtestkit.adapters.candles import MemoryCandles
from backtestkit.adapters.reports import write_html, write_png

T = 1786924800000  # 2026-08-17T00:00Z
ESCAPING = ["../../x", "/tmp/abs-x", "a/../../b", "..", ".hidden", "back\\..\\slash"]


def test_file_name_keeps_ordinary_names_and_encodes_the_rest() -> None:
    for ordinary in ("sma-cross", "dipgrid[depth=0.005,take=0.008]", "BTCUSD_breakout", "a.b"):
        assert file_name(ordinary) == ordinary
    assert file_name("../../x") == "%2E.%2F..%2Fx"
    assert file_name("/tmp/abs-x") == "%2Ftmp%2Fabs-x"
    assert file_name("..") == "%2E."
    assert file_name(".hidden") == "%2Ehidden"
    assert file_name("back\\..\\slash") == "back%5C..%5Cslash"
    assert file_name("nul\x00byte") == "nul%00byte"
    for name in ESCAPING:
        encoded = file_name(name)
        assert "/" not in encoded and "\\" not in encoded and not encoded.startswith(".")


@pytest.fixture
def registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """cwd = tmp_path/work; an idle exchange, a frame, the escaping strategies and a walker
    named "../../w" over them, each backtested (the walker in this process)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    minutes = range(-60, 120)
    columns = {
        "timestamp": [T + i * 60_000 for i in minutes],
        "open": [100.0] * len(minutes),
        "high": [101.0] * len(minutes),
        "low": [99.0] * len(minutes),
        "close": [100.0] * len(minutes),
        "volume": [1.0] * len(minutes),
    }
    add_exchange("mem", candles=MemoryCandles({"BTCUSD": columns}))
    add_frame("hour", start=datetime(2026, 8, 17, tzinfo=UTC),
              end=datetime(2026, 8, 17, 1, tzinfo=UTC))  # fmt: skip
    for name in ESCAPING:
        add_strategy(name, interval="1m", get_signal=lambda symbol, when: None)
    add_walker("../../w", strategies=ESCAPING[:2], exchange="mem", frame="hour")

    async def walk() -> None:
        async for _ in Walker.run("BTCUSD", walker="../../w"):
            pass

    anyio.run(walk)
    for name in ESCAPING:
        Backtest.run_sync("BTCUSD", strategy=name, exchange="mem", frame="hour")
    return work


def files_under(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()}


def test_default_dumps_stay_in_their_folder(registered: Path) -> None:
    outside = registered.parent
    written = []
    for name in ESCAPING:
        written.append(Backtest.dump("BTCUSD", name))
        written.append(write_html("BTCUSD", name))
        written.append(Live.dump("BTCUSD", name))
        written.append(Schedule.dump("BTCUSD", name))
        written.append(Heat.dump(name))
    written.append(Walker.dump("BTCUSD", "../../w"))
    written.append(write_png("BTCUSD", "../../x"))
    written.append(RiskRejections.dump("BTCUSD", "../../x"))  # <symbol>_<strategy>.md
    for path in written:
        resolved = path.resolve()
        assert resolved.parent.parent == (registered / "dump").resolve(), path
    assert Path("dump/backtest/%2E.%2F..%2Fx.md").is_file()
    assert Path("dump/backtest/%2Ftmp%2Fabs-x.html").is_file()
    assert Path("dump/walker/%2E.%2F..%2Fw.md").is_file()
    assert Path("dump/schedule/%2E.%2F..%2Fx.md").is_file()
    assert Path("dump/backtest/%2E.%2F..%2Fx.png").is_file()
    assert Path("dump/risk/BTCUSD_..%2F..%2Fx.md").is_file()
    assert not Path("/tmp/abs-x.md").exists()
    assert files_under(outside) == {Path("work") / p for p in files_under(registered)}


def test_a_directory_path_keeps_the_name_inside_it(registered: Path) -> None:
    target = registered / "reports"
    path = Backtest.dump("BTCUSD", "../../x", target)
    assert path == target / "%2E.%2F..%2Fx.md"
    assert Walker.dump("BTCUSD", "../../w", target) == target / "%2E.%2F..%2Fw.md"
    assert write_html("BTCUSD", "a/../../b", target) == target / "a%2F..%2F..%2Fb.html"


def test_an_explicit_file_path_is_the_users_choice(registered: Path) -> None:
    chosen = registered.parent / "elsewhere" / "report.md"
    assert Backtest.dump("BTCUSD", "../../x", chosen) == chosen
    assert chosen.read_text().startswith("# ")
    html = registered.parent / "elsewhere" / "page.html"
    assert write_html("BTCUSD", "../../x", html) == html and html.is_file()
