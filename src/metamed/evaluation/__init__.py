"""Honest evaluation: CV protocols, clinical metrics, bootstrap intervals."""

from metamed.evaluation.cv import CVPlan, Split, plan_cv
from metamed.evaluation.evaluate import (
    Evaluation,
    FoldResult,
    cross_validate_proba,
    evaluate,
    fit_predict_split,
)
from metamed.evaluation.intervals import Interval, bootstrap_intervals
from metamed.evaluation.metrics import HIGHER_IS_BETTER, METRIC_NAMES, all_metrics

__all__ = [
    "CVPlan", "Evaluation", "FoldResult", "HIGHER_IS_BETTER", "Interval", "METRIC_NAMES",
    "Split", "all_metrics", "bootstrap_intervals", "cross_validate_proba", "evaluate",
    "fit_predict_split", "plan_cv",
]
