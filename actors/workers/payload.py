"""What out-of-process walker workers need to rebuild a walker's schemas, and the worker side.

Workers do not share this process's registry: the parent ships the schemas (pickled with the
standard library, so every function travels by reference, `module:qualname`) and each worker
re-registers them, then runs `Backtest.run_sync` and returns the statistics. Therefore every
function a worker would call (get_signal, risk validations, formatters, callbacks) must be
importable by reference, and the exchange's candle source must be picklable. Lambdas, closures
and functions defined in `__main__` are refused with a ValueError naming their owner.

A payload's token is the hash of its content, so a worker that outlives a walk (a reused pool,
a Dask worker) runs the next walk of the same schemas and candles without loading them again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import os
import pickle
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from backtestkit.bus import TickResult

from ..backtest.facade import Backtest
from ..core.config import GlobalConfig, get_config, set_config
from ..core.engine import Engine
from ..core.logs import configure_logging, log_level
from ..core.registry import registry
from ..core.schemas import (
    ExchangeSchema,
    FrameSchema,
    RiskSchema,
    SizingSchema,
    StrategySchema,
    WalkerSchema,
)
from ..market.table_source import TableSource
from ..reports.backtest_statistics import BacktestStatistics
from ..walker.sweep import ParameterizedSignal

__all__ = [
    "WalkerSpec",
    "WorkerPayload",
    "build_worker_payload",
    "collect_spec",
    "engine_from_file",
    "install_payload",
    "install_payload_file",
    "run_pooled_job",
    "run_strategy_job",
    "run_symbol_job",
    "schemas_payload",
    "worker_logging",
]


@dataclass(frozen=True, slots=True)
class WalkerSpec:
    """Everything a worker registers before running one of the walker's strategies."""

    symbol: str
    strategies: tuple[StrategySchema, ...]
    exchange: ExchangeSchema
    frame: FrameSchema
    risks: tuple[RiskSchema, ...]
    sizings: tuple[SizingSchema, ...]
    config: GlobalConfig
    log_level: str = "info"  # the caller's: workers log at it (`worker_logging`)

    def engine(self) -> Engine:
        """A fresh engine holding these schemas and this config, and nothing else."""
        engine = Engine()
        with engine:
            set_config(unsafe=True, **dataclasses.asdict(self.config))
            for strategy in self.strategies:
                registry.strategies[strategy.name] = strategy
            registry.exchanges[self.exchange.name] = self.exchange
            registry.frames[self.frame.name] = self.frame
            for risk in self.risks:
                registry.risks[risk.name] = risk
            for sizing in self.sizings:
                registry.sizings[sizing.name] = sizing
        return engine


@dataclass(frozen=True, slots=True)
class WorkerPayload:
    """Plain values only, so it unpickles anywhere; `blob` is the pickled `WalkerSpec` and
    `token` the hash of `blob` and `sys_path`."""

    token: str
    parent_pid: int
    sys_path: tuple[str, ...]
    blob: bytes


def _importable(fn: Callable[..., Any], owner: str) -> None:
    """Raise unless `fn` is the object found by importing `fn.__module__` + `fn.__qualname__`
    (for a sweep's `ParameterizedSignal`, its function)."""
    if isinstance(fn, ParameterizedSignal):
        fn = fn.fn
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    hint = (
        f"{owner}: {fn!r} cannot run in a worker process (walker, bias analyzer): it must be "
        "a function importable by reference (module:function), not a lambda, a closure, a "
        "bound method or a function "
        "defined in __main__; move it to a module level function of an importable module"
    )
    if not module or not qualname or module == "__main__" or "<" in qualname:
        raise ValueError(hint)
    try:
        found: Any = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        raise ValueError(hint) from None
    if found is not fn:
        raise ValueError(hint)


def _callbacks(callbacks: Any) -> Iterable[tuple[str, Callable[..., Any]]]:
    if callbacks is None:
        return ()
    return (
        (field.name, fn)
        for field in dataclasses.fields(callbacks)
        if (fn := getattr(callbacks, field.name)) is not None
    )


