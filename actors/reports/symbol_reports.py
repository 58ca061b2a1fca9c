"""get_report / dump over statistics kept per symbol:strategy, for the report storages and the
Backtest and Live facades alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from ..core.facade_support import write_report
from .columns import Column

__all__ = ["SymbolReports"]

S = TypeVar("S")


class SymbolReports(Generic[S]):
    """A subclass makes the statistics (`get_data`), names the function that writes their
    text (`_report`, e.g. `backtest_report`; or `_render`, e.g. `risk_report`, when the text
    names the symbol too) and the folder its dumps go to (./dump/<folder>/)."""

    folder: str
    file_per_symbol = False  # dump file "<symbol>_<strategy>.md" rather than "<strategy>.md"
    _report: Callable[[str, S, Sequence[Column] | None], str]  # (strategy, stats, columns)

    def get_data(self, symbol: str, strategy: str) -> S:
        raise NotImplementedError

    def _render(
        self, symbol: str, strategy: str, stats: S, columns: Sequence[Column] | None, /
    ) -> str:
        return self._report(strategy, stats, columns)

    def get_report(
        self, symbol: str, strategy: str, columns: Sequence[Column] | None = None
    ) -> str:
        return self._render(symbol, strategy, self.get_data(symbol, strategy), columns)

    def dump(
        self,
        symbol: str,
        strategy: str,
        path: str | Path | None = None,
        columns: Sequence[Column] | None = None,
    ) -> Path:
        """Write the Markdown report to `path` (a file or a directory; default
        ./dump/<folder>/<strategy>.md, or <symbol>_<strategy>.md for per-symbol reports)."""
        name = f"{symbol}_{strategy}" if self.file_per_symbol else strategy
        return write_report(self.get_report(symbol, strategy, columns), self.folder, name, path)
