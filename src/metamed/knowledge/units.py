"""One unit of knowledge-base work: a config on a task, every fold of its CV plan.

Units are plain functions of picklable arguments so that any executor —
a local process pool or a Dask cluster — can run them. A unit never
raises: a crash or a timeout becomes an ``EvaluationRecord`` with its
reason, so one bad pipeline cannot stop a build of thousands.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from metamed.data.task import Task
from metamed.errors import one_line
from metamed.evaluation import fit_predict_split, plan_cv
from metamed.evaluation.scoring import Scorer
from metamed.knowledge.predictions import encode
from metamed.knowledge.storage import EvaluationRecord
from metamed.space import config_hash, pipeline_for_task

#: The build never fits on more than this many rows / columns (see cap_task).
MAX_ROWS = 2000
MAX_FEATURES = 500


#: Turns a task's name into the task; a module-level function, so workers can unpickle it.
Loader = Callable[[str], Task]


@dataclass(frozen=True)
class Unit:
    """What a worker needs: the task (or its name and a loader), a config, the CV protocol.

    A name travels instead of a table so that a worker loads each task
    once, from its own files, rather than receiving it with every unit.
    """

    task: Task | str
    config: dict
    n_splits: int
    n_repeats: int
    seed: int
    timeout: float
    skip: frozenset[tuple[int, int]] = frozenset()
    load: Loader | None = None


def cap_task(
    task: Task, max_rows: int = MAX_ROWS, max_features: int = MAX_FEATURES, seed: int = 0
) -> Task:
    """A stratified row subsample and a random column subset of a task too big to build on.

    A regression is stratified on its outcome's deciles.

    Columns are chosen at random, not by relevance: choosing them with the
    labels before cross-validation would leak and inflate every score.
    """
    rng = np.random.default_rng(seed)
    notes = []
    rows = np.arange(task.n_rows)
    if task.n_rows > max_rows:
        codes = task.strata()
        rows = np.sort(
            np.concatenate(
                [
                    rng.choice(
                        members, max(2, round(max_rows * len(members) / task.n_rows)), replace=False
                    )
                    for members in (np.flatnonzero(codes == k) for k in np.unique(codes))
                ]
            )
        )
        notes.append(f"rows subsampled {task.n_rows} -> {len(rows)} (stratified, seed {seed})")
    columns = list(task.X.columns)
    if len(columns) > max_features:
        columns = [columns[i] for i in np.sort(rng.choice(len(columns), max_features, False))]
        notes.append(
            f"columns subsampled {task.n_features} -> {max_features} (random, seed {seed})"
        )
    if not notes:
        return task
    return task.subset(rows, columns, note="; ".join(notes))


@lru_cache(maxsize=4)
def prepared_task(load: Loader, name: str) -> Task:
    """A named task, capped for the build; cached so a worker loads each task once."""
    return cap_task(load(name))


def run_unit(unit: Unit) -> list[EvaluationRecord]:
    """Evaluate one config on every not-yet-stored fold of one task, keeping its predictions."""
    task = prepared_task(unit.load, unit.task) if isinstance(unit.task, str) else unit.task
    plan = plan_cv(task, n_splits=unit.n_splits, n_repeats=unit.n_repeats, seed=unit.seed)
    digest = config_hash(unit.config)
    records = []
    for split in plan.splits:
        if (split.repeat, split.fold) in unit.skip:
            continue
        base = dict(
            task_id=task.name,
            config_hash=digest,
            repeat=split.repeat,
            fold=split.fold,
            seed=unit.seed,
        )
        outcome, error = _call_with_timeout(
            _fit_and_score, unit.timeout, unit.config, task, split
        )
        if error:
            status = "timeout" if error.startswith("timed out") else "failed"
            records.append(EvaluationRecord(**base, status=status, error=error))
        else:
            metrics, fit_s, predict_s, proba = outcome
            records.append(
                EvaluationRecord(
                    **base,
                    status="ok",
                    metrics=metrics,
                    fit_seconds=fit_s,
                    predict_seconds=predict_s,
                    proba=encode(proba, task),
                )
            )
    return records


def _fit_and_score(config, task, split):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = pipeline_for_task(config, task)
        fold = fit_predict_split(estimator, task, split)
        metrics = Scorer.for_task(task)(task.target_values[split.test], fold.predictions)
    return metrics, fold.fit_seconds, fold.predict_seconds, fold.predictions


def _call_with_timeout(function, seconds: float, *args):
    """Run ``function`` in a thread; give up on it after ``seconds``.

    A thread cannot be killed, so a timed-out fit keeps running in the
    background until it ends; the caps on rows and columns bound how long
    that is. This works in any worker (Dask runs tasks off the main thread,
    where signal-based alarms are not allowed).
    """
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = function(*args)
        except BaseException as error:  # recorded, never raised: one unit must not stop a build
            box["error"] = one_line(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        return None, f"timed out after {seconds:g} s"
    return box.get("value"), box.get("error", "")
