"""An optuna search shared through a journal storage: two processes finish one 40-trial search
with 40 distinct trials; a stopped search resumes without re-running finished trials."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")
HERE = Path(__file__).parent
WORKER = HERE / "search_worker.py"


def _start(journal: Path, trials: int, seed: int, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(journal), str(trials), str(seed), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _go(journal: Path, *processes: subprocess.Popen[str]) -> None:
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
    Path(f"{journal}.go").touch()


def _ran(process: subprocess.Popen[str]) -> list[str]:
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err
    return out.split()


def _study(journal: Path) -> optuna.Study:
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal))
    )
    return optuna.load_study(study_name="shared", storage=storage)


@pytest.mark.slow
def test_two_processes_finish_one_forty_trial_search(tmp_path: Path) -> None:
    journal = tmp_path / "search.journal"
    first, second = _start(journal, 40, 1, "together"), _start(journal, 40, 2, "together")
    _go(journal, first, second)
    ran = _ran(first) + _ran(second)
    study = _study(journal)
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(complete) == 40
    assert sorted(t.number for t in complete) == list(range(40))  # no surplus trial either
    assert len(study.trials) == 40
    # 40 distinct configurations (continuous take), each run by exactly one process.
    strategies = [t.user_attrs["strategy"] for t in complete]
    assert len(set(strategies)) == 40
    assert sorted(ran) == sorted(strategies)
    assert {t.user_attrs["pid"] for t in complete} == {first.pid, second.pid}


def test_a_stopped_search_resumes_without_rerunning_finished_trials(tmp_path: Path) -> None:
    journal = tmp_path / "search.journal"
    Path(f"{journal}.go").touch()
    first = _ran(_start(journal, 6, 1))[1:]
    assert len(first) == 6
    # A process killed mid-batch: its asked trial stays RUNNING, owned by a dead process.
    asker = _start(journal, 0, 0, "ask")
    asker.communicate(timeout=120)
    assert asker.returncode == 0
    study = _study(journal)
    assert [t.state.name for t in study.trials].count("RUNNING") == 1
    # The same seed proposes the same configurations again: the four new trials are told the
    # values stored with the finished ones and nothing runs.
    assert _ran(_start(journal, 10, 1))[1:] == []
    study = _study(journal)
    states = [t.state.name for t in study.trials]
    assert states.count("COMPLETE") == 10
    assert states[6] == "FAIL" and states.count("FAIL") == 1  # the dead process's trial
    assert "RUNNING" not in states
    by_strategy = {t.user_attrs["strategy"]: t.value for t in study.trials[:6]}
    for trial in study.trials[7:]:
        assert trial.value == by_strategy[trial.user_attrs["strategy"]]
    # Another seed: two new trials, two new configurations run.
    third = _ran(_start(journal, 12, 5))[1:]
    assert len(third) == 2 and not set(third) & set(first)
    assert len(_study(journal).get_trials(states=(optuna.trial.TrialState.COMPLETE,))) == 12