def _check(spec: WalkerSpec) -> None:
    for strategy in spec.strategies:
        owner = f"strategy {strategy.name!r}"
        _importable(strategy.get_signal, f"{owner} get_signal")
        for name, fn in _callbacks(strategy.callbacks):
            _importable(fn, f"{owner} callback {name}")
    exchange = spec.exchange
    hooks = (("format_price", exchange.format_price), ("format_quantity", exchange.format_quantity))
    for name, hook in hooks:
        if hook is not None:
            _importable(hook, f"exchange {exchange.name!r} {name}")
    for name, fn in _callbacks(exchange.callbacks):
        _importable(fn, f"exchange {exchange.name!r} callback {name}")
    for name, fn in _callbacks(spec.frame.callbacks):
        _importable(fn, f"frame {spec.frame.name!r} callback {name}")
    for risk in spec.risks:
        for index, validation in enumerate(risk.validations):
            _importable(validation.validate, f"risk {risk.name!r} validations[{index}]")
        for name, fn in _callbacks(risk.callbacks):
            _importable(fn, f"risk {risk.name!r} callback {name}")
    for sizing in spec.sizings:
        for name, fn in _callbacks(sizing.callbacks):
            _importable(fn, f"sizing {sizing.name!r} callback {name}")


def _pickled(spec: WalkerSpec, owner: str) -> bytes:
    try:
        return pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        problem = exc
    exchange = spec.exchange
    try:
        pickle.dumps(exchange.candles)
    except Exception as exc:
        raise ValueError(
            f"exchange {exchange.name!r}: its candle source {type(exchange.candles).__name__} "
            f"cannot be sent to walker workers (not picklable: {exc})"
        ) from None
    raise ValueError(f"{owner}: schemas cannot be pickled ({problem})") from None


def _load_base_table(candles: object, symbol: str) -> None:
    """Ship the symbol's table parsed and validated, rather than have every worker do it; a
    failure is left for the workers to meet, as the in-process executor would."""
    if isinstance(candles, TableSource):
        with contextlib.suppress(Exception):
            candles.table(symbol, "1m")


def build_worker_payload(symbol: str, walker: WalkerSchema) -> WorkerPayload:
    """Collect and check the walker's schemas; raises ValueError naming what cannot travel."""
    return schemas_payload(
        symbol, walker.strategies, walker.exchange, walker.frame, owner=f"walker {walker.name!r}"
    )


def collect_spec(
    symbol: str,
    strategy_names: Iterable[str],
    exchange: str,
    frame: str,
    *,
    config: GlobalConfig | None = None,
) -> WalkerSpec:
    """The registered schemas of these strategies, with their exchange, frame, risks and
    sizings, and the config (the current one unless given)."""
    strategies = tuple(registry.strategy(name) for name in strategy_names)
    risk_names = dict.fromkeys(r for s in strategies for r in s.risk_names)
    sizing_names = dict.fromkeys(s.sizing for s in strategies if s.sizing is not None)
    return WalkerSpec(
        symbol=symbol,
        strategies=strategies,
        exchange=registry.exchange(exchange),
        frame=registry.frame(frame),
        risks=tuple(registry.risk(name) for name in risk_names),
        sizings=tuple(registry.sizing(name) for name in sizing_names),
        config=config if config is not None else get_config(),
        log_level=log_level(),
    )


def schemas_payload(
    symbol: str,
    strategy_names: Iterable[str],
    exchange: str,
    frame: str,
    *,
    owner: str,
    config: GlobalConfig | None = None,
) -> WorkerPayload:
    """The registered schemas of these strategies (with their exchange, frame, risks and
    sizings) and the config, checked and pickled for worker processes."""
    spec = collect_spec(symbol, strategy_names, exchange, frame, config=config)
    _check(spec)
    _load_base_table(spec.exchange.candles, symbol)
    blob = _pickled(spec, owner)
    sys_path = tuple(sys.path)
    digest = hashlib.sha256(blob)
    digest.update("\0".join(sys_path).encode())
    return WorkerPayload(digest.hexdigest()[:32], os.getpid(), sys_path, blob)


