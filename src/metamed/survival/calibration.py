"""Recalibration in the large of a survival model: its baseline hazard times one multiplier.

A survival model's risk order can be right while its level is off: the
out-of-fold patients have more (or fewer) events than the predicted
cumulative hazards add up to. A blend of survival curves, a baseline
estimated on a few dozen events, or a search fold's 80% of the rows all do
it. The correction keeps the risk score and multiplies the cumulative
baseline hazard by ``gamma``, i.e. ``S_new(t | x) = S(t | x) ** gamma``
(van Houwelingen 2000, "Validation, calibration, revision and combination
of prognostic survival models", recalibration of the baseline hazard).

``gamma`` is the maximum-likelihood multiplier of the expected event count
in the Poisson model of observed against expected events (Crowson, Atkinson
& Therneau 2016, "Assessing calibration of prognostic risk scores", SMMR:
``glm(events ~ offset(log(expected)), family=poisson)``, whose
``exp(intercept)`` is O/E). Each patient is followed to ``min(T_i, tau)``,
``tau`` the last horizon (the predictions claim nothing beyond it);
``O`` counts the events in that window and ``E`` adds up each patient's
predicted cumulative hazard ``H_i(min(T_i, tau))``. The cumulative hazard
``-log S`` is known only at the horizons (what out-of-fold predictions
hold), so it is interpolated linearly in time from ``H(0) = 0``: exact for
a constant hazard, and a patient censored between horizons is the only one
it touches. The multiplier is ``O / E`` and the likelihood-ratio statistic
``2 [O log(O / E) - (O - E)]`` is chi-square with one degree of freedom.

The decision is part of the selection, as for classification
(:mod:`metamed.automl.calibration`): the honest outer CV re-makes it inside
each fold, on that fold's inner out-of-fold predictions only.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from metamed.automl.calibration import RECALIBRATION_P
from metamed.survival.models import survival_curves

#: ``S`` is clipped here before ``-log S``, so a survival of 0 gives a large, finite hazard.
_CLIP = 1e-12


def observed_expected(target: np.ndarray, predictions: np.ndarray,
                      horizons: tuple[float, ...]) -> tuple[float, float]:
    """Events observed and expected up to the last horizon: ``(O, E)``.

    ``target`` is (time, event) per row, ``predictions`` the risk score then
    ``S(t | x)`` at each of ``horizons`` (increasing). NaN where any input is.
    """
    knots = np.r_[0.0, np.asarray(horizons, dtype=float)]
    if len(knots) < 2 or not np.all(np.diff(knots) > 0):
        raise ValueError(f"horizons must be positive and increasing; got {tuple(horizons)}.")
    time, event = np.asarray(target[:, 0], dtype=float), np.asarray(target[:, 1], dtype=float)
    survival = np.asarray(predictions, dtype=float)[:, 1:]
    if survival.shape[1] != len(knots) - 1:
        raise ValueError(f"predictions hold {survival.shape[1]} survival columns for "
                         f"{len(knots) - 1} horizons.")
    cumhaz = np.c_[np.zeros(len(time)), -np.log(np.clip(survival, _CLIP, 1.0))]
    followed = np.minimum(time, knots[-1])
    k = np.clip(np.searchsorted(knots, followed, side="right") - 1, 0, len(knots) - 2)
    share = (followed - knots[k]) / (knots[k + 1] - knots[k])
    rows = np.arange(len(time))
    at_exit = cumhaz[rows, k] + share * (cumhaz[rows, k + 1] - cumhaz[rows, k])
    observed = float(np.sum(event * (time <= knots[-1])))
    return observed, float(np.sum(at_exit))


def hazard_recalibration(target: np.ndarray, predictions: np.ndarray,
                         horizons: tuple[float, ...], p_value: float = RECALIBRATION_P
                         ) -> float | None:
    """The baseline-hazard multiplier ``gamma = O / E`` if the predictions' level is off, else None.

    Off: the likelihood-ratio test of ``gamma`` against 1 (one degree of
    freedom) rejects the predictions as they are at ``p_value``. Both
    directions are corrected: unlike the logistic slope, whose steepening
    went wrong on tiny tables, a wrong level has no side that overfitting
    explains and the other does not. The default level is classification's
    (:data:`~metamed.automl.calibration.RECALIBRATION_P`, chosen by replay on
    classification tasks only): no survival replay has chosen one yet, and a
    single multiplier spends one degree of freedom where the logistic
    recalibration spends two, so the same level is not looser here.

    None also where the test cannot be made: no event in the window, nothing
    expected, or NaN (an unmeasured prediction).
    """
    if np.isnan(np.asarray(predictions, dtype=float)).any():
        return None
    observed, expected = observed_expected(target, predictions, horizons)
    if not (observed > 0 and np.isfinite(expected) and expected > 0):
        return None
    statistic = 2 * (observed * np.log(observed / expected) - (observed - expected))
    return observed / expected if chi2.sf(statistic, df=1) < p_value else None


class RecalibratedSurvival(BaseEstimator):
    """A survival model whose cumulative baseline hazard is multiplied by ``hazard_multiplier``.

    ``predict`` (the risk score) is the wrapped model's, so discrimination
    is unchanged; ``predict_survival`` is its ``S(t | x) ** hazard_multiplier``.

    Parameters
    ----------
    estimator : survival pipeline, or a blend of them
        Anything :func:`~metamed.survival.models.survival_curves` reads.
    hazard_multiplier : float
        ``gamma`` > 0, fitted out of fold (:func:`hazard_recalibration`).
    """

    def __init__(self, estimator, hazard_multiplier: float) -> None:
        self.estimator = estimator
        self.hazard_multiplier = hazard_multiplier

    def fit(self, X, y) -> RecalibratedSurvival:
        """Refit the wrapped model; the multiplier stays as fitted out of fold."""
        self.estimator.fit(X, y)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted when the wrapped model is (the multiplier needs no fit)."""
        try:
            check_is_fitted(self.estimator)
        except NotFittedError:
            return False
        return True

    def predict(self, X) -> np.ndarray:
        """The wrapped model's risk score (higher means an earlier event)."""
        return self.estimator.predict(X)

    def predict_survival(self, X, times) -> np.ndarray:
        """``S(t | x) ** gamma`` for each row (rows) at each of ``times`` (columns)."""
        return survival_curves(self.estimator, X, times) ** self.hazard_multiplier

    # The recalibrated Breslow baseline (for the model card's baseline survival, TRIPOD 15a):
    # the wrapped pipeline's, its cumulative hazard times gamma. A blend has none.

    @property
    def baseline_times_(self) -> np.ndarray:
        return self._breslow().baseline_times_

    @property
    def baseline_cumhaz_(self) -> np.ndarray:
        return self.hazard_multiplier * self._breslow().baseline_cumhaz_

    @property
    def risk_offset_(self) -> float:
        return self._breslow().risk_offset_

    def _breslow(self):
        last = self.estimator.steps[-1][1] if hasattr(self.estimator, "steps") else self.estimator
        if not hasattr(last, "baseline_cumhaz_"):
            raise AttributeError("a blend of survival models has no single baseline hazard")
        return last
