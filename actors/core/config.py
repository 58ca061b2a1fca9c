"""CC_* configuration (SPEC section 2): frozen, validated, restorable; one per engine."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Final

from .engine import EngineLocal, current_engine, entered_engine

__all__ = [
    "LIVE_ONLY_KEYS",
    "LOOKAHEAD_PROFILES",
    "GlobalConfig",
    "get_config",
    "get_default_config",
    "reset_config",
    "set_config",
]

# "reference": SPEC Q8, the candle opening at the execution minute is served (one minute of
# look-ahead); "safe": only candles whose close time (timestamp + interval) <= that minute.
LOOKAHEAD_PROFILES: Final = ("reference", "safe")
# keys that change nothing a backtest computes (walker resume identities leave them out)
LIVE_ONLY_KEYS: Final = (
    "CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES",
    "CC_BROKER_QUOTE_AMOUNT",
    "CC_BROKER_RETRY_COUNT",
    "CC_BROKER_RETRY_DELAY_MS",
)
_TEXT_KEYS: Final = ("CC_REPORT_SHOW_SIGNAL_NOTE", "CC_LOOKAHEAD_PROFILE")


@dataclass(frozen=True, slots=True)
class GlobalConfig:
    CC_SCHEDULE_AWAIT_MINUTES: int = 120
    CC_AVG_PRICE_CANDLES_COUNT: int = 5
    CC_PERCENT_SLIPPAGE: float = 0.1
    CC_PERCENT_FEE: float = 0.1
    CC_MIN_TAKEPROFIT_DISTANCE_PERCENT: float = 0.5
    CC_MIN_STOPLOSS_DISTANCE_PERCENT: float = 0.5
    CC_MAX_STOPLOSS_DISTANCE_PERCENT: float = 20
    CC_MAX_SIGNAL_LIFETIME_MINUTES: int = 1440
    CC_MAX_SIGNAL_GENERATION_SECONDS: int = 180
    CC_GET_CANDLES_RETRY_COUNT: int = 3
    CC_GET_CANDLES_RETRY_DELAY_MS: int = 5000
    CC_GET_CANDLES_PRICE_ANOMALY_THRESHOLD_FACTOR: int = 1000
    CC_GET_CANDLES_MIN_CANDLES_FOR_MEDIAN: int = 5
    CC_REPORT_SHOW_SIGNAL_NOTE: bool = False
    CC_LOOKAHEAD_PROFILE: str = "reference"
    CC_BROKER_QUOTE_AMOUNT: float = 100  # quote currency per entry for a strategy without sizing
    CC_BROKER_RETRY_COUNT: int = 3  # retries of a transient order error, then an error event
    CC_BROKER_RETRY_DELAY_MS: int = 500  # first backoff, doubled per retry (or Retry-After)
    CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES: int = 15  # live on a feed that stopped: then an error

    @property
    def lookahead_safe(self) -> bool:
        """Only candles closed by the frame time are served (the "safe" profile)."""
        return self.CC_LOOKAHEAD_PROFILE == "safe"


_DEFAULT = GlobalConfig()
_FIELDS = {f.name: f for f in dataclasses.fields(GlobalConfig)}
_CONFIG: EngineLocal[GlobalConfig] = EngineLocal("config", lambda _engine: _DEFAULT)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return _is_number(value) and math.isfinite(value) and float(value).is_integer()


def _problems(c: GlobalConfig) -> list[str]:
    out: list[str] = []
    for key in ("CC_PERCENT_SLIPPAGE", "CC_PERCENT_FEE"):
        value = getattr(c, key)
        if not (_is_number(value) and math.isfinite(value) and value >= 0):
            out.append(f"{key} must be a non-negative number, got {value!r}")
    min_tp = c.CC_MIN_TAKEPROFIT_DISTANCE_PERCENT
    if not (_is_number(min_tp) and math.isfinite(min_tp) and min_tp > 0):
        out.append(f"CC_MIN_TAKEPROFIT_DISTANCE_PERCENT must be a positive number, got {min_tp!r}")
    elif _is_number(c.CC_PERCENT_SLIPPAGE) and _is_number(c.CC_PERCENT_FEE):
        costs = c.CC_PERCENT_SLIPPAGE * 2 + c.CC_PERCENT_FEE * 2
        if min_tp < costs:
            out.append(
                f"CC_MIN_TAKEPROFIT_DISTANCE_PERCENT ({min_tp}) is too low to cover trading "
                f"costs (2 x slippage + 2 x fee = {costs})"
            )
    sl_ok = True
    for key in ("CC_MIN_STOPLOSS_DISTANCE_PERCENT", "CC_MAX_STOPLOSS_DISTANCE_PERCENT"):
        value = getattr(c, key)
        if not (_is_number(value) and math.isfinite(value) and value > 0):
            out.append(f"{key} must be a positive number, got {value!r}")
            sl_ok = False
    if sl_ok and c.CC_MIN_STOPLOSS_DISTANCE_PERCENT >= c.CC_MAX_STOPLOSS_DISTANCE_PERCENT:
        out.append(
            "CC_MIN_STOPLOSS_DISTANCE_PERCENT must be less than CC_MAX_STOPLOSS_DISTANCE_PERCENT "
            f"({c.CC_MIN_STOPLOSS_DISTANCE_PERCENT} >= {c.CC_MAX_STOPLOSS_DISTANCE_PERCENT})"
        )
    for key in (
        "CC_SCHEDULE_AWAIT_MINUTES",
        "CC_MAX_SIGNAL_LIFETIME_MINUTES",
        "CC_MAX_SIGNAL_GENERATION_SECONDS",
        "CC_AVG_PRICE_CANDLES_COUNT",
        "CC_GET_CANDLES_PRICE_ANOMALY_THRESHOLD_FACTOR",
        "CC_GET_CANDLES_MIN_CANDLES_FOR_MEDIAN",
        "CC_LIVE_MAX_MINUTES_WITHOUT_CANDLES",
    ):
        value = getattr(c, key)
        if not (_is_int(value) and value > 0):
            out.append(f"{key} must be a positive integer, got {value!r}")
    amount = c.CC_BROKER_QUOTE_AMOUNT
    if not (_is_number(amount) and math.isfinite(amount) and amount > 0):
        out.append(f"CC_BROKER_QUOTE_AMOUNT must be a positive number, got {amount!r}")
    for key in (
        "CC_GET_CANDLES_RETRY_COUNT",
        "CC_GET_CANDLES_RETRY_DELAY_MS",
        "CC_BROKER_RETRY_COUNT",
        "CC_BROKER_RETRY_DELAY_MS",
    ):
        value = getattr(c, key)
        if not (_is_int(value) and value >= 0):
            out.append(f"{key} must be a non-negative integer, got {value!r}")
    return out


def set_config(*, unsafe: bool = False, **overrides: Any) -> GlobalConfig:
    """Merge `overrides` into the config; validate unless `unsafe`; nothing changes on failure."""
    unknown = sorted(set(overrides) - set(_FIELDS))
    if unknown:
        raise ValueError(
            f"set_config: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(_FIELDS)}"
        )
    wrong = [
        f"{key} must be a number, got {type(value).__name__} {value!r}"
        for key, value in overrides.items()
        if key not in _TEXT_KEYS and not _is_number(value)
    ]
    note = overrides.get("CC_REPORT_SHOW_SIGNAL_NOTE", False)
    if not isinstance(note, bool):
        wrong.append(f"CC_REPORT_SHOW_SIGNAL_NOTE must be a bool, got {type(note).__name__}")
    profile = overrides.get("CC_LOOKAHEAD_PROFILE", LOOKAHEAD_PROFILES[0])
    if not isinstance(profile, str) or profile not in LOOKAHEAD_PROFILES:
        wrong.append(
            f"CC_LOOKAHEAD_PROFILE must be one of {', '.join(map(repr, LOOKAHEAD_PROFILES))}, "
            f"got {profile!r}"
        )
    if wrong:
        raise ValueError("set_config: " + "; ".join(wrong))
    candidate = dataclasses.replace(_CONFIG.get(), **overrides)
    if not unsafe:
        problems = _problems(candidate)
        if problems:
            lines = "\n".join(f"{i}. {p}" for i, p in enumerate(problems, 1))
            raise ValueError(f"GLOBAL_CONFIG validation failed:\n{lines}")
    _CONFIG.set(candidate)
    return candidate


def get_config() -> GlobalConfig:
    """The current engine's config (read per signal, so without EngineLocal.get's call)."""
    engine = entered_engine.get() or current_engine()
    config: GlobalConfig = engine.locals.get(_CONFIG, _DEFAULT)
    return config


def get_default_config() -> GlobalConfig:
    return _DEFAULT


def reset_config() -> GlobalConfig:
    _CONFIG.set(_DEFAULT)
    return _DEFAULT
