"""Prediction intervals for a regression, by conformal prediction (MAPIE's CV+).

A point prediction of a length of stay says little without its range. CV+
(Barber, Candès, Ramdas & Tibshirani 2021) refits the chosen model on
``cv`` folds and widens each prediction by the out-of-fold residuals of
those refits: the interval covers a new patient's outcome with probability
at least ``1 - 2 alpha`` in theory and close to ``1 - alpha`` in practice,
whatever the model, as long as patients are exchangeable. How close is
not taken on trust: the honest (outer) CV of ``fit`` fits this whole object
in every outer fold and reports the coverage it reached on the held-out
rows (``MetaRegressor.interval_coverage_``).

The conformal machinery is MAPIE's (``CrossConformalRegressor``), not ours;
this wrapper fixes the levels, the folds and the point prediction (the model
refitted on every row), so that a model file holds one object.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import GroupKFold, KFold
from sklearn.utils.validation import check_is_fitted

from metamed.errors import MetamedError

#: Coverage levels every regression model can give intervals at.
LEVELS = (0.5, 0.8, 0.9, 0.95)
#: The level ``predict`` columns and reports use unless told otherwise.
DEFAULT_LEVEL = 0.9
#: Folds of the CV+ refits: each is one more fit of the chosen model, which the search plans for.
CV_PLUS_FOLDS = 5


class ConformalRegressor(RegressorMixin, BaseEstimator):
    """A regressor with CV+ prediction intervals at every level of :data:`LEVELS`.

    Parameters
    ----------
    estimator : regressor
        The unfitted model (a pipeline or an ensemble).
    cv : int
        Folds of the CV+ refits (fewer on tiny tables: at least 2 rows each).
    random_state : int
    """

    def __init__(self, estimator: BaseEstimator, cv: int = CV_PLUS_FOLDS,
                 random_state: int = 0) -> None:
        self.estimator = estimator
        self.cv = cv
        self.random_state = random_state

    def fit(self, X, y, groups=None) -> ConformalRegressor:
        """Fit the model on every row and its CV+ refits; with ``groups`` (repeated
        measures) the refits hold out whole patients, so an interval is for a new patient."""
        from mapie.regression import CrossConformalRegressor  # 1 s import: only for regression

        y = np.asarray(y, dtype=float)
        units = len(y) if groups is None else len(np.unique(groups))
        splitter = KFold if groups is None else GroupKFold
        self.folds_ = splitter(max(2, min(self.cv, units // 2)), shuffle=True,
                               random_state=self.random_state)
        self.conformal_ = CrossConformalRegressor(
            self.estimator, confidence_level=list(LEVELS), method="plus", cv=self.folds_,
            random_state=self.random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.conformal_.fit_conformalize(X, y, groups=groups)
        return self

    def predict(self, X) -> np.ndarray:
        """The model refitted on every training row."""
        check_is_fitted(self, "conformal_")
        return self.conformal_.predict(X, aggregate_point_predictions=None)

    def predict_interval(self, X, level: float = DEFAULT_LEVEL) -> np.ndarray:
        """Lower and upper bounds (columns) of the ``level`` prediction interval of each row."""
        check_is_fitted(self, "conformal_")
        if level not in LEVELS:
            raise MetamedError(f"interval level {level:g} is not one of "
                               f"{', '.join(f'{v:g}' for v in LEVELS)}.")
        return self.predict_intervals(X)[:, :, LEVELS.index(level)]

    def predict_intervals(self, X) -> np.ndarray:
        """The bounds at every level of :data:`LEVELS` (rows x 2 x levels), in one pass.

        One pass, because each call predicts with every CV+ refit: asking for
        the four levels one by one spent 85 s of a profiled 191 s ``fit`` on
        3,142 molecules in SVR predictions, four times what one pass needs.
        """
        check_is_fitted(self, "conformal_")
        _, bounds = self.conformal_.predict_interval(X, aggregate_point_predictions=None)
        return bounds


def coverage(y: np.ndarray, bounds: np.ndarray) -> dict[str, float]:
    """Share of outcomes inside their interval, and the intervals' mean and median width."""
    inside = (bounds[:, 0] <= y) & (y <= bounds[:, 1])
    width = bounds[:, 1] - bounds[:, 0]
    return {"coverage": float(inside.mean()), "mean_width": float(width.mean()),
            "median_width": float(np.median(width))}
