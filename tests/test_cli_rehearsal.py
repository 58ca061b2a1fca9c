"""A rehearsal in two commands: `backtestkit exchange-sim` serves the shipped Bitstamp candles
as a Binance-compatible exchange, and `backtestkit live --replay-from ... --broker ccxt:binance
--broker-url URL` trades the SMA cross against it through the real ccxt client, on the
server's clock. sma-cross goes long and short; the market is spot, so a short entry is refused
(its signal closes as order_rejected, nothing is sent) and every long trades one entry and one
exit, each filled, for the same amount.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from reliability.exchange_server import ExchangeServer

from backtestkit.actors.broker import client_order_id

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "examples" / "schemas.py"
DATA = ROOT / "examples" / "data" / "bitstamp_BTCUSD_1m.csv"
KEYS = {"BACKTESTKIT_API_KEY": "rehearsal-key", "BACKTESTKIT_API_SECRET": "rehearsal-secret"}
ENV = {**os.environ, **KEYS, "BACKTESTKIT_LOG_LEVEL": "warning"}
CLI = [sys.executable, "-m", "backtestkit.adapters.cli"]


@pytest.mark.slow
def test_exchange_sim_then_live_with_the_ccxt_broker(tmp_path: Path) -> None:
    sim = subprocess.Popen(
        [*CLI, "exchange-sim", "--data", f"BTC/USD={DATA}", "--port", "0",
         "--start", "2026-08-17T01:00Z"],
        stdout=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    try:
        assert sim.stdout is not None
        url = sim.stdout.readline().split()[-1]
        done = subprocess.run(
            [*CLI, "live", str(SCHEMAS), "--symbol", "BTCUSD", "--strategy", "sma-cross",
             "--exchange", "bitstamp", "--state-dir", "state",
             "--replay-from", "2026-08-17T01:00Z", "--replay-to", "2026-08-18T01:00Z",
             "--broker", "ccxt:binance", "--broker-url", url, "--jsonl", "results.jsonl"],
            cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        server = ExchangeServer(url)
        orders = server.orders()
        btc = server.balance("BTC")
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    assert "rehearsal-secret" not in done.stderr + done.stdout
    journal = (tmp_path / "state" / "broker" / "BTCUSD_sma-cross.jsonl").read_text()
    assert "rehearsal-secret" not in journal and "rehearsal-key" not in journal
    results = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    closed = [r for r in results if r["action"] == "closed"]
    traded = [r for r in closed if r["close_reason"] != "order_rejected"]
    refused = [r for r in closed if r["close_reason"] == "order_rejected"]
    assert len(traded) >= 3 and all(r["signal"]["position"] == "long" for r in traded)
    assert all(r["signal"]["position"] == "short" for r in refused)
    assert all(r["pnl"]["pnl_percentage"] == 0 for r in refused)
    assert Counter(o["client_id"] for o in orders).most_common(1)[0][1] == 1
    by_id = {o["client_id"]: o for o in orders}
    for result in traded:
        entry = by_id[client_order_id(result["signal"]["id"], "entry")]
        exit_ = by_id[client_order_id(result["signal"]["id"], "exit")]
        assert entry["status"] == exit_["status"] == "filled"
        assert entry["filled"] == exit_["filled"] > 0
    assert len(orders) == 2 * len(traded)  # nothing else was sent
    assert btc == 0  # the run ended flat: no position left on the exchange

    # parity adds what the exchange filled beside what each signal said
    subprocess.run(
        [*CLI, "parity", "state", "--script", str(SCHEMAS), "--report", "parity.md", "--quiet"],
        cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report = (tmp_path / "parity.md").read_text()
    assert "Fills: signal vs exchange" in (tmp_path / "parity.html").read_text()
    section = report.split("## Fills: signal vs exchange")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| sma-cross")]
    assert len(rows) == len(traded)
    for line, result in zip(rows, traded, strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        entry = by_id[client_order_id(result["signal"]["id"], "entry")]
        assert cells[0] == result["signal"]["id"]
        assert cells[2] == f"{result['signal']['price_open']:.8g} / {entry['average']:.8g}"
        gap, timing, slippage, fees = map(float, cells[6:10])
        assert gap == pytest.approx(timing + slippage + fees, abs=2e-4)
