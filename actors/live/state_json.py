"""The reference's on-disk JSON of live state: signal rows (camelCase), risk-book positions and
partial levels, each read back with its type checked field by field."""

from __future__ import annotations

from typing import Any

from backtestkit.bus import SignalRow

from ..core.risk import ActivePosition, RiskBook

__all__ = [
    "levels_from_json",
    "positions_from_json",
    "positions_to_json",
    "row_from_json",
    "row_to_json",
]

_ROW_FIELDS: tuple[tuple[str, str, type | tuple[type, ...]], ...] = (
    ("id", "id", str),
    ("position", "position", str),
    ("price_open", "priceOpen", (int, float)),
    ("price_take_profit", "priceTakeProfit", (int, float)),
    ("price_stop_loss", "priceStopLoss", (int, float)),
    ("minute_estimated_time", "minuteEstimatedTime", int),
    ("note", "note", str),
    ("symbol", "symbol", str),
    ("exchange_name", "exchangeName", str),
    ("strategy_name", "strategyName", str),
    ("scheduled_at", "scheduledAt", int),
    ("pending_at", "pendingAt", int),
    ("is_scheduled", "_isScheduled", bool),
)


def row_to_json(row: SignalRow | None) -> dict[str, Any] | None:
    """The reference's on-disk signal row (camelCase), or null for an empty slot."""
    if row is None:
        return None
    return {key: getattr(row, attr) for attr, key, _ in _ROW_FIELDS}


def row_from_json(value: Any) -> SignalRow | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"expected a signal row object or null, got {type(value).__name__}")
    fields: dict[str, Any] = {}
    for attr, key, kind in _ROW_FIELDS:
        if key not in value:
            raise ValueError(f"signal row lacks field {key!r}")
        item: Any = value[key]
        if (isinstance(item, bool) and kind is not bool) or not isinstance(item, kind):
            raise ValueError(f"signal row field {key!r} has the wrong type ({item!r})")
        fields[attr] = float(item) if kind == (int, float) else item  # type: ignore[arg-type]
    if fields["position"] not in ("long", "short"):
        raise ValueError(f"signal row field 'position' is {fields['position']!r}")
    for attr in ("price_open", "price_take_profit", "price_stop_loss"):
        if not fields[attr] > 0:
            raise ValueError(f"signal row field {attr!r} must be > 0, got {fields[attr]!r}")
    return SignalRow(**fields)


def positions_from_json(value: Any) -> dict[str, ActivePosition]:
    if not isinstance(value, list):
        raise ValueError("risk positions must be a list of [key, position] pairs")
    positions: dict[str, ActivePosition] = {}
    for item in value:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            raise ValueError(f"risk position entry {item!r} is not a [key, position] pair")
        body = item[1]
        if not isinstance(body, dict) or not isinstance(body.get("strategyName"), str):
            raise ValueError(f"risk position {item[0]!r} lacks strategyName")
        stamp = body.get("openTimestamp")
        if not isinstance(stamp, int) or isinstance(stamp, bool):
            raise ValueError(f"risk position {item[0]!r} has no integer openTimestamp")
        positions[item[0]] = ActivePosition(
            signal=None,
            strategy_name=body["strategyName"],
            exchange_name=str(body.get("exchangeName", "")),
            open_timestamp=stamp,
        )
    return positions


def positions_to_json(book: RiskBook) -> list[list[Any]]:
    return [
        [
            key,
            {
                "signal": None,
                "strategyName": p.strategy_name,
                "exchangeName": p.exchange_name,
                "openTimestamp": p.open_timestamp,
            },
        ]
        for key, p in book.positions.items()
    ]


def levels_from_json(value: Any) -> dict[str, tuple[list[int], list[int]]]:
    if not isinstance(value, dict):
        raise ValueError("partial levels must be an object keyed by signal id")
    out: dict[str, tuple[list[int], list[int]]] = {}
    for signal_id, body in value.items():
        if not isinstance(body, dict):
            raise ValueError(f"partial levels of {signal_id!r} must be an object")
        profit, loss = body.get("profitLevels"), body.get("lossLevels")
        if not (isinstance(profit, list) and isinstance(loss, list)):
            raise ValueError(f"partial levels of {signal_id!r} lack profitLevels/lossLevels")
        out[signal_id] = ([int(x) for x in profit], [int(x) for x in loss])
    return out
