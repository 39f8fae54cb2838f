"""Out-of-fold predictions in the knowledge base: a compact, versioned format.

Scores alone fix which policy can be studied: to replay *any* selection or
ensembling rule over every task without refitting (as TabRepo did for
AutoGluon's portfolios), the KB keeps each fold's test-row probabilities.

Format (``PREDICTIONS_FORMAT``, recorded in the KB's ``info`` table): one
blob per (task, config, repeat, fold, seed), little-endian float16; for a
binary task the positive class's probability per test row, for a
multiclass task a rows x classes matrix in row-major order (classes in
``Task.classes`` order). A regression's blob holds its predicted value per
test row as little-endian float32: float16 keeps three digits and stops at
65,504, too coarse for costs or counts. Rows follow the fold's test indices in
:func:`metamed.evaluation.plan_cv` of the *capped* task (the build's CV
plan and seed), so the labels come from reloading the task, never from the KB.
float16 keeps three significant digits, ample for AUC and calibration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metamed.data.task import Task
from metamed.errors import MetamedError
from metamed.evaluation import plan_cv

PREDICTIONS_FORMAT = "float16-le/1"
_DTYPE = np.dtype("<f2")
_VALUE_DTYPE = np.dtype("<f4")


def encode(proba: np.ndarray, positive: int | None, regression: bool = False) -> bytes:
    """The blob of one fold's test probabilities (rows x classes in, compact bytes out)."""
    kept = proba[:, positive] if positive is not None else proba
    dtype = _VALUE_DTYPE if regression else _DTYPE
    return np.ascontiguousarray(kept, dtype=dtype).tobytes()


def decode(blob: bytes, n_classes: int, positive: int | None,
           regression: bool = False) -> np.ndarray:
    """Rows x classes probabilities (a regression: rows x 1 values) from :func:`encode`'s blob."""
    values = np.frombuffer(blob, dtype=_VALUE_DTYPE if regression else _DTYPE).astype(float)
    if regression:
        return values.reshape(-1, 1)
    if positive is None:
        return values.reshape(-1, n_classes)
    proba = np.empty((len(values), 2))
    proba[:, positive] = values
    proba[:, 1 - positive] = 1.0 - values
    return proba


def oof_predictions(rows: pd.DataFrame, task: Task, n_splits: int, seed: int,
                    repeat: int = 0) -> dict[str, np.ndarray]:
    """Config hash to an out-of-fold (rows x classes) matrix, for configs with every fold stored.

    ``rows`` are a storage's prediction rows for ``task`` (the capped table
    the build fitted); the build's ``n_splits`` and ``seed`` rebuild its folds.
    """
    plan = plan_cv(task, n_splits=n_splits, n_repeats=repeat + 1, seed=seed)
    tests = {s.fold: s.test for s in plan.splits if s.repeat == repeat}
    positive = task.positive_index
    mine = rows[(rows["repeat"] == repeat) & (rows["seed"] == seed)]
    matrices = {}
    for digest, group in mine.groupby("config_hash"):
        if set(group["fold"]) != set(tests):
            continue
        oof = np.empty((task.n_rows, task.n_outputs))
        for fold, blob in zip(group["fold"], group["proba"], strict=True):
            part = decode(blob, len(task.classes), positive, task.is_regression)
            if len(part) != len(tests[fold]):
                raise MetamedError(f"the stored predictions of task '{task.name}' do not match "
                                   "its folds; was the KB built with other --folds or seed?")
            oof[tests[fold]] = part
        matrices[digest] = oof
    return matrices
