"""Restricted cubic splines (Harrell): the clinical way to let a risk bend with a predictor.

A continuous predictor ``x`` with knots ``t_1 < ... < t_k`` (at Harrell's
quantiles: 5, 35, 65 and 95% for 4 knots) gets ``k - 2`` extra columns

    ((x - t_j)+^3 - (x - t_{k-1})+^3 (t_k - t_j) / (t_k - t_{k-1})
                  + (x - t_k)+^3 (t_{k-1} - t_j) / (t_k - t_{k-1})) / (t_k - t_1)^2

beside ``x`` itself: cubic between the knots, *linear* beyond the outer
ones (a natural spline), so a model cannot swing wildly at the edges of the
data, where clinical tables are thinnest. Columns with few distinct values
(indicators, one-hot codes, scores) stay linear.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

#: Knot quantiles by number of knots (Harrell, Regression Modeling Strategies, table 2.3).
KNOT_QUANTILES = {3: (0.10, 0.50, 0.90), 4: (0.05, 0.35, 0.65, 0.95),
                  5: (0.05, 0.275, 0.50, 0.725, 0.95)}


class RestrictedCubicSplines(TransformerMixin, BaseEstimator):
    """Append restricted-cubic-spline terms for every column with enough distinct values.

    Parameters
    ----------
    n_knots : int
        3, 4 or 5; a column needs at least ``2 * n_knots`` distinct values.
    """

    def __init__(self, n_knots: int = 4) -> None:
        self.n_knots = n_knots

    def fit(self, X, y=None) -> RestrictedCubicSplines:
        X = np.asarray(X, dtype=float)
        quantiles = KNOT_QUANTILES[self.n_knots]
        self.knots_ = {}
        for j in range(X.shape[1]):
            if len(np.unique(X[:, j])) >= 2 * self.n_knots:
                knots = np.quantile(X[:, j], quantiles)
                if np.all(np.diff(knots) > 0):
                    self.knots_[j] = knots
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "knots_")
        X = np.asarray(X, dtype=float)
        extra = [_basis(X[:, j], knots) for j, knots in self.knots_.items()]
        return np.hstack([X, *extra]) if extra else X


def _basis(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The ``k - 2`` nonlinear terms of one column (Harrell's parameterisation)."""
    k = len(t)

    def cube(v: np.ndarray) -> np.ndarray:
        return np.clip(v, 0, None) ** 3

    tail = (t[k - 1] - t[k - 2])
    columns = [(cube(x - t[j]) - cube(x - t[k - 2]) * (t[k - 1] - t[j]) / tail
                + cube(x - t[k - 1]) * (t[k - 2] - t[j]) / tail) / (t[k - 1] - t[0]) ** 2
               for j in range(k - 2)]
    return np.column_stack(columns)


class SplineLogistic(ClassifierMixin, BaseEstimator):
    """Logistic regression on restricted cubic splines of the continuous predictors.

    Parameters
    ----------
    n_knots : int
    C : float
        Inverse L2 penalty of the logistic regression (scaled inputs assumed).
    class_weight : None or "balanced"
    random_state : int
    """

    def __init__(self, n_knots: int = 4, C: float = 1.0, class_weight=None,
                 random_state: int = 0) -> None:
        self.n_knots = n_knots
        self.C = C
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X, y) -> SplineLogistic:
        self.splines_ = RestrictedCubicSplines(self.n_knots).fit(X)
        self.model_ = LogisticRegression(C=self.C, class_weight=self.class_weight,
                                         max_iter=2000, random_state=self.random_state)
        self.model_.fit(self.splines_.transform(X), y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        return self.model_.predict_proba(self.splines_.transform(X))

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
