"""Walker resume (`resume_dir=`): finished strategies' statistics stored by fingerprint.

A fingerprint covers what decides a strategy's backtest: the get_signal reference, its source
(`inspect.getsource`), closure values and defaults, the strategy's interval and risk profiles,
the symbol, the exchange name, the frame (start, end, interval), a hash of the 1-minute candle
table (table-backed sources; other sources contribute their class and its source only, so a
change of their external data is not detected), the global config and the engine version.
Each entry is one JSON file written atomically (temp file + rename).
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from backtestkit.bus import Closed, Pnl, SignalRow

from ..core.config import LIVE_ONLY_KEYS, get_config
from ..core.schemas import ExchangeSchema, FrameSchema, RiskSchema, StrategySchema
from ..market.candle_sources import CandleStore
from ..reports.backtest_statistics import BacktestStatistics
from ..reports.trade_ledger import TradeLedger
from .sweep import ParameterizedSignal

__all__ = [
    "ResumeStore",
    "candle_fingerprint",
    "function_identity",
    "stats_from_dict",
    "strategy_fingerprint",
]


def _engine_version() -> str:
    try:
        return metadata.version("backtestkit")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def function_identity(fn: Callable[..., Any]) -> dict[str, Any]:
    """Reference, source, closure values and defaults of a function (what makes it behave);
    a sweep's `ParameterizedSignal` is its function's identity plus its parameter values."""
    if isinstance(fn, ParameterizedSignal):
        params = {key: repr(value) for key, value in fn.params.items()}
        return {**function_identity(fn.fn), "params": params}
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", type(fn).__qualname__)
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        source = code.co_code.hex() if code is not None else repr(fn)
    cells = getattr(fn, "__closure__", None) or ()
    closure = []
    for cell in cells:
        try:
            closure.append(repr(cell.cell_contents))
        except ValueError:  # an empty cell
            closure.append("<empty>")
    return {
        "reference": f"{module}:{qualname}",
        "source": source,
        "closure": closure,
        "defaults": repr(getattr(fn, "__defaults__", None)),
        "kwdefaults": repr(getattr(fn, "__kwdefaults__", None)),
    }


def candle_fingerprint(exchange: ExchangeSchema, symbol: str) -> str:
    """sha256 of the symbol's 1-minute table columns, or the source class for other sources."""
    source = exchange.candles
    if isinstance(source, CandleStore):
        table = source.table(symbol, "1m")
        digest = hashlib.sha256()
        for column in (table.timestamp, table.open, table.high, table.low, table.close):
            digest.update(column.tobytes())
        digest.update(table.volume.tobytes())
        return "table:" + digest.hexdigest()
    cls = type(source)
    try:
        code = inspect.getsource(cls)
    except (OSError, TypeError):
        code = ""
    return (
        f"untracked:{cls.__module__}:{cls.__qualname__}:"
        + hashlib.sha256(code.encode()).hexdigest()
    )


def strategy_fingerprint(
    *,
    strategy: StrategySchema,
    risks: Sequence[RiskSchema],
    symbol: str,
    exchange: ExchangeSchema,
    frame: FrameSchema,
    candles: str,
) -> str:
    """The hex sha256 keying one strategy's stored statistics."""
    identity = {
        "engine": _engine_version(),
        "strategy": {
            "name": strategy.name,
            "interval": strategy.interval,
            "get_signal": function_identity(strategy.get_signal),
            "risks": [
                {
                    "name": risk.name,
                    "max_concurrent_positions": risk.max_concurrent_positions,
                    "validations": [
                        {"note": v.note, **function_identity(v.validate)} for v in risk.validations
                    ],
                }
                for risk in risks
            ],
        },
        "symbol": symbol,
        "exchange": exchange.name,
        "frame": {"start": frame.start_ms, "end": frame.end_ms, "interval": frame.interval},
        "candles": candles,
        "config": {
            key: value
            for key, value in dataclasses.asdict(get_config()).items()
            if key not in LIVE_ONLY_KEYS
        },
    }
    return hashlib.sha256(orjson.dumps(identity, option=orjson.OPT_SORT_KEYS)).hexdigest()


def stats_from_dict(
    data: dict[str, Any], ledger: dict[str, Any] | None = None
) -> BacktestStatistics:
    """Inverse of `BacktestStatistics.to_dict()` (JSON floats round-trip exactly), with the
    ledger of every closed signal from `TradeLedger.to_dict()` when given."""
    signals = tuple(
        Closed(
            **{
                **item,
                "signal": SignalRow(**item["signal"]),
                "pnl": Pnl(**item["pnl"]),
            }
        )
        for item in data["signal_list"]
    )
    trades = None if ledger is None else TradeLedger.of(**ledger)
    return BacktestStatistics(**{**data, "signal_list": signals}, ledger=trades)


class ResumeStore:
    """One JSON file per finished strategy: `<dir>/<strategy>-<fingerprint prefix>.json`."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def _path(self, strategy: str, fingerprint: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", strategy)[:80]
        return self.directory / f"{safe}-{fingerprint[:32]}.json"

    def load(self, strategy: str, fingerprint: str) -> BacktestStatistics | None:
        """The stored statistics, or None (missing, unreadable or another fingerprint)."""
        path = self._path(strategy, fingerprint)
        try:
            entry = orjson.loads(path.read_bytes())
            if entry.get("fingerprint") != fingerprint or "ledger" not in entry:
                return None  # another run, or saved before ledgers: run it again
            return stats_from_dict(entry["stats"], entry["ledger"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, strategy: str, fingerprint: str, stats: BacktestStatistics) -> Path:
        """Write atomically: a temp file in the same folder, then rename over the target."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(strategy, fingerprint)
        entry = {
            "strategy": strategy,
            "fingerprint": fingerprint,
            "stats": stats.to_dict(),
            "ledger": stats.trades.to_dict(),
        }
        handle, temp = tempfile.mkstemp(dir=self.directory, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(orjson.dumps(entry))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return path
