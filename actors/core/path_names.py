"""A user's name (strategy, walker, symbol) as one file name that cannot leave its folder."""

from __future__ import annotations

__all__ = ["file_name"]

_ESCAPES = {"/": "%2F", "\\": "%5C", "\x00": "%00"}


def file_name(name: str) -> str:
    """`name` with path separators and NUL percent-encoded and a leading dot as `%2E`:
    "../../x" -> "%2E.%2F..%2Fx", "/etc/x" -> "%2Fetc%2Fx"; ordinary names are unchanged."""
    encoded = "".join(_ESCAPES.get(char, char) for char in name)
    return "%2E" + encoded[1:] if encoded.startswith(".") else encoded
