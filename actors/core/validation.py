"""Signal validation (SPEC 4): every rule runs; failures are reported together, in rule order."""

from __future__ import annotations

import math

from backtestkit.bus import SignalRow

from .config import GlobalConfig, get_config

__all__ = ["SignalValidationError", "plainly_valid", "rule_failures", "validate_signal"]

_INF = math.inf


class SignalValidationError(ValueError):
    """get_signal returned a signal that breaks SPEC section 4."""


def _finite(value: object) -> bool:
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
    """Every SPEC 4 rule the row breaks, in rule order (empty: valid)."""
    lines: list[str] = []
    for field in ("id", "exchange_name", "strategy_name", "symbol"):
        if not getattr(row, field):
            lines.append(f"{field} must be a non-empty string")
    if row.position not in ("long", "short"):
        lines.append(f"position must be 'long' or 'short', got {row.position!r}")
    if not (_finite(current_price) and current_price > 0):
        lines.append(f"currentPrice must be a finite number > 0, got {current_price!r}")
    prices = (
        ("priceOpen", row.price_open),
        ("priceTakeProfit", row.price_take_profit),
        ("priceStopLoss", row.price_stop_loss),
    )
    finite = [_finite(value) for _label, value in prices]
    for (label, value), ok in zip(prices, finite, strict=True):
        if not ok:
            lines.append(f"{label} must be a finite number, got {value!r}")
    for (label, value), ok in zip(prices, finite, strict=True):
        if ok and value <= 0:
            lines.append(f"{label} must be > 0, got {value!r}")
    _price_rules(row, current_price, scheduled, config, lines)
    met = row.minute_estimated_time
    if not (isinstance(met, int) and not isinstance(met, bool) and met > 0):
        lines.append(f"minuteEstimatedTime must be a positive integer, got {met!r}")
    elif config.CC_MAX_SIGNAL_LIFETIME_MINUTES and met > config.CC_MAX_SIGNAL_LIFETIME_MINUTES:
        lines.append(
            f"minuteEstimatedTime {met} exceeds CC_MAX_SIGNAL_LIFETIME_MINUTES "
            f"{config.CC_MAX_SIGNAL_LIFETIME_MINUTES}"
        )
    if not row.scheduled_at > 0:
        lines.append(f"scheduledAt must be > 0, got {row.scheduled_at}")
    if not row.pending_at > 0:
        lines.append(f"pendingAt must be > 0, got {row.pending_at}")
    return lines


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
    if long:
        if tp <= open_:
            lines.append(f"Long: priceTakeProfit ({tp}) must be > priceOpen ({open_})")
        if sl >= open_:
            lines.append(f"Long: priceStopLoss ({sl}) must be < priceOpen ({open_})")
    else:
        if tp >= open_:
            lines.append(f"Short: priceTakeProfit ({tp}) must be < priceOpen ({open_})")
        if sl <= open_:
            lines.append(f"Short: priceStopLoss ({sl}) must be > priceOpen ({open_})")
    # rules 5 (immediate: the current price) and 6 (scheduled: the entry) are one check
    price, label = (open_, "scheduled priceOpen") if scheduled else (current, "currentPrice")
    if long:
        if price <= sl:
            lines.append(f"Long: {label} ({price}) <= priceStopLoss ({sl})")
        if price >= tp:
            lines.append(f"Long: {label} ({price}) >= priceTakeProfit ({tp})")
    else:
        if price >= sl:
            lines.append(f"Short: {label} ({price}) >= priceStopLoss ({sl})")
        if price <= tp:
            lines.append(f"Short: {label} ({price}) <= priceTakeProfit ({tp})")
    side = "Long" if long else "Short"
    tp_distance = ((tp - open_) / open_) * 100 if long else ((open_ - tp) / open_) * 100
    min_tp = config.CC_MIN_TAKEPROFIT_DISTANCE_PERCENT
    if min_tp and tp_distance < min_tp:
        lines.append(
            f"{side}: TakeProfit too close to priceOpen ({tp_distance:.3f}%). "
            f"Minimum distance: {min_tp}%. Current: TP={tp}, Open={open_}"
        )
    sl_distance = ((open_ - sl) / open_) * 100 if long else ((sl - open_) / open_) * 100
    min_sl = config.CC_MIN_STOPLOSS_DISTANCE_PERCENT
    if min_sl and sl_distance < min_sl:
        lines.append(
            f"{side}: StopLoss too close to priceOpen ({sl_distance:.3f}%). "
            f"Minimum distance: {min_sl}%. Current: SL={sl}, Open={open_}"
        )
    max_sl = config.CC_MAX_STOPLOSS_DISTANCE_PERCENT
    if max_sl and sl_distance > max_sl:
        lines.append(
            f"{side}: StopLoss too far from priceOpen ({sl_distance:.3f}%). "
            f"Maximum distance: {max_sl}%. Current: SL={sl}, Open={open_}"
        )
