"""Out-of-process portfolios: where nothing shared binds (no risk profile, no capital), each
(symbol, strategy) runs as its own Backtest in a worker process, and the results are merged in
the order the in-process clock yields them, so both give the same list.

The in-process order is (event minute, phase, lane): closes and cancellations (phase 0) before
entries (phase 1); an Active result (a limit entry still waiting when its window ran out) comes
at its tick, and Q4's close of a limit entry filled on the last candle at its entry, both in
phase 1. Bus listeners and callbacks of the worker runs stay in the workers, as for the walker.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import anyio

from backtestkit.bus import Active, Closed, TickResult

from ..core.registry import registry
from ..market.table_source import TableSource
from ..workers.payload import run_symbol_job, schemas_payload
from ..workers.processes import payload_file, process_context
from .lane import CLOSE, ENTER

__all__ = ["merge_key", "run_in_workers"]


def merge_key(result: TickResult, lane: int, index: int) -> tuple[int, int, int, int]:
    if type(result) is Active:
        return (result.signal.scheduled_at, ENTER, lane, index)
    entered_and_closed = type(result) is Closed and result.signal.is_scheduled
    at = getattr(result, "close_timestamp", None)
    assert at is not None, result
    return (at, ENTER if entered_and_closed else CLOSE, lane, index)


async def run_in_workers(
    lanes: Sequence[tuple[str, str]], exchange: str, frame: str, workers: int
) -> list[TickResult]:
    """Every (symbol, strategy) lane's Backtest in `workers` processes, merged in time order."""
    symbols = list(dict.fromkeys(symbol for symbol, _ in lanes))
    strategies = list(dict.fromkeys(strategy for _, strategy in lanes))
    source = registry.exchange(exchange).candles
    if isinstance(source, TableSource):
        for symbol in symbols:  # loaded (and validated) once here, shipped with the payload
            source.table(symbol, "1m")
    payload = schemas_payload(symbols[0], strategies, exchange, frame, owner="portfolio")

    def run_all() -> list[list[TickResult]]:
        with (
            payload_file(payload, "backtestkit-portfolio-") as path,
            ProcessPoolExecutor(max_workers=workers, mp_context=process_context()) as pool,
        ):
            jobs = [
                pool.submit(run_symbol_job, payload.token, path, symbol, strategy)
                for symbol, strategy in lanes
            ]
            return [job.result() for job in jobs]

    per_lane = await anyio.to_thread.run_sync(run_all)
    keyed = [
        (merge_key(result, lane, index), result)
        for lane, results in enumerate(per_lane)
        for index, result in enumerate(results)
    ]
    keyed.sort(key=lambda pair: pair[0])
    return [result for _, result in keyed]
