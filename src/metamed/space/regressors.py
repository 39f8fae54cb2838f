"""Regression models that adapt to the data a fold gives them.

The regression counterparts of :mod:`metamed.space.models`: one thread, a
fixed seed, and the adaptations a library model cannot make itself — k-NN
asked for more neighbours than there are rows, an MLP training for minutes
on 20,000 rows, an EBM taking minutes on a wide table. Models whose fit
depends on the scale of the outcome (support vector and neural regression,
the elastic net's penalty) see it standardised, so that one range of
hyper-parameters suits birth weights in grams and creatinine in mg/dL.
As there, each model's library class is imported when it is fitted.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from metamed.space.splines import RestrictedCubicSplines

#: Ridge penalties an inner CV chooses among (inputs are scaled first).
RIDGE_ALPHAS = (-3.0, 4.0)


def standardized_target(estimator: BaseEstimator) -> TransformedTargetRegressor:
    """``estimator`` fitted on the outcome standardised, its predictions mapped back."""
    return TransformedTargetRegressor(regressor=estimator, transformer=StandardScaler())


class _OneThreadRegressor(RegressorMixin, BaseEstimator):
    """Fit and predict through ``estimator_``, on one thread (see models._Delegating)."""

    def fit(self, X: object, y: object) -> _OneThreadRegressor:
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        with threadpool_limits(limits=1):
            self.estimator_ = self._model(X, y).fit(X, y)
        self.n_features_in_ = self.estimator_.n_features_in_
        return self

    def _model(self, X: np.ndarray, y: np.ndarray) -> BaseEstimator:
        raise NotImplementedError

    def predict(self, X: object) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        with threadpool_limits(limits=1):
            return self.estimator_.predict(np.asarray(X, dtype=float))


class SingleThreadedRegressor(_OneThreadRegressor):
    """Run ``estimator`` (for example histogram gradient boosting) on one thread."""

    def __init__(self, estimator: BaseEstimator):
        self.estimator = estimator

    def _model(self, X: np.ndarray, y: np.ndarray) -> BaseEstimator:
        return clone(self.estimator)


class InnerCVRidge(_OneThreadRegressor):
    """Ridge regression with its penalty chosen by leave-one-out CV: the baseline to beat.

    The regression counterpart of the tuned logistic regression: the
    penalty among ``n_alphas`` values from 1e-3 to 1e4 (inputs scaled
    first) is the one with the smallest leave-one-out squared error, which
    ridge regression computes exactly from one fit.
    """

    def __init__(self, n_alphas: int = 15):
        self.n_alphas = n_alphas

    def _model(self, X: np.ndarray, y: np.ndarray) -> BaseEstimator:
        return RidgeCV(alphas=np.logspace(*RIDGE_ALPHAS, self.n_alphas))


class SplineRidge(_OneThreadRegressor):
    """Tuned ridge regression on restricted cubic splines of the continuous predictors."""

    def __init__(self, n_knots: int = 4, n_alphas: int = 15):
        self.n_knots = n_knots
        self.n_alphas = n_alphas

    def _model(self, X: np.ndarray, y: np.ndarray) -> BaseEstimator:
        return make_pipeline(RestrictedCubicSplines(self.n_knots),
                             RidgeCV(alphas=np.logspace(*RIDGE_ALPHAS, self.n_alphas)))


class ScaledSVR(_OneThreadRegressor):
    """Support vector regression on the standardised outcome.

    ``gamma`` is a multiple of scikit-learn's "scale" value and ``epsilon``
    is in outcome standard deviations, so one range fits every table.
    """

    @property
    def keeps_training_rows(self) -> bool:
        """Support vectors are training rows."""
        return True

    def __init__(self, C: float = 1.0, gamma: float = 1.0, epsilon: float = 0.1):
        self.C = C
        self.gamma = gamma
        self.epsilon = epsilon

    def _model(self, X: np.ndarray, y: np.ndarray) -> BaseEstimator:
        from sklearn.svm import SVR

        spread = X.shape[1] * X.var()
        gamma = self.gamma / spread if spread > 0 else self.gamma
        return standardized_target(SVR(C=self.C, gamma=gamma, epsilon=self.epsilon))


class KernelSVR(_OneThreadRegressor):
    """Support vector regression as scikit-learn ships it: ``gamma`` absolute, raw outcome.

    Why beside :class:`ScaledSVR`: on hashed fingerprints the literature's
    setting is an absolute kernel width on the raw bits (MoleculeACE's
    SVM: C = 10, gamma = 0.01, epsilon 0.1 in the outcome's units), and the
    baseline to beat on molecules must be that model, not a rescaled one.
    """

    @property
    def keeps_training_rows(self) -> bool:
        """Support vectors are training rows."""
        return True

    def __init__(self, C: float = 1.0, gamma: float = 0.01, epsilon: float = 0.1):
        self.C = C
        self.gamma = gamma
        self.epsilon = epsilon

    def _model(self, X: np.ndarray, y: np.ndarray) -> BaseEstimator:
        from sklearn.svm import SVR

        return SVR(kernel="rbf", C=self.C, gamma=self.gamma, epsilon=self.epsilon)


class CappedKNNRegressor(_OneThreadRegressor):
    """k-NN regression whose number of neighbours is capped at the number of training rows."""

    keeps_training_rows = True

    def __init__(self, n_neighbors: int = 5, weights: str = "uniform", p: int = 2):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.p = p

    def _model(self, X: np.ndarray, y: np.ndarray) -> BaseEstimator:
        from sklearn.neighbors import KNeighborsRegressor

        k = max(1, min(self.n_neighbors, len(y)))
        return KNeighborsRegressor(n_neighbors=k, weights=self.weights, p=self.p, n_jobs=1)


class SizedMLPRegressor(_OneThreadRegressor):
    """A multi-layer perceptron on the standardised outcome that stops early on large data."""

    def __init__(self, hidden_units: int = 100, hidden_layers: int = 1,
                 activation: str = "relu", alpha: float = 1e-4,
                 learning_rate_init: float = 1e-3, early_stopping_rows: int = 2000,
                 random_state: int = 0):
        self.hidden_units = hidden_units
        self.hidden_layers = hidden_layers
        self.activation = activation
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.early_stopping_rows = early_stopping_rows
        self.random_state = random_state

    def _model(self, X: np.ndarray, y: np.ndarray) -> BaseEstimator:
        from sklearn.neural_network import MLPRegressor

        return standardized_target(MLPRegressor(
            hidden_layer_sizes=(self.hidden_units,) * self.hidden_layers,
            activation=self.activation, alpha=self.alpha,
            learning_rate_init=self.learning_rate_init,
            early_stopping=len(y) >= self.early_stopping_rows, max_iter=500,
            random_state=self.random_state))


class SizedEBMRegressor(_OneThreadRegressor):
    """An Explainable Boosting Machine regressor; pairs dropped on wide tables (see SizedEBM)."""

    def __init__(self, outer_bags: int = 4, interactions: int = 10,
                 learning_rate: float = 0.015, max_interaction_features: int = 50,
                 random_state: int = 0):
        self.outer_bags = outer_bags
        self.interactions = interactions
        self.learning_rate = learning_rate
        self.max_interaction_features = max_interaction_features
        self.random_state = random_state

    def _model(self, X: np.ndarray, y: np.ndarray) -> BaseEstimator:
        from interpret.glassbox import ExplainableBoostingRegressor  # 1 s import: only when used

        pairs = self.interactions if X.shape[1] <= self.max_interaction_features else 0
        return ExplainableBoostingRegressor(
            outer_bags=self.outer_bags, interactions=pairs, learning_rate=self.learning_rate,
            n_jobs=1, random_state=self.random_state)
