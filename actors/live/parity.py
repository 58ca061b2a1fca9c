"""`parity`: did the live bot trade as its backtest says? Replays a live recording as a backtest
and diffs every yielded signal, field by field (open/close times, prices, close reason, PnL)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.blocking import blocking_of
from ..core.path_names import file_name
from ..core.registry import registry
from ..market.candle_sources import CandleSource
from .parity_model import ParityData, compare
from .parity_replay import Timeline, replay_recording
from .parity_report import parity_markdown
from .persistence import SignalStore, check_name, symbol_path_name
from .recording import recording_path
from .recording_reader import read_recording

__all__ = ["ParityResult", "find_recording", "parity", "parity_async"]


@dataclass(frozen=True, slots=True)
class ParityResult(ParityData):
    """`parity`'s answer: `ok`, `first_divergence()`, `markdown()`, `dump(path)`."""

    def first_divergence(self) -> str:
        """One line: the first divergent signal and field, or that every signal matched."""
        first = self.first_mismatch
        if first is None:
            return f"parity: {len(self.comparisons)} signals, 0 mismatches"
        diff = first.differences[0]
        return (
            f"parity: first divergence at signal #{first.index + 1} ({first.signal_id}): "
            f"{diff.field}: live {_show(diff.live)} != backtest {_show(diff.backtest)}"
        )

    def markdown(self) -> str:
        return parity_markdown(self)

    def dump(self, path: str | Path | None = None) -> Path:
        """Write the Markdown report (default ./dump/parity/<symbol>_<strategy>.md)."""
        target = Path(path) if path is not None else Path("dump", "parity", f"{self.key}.md")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.markdown(), encoding="utf-8")
        return target

    @property
    def key(self) -> str:
        return file_name(f"{symbol_path_name(self.symbol)}_{self.strategy}")


def _show(value: Any) -> str:
    return "(none)" if value is None else repr(value)


def find_recording(state_dir: str | Path, symbol: str | None, strategy: str | None) -> Path:
    """The recording of (symbol, strategy) under state_dir; with one recording, that one."""
    base = Path(state_dir)
    if symbol is not None and strategy is not None:
        return recording_path(base, symbol_path_name(symbol), check_name("strategy", strategy))
    found = sorted((base / "recording").glob("*.rec"))
    if len(found) == 1:
        return found[0]
    names = ", ".join(p.stem for p in found) or "none"
    raise ValueError(
        f"state dir {base}: {len(found)} live recordings ({names}); "
        "name the symbol and strategy to compare"
    )


async def parity_async(
    state_dir: str | Path | SignalStore,
    *,
    symbol: str | None = None,
    strategy: str | None = None,
    candles: CandleSource | None = None,
    timeline: Timeline = "recorded",
) -> ParityResult:
    """`parity` inside a running event loop."""
    started = time.perf_counter()
    base = state_dir.base_dir if isinstance(state_dir, SignalStore) else Path(state_dir)
    if timeline not in ("recorded", "regular"):
        raise ValueError(f"parity: timeline must be 'recorded' or 'regular', got {timeline!r}")
    recording = read_recording(find_recording(base, symbol, strategy))
    if not recording.runs:
        raise ValueError(f"recording {recording.path}: no live run was recorded")
    first = recording.runs[0]
    schema = registry.strategy(first.strategy)
    replay = await replay_recording(recording, schema, candles=candles, timeline=timeline)
    live = [item for _, item in recording.signals]
    backtest = [result.to_dict() for _, result in replay.results]
    return ParityResult(
        recording=recording,
        symbol=first.symbol,
        strategy=first.strategy,
        exchange=first.exchange,
        timeline=timeline,
        candles="recorded" if candles is None else repr(candles),
        replay=replay,
        comparisons=compare(live, backtest),
        seconds=time.perf_counter() - started,
    )


parity = blocking_of(
    parity_async,
    "parity",
    """Replay the live recording under `state_dir` as a backtest of the same (registered)
    strategy and compare every signal. `candles` replays another history (e.g. the exchange's
    candles downloaded later) instead of the recorded ones; `timeline="regular"` ticks the
    nominal live schedule (every 60 001 ms from each run's first tick) instead of the recorded
    minutes, which shows what late or skipped ticks changed.""",
)
