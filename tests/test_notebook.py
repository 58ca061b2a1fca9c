"""The sync entry points inside a running event loop, as notebooks and REPLs run them: the
README's python blocks executed as a notebook in a real Jupyter kernel (nbclient + ipykernel),
and `Backtest.run_sync` typed into `python -m asyncio`; results as in a plain script."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest
from test_readme import ROOT, blocks

from backtestkit.actors import Backtest, Signal, add_exchange, add_frame, add_strategy
from backtestkit.actors.core import loop_running, run_blocking
from backtestkit.adapters.candles import MemoryCandles

pytestmark = pytest.mark.slow

DIGEST_SCRIPT = textwrap.dedent(
    """
    import asyncio
    from datetime import UTC, datetime
    from backtestkit.actors import (Backtest, Signal, add_exchange, add_frame, add_strategy,
                                    get_average_price, get_candles)
    from backtestkit.adapters.candles import CsvCandles

    def breakout(symbol, when):
        candles = get_candles(symbol, "1m", 60)
        if len(candles) < 30:
            return None
        price = get_average_price(symbol)
        if price > candles.high[:-1].max():
            return Signal("long", price * 1.01, price * 0.99, 120)
        return None

    try:
        asyncio.get_running_loop()
        print("loop: running")
    except RuntimeError:
        print("loop: none")
    add_exchange("bitstamp", candles=CsvCandles(r"{data}"))
    add_frame("aug", start=datetime(2026, 8, 17, tzinfo=UTC), end=datetime(2026, 8, 30, tzinfo=UTC))
    add_strategy("breakout", interval="5m", get_signal=breakout)
    results = Backtest.run_sync("BTCUSD", strategy="breakout", exchange="bitstamp", frame="aug")
    print("results:", [(r.action, r.signal.id, r.close_reason, r.pnl.pnl_percentage)
                       for r in results])
    """
).format(data=ROOT / "examples" / "data" / "bitstamp_BTCUSD_1m.csv")


def _python(*args: str, stdin: str | None = None, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], input=stdin, cwd=cwd, capture_output=True, text=True,
        timeout=300, check=False, env={**os.environ, "BACKTESTKIT_LOG_LEVEL": "warning"},
    )  # fmt: skip


def test_run_sync_under_python_m_asyncio(tmp_path: Path) -> None:
    """The README recommends `python -m asyncio`; there `anyio.run` used to fail with
    "Runner.run() cannot be called from a running event loop"."""
    script = tmp_path / "digest.py"
    script.write_text(DIGEST_SCRIPT)
    plain = _python(str(script), cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.startswith("loop: none\nresults: [('closed', ")
    repl = _python("-m", "asyncio", stdin=f"exec(open({str(script)!r}).read())\n", cwd=tmp_path)
    assert "cannot be called from a running event loop" not in repl.stderr
    assert "Traceback" not in repl.stderr, repl.stderr
    printed = repl.stdout.replace(">>> ", "").splitlines()  # the prompts go to stdout too
    assert printed == ["loop: running", plain.stdout.splitlines()[1]]


def test_readme_blocks_run_as_a_notebook_in_a_real_kernel(tmp_path: Path) -> None:
    """Every README python block is one cell of a notebook run by a real IPython kernel (whose
    event loop is running, as in Jupyter: `Backtest.run_sync` there used to raise "Already
    running asyncio in this thread"); the first block prints what it prints in a script."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    cells = blocks("python")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
        allow_errors=False,
    )
    client.execute()  # raises CellExecutionError naming the cell that failed
    first = "".join(
        output.get("text", "")
        for output in notebook.cells[0].outputs
        if output.get("name") == "stdout"
    )
    script = tmp_path / "first_block.py"
    script.write_text(cells[0])
    plain = _python(str(script), cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert first == plain.stdout
    assert "closed" in first and "# Backtest Report: breakout" in first
    assert (tmp_path / "dump" / "backtest" / "breakout.html").is_file()


def _hand_signal(symbol: str, when: object) -> Signal | None:
    return None


def test_run_blocking_in_a_running_loop_keeps_the_callers_engine_and_errors() -> None:
    """Inside a running loop the work runs on a helper thread with the caller's context (its
    engine and registered schemas), returns the same results and re-raises its errors."""
    candles = {"timestamp": [1_000 * 60_000 + i * 60_000 for i in range(30)]}
    candles |= {k: [100.0] * 30 for k in ("open", "high", "low", "close", "volume")}
    add_exchange("flat", candles=MemoryCandles({"X": candles}))
    add_frame("f", start=1_000 * 60_000 + 10 * 60_000, end=1_000 * 60_000 + 20 * 60_000)
    add_strategy("none", interval="1m", get_signal=_hand_signal)

    async def inside() -> tuple[bool, list[object]]:
        results = Backtest.run_sync("X", strategy="none", exchange="flat", frame="f")
        return loop_running(), results

    running, results = asyncio.run(inside())
    assert running and results == []

    async def fails() -> None:
        raise LookupError("from the helper thread")

    async def inside_failing() -> None:
        run_blocking(fails)

    with pytest.raises(LookupError, match="from the helper thread"):
        asyncio.run(inside_failing())
    assert not loop_running()


def test_interrupting_the_wait_cancels_the_helper_run() -> None:
    """Ctrl-C (a notebook's stop button) while run_sync waits: the helper thread's run is
    cancelled, not left running, and the interrupt reaches the caller."""
    import _thread
    import signal
    import threading

    started = threading.Event()
    finished: list[str] = []

    async def long_job() -> None:
        started.set()
        try:
            await anyio.sleep(30)
        finally:
            finished.append("cancelled")

    async def inside() -> None:
        # as in a Jupyter kernel: SIGINT raises KeyboardInterrupt where the main thread is
        # (asyncio.run's own handler would only cancel its task)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        threading.Thread(target=lambda: (started.wait(5), _thread.interrupt_main())).start()
        run_blocking(long_job)

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(inside())
    assert finished == ["cancelled"]
