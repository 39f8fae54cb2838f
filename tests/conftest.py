"""Shared fixtures: a small real knowledge base, built once per test session."""

import numpy as np
import pandas as pd
import pytest

from metamed.data.validation import make_task
from metamed.knowledge import open_storage
from metamed.knowledge.build import BuildSettings, build
from metamed.space import default_portfolio, named_config


def synthetic_task(name: str, n: int, p: int, signal: float, seed: int, linear: bool = True):
    """A binary task whose class depends linearly (or not) on the first two columns."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"x{i}" for i in range(p)])
    if linear:
        score = frame["x0"] + frame["x1"]
    else:
        score = np.abs(frame["x0"]) - np.abs(frame["x1"])
    frame["ward"] = rng.choice(["a", "b", "c"], n)
    frame["y"] = np.where(signal * score + rng.normal(size=n) > 0, "ill", "well")
    return make_task(frame, "y", name=name)


@pytest.fixture
def run_cli(capsys):
    """Run `metamed ARGS...` in-process; returns (exit code, stdout, stderr)."""
    from metamed.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as done:
            main(list(argv))
            raise SystemExit(0)
        captured = capsys.readouterr()
        return done.value.code, captured.out, captured.err

    return run


@pytest.fixture(scope="session")
def synthetic():
    """The :func:`synthetic_task` factory, for tests that need a fresh task."""
    return synthetic_task


def tiny_task(i: int):
    """The i-th task of the session knowledge base."""
    return synthetic_task(f"task{i}", n=80 + 40 * i, p=3 + i, signal=1 + i % 3, seed=i,
                          linear=i % 2 == 0)


@pytest.fixture(scope="session")
def tiny_kb_task():
    """Loader of the session KB's tasks by id, as the corpus loader is for the real KB."""
    return lambda task_id: tiny_task(int(task_id.removeprefix("task")))


@pytest.fixture(scope="session")
def tiny_kb(tmp_path_factory) -> str:
    """A SQLite KB over 8 synthetic tasks x 5-6 configs (3-fold CV; the portfolio's first
    configs may repeat a named one, stored once)."""
    path = str(tmp_path_factory.mktemp("kb") / "kb.sqlite")
    tasks = [tiny_task(i) for i in range(8)]
    configs = [named_config("logreg"), named_config("rf"), *default_portfolio()[:4]]
    build(open_storage(path), tasks, configs, BuildSettings(n_splits=3))
    return path
