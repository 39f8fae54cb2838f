"""Out-of-fold predictions and the evaluation of one pipeline on one task.

Two layers: :func:`fit_predict_split` fits a fresh clone on one split and
returns test probabilities (the knowledge-base build calls it fold by fold
and records failures); :func:`evaluate` runs a whole CV plan and adds
metrics with confidence intervals for a person to read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from metamed.data.task import Task
from metamed.errors import MetamedError, one_line
from metamed.evaluation.cv import CVPlan, Split, plan_cv
from metamed.evaluation.intervals import Interval, bootstrap_intervals, resampled_units, resamples
from metamed.evaluation.scoring import Scorer


@dataclass(frozen=True)
class FoldResult:
    """Test-set probabilities (or predicted values) of one split and how long it took."""

    split: Split
    predictions: np.ndarray
    fit_seconds: float
    predict_seconds: float


@dataclass
class Evaluation:
    """Cross-validated performance of one pipeline on one task.

    Attributes
    ----------
    metrics : dict of str to Interval
        Each metric's estimate (mean over repeats) and 95% bootstrap interval.
    oof_predictions : array of shape (R, n, K)
        Out-of-fold probabilities per repeat; columns follow ``classes``
        (one column of predicted values for a regression).
    classes : list
        Empty for a regression.
    positive_class : object or None
    n_splits, n_repeats : int
    fit_seconds : float
        Total fitting time over all folds.
    notes : list of str
    task_type : {"classification", "regression"}
    """

    metrics: dict[str, Interval]
    oof_predictions: np.ndarray
    classes: list
    positive_class: object | None
    n_splits: int
    n_repeats: int
    fit_seconds: float
    notes: list[str] = field(default_factory=list)
    task_type: str = field(kw_only=True)

    def to_dict(self) -> dict:
        """A JSON-able summary (no per-patient predictions)."""
        scorer = Scorer(self.task_type)
        return {
            "task_type": self.task_type,
            "metrics": {
                name: {"estimate": i.estimate, "ci_low": i.low, "ci_high": i.high,
                       "higher_is_better": scorer.higher_is_better(name)}
                for name, i in self.metrics.items()
            },
            "classes": [str(c) for c in self.classes],
            "positive_class": None if self.positive_class is None else str(self.positive_class),
            "cv": {"n_splits": self.n_splits, "n_repeats": self.n_repeats},
            "fit_seconds": self.fit_seconds,
            "notes": self.notes,
        }


def fit_predict_split(estimator: BaseEstimator, task: Task, split: Split) -> FoldResult:
    """Fit a clone on the training rows; probabilities for every class on the test rows.

    Other task types predict what their record's ``predict`` part gives (a
    regression: one column of values; survival: risk, then survival at the
    horizons).
    Labels are re-coded to ``0..k-1`` over the classes present in this
    training fold (some libraries, XGBoost among them, insist on that), and
    a class absent from training gets probability 0.
    """
    if not task.kind.has_classes:
        return _fit_predict_values(estimator, task, split)
    codes = task.codes
    present, local = np.unique(codes[split.train], return_inverse=True)
    model = clone(estimator)
    start = time.perf_counter()
    model.fit(task.X.iloc[split.train], local)
    fitted = time.perf_counter()
    local_proba = model.predict_proba(task.X.iloc[split.test])
    predicted = time.perf_counter()
    proba = np.zeros((len(split.test), len(task.classes)))
    proba[:, present[np.asarray(model.classes_, dtype=int)]] = local_proba
    return FoldResult(split, proba, fitted - start, predicted - fitted)


def _fit_predict_values(estimator: BaseEstimator, task: Task, split: Split) -> FoldResult:
    model = clone(estimator)
    start = time.perf_counter()
    model.fit(task.X.iloc[split.train], task.target_values[split.train])
    fitted = time.perf_counter()
    values = task.kind.part("predict")(model, task.X.iloc[split.test], task.horizons)
    return FoldResult(split, values, fitted - start, time.perf_counter() - fitted)


def predicted_values(model: BaseEstimator, X: pd.DataFrame,
                     horizons: tuple[float, ...] = ()) -> np.ndarray:
    """A regression's predictions as one column (``horizons``: none, for one signature)."""
    return np.asarray(model.predict(X), dtype=float).reshape(-1, 1)


def evaluate(
    task: Task,
    estimator: BaseEstimator,
    *,
    n_splits: int = 5,
    n_repeats: int = 3,
    n_boot: int = 1000,
    seed: int = 0,
    name: str = "pipeline",
) -> Evaluation:
    """Repeated stratified CV of ``estimator`` on ``task`` with 95% intervals.

    Raises
    ------
    MetamedError
        When the pipeline fails on a fold, naming the fold and the reason.
    """
    plan = plan_cv(task, n_splits=n_splits, n_repeats=n_repeats, seed=seed)
    folds, oof = cross_validate_proba(estimator, task, plan, name)
    intervals = bootstrap_intervals(task.target_values, oof, Scorer.for_task(task),
                                    task.group_labels, n_boot, seed=seed)
    return Evaluation(
        metrics=intervals,
        oof_predictions=oof,
        classes=task.classes,
        positive_class=task.positive_class,
        n_splits=plan.n_splits,
        n_repeats=plan.n_repeats,
        fit_seconds=sum(f.fit_seconds for f in folds),
        notes=[note for note in (plan.note, _bootstrap_note(task, n_boot)) if note],
        task_type=task.task_type,
    )


def _bootstrap_note(task: Task, n_boot: int) -> str | None:
    """Say so when the intervals come from fewer or smaller resamples than asked."""
    unit = "rows" if task.groups is None else "groups"
    units = task.n_rows if task.groups is None else int(task.groups.nunique())
    drawn, size = resamples(task.n_rows, task.n_outputs, n_boot), resampled_units(units)
    if (drawn, size) == (n_boot, units):
        return None
    return (f"95% intervals from {drawn} bootstrap resamples of {size:,} of the {units:,} "
            f"{unit}{', rescaled (m-out-of-n bootstrap)' if size < units else ''}: a full "
            "bootstrap would cost far more than the fits (see metamed.evaluation.intervals).")


def cross_validate_proba(estimator: BaseEstimator, task: Task, plan: CVPlan,
                         name: str = "pipeline") -> tuple[list[FoldResult], np.ndarray]:
    """Every split of ``plan``, and the out-of-fold probabilities (repeats x rows x classes)."""
    folds = [_run_fold(estimator, task, split, name) for split in plan.splits]
    return folds, _assemble(folds, plan, task)


def _run_fold(estimator: BaseEstimator, task: Task, split: Split, name: str) -> FoldResult:
    try:
        return fit_predict_split(estimator, task, split)
    except Exception as error:  # a pipeline's own failure, reported in one sentence
        raise MetamedError(
            f"pipeline {name!r} failed on repeat {split.repeat + 1}, fold {split.fold + 1}: "
            f"{one_line(error)}."
        ) from error


def _assemble(folds: list[FoldResult], plan: CVPlan, task: Task) -> np.ndarray:
    oof = np.full((plan.n_repeats, task.n_rows, task.n_outputs), np.nan)
    for fold in folds:
        oof[fold.split.repeat, fold.split.test] = fold.predictions
    return oof
