"""Every package's `__all__` (bus, actors, adapters), in the style of anyio's
`test_all_attributes`: each listed name exists, is defined in the package's own folder and is
the object defined there, is listed once, and `from package import *` gives exactly the list.
Each public name has one home: no two packages list the same name, except the public face
`backtestkit.actors`, whose names each come from the one room that is their home."""

from __future__ import annotations

import ast
import functools
import importlib
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGE_DIRS: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]
PACKAGES: list[str] = sorted(PYPROJECT["tool"]["setuptools"]["packages"])
FACE = "backtestkit.actors"


def _folder(package: str) -> Path:
    top = ".".join(package.split(".")[:2])
    return ROOT / PACKAGE_DIRS[top] / Path(*package.split(".")[2:])


def _module_name(path: Path) -> str:
    for top, folder in PACKAGE_DIRS.items():
        base = ROOT / folder
        if path.is_relative_to(base):
            parts = path.relative_to(base).with_suffix("").parts
            return ".".join((top, *(parts[:-1] if parts[-1] == "__init__" else parts)))
    raise AssertionError(f"{path} is outside the mapped folders")


def _top_level_names(tree: ast.Module) -> Iterator[str]:
    """Names a module defines itself: def, class, assignments (in top-level if/try too)."""
    body = list(tree.body)
    while body:
        node = body.pop(0)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                yield from (n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            yield node.target.id
        elif isinstance(node, ast.If | ast.Try):
            body.extend([*node.body, *node.orelse])


@functools.cache
def _defined_in(path: Path) -> frozenset[str]:
    return frozenset(_top_level_names(ast.parse(path.read_text(encoding="utf-8"))))


def _definers(package: str, name: str) -> list[str]:
    """The modules under `package`'s folder (subpackages too) that define `name` themselves."""
    return [
        _module_name(path)
        for path in sorted(_folder(package).rglob("*.py"))
        if name in _defined_in(path)
    ]


def _listed_twice(exports: Mapping[str, Iterable[str]], face: str) -> dict[str, list[str]]:
    """Names listed by more than one package, the public face left out."""
    homes: dict[str, list[str]] = {}
    for package, names in exports.items():
        if package != face:
            for name in names:
                homes.setdefault(name, []).append(package)
    return {name: packages for name, packages in homes.items() if len(packages) > 1}


_SEARCHED = {FACE: [FACE, "backtestkit.bus"]}


def _load(package: str) -> ModuleType:
    return importlib.import_module(package)


def test_every_package_is_checked() -> None:
    assert len(PACKAGES) >= 20
    assert {"backtestkit.bus", FACE, "backtestkit.adapters.candles"} <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_all_attributes(package: str) -> None:
    module = _load(package)
    listed = module.__all__
    assert isinstance(listed, list | tuple)
    assert sorted(n for n in set(listed) if listed.count(n) > 1) == [], "listed twice"
    for name in listed:
        assert hasattr(module, name), f"{package}.__all__ lists {name!r}, which it lacks"
        # the face re-exports its rooms' names and the result types of the bus
        definers = [d for p in _SEARCHED.get(package, [package]) for d in _definers(p, name)]
        assert definers, f"{package}.{name} is not defined under {_folder(package)}"
        value = getattr(module, name)
        same = [d for d in definers if getattr(importlib.import_module(d), name, None) is value]
        assert same, f"{package}.{name} is not the {name} of {definers}"


@pytest.mark.parametrize("package", PACKAGES)
def test_star_import_gives_exactly_the_list(package: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)
    assert sorted(set(namespace) - {"__builtins__"}) == sorted(_load(package).__all__)


def test_each_public_name_has_one_home() -> None:
    """A face name is a room's (or the bus's) name re-exported, or, listed by no room, has the
    face itself as its home (Signal, the strategy helpers): it is then defined in a room."""
    exports = {package: list(_load(package).__all__) for package in PACKAGES}
    assert _listed_twice(exports, FACE) == {}
    face = _load(FACE)
    homes = {name: package for package, names in exports.items() if package != FACE
             for name in names}  # fmt: skip
    for name in face.__all__:
        home = homes.get(name)
        if home is None:
            rooms = [d for d in _definers(FACE, name) if d.count(".") >= 3]
            assert rooms, f"{name}: listed by no room and defined in none"
            continue
        assert getattr(face, name) is getattr(_load(home), name), name
        assert home == "backtestkit.bus" or home.startswith(FACE + "."), f"{name}: home {home}"


def test_bus_holds_topics_and_events_only() -> None:
    import backtestkit.bus as bus

    moved = {"BacktestStatistics", "TradeLedger", "LedgerRecorder", "run_blocking"}
    assert sorted(moved & set(bus.__all__)) == []
    assert not (_folder("backtestkit.bus") / "tabular.py").exists()


def test_the_checks_see_a_name_listed_twice() -> None:
    # guards the checker: the face may repeat a room's name, two rooms may not
    exports = {FACE: ["Candles"], "a.market": ["Candles", "vwap"], "a.candles": ["Candles"]}
    assert _listed_twice(exports, FACE) == {"Candles": ["a.market", "a.candles"]}
    assert _listed_twice({FACE: ["X"], "a.room": ["X"]}, FACE) == {}
    tree = ast.parse("A = 1\nB: int = 2\nif x:\n    def c(): ...\nelse:\n    class D: ...\n")
    assert sorted(_top_level_names(tree)) == ["A", "B", "D", "c"]
