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
    calibration_slope_intercept,
    class_roc_auc,
    log_loss,
)
from metamed.evaluation.regression_metrics import (
    REGRESSION_HIGHER_IS_BETTER,
    REGRESSION_LABELS,
    REGRESSION_METRIC_NAMES,
    regression_metrics,
)
from metamed.kinds import kind_of
from metamed.survival.scoring import SURVIVAL_METRIC_NAMES

#: Every metric a task of any kind reports for all its tasks (the knowledge base's score
#: columns; a survival task's metrics at its own horizons are not among them).
ALL_METRIC_NAMES = tuple(dict.fromkeys(METRIC_NAMES + REGRESSION_METRIC_NAMES
                                       + SURVIVAL_METRIC_NAMES))


class ClassMetrics:
    """The metrics of a classification: predictions are one probability per class."""

    higher_is_better = HIGHER_IS_BETTER
    labels = METRIC_LABELS

    @staticmethod
    def names_for(scorer: Scorer) -> tuple[str, ...]:
        return METRIC_NAMES

    @staticmethod
    def primary_score(target: np.ndarray, predictions: np.ndarray, scorer: Scorer) -> float:
        return class_roc_auc(target, predictions, scorer.positive)

    @staticmethod
    def loss(target: np.ndarray, predictions: np.ndarray, scorer: Scorer) -> float:
        return log_loss(target, predictions)

    @staticmethod
    def slope(target: np.ndarray, predictions: np.ndarray, scorer: Scorer) -> float:
        positive = scorer.positive
        if positive is None:  # several classes have no single slope
            return float("nan")
        return calibration_slope_intercept(target == positive, predictions[:, positive])[0]

    @staticmethod
    def all(target: np.ndarray, predictions: np.ndarray, scorer: Scorer) -> dict:
        return all_metrics(target, predictions, scorer.positive)


class ValueMetrics:
    """The metrics of a regression: predictions are one column of values."""

    higher_is_better = REGRESSION_HIGHER_IS_BETTER
    labels = {**REGRESSION_LABELS,
              "calibration_slope": "Calibration slope (ideal 1)",
              "calibration_intercept": "Calibration-in-the-large (ideal 0)"}

    @staticmethod
    def names_for(scorer: Scorer) -> tuple[str, ...]:
        return REGRESSION_METRIC_NAMES

    @staticmethod
    def primary_score(target: np.ndarray, predictions: np.ndarray, scorer: Scorer) -> float:
        return regression_metrics(target, predictions)["r2"]

    @staticmethod
    def loss(target: np.ndarray, predictions: np.ndarray, scorer: Scorer) -> float:
        return float(np.mean((target - predictions[:, 0]) ** 2))

    @staticmethod
    def slope(target: np.ndarray, predictions: np.ndarray, scorer: Scorer) -> float:
        return regression_metrics(target, predictions)["calibration_slope"]

    @staticmethod
    def all(target: np.ndarray, predictions: np.ndarray, scorer: Scorer) -> dict:
        return regression_metrics(target, predictions)


@dataclass(frozen=True)
class Scorer:
    """Every metric of one task type, for predictions of shape (n, K).

    The metrics themselves are the type's suite (its record's ``metrics``
    part, :mod:`metamed.kinds`); the scorer adds the positive class.

    Attributes
    ----------
    task_type : str
    positive : int or None
        Index of the positive class of a binary task (threshold and
        one-class metrics); None otherwise.
    horizons : tuple of float
        A survival task's horizons (its predictions' columns after the risk).
    """

    task_type: TaskType
    positive: int | None = None
    horizons: tuple[float, ...] = ()

    @classmethod
    def for_task(cls, task: Task) -> Scorer:
        return cls(task.task_type, task.positive_index, task.horizons)

    @property
    def _suite(self) -> type:
        return kind_of(self.task_type).part("metrics")

    @property
    def primary(self) -> str:
        """The metric the search ranks by and the verdict is stated in."""
        return kind_of(self.task_type).primary

    def primary_score(self, target: np.ndarray, predictions: np.ndarray) -> float:
        """:attr:`primary` alone, fast (a search computes it for every fold it fits)."""
        return self._suite.primary_score(target, predictions, self)

    def loss(self, target: np.ndarray, predictions: np.ndarray) -> float:
        """What a greedy ensemble lowers: log loss of probabilities, squared error of numbers."""
        return self._suite.loss(target, predictions, self)

    @property
    def names(self) -> tuple[str, ...]:
        return self._suite.names_for(self)

    def higher_is_better(self, name: str) -> bool | None:
        return self._suite.higher_is_better[name.rpartition("@")[0] or name]

    def label(self, name: str) -> str:
        """The metric's name for people (``name@t``: a metric at horizon ``t``)."""
        metric, _, horizon = name.rpartition("@")
        if metric:
            return f"{self._suite.labels[metric]} at t = {horizon}"
        return self._suite.labels[name]

    def slope(self, target: np.ndarray, predictions: np.ndarray) -> float:
        """Calibration slope alone: of the positive class's probability, or of predicted
        values (NaN for several classes, which have no single slope)."""
        return self._suite.slope(target, predictions, self)

    def __call__(self, target: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
        return self._suite.all(target, predictions, self)
