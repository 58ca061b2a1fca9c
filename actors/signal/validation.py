"""Signal validation (SPEC 4): every rule runs; failures are reported together, in rule order,
in the Python names of the fields (a decision of backtestkit: the reference names them in
camelCase)."""

from __future__ import annotations

import math

from backtestkit.bus import SignalRow

from ..core.config import GlobalConfig, get_config

__all__ = [
    "SignalValidationError",
    "finite_number",
    "plainly_valid",
    "position_problem",
    "rule_failures",
    "validate_signal",
]

_INF = math.inf


class SignalValidationError(ValueError):
    """get_signal returned a signal that breaks SPEC section 4."""


def finite_number(value: object) -> bool:
    if type(value) is float:  # the usual case, first
        return math.isfinite(value)
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_signal(row: SignalRow, current_price: float, *, scheduled: bool) -> None:
    config = get_config()
    if plainly_valid(row, current_price, scheduled, config):
        return
    lines = rule_failures(row, current_price, scheduled, config)
    if lines:
        raise SignalValidationError(
            f"Invalid signal for {row.position} position:\n" + "\n".join(lines)
        )


def rule_failures(
    row: SignalRow, current_price: float, scheduled: bool, config: GlobalConfig
) -> list[str]:
    """Every SPEC 4 rule the row breaks, in rule order (empty: valid), in Python names."""
    lines: list[str] = []
    for field in ("id", "exchange_name", "strategy_name", "symbol"):
        if not getattr(row, field):
            lines.append(f"{field} must be a non-empty string")
    if row.position not in ("long", "short"):
        lines.append(position_problem(row.position))
    if not (finite_number(current_price) and current_price > 0):
        lines.append(f"current_price must be a finite number > 0, got {current_price!r}")
    prices = (
        ("price_open", row.price_open),
        ("price_take_profit", row.price_take_profit),
        ("price_stop_loss", row.price_stop_loss),
    )
    finite = [finite_number(value) for _label, value in prices]
    for (label, value), ok in zip(prices, finite, strict=True):
        if not ok:
            lines.append(f"{label} must be a finite number, got {value!r}")
    for (label, value), ok in zip(prices, finite, strict=True):
        if ok and value <= 0:
            lines.append(f"{label} must be > 0, got {value!r}")
    _price_rules(row, current_price, scheduled, config, lines)
    met = row.minute_estimated_time
    if not (isinstance(met, int) and not isinstance(met, bool) and met > 0):
        lines.append(f"minute_estimated_time must be a positive integer, got {met!r}")
    elif config.CC_MAX_SIGNAL_LIFETIME_MINUTES and met > config.CC_MAX_SIGNAL_LIFETIME_MINUTES:
        lines.append(
            f"minute_estimated_time ({met}) must be <= {config.CC_MAX_SIGNAL_LIFETIME_MINUTES} "
            "(CC_MAX_SIGNAL_LIFETIME_MINUTES)"
        )
    if not row.scheduled_at > 0:
        lines.append(f"scheduled_at must be > 0, got {row.scheduled_at}")
    if not row.pending_at > 0:
        lines.append(f"pending_at must be > 0, got {row.pending_at}")
    return lines


def position_problem(position: object) -> str:
    return f"position must be 'long' or 'short', got {position!r}"


