"""Greedy ensemble selection (Caruana et al., 2004) on out-of-fold predictions.

Repeatedly add (with replacement) the model whose inclusion most lowers the
log loss of the averaged out-of-fold probabilities. Log loss rewards both
ranking and calibration, the two things a clinical risk model needs; for a
regression the loss is the squared error of the averaged predictions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from metamed.evaluation.metrics import log_loss


def caruana_weights(oof: list[np.ndarray], codes: np.ndarray, rounds: int = 20,
                    loss: Callable[[np.ndarray, np.ndarray], float] = log_loss) -> np.ndarray:
    """Weights (summing to 1) of a greedy ensemble of the given out-of-fold predictions."""
    counts = np.zeros(len(oof))
    total = np.zeros_like(oof[0])
    for _ in range(rounds):
        losses = [loss(codes, (total + p) / (counts.sum() + 1)) for p in oof]
        best = int(np.argmin(losses))
        counts[best] += 1
        total += oof[best]
    return counts / counts.sum()


class WeightedEnsemble(ClassifierMixin, BaseEstimator):
    """Average of fitted classifiers' probabilities with fixed weights.

    Parameters
    ----------
    estimators : list of fitted classifiers
        Trained on the same label coding, each with ``predict_proba``.
    weights : array of float
    """

    def __init__(self, estimators: list, weights: np.ndarray) -> None:
        self.estimators = estimators
        self.weights = weights

    def fit(self, X, y) -> WeightedEnsemble:
        """Refit every member on ``(X, y)``; the weights stay as chosen."""
        for estimator in self.estimators:
            estimator.fit(X, y)
        self.classes_ = self.estimators[0].classes_
        return self

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "classes_")
        return sum(w * e.predict_proba(X) for w, e in zip(self.weights, self.estimators,
                                                           strict=True))

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class WeightedAverage(BaseEstimator):
    """Weighted average of fitted models' ``predict`` (a value, or a survival risk score).

    Parameters
    ----------
    estimators : list of fitted models
    weights : array of float
    """

    def __init__(self, estimators: list, weights: np.ndarray) -> None:
        self.estimators = estimators
        self.weights = weights

    def fit(self, X, y) -> WeightedAverage:
        """Refit every member on ``(X, y)``; the weights stay as chosen."""
        for estimator in self.estimators:
            estimator.fit(X, y)
        self.n_members_ = len(self.estimators)
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "n_members_")
        return sum(w * e.predict(X) for w, e in zip(self.weights, self.estimators, strict=True))


class WeightedRegressor(RegressorMixin, WeightedAverage):
    """Weighted average of fitted regressors' predictions (the regression ensemble)."""
