"""`to_dict()` for the frozen event dataclasses: JSON-ready plain values, field names kept."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["Serializable", "plain"]


def plain(value: Any) -> Any:
    """Convert a dataclass / container tree into dicts, lists and scalars (dataclass fields
    with `metadata={"plain": False}` are left out)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.metadata.get("plain", True)
        }
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, BaseException):
        return {"type": type(value).__name__, "message": str(value)}
    return value


class Serializable:
    """Mixin giving frozen dataclasses a `to_dict()`."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = plain(self)
        return result
