"""analyze_bias: every opened signal of a backtest asked again on truncated history.

For each signal, get_signal is called again at its time on an exchange cut there (nothing after
it exists; see `truncation`), once per warm-up length (history from the first candle, or only
the last N minutes), and the decision is compared field by field with the backtest's.

The check runs under one look-ahead profile, by default "safe": the baseline backtest and the
re-runs alike. Under "reference" the candle opening at the decision minute is kept (SPEC Q8's
minute is the profile's convention); a higher-interval candle still open is rebuilt from the
minutes so far, so a strategy that reads the whole unfinished candle is flagged either way.

The re-runs run in worker processes (concurrent.futures, forkserver where available): the
walker's pool answers whole backtests with their statistics, these jobs answer decisions, so
only the walker's payload (schemas shipped once per worker) is shared. Fresh processes matter:
module state a strategy filled during the baseline (a cache of future candles) is not there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import numpy.typing as npt
import structlog

from ..core.config import LOOKAHEAD_PROFILES, get_config
from ..core.registry import registry
from ..market.intervals import MINUTE_MS, STRATEGY_INTERVALS, interval_ms
from ..market.table_source import TableSource
from ..workers.payload import schemas_payload
from ..workers.processes import payload_file, process_context
from .baseline import Baseline, baseline_decisions
from .decisions import Decision, first_difference
from .idle_sample import DEFAULT_IDLE_SAMPLE, DEFAULT_IDLE_SEED, idle_instants
from .report import BiasFinding, BiasReport, StrategyBias
from .rerun import RerunChunk, RerunJob, ready, rerun_chunk, start_worker

__all__ = ["DEFAULT_WARMUPS", "analyze_bias", "check_bias_request"]

DEFAULT_WARMUPS: tuple[int | None, ...] = (None, 1440)
_log = structlog.get_logger("backtestkit.analysis")


def check_bias_request(
    strategies: Sequence[str], exchange: str, frame: str, profile: str,
    warmups: Sequence[int | None], workers: int,
) -> None:  # fmt: skip
    """Raise ValueError naming the first bad argument (what analyze_bias checks first)."""
    if profile not in LOOKAHEAD_PROFILES:
        raise ValueError(
            f"analyze_bias: profile must be one of {', '.join(map(repr, LOOKAHEAD_PROFILES))}, "
            f"got {profile!r}"
        )
    if not strategies:
        raise ValueError("analyze_bias: no strategy given")
    for name in strategies:
        registry.strategy(name)
    registry.frame(frame)
    for warmup in warmups:
        if warmup is not None and (isinstance(warmup, bool) or not isinstance(warmup, int)
                                   or warmup < 1):  # fmt: skip
            raise ValueError(
                f"analyze_bias: each warm-up must be a positive number of minutes or None, "
                f"got {warmup!r}"
            )
    if not warmups:
        raise ValueError("analyze_bias: warmups must hold at least one length (None: all)")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"analyze_bias: workers must be an integer >= 1, got {workers!r}")
    source = registry.exchange(exchange).candles
    if not isinstance(source, TableSource):
        raise ValueError(
            f"analyze_bias: exchange {exchange!r} serves candles from "
            f"{type(source).__name__}, which cannot be cut at a time; use a table-backed "
            "source (CsvCandles, ParquetCandles, MemoryCandles)"
        )


def _interval(strategy: str) -> int:
    """The strategy's throttle in ms (an unknown interval throttles nothing: a minute)."""
    try:
        return interval_ms(registry.strategy(strategy).interval, STRATEGY_INTERVALS, "strategy")
    except ValueError:
        return MINUTE_MS


