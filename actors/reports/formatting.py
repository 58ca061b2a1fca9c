"""JS-semantics number and time formatting for the Markdown reports (SPEC 10.1).

The reference engine formats with JavaScript's `Number.prototype.toFixed`, `Math.round` and
`Date.prototype.toISOString`; these helpers reproduce them exactly:

* `to_fixed` rounds the *exact binary value* of the double, ties away from zero, and prints a
  negative number as `-` plus the magnitude (so `-0.001` gives `-0.00`, `-0.0` gives `0.00`).
  Python's `format(x, ".2f")` rounds exact ties to even, hence `Decimal.quantize(ROUND_HALF_UP)`.
* `js_round` is `Math.round` (ties toward +infinity), not Python's banker's `round`.
* `iso_ms` is `toISOString`: `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC (extended `±YYYYYY` years outside
  0..9999, as JS does).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal

__all__ = [
    "iso_ms",
    "js_number_string",
    "js_round",
    "price_usd",
    "signed",
    "to_fixed",
]

# Enough precision for any double quantized to at most 100 decimals (JS toFixed's limit):
# at most 309 integer digits + 100 fraction digits.
_CTX = Context(prec=1200)


def js_number_string(x: float) -> str:
    """`String(x)` for the values `toFixed` hands to it (non-finite or |x| >= 1e21)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    text = repr(float(x))
    if "e" in text:
        mantissa, exponent = text.split("e")
        if mantissa.endswith(".0"):
            mantissa = mantissa[:-2]
        exp = int(exponent)
        if -7 < exp < 21:  # JS prints these in plain notation
            return format(Decimal(text), "f")
        return f"{mantissa}e{'+' if exp > 0 else '-'}{abs(exp)}"
    if text.endswith(".0"):
        text = text[:-2]
    return text


def to_fixed(x: float, digits: int) -> str:
    """JS `x.toFixed(digits)`: exact binary value, ties away from zero, `-` + magnitude."""
    if not 0 <= digits <= 100:
        raise ValueError(f"to_fixed: digits must be in 0..100, got {digits}")
    x = float(x)
    if not math.isfinite(x):
        return js_number_string(x)
    if abs(x) >= 1e21:
        return js_number_string(x)
    negative = x < 0  # -0.0 is not < 0: JS prints it without a sign
    magnitude = Decimal(abs(x))
    quantum = Decimal(1).scaleb(-digits)
    rounded = magnitude.quantize(quantum, rounding=ROUND_HALF_UP, context=_CTX)
    text = format(rounded, "f")
    return "-" + text if negative else text


def js_round(x: float) -> int:
    """JS `Math.round`: the nearest integer, ties toward +infinity (`floor(x + 0.5)`).

    Computed as `floor(x)` plus one when the (exact) fractional part is >= 0.5, which is what
    `Math.round` specifies; it differs from a literal `floor(x + 0.5)` only where `x + 0.5`
    itself rounds (e.g. 0.49999999999999994).
    """
    base = math.floor(x)
    return base + 1 if x - base >= 0.5 else base


def signed(x: float, digits: int) -> str:
    """`toFixed(digits)` with a `+` prefix only when `x > 0` (zero and negatives get none)."""
    return ("+" if x > 0 else "") + to_fixed(x, digits)


def price_usd(x: float) -> str:
    """A report price: `toFixed(8) + " USD"`."""
    return to_fixed(x, 8) + " USD"


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """Proleptic Gregorian (year, month, day) for days since 1970-01-01 (any sign)."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def iso_ms(ts_ms: int) -> str:
    """JS `new Date(ts_ms).toISOString()`: `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC."""
    if isinstance(ts_ms, float):
        if not math.isfinite(ts_ms):
            raise ValueError(f"iso_ms: invalid time value {ts_ms!r}")
        ts_ms = math.trunc(ts_ms)  # JS TimeClip truncates toward zero
    ts = int(ts_ms)
    if abs(ts) > 8_640_000_000_000_000:
        raise ValueError(f"iso_ms: invalid time value {ts_ms!r}")
    days, ms_of_day = divmod(ts, 86_400_000)
    year, month, day = _civil_from_days(days)
    seconds, ms = divmod(ms_of_day, 1000)
    minutes, sec = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    if 0 <= year <= 9999:
        year_text = f"{year:04d}"
    else:
        year_text = ("-" if year < 0 else "+") + f"{abs(year):06d}"
    return f"{year_text}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{sec:02d}.{ms:03d}Z"


# ---------------------------------------------------------------------------------------------
# toPlainString: the reference's Markdown-to-plain-text conversion used for signal notes.
# JS regex semantics are emulated where they differ from Python's: `.` also excludes \r and the
# Unicode line/paragraph separators, `^`/`$` (multiline) treat those as line ends too, and `\s`
# is the ECMAScript whitespace set.
