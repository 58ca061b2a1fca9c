"""The shape of the code (README "Architecture"): rooms, one-way dependencies, no import circle.

Every .py under bus/, actors/ and adapters/ is parsed with ast and each import is resolved to
the module file it loads (relative imports by path, `backtestkit.*` through pyproject's
package-dir). Every import counts as an edge, wherever it is written: at module level, inside
a function (lazy) and under `if TYPE_CHECKING:`; a reader follows all of them. Importing
`a.b.c` from outside package `a.b` also runs `a/__init__.py` and `a/b/__init__.py`, so those
are edges too (re-exporting package __init__ files are where runtime circles hide).
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGE_DIRS: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]

Graph = dict[str, set[str]]


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the three mapped folders."""
    modules: dict[str, Path] = {}
    for package, folder in PACKAGE_DIRS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join((package, *parts))] = path
    return modules


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _targets(importer: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The modules of ours that `node` loads (only the most specific one per imported name)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name in MODULES:
                yield alias.name
        return
    if node.level:
        base = importer.split(".")
        if not _is_package(importer):
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, node.module] if node.module else base)
    else:
        source = node.module or ""
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        if submodule in MODULES:
            yield submodule
        elif source in MODULES:
            yield source


def _imports(name: str) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import statement of module `name`, lazy ones included."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"), filename=str(MODULES[name]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for target in _targets(name, node):
                yield target, node.lineno


def _graph() -> Graph:
    graph: Graph = {name: set() for name in MODULES}
    for name in MODULES:
        own = {*_ancestors(name), name}
        for target, _line in _imports(name):
            if target == name:
                continue
            graph[name].add(target)
            # importing a.b.c from outside a.b runs the __init__ of a and a.b first
            graph[name].update(a for a in _ancestors(target) if a in MODULES and a not in own)
    return graph


GRAPH = _graph()


def _cycles(graph: Graph) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(graph, members) for members in components]


def _path_through(graph: Graph, members: list[str]) -> list[str]:
    """A concrete circle start -> ... -> start inside one component (breadth-first)."""
    start, inside = members[0], set(members)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & inside):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no circle found through {members}")


def _edges_into(source_prefix: str, target_prefix: str) -> list[str]:
    found = []
    for name in MODULES:
        if not (name == source_prefix or name.startswith(source_prefix + ".")):
            continue
        for target, line in _imports(name):
            if target == target_prefix or target.startswith(target_prefix + "."):
                found.append(f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}")
    return found


def test_the_graph_sees_the_engine() -> None:
    # guards the resolver itself: a graph without arrows would pass every other test
    assert len(MODULES) > 100
    assert sum(len(targets) for targets in GRAPH.values()) > 300
    assert "backtestkit.actors.market.candles" in GRAPH["backtestkit.actors.exchange.exchange"]
    assert "backtestkit.actors.core" in GRAPH["backtestkit.actors.reports.live_columns"]


def test_no_import_circle() -> None:
    cycles = _cycles(GRAPH)
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_circle_between_rooms() -> None:
    """The rooms of actors/ (its subpackages) import one way too, not only their modules."""

    def room(name: str) -> str:
        parts = name.split(".")
        return ".".join(parts[:3]) if parts[1] == "actors" else ".".join(parts[:2])

    rooms: Graph = {}
    for name, targets in GRAPH.items():
        rooms.setdefault(room(name), set()).update(
            room(target) for target in targets if room(target) != room(name)
        )
    cycles = _cycles(rooms)
    assert not cycles, "room circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


# The rooms of actors/, ground floor first: a room imports only rooms listed before it (and bus).
ROOM_ORDER = [
    "market",  # candles, candle sources, intervals, VWAP
    "core",  # the engine's plumbing: engines, config, context, schemas, registry, risk, sizing
    "exchange",  # candle windows under the temporal guard, VWAP, strategy helpers
    "signal",  # the signal state machine: asks the exchange only through its own ports
    "reports",
    "broker",
    "backtest",
    "walker",
    "workers",
    "live",
    "testing",
    "analysis",
    "portfolio",
]


