"""What the recalibration step does to honest results, on the development half only.

For each development-half task, the whole procedure runs in a 3-fold outer
CV (60 s, default learner without the task's family, as in search-mode
LOTO); the outer-CV probabilities before and after each fold's
recalibration give ROC AUC and calibration slope both ways.

Usage: python benchmarks/recalibration_dev.py [--tasks 66]   (smallest first)
"""

from __future__ import annotations

import argparse

import pandas as pd
from joblib import Parallel, delayed

from metamed import corpus
from metamed.automl.loto import task_halves
from metamed.automl.procedure import load_metadata
from metamed.automl.selection import nested_oof
from metamed.evaluation.metrics import calibration_slope_intercept, class_roc_auc
from metamed.knowledge.units import prepared_task
from metamed.learners import make_learner


def before_and_after(task_id: str) -> dict:
    """Honest ROC AUC and calibration slope of one held-out task, before and after."""
    metadata = load_metadata(None, "classification")
    task = prepared_task(corpus.load_task, task_id)
    learner = make_learner("local").fit(metadata.without(task_id))
    nested = nested_oof(task, learner, 60, outer_splits=3)
    row = {"task": task_id, "folds": nested.recalibrated_folds,
           "auc_before": class_roc_auc(task.codes, nested.raw),
           "auc_after": class_roc_auc(task.codes, nested.predictions)}
    if task.positive_index is not None:
        positive = task.positive_index
        hits = task.codes == positive
        row["slope_before"] = calibration_slope_intercept(hits, nested.raw[:, positive])[0]
        row["slope_after"] = calibration_slope_intercept(hits, nested.predictions[:, positive])[0]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=66)
    args = parser.parse_args()
    development, _ = task_halves(load_metadata(None, "classification"))
    rows = pd.DataFrame(Parallel(n_jobs=2)(delayed(before_and_after)(t)
                                           for t in development[: args.tasks]))
    change = (rows["auc_after"] - rows["auc_before"]).mean()
    print(f"{len(rows)} tasks, recalibrated in some outer fold: {(rows['folds'] > 0).sum()}; "
          f"ROC AUC after - before: {change:+.4f}; median slope "
          f"{rows['slope_before'].median():.3f} -> {rows['slope_after'].median():.3f}")
    touched = rows[rows["folds"] > 0]
    print(touched.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
