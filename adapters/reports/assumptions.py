"""The simulation assumptions a backtest ran under, in words, from the global config."""

from __future__ import annotations

from backtestkit.actors import get_config
from backtestkit.actors.core import GlobalConfig

__all__ = ["simulation_assumptions"]


def _num(value: float) -> str:
    return f"{value:g}"


def _visibility(profile: str) -> str:
    if profile == "safe":
        return (
            "Safe profile (CC_LOOKAHEAD_PROFILE = safe): at minute t the strategy and the VWAP "
            "see only candles closed by t (open time + interval <= t), for every interval."
        )
    return (
        "Reference profile (CC_LOOKAHEAD_PROFILE = reference, as backtest-kit): at minute t the "
        "strategy and the VWAP see the candle opening at t, still forming (one minute of "
        "look-ahead; a higher-interval candle is served whole from its open)."
    )


def simulation_assumptions(config: GlobalConfig | None = None) -> list[tuple[str, str]]:
    """(topic, explanation) pairs for the report's "Simulation assumptions" section."""
    c = config if config is not None else get_config()
    slippage, fee = _num(c.CC_PERCENT_SLIPPAGE), _num(c.CC_PERCENT_FEE)
    vwap_n = c.CC_AVG_PRICE_CANDLES_COUNT
    warmup = vwap_n - 1
    return [
        (
            "Slippage",
            f"{slippage} % per side (CC_PERCENT_SLIPPAGE): in the PnL a long buys "
            f"{slippage} % above and sells {slippage} % below the fill price, a short the "
            "reverse. The prices shown in the trades table are the un-slipped fill prices.",
        ),
        (
            "Fees",
            f"{fee} % per side (CC_PERCENT_FEE): every closed signal's PnL is net of "
            f"2 × {fee} % = {_num(2 * c.CC_PERCENT_FEE)} %.",
        ),
        (
            "VWAP pricing",
            f"Every price that is not a take-profit or stop-loss level is the VWAP of the last "
            f"{vwap_n} one-minute candles (CC_AVG_PRICE_CANDLES_COUNT): "
            "Σ(typical × volume) / Σ(volume) with typical = (high + low + close) / 3, the plain "
            "mean of the typical prices when the volume is zero.",
        ),
        (
            "Candle visibility",
            _visibility(c.CC_LOOKAHEAD_PROFILE),
        ),
        (
            "Market entries",
            f"A signal without price_open opens at once at the current {vwap_n}-candle VWAP, "
            "at the minute the strategy returned it; no candle after that minute is ever seen "
            "by the strategy.",
        ),
        (
            "Take-profit and stop-loss",
            "Filled at exactly the take-profit or stop-loss level on the first one-minute "
            "candle whose high or low touches it (no gap beyond the slippage above). When one "
            "candle touches both, the take-profit wins; the expiry wins over both. A market "
            "entry is checked from its own minute's candle on; after a limit entry fills, the "
            f"checks start {warmup + 1} minutes after the fill (the VWAP warm-up of the "
            "reference engine).",
        ),
        (
            "Limit entries",
            "A signal with price_open is scheduled and fills at price_open when a candle's low "
            "(long) or high (short) reaches it; if the stop-loss is reached first or on the "
            "same candle it is cancelled instead, and it is cancelled when not filled within "
            f"{c.CC_SCHEDULE_AWAIT_MINUTES} minutes (CC_SCHEDULE_AWAIT_MINUTES). If the price "
            "is already through price_open when the signal is returned, it opens at once at "
            "price_open.",
        ),
        (
            "Expiry",
            "An open signal still untouched after its minute_estimated_time closes "
            "(time_expired) at the VWAP; minute_estimated_time may not exceed "
            f"{c.CC_MAX_SIGNAL_LIFETIME_MINUTES} minutes (CC_MAX_SIGNAL_LIFETIME_MINUTES).",
        ),
        (
            "One position at a time",
            "Each (symbol, strategy) holds at most one open or scheduled signal; statistics "
            "cover the newest 250 closed signals; cancelled limit entries are not trades.",
        ),
    ]
