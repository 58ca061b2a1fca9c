"""The local exchange server in a subprocess, for tests that drive the real ccxt client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "kaggle_BTCUSD_1m.csv"
START_ISO = "2018-03-23T13:00Z"
START_MS = 1_521_810_000_000


class ExchangeServer:
    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as answer:
            return json.loads(answer.read())

    def post(self, path: str, body: Any) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def orders(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/sim/orders")
        return result

    def balance(self, asset: str) -> float:
        entry = self.get("/sim/balances")[asset]
        return float(entry["free"]) + float(entry["locked"])

    def faults(self, *faults: str) -> None:
        self.post("/sim/faults", {"faults": list(faults)})


@contextmanager
def exchange_server(*extra: str, args: Sequence[str] = ()) -> Iterator[ExchangeServer]:
    """`backtestkit exchange-sim` on a free port with the test data as BTC/USD."""
    env = {**os.environ, "BACKTESTKIT_API_KEY": "key", "BACKTESTKIT_API_SECRET": "secret"}
    command = [
        sys.executable,
        "-m",
        "backtestkit.adapters.cli",
        "exchange-sim",
        "--data",
        f"BTC/USD={DATA}",
        "--port",
        "0",
        "--start",
        START_ISO,
        *extra,
        *args,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("exchange-sim listening on "), line
        yield ExchangeServer(line.split()[-1])
    finally:
        process.terminate()
        process.wait(timeout=10)
