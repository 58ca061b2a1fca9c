"""The base of the reading sources (files, DataFrames): which source serves which symbol, and
how its columns and open times are read."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from backtestkit.actors.market.table_source import TableSource

from .column_map import ColumnMap
from .symbols import SymbolSources
from .time_units import TimeUnit, check_time_unit

__all__ = ["DeclaredSource", "no_label"]


def no_label(item: Any) -> None:
    """Items not named in messages (a DataFrame)."""
    return None


class DeclaredSource(TableSource):
    """`Source(item, symbol=...)`, or `Source({symbol: item, ...})`, with `columns=`,
    `ignore=` and `time_unit=`; subclasses say how an item is checked, shown and read."""

    def __init__(
        self,
        source: Any,
        *,
        symbol: str | None = None,
        columns: Mapping[str, str] | None = None,
        ignore: Collection[str] | str = (),
        time_unit: TimeUnit | None = None,
    ) -> None:
        super().__init__()
        check_time_unit(time_unit)
        self._layout = ColumnMap(dict(columns or {}), ignore)
        self._time_unit = time_unit
        self._sources: SymbolSources[Any] = SymbolSources.of(
            source,
            symbol=symbol,
            owner=type(self).__name__,
            convert=self._item,
            describe=type(self).label,  # a plain function: the source pickles to stable bytes
        )

    def _item(self, item: Any) -> Any:
        """The item as kept (a Path, a DataFrame); TypeError when it is none."""
        return item

    label: Callable[[Any], str | None] = staticmethod(no_label)  # how messages name an item

    @property
    def declared_symbol(self) -> str | None:
        """The one symbol a single source serves (None: a mapping, or undeclared)."""
        return self._sources.declared_symbol

    def symbols(self) -> list[str]:
        return self._sources.symbols()

    def _read_options(self) -> dict[str, Any]:
        """The keyword arguments every reader takes besides the item itself."""
        return {
            "step_ms": self.base_step_ms,
            "columns": self._layout.columns,
            "ignore": self._layout.ignore,
            "time_unit": self._time_unit,
        }
