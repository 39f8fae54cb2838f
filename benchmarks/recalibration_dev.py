"""What the recalibration step does to honest results, on the development half only.

For each development-half task, the whole procedure runs in a 3-fold outer
CV (60 s, default learner without the task's family, as in search-mode
LOTO); the outer-CV probabilities before and after each fold's
recalibration give ROC AUC and calibration slope both ways.

Usage: python benchmarks/recalibration_dev.py 66   (number of development tasks, smallest first)
"""

import sys

import pandas as pd
from joblib import Parallel, delayed

from metamed import corpus
from metamed.automl.estimator import load_metadata
from metamed.automl.loto import task_halves
from metamed.automl.selection import nested_oof
from metamed.evaluation.metrics import calibration_slope_intercept, class_roc_auc
from metamed.knowledge.units import prepared_task
from metamed.learners import make_learner


def one(task_id):
    m = load_metadata(None)
    task = prepared_task(corpus.load_task, task_id)
    learner = make_learner("local").fit(m.without(task_id))
    n = nested_oof(task, learner, 60, outer_splits=3)
    out = {"task": task_id, "auc_after": class_roc_auc(task.codes, n.proba), "auc_before": class_roc_auc(task.codes, n.raw), "folds": n.recalibrated_folds}
    if task.positive_index is not None:
        p = task.positive_index
        out["slope_after"] = calibration_slope_intercept(task.codes == p, n.proba[:, p])[0]
        out["slope_before"] = calibration_slope_intercept(task.codes == p, n.raw[:, p])[0]
    return out

dev, _ = task_halves(load_metadata(None))
rows = Parallel(n_jobs=2)(delayed(one)(t) for t in dev[: int(sys.argv[1])])
r = pd.DataFrame(rows); r.to_csv("artifacts/recal_dev.csv", index=False)
print(len(r), "tasks; recalibrated in some fold:", (r.folds > 0).sum())
print("AUC after - before: mean %.4f" % (r.auc_after - r.auc_before).mean(), "median slope before %.3f after %.3f" % (r.slope_before.median(), r.slope_after.median()))
print(r[r.folds > 0][["task","folds","auc_before","auc_after","slope_before","slope_after"]].round(3).to_string())