def plainly_valid(row: SignalRow, current: float, scheduled: bool, config: GlobalConfig) -> bool:
    """True when every rule of `validate_signal` holds, checked at once on float prices; False
    sends the row through the rule-by-rule check, which names every failure (and decides for
    int prices, NaN and the like)."""
    open_, tp, sl, met = (
        row.price_open,
        row.price_take_profit,
        row.price_stop_loss,
        row.minute_estimated_time,
    )
    if not (
        type(open_) is float
        and type(tp) is float
        and type(sl) is float
        and type(current) is float
        and type(met) is int
        and met > 0
        and 0 < current < _INF
        and 0 < open_ < _INF
        and 0 < tp < _INF
        and 0 < sl < _INF
        and row.scheduled_at > 0
        and row.pending_at > 0
        and row.id
        and row.exchange_name
        and row.strategy_name
        and row.symbol
    ):
        return False
    price = open_ if scheduled else current
    if row.position == "long":
        if not (sl < open_ < tp and sl < price < tp):
            return False
        tp_distance = ((tp - open_) / open_) * 100
        sl_distance = ((open_ - sl) / open_) * 100
    elif row.position == "short":
        if not (tp < open_ < sl and tp < price < sl):
            return False
        tp_distance = ((open_ - tp) / open_) * 100
        sl_distance = ((sl - open_) / open_) * 100
    else:
        return False
    min_tp = config.CC_MIN_TAKEPROFIT_DISTANCE_PERCENT
    min_sl = config.CC_MIN_STOPLOSS_DISTANCE_PERCENT
    max_sl = config.CC_MAX_STOPLOSS_DISTANCE_PERCENT
    lifetime = config.CC_MAX_SIGNAL_LIFETIME_MINUTES
    return not (
        (min_tp and tp_distance < min_tp)
        or (min_sl and sl_distance < min_sl)
        or (max_sl and sl_distance > max_sl)
        or (lifetime and met > lifetime)
    )


def _price_rules(
    row: SignalRow, current: float, scheduled: bool, config: GlobalConfig, lines: list[str]
) -> None:
    open_, tp, sl = row.price_open, row.price_take_profit, row.price_stop_loss
    long = row.position == "long"
    side = "Long" if long else "Short"
    tp_side_ok = not (tp <= open_ if long else tp >= open_)  # written so NaN fails no rule here
    sl_side_ok = not (sl >= open_ if long else sl <= open_)
    if not tp_side_ok:
        lines.append(
            f"{side}: price_take_profit ({tp}) must be {'>' if long else '<'} price_open ({open_})"
        )
    if not sl_side_ok:
        lines.append(
            f"{side}: price_stop_loss ({sl}) must be {'<' if long else '>'} price_open ({open_})"
        )
    # rules 5 (immediate: the current price) and 6 (scheduled: the entry) are one check
    price, label = (open_, "scheduled price_open") if scheduled else (current, "current_price")
    if long:
        if price <= sl:
            lines.append(f"Long: {label} ({price}) <= price_stop_loss ({sl})")
        if price >= tp:
            lines.append(f"Long: {label} ({price}) >= price_take_profit ({tp})")
    else:
        if price >= sl:
            lines.append(f"Short: {label} ({price}) >= price_stop_loss ({sl})")
        if price <= tp:
            lines.append(f"Short: {label} ({price}) <= price_take_profit ({tp})")
    # a distance on the wrong side of the entry is not reported again: the side line says it
    tp_distance = ((tp - open_) / open_) * 100 if long else ((open_ - tp) / open_) * 100
    min_tp = config.CC_MIN_TAKEPROFIT_DISTANCE_PERCENT
    if min_tp and tp_side_ok and tp_distance < min_tp:
        tp_at = f"{side}: price_take_profit ({tp}) is {tp_distance:.3f}% from price_open ({open_})"
        lines.append(f"{tp_at}, {_beyond('MIN_TAKEPROFIT', min_tp)}")
    sl_distance = ((open_ - sl) / open_) * 100 if long else ((sl - open_) / open_) * 100
    sl_at = f"{side}: price_stop_loss ({sl}) is {sl_distance:.3f}% from price_open ({open_})"
    min_sl = config.CC_MIN_STOPLOSS_DISTANCE_PERCENT
    if min_sl and sl_side_ok and sl_distance < min_sl:
        lines.append(f"{sl_at}, {_beyond('MIN_STOPLOSS', min_sl)}")
    max_sl = config.CC_MAX_STOPLOSS_DISTANCE_PERCENT
    if max_sl and sl_distance > max_sl:
        lines.append(f"{sl_at}, {_beyond('MAX_STOPLOSS', max_sl)}")


def _beyond(limit: str, percent: float) -> str:
    """How a distance breaks the CC_<limit>_DISTANCE_PERCENT setting."""
    relation = "closer than the minimum" if limit.startswith("MIN") else "farther than the maximum"
    return f"{relation} {percent}% (CC_{limit}_DISTANCE_PERCENT)"