def _chunks(jobs: list[RerunJob], count: int) -> list[tuple[RerunJob, ...]]:
    size = max(1, -(-len(jobs) // count))
    return [tuple(jobs[i : i + size]) for i in range(0, len(jobs), size)]


def _changes(
    decisions: Iterable[Decision], reruns: dict[tuple[int, int | None], Decision],
    warmups: Sequence[int | None],
) -> tuple[int, BiasFinding | None]:  # fmt: skip
    """How many decisions changed in some re-run, and the first change found."""
    changed = 0
    first: BiasFinding | None = None
    for decision in decisions:
        findings = []
        for warmup in warmups:
            rerun = reruns[(decision.when, warmup)]
            field = first_difference(decision, rerun)
            if field is not None:
                findings.append(
                    BiasFinding(
                        decision.when,
                        field,
                        warmup,
                        getattr(decision, field),
                        getattr(rerun, field),
                        rerun.error,
                    )
                )
        if findings:
            changed += 1
            if first is None:
                first = findings[0]
    return changed, first


def _summary(
    strategy: str, baseline: Baseline, idle: npt.NDArray[np.int64],
    reruns: dict[tuple[int, int | None], Decision], warmups: Sequence[int | None],
) -> StrategyBias:  # fmt: skip
    changed, first = _changes(baseline.opened, reruns, warmups)
    quiet = (Decision(when, "none") for when in idle.tolist())
    idle_changed, idle_first = _changes(quiet, reruns, warmups[:1])
    firsts = [f for f in (first, idle_first) if f is not None]
    return StrategyBias(
        strategy,
        len(baseline.opened),
        changed,
        min(firsts, key=lambda f: f.timestamp) if firsts else None,
        idle_checked=int(idle.size),
        idle_changed=idle_changed,
    )


def analyze_bias(
    symbol: str,
    *,
    strategies: Sequence[str] | str,
    exchange: str,
    frame: str,
    warmups: Sequence[int | None] = DEFAULT_WARMUPS,
    workers: int = 2,
    profile: str = "safe",
    idle_sample: int = DEFAULT_IDLE_SAMPLE,
    seed: int = DEFAULT_IDLE_SEED,
) -> BiasReport:
    """Backtest each strategy, then ask get_signal again on history cut there at each opened
    signal's time (once per warm-up length) and at instants where it answered None (`idle`:
    `idle_sample` drawn with `seed`, plus those within one interval before each opened signal;
    with the first warm-up length only), in `workers` processes, and report the decisions
    that changed. Strategy functions must be importable by reference."""
    names = (strategies,) if isinstance(strategies, str) else tuple(strategies)
    warmups = tuple(warmups)
    check_bias_request(names, exchange, frame, profile, warmups, workers)
    if isinstance(idle_sample, bool) or not isinstance(idle_sample, int) or idle_sample < 0:
        raise ValueError(
            f"analyze_bias: idle_sample must be an integer >= 0, got {idle_sample!r}"
        )
    config = dataclasses.replace(get_config(), CC_LOOKAHEAD_PROFILE=profile)
    payload = schemas_payload(symbol, names, exchange, frame, owner="analyze_bias", config=config)
    with (
        payload_file(payload, "backtestkit-bias-") as path,
        ProcessPoolExecutor(
            max_workers=workers,
            mp_context=process_context(),
            initializer=start_worker,
            initargs=(path,),
        ) as pool,
    ):
        warming = [pool.submit(ready) for _ in range(workers)]  # start-up overlaps the baselines
        baselines = {
            name: baseline_decisions(symbol, name, exchange, frame, profile) for name in names
        }
        idle = {
            name: idle_instants(
                b.idle,
                [d.when for d in b.opened],
                _interval(name),
                sample=idle_sample,
                seed=seed,
            )
            for name, b in baselines.items()
        }
        # an opened signal is asked with every history, a "no signal" instant with the first
        # (a future peek shows in any cut; the warm-ups probe look-backs, as signals show them)
        asked = [
            (name, when, history)
            for name, b in baselines.items()
            for times, histories in (([d.when for d in b.opened], warmups),
                                     (idle[name].tolist(), warmups[:1]))
            for when in times
            for history in histories
        ]  # fmt: skip
        jobs = [
            RerunJob(name, when, None if w is None else when - w * MINUTE_MS)
            for name, when, w in asked
        ]
        guards = [future.result() for future in warming]
        safe = profile == "safe"
        chunks = [RerunChunk(symbol, exchange, safe, part) for part in _chunks(jobs, workers * 2)]
        answers = [d for part in pool.map(rerun_chunk, chunks) for d in part]
    reruns: dict[str, dict[tuple[int, int | None], Decision]] = {name: {} for name in names}
    for job, answer in zip(jobs, answers, strict=True):
        warmup = None if job.start is None else (job.when - job.start) // MINUTE_MS
        reruns[job.strategy][(job.when, warmup)] = answer
    summaries = tuple(_summary(n, baselines[n], idle[n], reruns[n], warmups) for n in names)
    for s in summaries:
        _log.info("bias_checked", strategy=s.strategy, checked=s.signals_checked,
                  changed=s.signals_changed, idle_checked=s.idle_checked,
                  idle_changed=s.idle_changed)  # fmt: skip
    guard = min(guards, key=lambda g: g.mechanism != "audit-hook")  # the weakest one
    return BiasReport(symbol, exchange, frame, profile, warmups, summaries, guard.describe())
