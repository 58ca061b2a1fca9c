"""`mypy --strict` on user-style strategies: get_candles / get_average_price type-check without
ignores in sync and async strategies, and wrong uses are reported (issue 30, item 5)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "typing"


def _mypy(tmp_path: Path, *files: Path) -> tuple[str, int]:
    """Run mypy --strict as `make lint` does: the package through a symlink tree."""
    package = tmp_path / "typecheck" / "backtestkit"
    package.mkdir(parents=True)
    for name in ("bus", "actors", "adapters"):
        (package / name).symlink_to(ROOT / name, target_is_directory=True)
    os.environ["MYPYPATH"] = str(tmp_path / "typecheck")
    try:
        out, err, status = mypy_api.run(
            ["--strict", "--cache-dir", str(ROOT / ".mypy_cache" / "tests"), "--no-color-output"]
            + [str(f) for f in files]
        )
    finally:
        del os.environ["MYPYPATH"]
    return out + err, status


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    out, _ = _mypy(
        tmp_path_factory.mktemp("mypy"), HERE / "user_strategies.py", HERE / "user_mistakes.py"
    )
    return out


@pytest.mark.slow
def test_user_strategies_type_check_clean_in_sync_and_async(report: str) -> None:
    assert "user_strategies.py" not in report, report


@pytest.mark.slow
def test_each_wrong_use_is_reported_on_its_line(report: str) -> None:
    lines = (HERE / "user_mistakes.py").read_text().splitlines()
    expected = {
        (number, code)
        for number, line in enumerate(lines, start=1)
        for code in re.findall(r"# MISTAKE ([\w-]+)", line)
    }
    found = {
        (int(m[1]), m[2])
        for m in re.finditer(r"user_mistakes\.py:(\d+): error: .*\[([\w-]+)\]", report)
    }
    assert len(expected) == 5
    assert expected <= found, report
    assert {number for number, _ in found} == {number for number, _ in expected}, report
