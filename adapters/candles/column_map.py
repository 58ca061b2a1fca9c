"""Which source column holds each candle field: a `columns=` mapping, else the standard name
in any case (the timestamp also as time, date or datetime); every other column must be
named in `ignore=` (or `ignore="*"`), so a file of another shape is never half-read."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from backtestkit.actors.market.candle_checks import COLUMNS, CandleDataError

__all__ = ["TIMESTAMP_NAMES", "ColumnMap"]

TIMESTAMP_NAMES = ("timestamp", "time", "date", "datetime")
IGNORE_ALL = "*"


def _names(field_name: str) -> tuple[str, ...]:
    return TIMESTAMP_NAMES if field_name == "timestamp" else (field_name,)


def _listing(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names)


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """`columns` maps a candle field to the source's column name; `ignore` names the source
    columns to skip ("*": every column that is not a candle field)."""

    columns: Mapping[str, str] = field(default_factory=dict)
    ignore: Collection[str] | str = ()

    def __post_init__(self) -> None:
        unknown = [name for name in self.columns if name not in COLUMNS]
        if unknown:
            raise ValueError(
                f"columns: {_listing(unknown)} is not a candle field; the keys are the fields "
                f"({', '.join(COLUMNS)}) and the values the source's column names, "
                "e.g. columns={'timestamp': 'Date'}"
            )
        bad = [name for name, source in self.columns.items() if not isinstance(source, str)]
        if bad:
            raise ValueError(f"columns: the column name for {_listing(bad)} must be a string")
        taken: dict[str, str] = {}
        for field_name, source in self.columns.items():
            if source.strip() in taken:
                raise ValueError(
                    f"columns: {source!r} is mapped to both {taken[source.strip()]} and "
                    f"{field_name}"
                )
            taken[source.strip()] = field_name
        ignored = self.ignored()
        if ignored is not None:
            clash = sorted(set(self.columns.values()) & ignored)
            if clash:
                raise ValueError(f"columns and ignore both name {_listing(clash)}")

    def ignored(self) -> frozenset[str] | None:
        """The names to skip, or None for "every column that is not a candle field"."""
        if isinstance(self.ignore, str):
            return None if self.ignore == IGNORE_ALL else frozenset((self.ignore,))
        return frozenset(self.ignore)

    def resolve(self, names: Sequence[str], where: str) -> dict[str, int]:
        """field -> index of its column in `names`; CandleDataError names what does not fit."""
        stripped = [name.strip() for name in names]
        found: dict[str, int] = {}
        missing: list[str] = []
        for field_name in COLUMNS:
            wanted = self.columns.get(field_name)
            if wanted is not None:
                hits = [i for i, name in enumerate(stripped) if name == wanted.strip()]
            else:
                options = _names(field_name)
                hits = [
                    i
                    for i, name in enumerate(stripped)
                    if name.lower() in options and name not in self.columns.values()
                ]
            if len(hits) > 1:
                raise CandleDataError(
                    f"{where}: columns {_listing([names[i] for i in hits])} could each be "
                    f"{field_name}: pick one with columns={{{field_name!r}: ...}}"
                )
            if hits:
                found[field_name] = hits[0]
            else:
                missing.append(field_name if wanted is None else f"{wanted!r} (for {field_name})")
        if missing:
            raise CandleDataError(
                f"{where}: missing column(s) {', '.join(missing)}; the columns are "
                f"{_listing(names)} (the standard names in any case, timestamp also as time, "
                "date or datetime; or map them with columns={'timestamp': ..., 'open': ...})"
            )
        self._refuse_extras(names, stripped, set(found.values()), where)
        return found

    def _refuse_extras(
        self, names: Sequence[str], stripped: Sequence[str], used: set[int], where: str
    ) -> None:
        ignored = self.ignored()
        if ignored is None:
            return
        extras = [
            names[i]
            for i, name in enumerate(stripped)
            if i not in used and name not in ignored and not name.startswith("__index_level_")
        ]
        if extras:
            noun = "column" if len(extras) == 1 else "columns"
            raise CandleDataError(
                f"{where}: extra {noun} {_listing(extras)}: skip with "
                f"ignore={[name.strip() for name in extras]!r} (or ignore='*'), "
                "or map the candle fields with columns={...}"
            )
