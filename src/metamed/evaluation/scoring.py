"""One object that scores predictions of either kind of task.

Why: bootstrap intervals, paired differences against the baseline and the
knowledge-base build all recompute "every metric" on resampled rows; with a
:class:`Scorer` they need not know whether the rows hold classes with
probabilities or numbers with predictions. Predictions are always a 2-D
array: one column per class, or one column of predicted values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metamed.data.task import Task, TaskType
from metamed.evaluation.metrics import (
    HIGHER_IS_BETTER,
    METRIC_LABELS,
    METRIC_NAMES,
    all_metrics,
    class_roc_auc,
    log_loss,
)
from metamed.evaluation.regression_metrics import (
    REGRESSION_HIGHER_IS_BETTER,
    REGRESSION_LABELS,
    REGRESSION_METRIC_NAMES,
    regression_metrics,
)

#: Every metric either kind of task reports (the knowledge base's score columns).
ALL_METRIC_NAMES = tuple(dict.fromkeys(METRIC_NAMES + REGRESSION_METRIC_NAMES))
#: The named config each kind of task must beat: plain LR, and ridge with its penalty tuned.
BASELINES = {"classification": "logreg", "regression": "ridge_cv"}


@dataclass(frozen=True)
class Scorer:
    """Every metric of one task type, for predictions of shape (n, K).

    Attributes
    ----------
    task_type : {"classification", "regression"}
    positive : int or None
        Index of the positive class of a binary task (threshold and
        one-class metrics); None otherwise.
    """

    task_type: TaskType = "classification"
    positive: int | None = None

    @classmethod
    def for_task(cls, task: Task) -> Scorer:
        return cls(task.task_type, task.positive_index)

    @property
    def primary(self) -> str:
        """The metric the search ranks by and the verdict is stated in."""
        return "r2" if self.task_type == "regression" else "roc_auc"

    def primary_score(self, target: np.ndarray, predictions: np.ndarray) -> float:
        """:attr:`primary` alone, fast (a search computes it for every fold it fits)."""
        if self.task_type == "regression":
            return regression_metrics(target, predictions)["r2"]
        return class_roc_auc(target, predictions, self.positive)

    def loss(self, target: np.ndarray, predictions: np.ndarray) -> float:
        """What a greedy ensemble lowers: log loss of probabilities, squared error of numbers."""
        if self.task_type == "regression":
            return float(np.mean((target - predictions[:, 0]) ** 2))
        return log_loss(target, predictions)

    @property
    def names(self) -> tuple[str, ...]:
        return REGRESSION_METRIC_NAMES if self.task_type == "regression" else METRIC_NAMES

    def higher_is_better(self, name: str) -> bool | None:
        table = REGRESSION_HIGHER_IS_BETTER if self.task_type == "regression" else HIGHER_IS_BETTER
        return table[name]

    def label(self, name: str) -> str:
        """The metric's name for people."""
        if self.task_type == "regression":
            return REGRESSION_LABELS.get(name) or {
                "calibration_slope": "Calibration slope (ideal 1)",
                "calibration_intercept": "Calibration-in-the-large (ideal 0)",
            }[name]
        return METRIC_LABELS[name]

    def __call__(self, target: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
        if self.task_type == "regression":
            return regression_metrics(target, predictions)
        return all_metrics(target, predictions, self.positive)
