"""Checks shared by the add_* functions: each failure names the schema kind and name."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

__all__ = ["as_callbacks", "check_choice", "check_name", "check_positive", "epoch_ms", "problem"]

C = TypeVar("C")


def problem(kind: str, name: object, text: str) -> ValueError:
    return ValueError(f"{kind} {name!r}: {text}")


def check_name(kind: str, name: object) -> str:
    if not isinstance(name, str) or not name:
        raise problem(kind, name, "name must be a non-empty string")
    return name


def check_choice(kind: str, name: str, field: str, value: object, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise problem(kind, name, f"unknown {field} {value!r}; allowed: {', '.join(allowed)}")


def as_callbacks(cls: type[C], value: Any, kind: str, name: str) -> C | None:
    if value is None or isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise problem(kind, name, f"callbacks must be {cls.__name__} or a dict")
    allowed = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise problem(
            kind, name, f"unknown callback(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )
    for key, fn in value.items():
        if fn is not None and not callable(fn):
            raise problem(kind, name, f"callback {key} must be callable")
    return cls(**value)


def epoch_ms(kind: str, name: str, field: str, value: Any) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise problem(
                kind,
                name,
                f"{field} must be timezone-aware (e.g. datetime(..., tzinfo=timezone.utc)), "
                f"got naive {value.isoformat()}",
            )
        return round(value.timestamp() * 1000)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise problem(kind, name, f"{field} must be a datetime or epoch milliseconds, got {value!r}")


def check_positive(
    kind: str, name: str, field: str, value: Any, *, allow_zero: bool = False
) -> None:
    if value is None:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise problem(kind, name, f"{field} must be a finite number {bound}, got {value!r}")
