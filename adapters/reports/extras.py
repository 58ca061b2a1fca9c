"""Whether an optional extra's package (matplotlib, plotly) can be imported."""

from __future__ import annotations

import importlib

__all__ = ["installed"]


def installed(module: str) -> bool:
    """True when `module` imports; False when it is missing (or blocked in `sys.modules`)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
