"""Logistic recalibration of a chosen model, decided and fitted on out-of-fold predictions.

A model chosen on a few hundred rows is often over-confident (calibration
slope below 1): its risks are too extreme for clinical use. When the
out-of-fold predictions of the search show it, the final model's
probability of the positive class ``p`` becomes ``expit(a + b logit p)``,
with ``a`` and ``b`` fitted on those out-of-fold predictions (Steyerberg's
logistic recalibration). The decision is part of the selection, so the
honest outer CV re-makes it inside every fold and its effect is measured,
not assumed.

Only over-confidence (``0 < b < 1``, the overfitting symptom) is corrected.
On the development half of the corpus tasks, steepening predictions
(``b > 1``) went wrong on tiny, nearly separable tables (honest AUC 0.99 ->
0.94 and 1.00 -> 0.92 on two of them) while two-sided recalibration cost
0.002 AUC on average (``docs/benchmarks.md``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit
from scipy.stats import chi2
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from metamed.evaluation.metrics import log_loss, logistic_recalibration

#: Recalibrate when the likelihood-ratio test of (a, b) against (0, 1) has p below this.
#: Chosen by replay on the development half (``benchmarks/replay.py --recalibrate``): among
#: 0.05, 0.2 and 1, 0.2 brought the median calibration slope of ``fit``'s policy closest to 1
#: (0.976, 0.986, 1.036; the replay's rule asked a change to gain at least 0.01).
RECALIBRATION_P = 0.2
_CLIP = 1e-6


def recalibration(codes: np.ndarray, proba: np.ndarray, p_value: float = RECALIBRATION_P
                  ) -> tuple[float, float] | None:
    """``(a, b)`` if out-of-fold predictions of a binary task are over-confident, else None.

    Over-confident: the fitted slope ``b`` is between 0 and 1, and the
    likelihood-ratio test (2 degrees of freedom) of the fitted recalibration
    against the predictions as they are rejects them at ``p_value``.
    Multiclass models are left alone.
    """
    if proba.shape[1] != 2 or len(np.unique(codes)) < 2:
        return None
    hits, p = codes == 1, np.clip(proba[:, 1], _CLIP, 1 - _CLIP)
    a, b = logistic_recalibration(hits, p)
    if not 0 < b < 1:  # only over-confidence is corrected (see the module docstring)
        return None
    refitted = recalibrated(proba, a, b)
    gain = 2 * len(codes) * (log_loss(codes, np.c_[1 - p, p]) - log_loss(codes, refitted))
    return (a, b) if chi2.sf(gain, df=2) < p_value else None


def recalibrated(proba: np.ndarray, intercept: float, slope: float) -> np.ndarray:
    """Binary class probabilities with the positive one mapped to ``expit(a + b logit p)``."""
    p = np.clip(proba[:, 1], _CLIP, 1 - _CLIP)
    positive = np.clip(expit(intercept + slope * logit(p)), _CLIP, 1 - _CLIP)
    return np.c_[1 - positive, positive]


class Recalibrated(ClassifierMixin, BaseEstimator):
    """A binary classifier whose positive-class probability is recalibrated on the logit scale.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
    intercept, slope : float
        ``a`` and ``b`` of ``expit(a + b logit p)``.
    """

    def __init__(self, estimator, intercept: float, slope: float) -> None:
        self.estimator = estimator
        self.intercept = intercept
        self.slope = slope

    def fit(self, X, y) -> Recalibrated:
        """Refit the wrapped model; the recalibration stays as fitted out of fold."""
        self.estimator.fit(X, y)
        self.classes_ = self.estimator.classes_
        return self

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "classes_")
        return recalibrated(self.estimator.predict_proba(X), self.intercept, self.slope)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