# --- worker side -------------------------------------------------------------------------------

_worker_level: list[str | None] = [None]  # the level this worker process logs at
_KEEP = 2  # unpickled specs kept per worker: a pool shared by walks switches between them
_specs: OrderedDict[str, WalkerSpec] = OrderedDict()
_specs_lock = threading.Lock()  # a Dask worker runs jobs on several threads


def _load(payload: WorkerPayload) -> WalkerSpec:
    if payload.parent_pid == os.getpid():
        raise RuntimeError(
            "walker workers must be separate processes (dask: LocalCluster(processes=True))"
        )
    for entry in payload.sys_path:
        if entry not in sys.path:
            sys.path.append(entry)
    return cast(WalkerSpec, pickle.loads(payload.blob))


def _spec(token: str, load: Callable[[], WorkerPayload]) -> WalkerSpec:
    """The walker spec of `token`, unpickled once per worker while it is among the newest."""
    with _specs_lock:
        spec = _specs.get(token)
        if spec is None:
            spec = _specs[token] = _load(load())
            while len(_specs) > _KEEP:
                _specs.popitem(last=False)
        _specs.move_to_end(token)
        return spec


def _read(path: str) -> WorkerPayload:
    with open(path, "rb") as handle:
        return cast(WorkerPayload, pickle.load(handle))


def install_payload(payload: WorkerPayload) -> None:
    """Unpickle a walker's schemas in this worker process (done again only for another token)."""
    _spec(payload.token, lambda: payload)


def install_payload_file(path: str) -> None:
    """Process-pool initializer: the pickled `WorkerPayload` from a file (a big payload sent as
    an initializer argument would be written to each new worker in turn, delaying the next)."""
    try:
        payload = _read(path)
    except FileNotFoundError:  # the walk already ended (and removed it): no job will come
        return
    install_payload(payload)


def worker_logging(spec: WalkerSpec) -> None:
    """Log in this worker at the level of the process that built the spec."""
    if _worker_level[0] != spec.log_level:
        configure_logging(spec.log_level, force=True)
        _worker_level[0] = spec.log_level


def engine_from_file(path: str) -> Engine | None:
    """The schemas of a payload file in an engine of their own (None: the file is gone)."""
    try:
        payload = _read(path)
    except FileNotFoundError:
        return None
    spec = _spec(payload.token, lambda: payload)
    worker_logging(spec)
    return spec.engine()


def run_pooled_job(token: str, path: str, strategy: str) -> BacktestStatistics:
    """Process-pool entry point: the schemas of `token`, read from `path` unless kept."""
    return _run(_spec(token, lambda: _read(path)), strategy)


def run_strategy_job(payload: WorkerPayload, strategy: str) -> BacktestStatistics:
    """Worker entry point: one strategy's backtest, to the end; returns its statistics."""
    return _run(_spec(payload.token, lambda: payload), strategy)


def run_symbol_job(token: str, path: str, symbol: str, strategy: str) -> list[TickResult]:
    """Process-pool entry point of an out-of-process portfolio: one symbol's Backtest of the
    payload's schemas (any of the symbols its exchange serves); returns what it yielded."""
    spec = _spec(token, lambda: _read(path))
    worker_logging(spec)
    with _picklable_errors(), spec.engine():
        return Backtest.run_sync(
            symbol, strategy=strategy, exchange=spec.exchange.name, frame=spec.frame.name
        )


def _run(spec: WalkerSpec, strategy: str) -> BacktestStatistics:
    worker_logging(spec)
    with _picklable_errors(), spec.engine():
        Backtest.run_sync(
            spec.symbol, strategy=strategy, exchange=spec.exchange.name, frame=spec.frame.name
        )
        return Backtest.get_data(spec.symbol, strategy)


@contextlib.contextmanager
def _picklable_errors() -> Iterator[None]:
    """An error the parent cannot unpickle travels as a RuntimeError with its text."""
    try:
        yield
    except Exception as exc:
        try:
            pickle.dumps(exc)
        except Exception:
            raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
        raise
