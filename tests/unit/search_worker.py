"""One process of a shared optuna search: `python search_worker.py JOURNAL TRIALS SEED [ask]`.

Prints "ready", waits for the file JOURNAL.go, then prints the strategies it ran, one a line.
With `ask`, it only asks one trial and exits without telling it (a search killed mid-batch);
with `together`, it waits in its first trial until another process holds one too.
"""

from __future__ import annotations

import glob
import os
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import optuna
import walker_strategies as ws

from backtestkit.actors import add_exchange, add_frame, configure_logging
from backtestkit.actors.walker import optimize
from backtestkit.adapters.candles import MemoryCandles

SYMBOL = "BTCUSDT"
DAY = 86_400_000


_journal: list[str] = []
_waited: list[bool] = []


def space(trial: Any) -> dict[str, float]:
    if _journal and not _waited:
        # Both processes hold a trial before either runs one: each surely takes part, however
        # busy the machine (a search does not need this; the test's count does).
        _waited.append(True)
        Path(f"{_journal[0]}.asked.{os.getpid()}").touch()
        deadline = time.monotonic() + 60
        while len(glob.glob(f"{_journal[0]}.asked.*")) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    return {"take": trial.suggest_float("take", 0.006, 0.03), "stop": 0.01}


def main(journal: str, trials: int, seed: int, together: bool) -> None:
    if together:
        _journal.append(journal)
    configure_logging("error", force=True)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    add_exchange("mem", candles=MemoryCandles({SYMBOL: ws.trending_candles()}))
    add_frame("frame", start=ws.START, end=ws.START + 3 * DAY)

    async def go() -> Any:
        return await optimize(
            SYMBOL,
            name="long",
            get_signal=ws.long_grid,
            space=space,
            trials=trials,
            batch=2,
            exchange="mem",
            frame="frame",
            interval="5m",
            metric="total_pnl",
            sampler=optuna.samplers.RandomSampler(seed=seed),
            storage=journal,
            study_name="shared",
        )

    go_file = Path(journal + ".go")
    print("ready", flush=True)  # both processes start searching together
    while not go_file.exists():
        time.sleep(0.01)
    found = anyio.run(go)
    for result in found.results.strategy_results:
        print(result.strategy_name, flush=True)


if __name__ == "__main__":
    if sys.argv[4:] == ["ask"]:
        from backtestkit.actors.walker.search_storage import mark_owner, open_storage

        study = optuna.create_study(
            study_name="shared", storage=open_storage(optuna, sys.argv[1]),
            direction="maximize", load_if_exists=True,
        )  # fmt: skip
        mark_owner(study.ask())
    else:
        main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:] == ["together"])
