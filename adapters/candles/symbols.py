"""Which file (or DataFrame) serves which symbol: a `{symbol: source}` mapping, one source
declared for its symbol, or one undeclared source that serves any symbol."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from backtestkit.actors.market.candle_checks import UnservedSymbolError

__all__ = ["SymbolSources", "check_symbol"]

T = TypeVar("T")


def check_symbol(symbol: object, owner: str) -> str:
    if not isinstance(symbol, str) or not symbol.strip():
        raise ValueError(f"{owner}: a symbol must be a non-empty string, got {symbol!r}")
    return symbol


class SymbolSources(Generic[T]):
    """`get(symbol)` returns the source serving `symbol` or raises UnservedSymbolError (a
    KeyError) naming the symbols there are; an undeclared single source (`any_symbol`)
    serves all."""

    def __init__(
        self,
        by_symbol: dict[str, T],
        *,
        any_symbol: T | None,
        owner: str,
        describe: Callable[[T], str | None],
    ) -> None:
        self._by_symbol = by_symbol
        self._any = any_symbol
        self._owner = owner
        self._describe = describe

    @classmethod
    def of(
        cls,
        source: T | Mapping[str, T],
        *,
        symbol: str | None,
        owner: str,
        convert: Callable[[T], T],
        describe: Callable[[T], str | None],
    ) -> SymbolSources[T]:
        if isinstance(source, Mapping):
            if symbol is not None:
                raise ValueError(
                    f"{owner}: symbol= declares the symbol of a single source; a "
                    "{symbol: source} mapping already names its symbols"
                )
            if not source:
                raise ValueError(f"{owner}: the {{symbol: source}} mapping is empty")
            by_symbol = {check_symbol(s, owner): convert(item) for s, item in source.items()}
            return cls(by_symbol, any_symbol=None, owner=owner, describe=describe)
        if symbol is None:
            return cls({}, any_symbol=convert(source), owner=owner, describe=describe)
        by_symbol = {check_symbol(symbol, owner): convert(source)}
        return cls(by_symbol, any_symbol=None, owner=owner, describe=describe)

    @property
    def declared_symbol(self) -> str | None:
        return next(iter(self._by_symbol)) if len(self._by_symbol) == 1 else None

    @property
    def undeclared(self) -> T | None:
        """The single source that serves any symbol, when no symbol was declared."""
        return self._any

    def symbols(self) -> list[str]:
        return list(self._by_symbol)

    def get(self, symbol: str) -> T:
        if self._any is not None:
            return self._any
        found = self._by_symbol.get(symbol)
        if found is None:
            serves = ", ".join(self._by_symbol)
            if len(self._by_symbol) == 1:
                shown = self._describe(next(iter(self._by_symbol.values())))
                serves += f" ({shown})" if shown else ""
            raise UnservedSymbolError(
                f"{self._owner}: no candles for symbol {symbol!r}; it serves {serves}"
            )
        return found

    def __repr__(self) -> str:
        if self._any is not None:
            return repr(self._describe(self._any))
        if len(self._by_symbol) == 1:
            symbol, item = next(iter(self._by_symbol.items()))
            return f"{self._describe(item)!r}, symbol={symbol!r}"
        return repr({s: self._describe(item) for s, item in self._by_symbol.items()})