def _room(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if parts[1] == "actors" and len(parts) > 2 else None


def test_every_room_has_a_floor() -> None:
    rooms = {room for name in MODULES if (room := _room(name)) is not None}
    assert sorted(rooms) == sorted(ROOM_ORDER)


def test_rooms_import_only_rooms_below_them() -> None:
    wrong = []
    for name in MODULES:
        room = _room(name)
        if room is None:
            continue
        for target, line in _imports(name):
            other = _room(target)
            if other is not None and ROOM_ORDER.index(other) > ROOM_ORDER.index(room):
                wrong.append(f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}")
    assert wrong == []


@pytest.mark.parametrize(
    ("source", "target"),
    [
        # the machine asks the exchange through signal/ports.py; nothing of core knows either
        ("backtestkit.actors.signal", "backtestkit.actors.exchange"),
        ("backtestkit.actors.core", "backtestkit.actors.exchange"),
        ("backtestkit.actors.core", "backtestkit.actors.signal"),
    ],
)
def test_the_signal_machine_and_core_never_import_the_exchange(source: str, target: str) -> None:
    assert _edges_into(source, target) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]


@pytest.mark.parametrize("source", ["backtestkit.bus", "backtestkit.actors"])
def test_bus_and_actors_never_import_adapters(source: str) -> None:
    assert _edges_into(source, "backtestkit.adapters") == []


def test_bus_never_imports_actors() -> None:
    assert _edges_into("backtestkit.bus", "backtestkit.actors") == []


@pytest.mark.parametrize("folder", ["bus", "actors"])
def test_no_string_names_adapters(folder: str) -> None:
    """No importlib string (or any other literal) leads from the engine to the adapters."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            literal = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if literal and "backtestkit.adapters" in node.value:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_imports_inside_each_folder_are_relative() -> None:
    found = []
    for name, path in MODULES.items():
        own = ".".join(name.split(".")[:2])  # backtestkit.bus / .actors / .adapters
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and not node.level:
                module = node.module or ""
            elif isinstance(node, ast.Import):
                module = node.names[0].name
            else:
                continue
            if module == own or module.startswith(own + "."):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {module}")
    assert found == []


def test_actors_top_level_holds_only_init_and_rooms() -> None:
    actors = ROOT / PACKAGE_DIRS["backtestkit.actors"]
    loose = [
        entry.name
        for entry in actors.iterdir()
        if entry.name not in ("__init__.py", "py.typed", "__pycache__")
        and not (entry.is_dir() and (entry / "__init__.py").is_file())
    ]
    assert loose == []


def test_every_package_is_installed() -> None:
    """pyproject's explicit `packages` list names every package folder (else a wheel lacks it)."""
    packages = {name for name in MODULES if _is_package(name)}
    assert packages == set(PYPROJECT["tool"]["setuptools"]["packages"])


# API.md's contract for `backtestkit.actors`, plus the result and statistics types it names
API_NAMES = [
    "add_exchange",
    "add_strategy",
    "add_frame",
    "add_walker",
    "add_risk",
    "add_sizing",
    "set_config",
    "get_config",
    "reset_config",
    "Backtest",
    "Live",
    "Walker",
    "get_candles",
    "get_average_price",
    "format_price",
    "format_quantity",
    "get_date",
    "get_mode",
    "Signal",
    "VirtualClock",
    "RiskValidation",
    "RiskCheck",
    "Idle",
    "Scheduled",
    "Opened",
    "Active",
    "Closed",
    "Cancelled",
    "SignalRow",
    "Pnl",
    "BacktestStatistics",
    "WalkerProgress",
    "InstanceStatus",
]


def test_the_public_face_is_small_and_keeps_the_api_contract() -> None:
    import backtestkit.actors as face

    assert len(face.__all__) <= 50
    assert sorted(set(API_NAMES) - set(face.__all__)) == []
    assert sorted(set(dir(face)) & {"SignalStateMachine", "ExchangeActor", "registry"}) == []
