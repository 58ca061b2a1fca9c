"""Running the user's SCRIPT.py, which registers schemas.

The script is imported as the module named after its file (its folder first on sys.path, as
`python SCRIPT.py` would have it), so its functions are importable by reference and a walker
can send them to worker processes (`--workers` / `--dask`). When that name is already taken by
another module the script runs under runpy instead. `if __name__ == "__main__":` blocks do not
run either way.
"""

from __future__ import annotations

import importlib.util
import runpy
import sys
from pathlib import Path
from typing import Any

from .errors import plain_message, script_location
from .parser import UsageError

__all__ = ["load_script"]


def _import(path: Path) -> dict[str, Any]:
    name = path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load script: {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return vars(module)


def load_script(script: str) -> dict[str, Any]:
    """Run the script; any exception it raises becomes a UsageError naming file and line."""
    path = Path(script)
    if not path.is_file():
        raise UsageError(f"script not found: {script}")
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        if path.stem.isidentifier() and path.stem not in sys.modules:
            return _import(path)
        return runpy.run_path(str(path), run_name="__backtestkit_script__")
    except SyntaxError as exc:
        where = script_location(exc, path, script)
        raise UsageError(f"{where}: SyntaxError: {exc.msg}") from None
    except Exception as exc:
        where = script_location(exc, path, script)
        raise UsageError(f"{where}: {plain_message(exc)}") from None
