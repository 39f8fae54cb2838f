"""The report's honest-performance section for a regression.

As for classification, everything comes from the outer-CV predictions
(``oof_predictions_``, one column) and the true values (``oof_target_``): the
metrics with their intervals, the paired difference from the tuned ridge,
a residual plot (errors against predictions: a funnel means the error grows
with the prediction, a curve that the model misses a bend), a calibration
plot (mean observed against mean predicted by tenths of the prediction: the
diagonal is perfect calibration) and the prediction intervals' coverage at
each level, which is what says whether "90%" means 90% on these patients.
"""

from __future__ import annotations

import numpy as np

from metamed.report import figures as fig
from metamed.report import html as h
from metamed.report.performance import baseline_table, metrics_table

#: Groups of the calibration plot (tenths of the predictions).
CALIBRATION_GROUPS = 10


def regression_performance_section(model) -> h.Section:
    """Metrics with CIs, the verdict against the tuned ridge, residual and calibration
    plots, and the prediction intervals' honest coverage."""
    title = "Honest performance"
    if model.oof_predictions_ is None or not model.cv_results_:
        return h.Section("performance", title, h.paragraph(
            "The model was fit with 0 outer folds, so there is no honest estimate. Refit with "
            "outer folds (the default) before using or reporting this model.", "warn"))
    y = np.asarray(model.oof_target_, dtype=float)
    predicted = np.asarray(model.oof_predictions_, dtype=float)[:, 0]
    intro = (f"Every number and plot below comes from {model.outer_splits}-fold outer "
             "cross-validation of the whole procedure: for each fold, pipelines were "
             "recommended, searched and fit without that fold's patients, which were then "
             "predicted. Intervals are 95% percentile bootstrap intervals over patients.")
    shown = [
        h.Figure("residuals", fig.residual_figure(predicted, y - predicted),
                 "Residuals (observed minus predicted) against the prediction, outer folds.",
                 {"points": float(len(y))}),
        h.Figure("calibration", fig.observed_predicted_figure(*calibration_groups(y, predicted)),
                 f"Mean observed against mean predicted in {CALIBRATION_GROUPS} groups of the "
                 "prediction; the diagonal is perfect calibration.",
                 {"groups": float(CALIBRATION_GROUPS)}),
    ]
    body = [h.paragraph(intro), metrics_table(model), baseline_table(model),
            _coverage_table(model), h.figures(shown)]
    return h.Section("performance", title, "".join(body))


def calibration_groups(y: np.ndarray, predicted: np.ndarray,
                       groups: int = CALIBRATION_GROUPS) -> tuple[np.ndarray, np.ndarray]:
    """Mean prediction and mean outcome in each group of equal size by prediction."""
    order = np.array_split(np.argsort(predicted, kind="stable"), min(groups, len(y)))
    return (np.array([predicted[i].mean() for i in order]),
            np.array([y[i].mean() for i in order]))


def _coverage_table(model) -> str:
    rows = [[f"{float(level):.0%}", found["coverage"], found["mean_width"],
             found["median_width"]]
            for level, found in model.interval_coverage_.items()]
    intro = ("Prediction intervals are conformal (CV+, MAPIE): each level's coverage is the "
             "share of held-out outcomes that fell inside their interval in the outer folds.")
    return h.paragraph(intro) + h.table(
        ["stated level", "coverage in outer folds", "mean width", "median width"], rows,
        numeric={1, 2, 3})
