"""A table source backed by one file for any symbol, or one file per symbol."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from backtestkit.actors.market.candles import CandleTable
from backtestkit.actors.market.table_source import TableSource

__all__ = ["FileCandles"]

Reader = Callable[..., CandleTable]


class FileCandles(TableSource):
    """Loads lazily with `reader(path, step_ms=...)`; a single file is shared by all symbols."""

    reader: Reader

    def __init__(self, path: str | Path | Mapping[str, str | Path]) -> None:
        super().__init__()
        if isinstance(path, Mapping):
            self._paths: dict[str, Path] | None = {s: Path(p) for s, p in path.items()}
            self._single: Path | None = None
        else:
            self._paths = None
            self._single = Path(path)
        self._shared: CandleTable | None = None

    def symbols(self) -> list[str]:
        return list(self._paths) if self._paths is not None else []

    def _load(self, symbol: str) -> CandleTable:
        read = type(self).reader
        if self._paths is None:
            assert self._single is not None
            if self._shared is None:
                self._shared = read(self._single, step_ms=self.base_step_ms)
            return self._shared
        file = self._paths.get(symbol)
        if file is None:
            raise KeyError(
                f"{type(self).__name__}: no file for symbol {symbol!r}; "
                f"have {', '.join(self._paths)}"
            )
        return read(file, step_ms=self.base_step_ms)
