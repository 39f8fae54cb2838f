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
65,504, too coarse for costs or counts. A survival task's blob (format 2)
holds, per test row, the risk score then S(t) at each of the task's
horizons (``Task.horizons``, fixed by the whole task), float16 rows x
(1 + horizons): survival probabilities need no more digits than class
probabilities, and a risk score is read by rank, where float16's three
digits tie at most neighbours closer than 0.1%. Rows follow the fold's test indices in
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

#: Version 2 added survival blobs; classification and regression blobs are as in version 1.
PREDICTIONS_FORMAT = "float16-le/2"
#: Formats this module decodes: version 1's blobs are version 2's without survival.
READABLE_FORMATS = ("float16-le/1", PREDICTIONS_FORMAT)
_DTYPE = np.dtype("<f2")
_VALUE_DTYPE = np.dtype("<f4")


def encode(predictions: np.ndarray, task: Task) -> bytes:
    """The blob of one fold's test-row predictions (rows x outputs in, compact bytes out)."""
    if task.is_regression:
        return np.ascontiguousarray(predictions, dtype=_VALUE_DTYPE).tobytes()
    positive = task.positive_index
    kept = predictions[:, positive] if positive is not None else predictions
    return np.ascontiguousarray(kept, dtype=_DTYPE).tobytes()


def decode(blob: bytes, task: Task) -> np.ndarray:
    """Rows x outputs predictions (:attr:`Task.n_outputs` columns) from :func:`encode`'s blob."""
    values = np.frombuffer(blob, dtype=_VALUE_DTYPE if task.is_regression else _DTYPE)
    values = values.astype(float)
    positive = task.positive_index
    if positive is None:
        return values.reshape(-1, task.n_outputs)
    proba = np.empty((len(values), 2))
    proba[:, positive] = values
    proba[:, 1 - positive] = 1.0 - values
    return proba


def oof_predictions(rows: pd.DataFrame, task: Task, n_splits: int, seed: int,
                    repeat: int = 0) -> dict[str, np.ndarray]:
    """Config hash to an out-of-fold (rows x outputs) matrix, for configs with every fold stored.

    ``rows`` are a storage's prediction rows for ``task`` (the capped table
    the build fitted); the build's ``n_splits`` and ``seed`` rebuild its folds.
    """
    plan = plan_cv(task, n_splits=n_splits, n_repeats=repeat + 1, seed=seed)
    tests = {s.fold: s.test for s in plan.splits if s.repeat == repeat}
    mine = rows[(rows["repeat"] == repeat) & (rows["seed"] == seed)]
    matrices = {}
    for digest, group in mine.groupby("config_hash"):
        if set(group["fold"]) != set(tests):
            continue
        oof = np.empty((task.n_rows, task.n_outputs))
        for fold, blob in zip(group["fold"], group["proba"], strict=True):
            part = decode(blob, task)
            if len(part) != len(tests[fold]):
                raise MetamedError(f"the stored predictions of task '{task.name}' do not match "
                                   "its folds; was the KB built with other --folds or seed?")
            oof[tests[fold]] = part
        matrices[digest] = oof
    return matrices
