"""Wrappers that let library classifiers adapt to the data a fold gives them.

Every model runs on one thread (parallelism happens one level up, across
tasks and folds) with a fixed seed. The wrappers here exist because a
library classifier could not adapt itself: k-NN asked for more neighbours
than there are rows, calibration or an inner CV asked for more folds than
the rarest class has rows, naive Bayes given only constant columns, an MLP
training for minutes on 20,000 rows, XGBoost asked to learn string labels,
an EBM taking minutes on a wide table.

Each wrapper imports the library model it fits inside ``_fit``: loading a
model file imports this module, and a file holding one of these models
should not pay (in ``metamed predict``'s start-up) for importing the others.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from metamed.space.components import smallest_class_size


class _Delegating(ClassifierMixin, BaseEstimator):
    """Fit and predict through ``estimator_``, on one thread.

    Subclasses implement ``_fit``, which sets ``estimator_`` and ``classes_``.
    The one-thread limit matters for OpenMP code (histogram boosting, k-NN
    distance reductions), which otherwise takes every core and, on a shared
    machine, can run many times slower than on one.
    """

    def fit(self, X: object, y: object) -> _Delegating:
        with threadpool_limits(limits=1):
            self._fit(X, y)
        return self

    def _fit(self, X: object, y: object) -> None:
        raise NotImplementedError

    def predict_proba(self, X: object) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        with threadpool_limits(limits=1):
            return self.estimator_.predict_proba(X)

    def predict(self, X: object) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class SingleThreaded(_Delegating):
    """Run ``estimator`` (for example histogram gradient boosting) on one thread."""

    def __init__(self, estimator: BaseEstimator):
        self.estimator = estimator

    def _fit(self, X: object, y: object) -> None:
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_


class CappedKNN(_Delegating):
    """k-NN whose number of neighbours is capped at the number of training rows."""

    keeps_training_rows = True  # k-NN predicts from the stored training rows

    def __init__(self, n_neighbors: int = 5, weights: str = "uniform", p: int = 2):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.p = p

    def _fit(self, X: object, y: object) -> None:
        from sklearn.neighbors import KNeighborsClassifier

        k = max(1, min(self.n_neighbors, len(y)))
        self.estimator_ = KNeighborsClassifier(n_neighbors=k, weights=self.weights, p=self.p,
                                               n_jobs=1).fit(X, y)
        self.classes_ = self.estimator_.classes_


class CalibratedSVM(_Delegating):
    """A linear or RBF support vector machine with sigmoid-calibrated probabilities.

    Calibration uses ``cv`` stratified folds, fewer when the rarest class has
    fewer rows; with a class of a single row no fold can hold it, so the SVM
    is fitted once and calibrated on its own training scores (optimistic,
    but it yields probabilities instead of an error).

    Parameters
    ----------
    kernel : {"linear", "rbf"}
    C : float
    gamma : float
        RBF width as a multiple of scikit-learn's "scale" value,
        ``1 / (n_features * X.var())``.
    class_weight : None or "balanced"
    cv : int
    random_state : int
    """

    @property
    def keeps_training_rows(self) -> bool:
        """An RBF machine stores its support vectors, which are training rows."""
        return self.kernel == "rbf"

    def __init__(self, kernel: str = "linear", C: float = 1.0, gamma: float = 1.0,
                 class_weight: str | None = None, cv: int = 3, random_state: int = 0):
        self.kernel = kernel
        self.C = C
        self.gamma = gamma
        self.class_weight = class_weight
        self.cv = cv
        self.random_state = random_state

    def _fit(self, X: object, y: object) -> None:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.frozen import FrozenEstimator

        X = np.asarray(X, dtype=float)
        svm = self._svm(X)
        folds = min(self.cv, smallest_class_size(y))
        if folds >= 2:
            split = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            self.estimator_ = CalibratedClassifierCV(svm, method="sigmoid", cv=split)
        else:
            self.estimator_ = CalibratedClassifierCV(FrozenEstimator(svm.fit(X, y)),
                                                     method="sigmoid")
        self.estimator_.fit(X, y)
        self.classes_ = self.estimator_.classes_

    def _svm(self, X: np.ndarray) -> BaseEstimator:
        from sklearn.svm import SVC, LinearSVC

        if self.kernel == "linear":
            return LinearSVC(C=self.C, class_weight=self.class_weight, max_iter=5000,
                             random_state=self.random_state)
        return SVC(kernel="rbf", C=self.C, gamma=self._width(X), class_weight=self.class_weight,
                   random_state=self.random_state)

    def _width(self, X: np.ndarray) -> float:
        """The RBF width: ``gamma`` times scikit-learn's "scale" value."""
        spread = X.shape[1] * X.var()
        return self.gamma / spread if spread > 0 else self.gamma


class KernelSVC(CalibratedSVM):
    """An RBF support vector machine with an absolute kernel width, sigmoid-calibrated.

    Why beside :class:`CalibratedSVM`, whose width is relative to the data's
    spread: on hashed fingerprints the literature's setting is an absolute
    width on the raw bits (MoleculeACE's SVM: C = 10, gamma = 0.01), and the
    baseline to beat on molecules must be that model, not a rescaled one
    (the classifier twin of :class:`metamed.space.regressors.KernelSVR`).
    """

    def __init__(self, C: float = 1.0, gamma: float = 0.01, class_weight: str | None = None,
                 cv: int = 3, random_state: int = 0):
        super().__init__("rbf", C, gamma, class_weight, cv, random_state)

    def _width(self, X: np.ndarray) -> float:
        return self.gamma


class SmoothedGaussianNB(_Delegating):
    """Gaussian naive Bayes that stays defined when no column varies.

    ``GaussianNB`` adds ``var_smoothing`` times the largest column variance
    to every variance; when every training column is constant that is 0 and
    its probabilities are NaN. No column varying means the class prior is all
    there is to learn, so the prior is predicted.
    """

    def __init__(self, var_smoothing: float = 1e-9):
        self.var_smoothing = var_smoothing

    def _fit(self, X: object, y: object) -> None:
        from sklearn.dummy import DummyClassifier
        from sklearn.naive_bayes import GaussianNB

        X = np.asarray(X, dtype=float)
        varies = X.shape[0] > 1 and X.var(axis=0).max() > 0
        model = GaussianNB(var_smoothing=self.var_smoothing) if varies else DummyClassifier()
        self.estimator_ = model.fit(X, y)
        self.classes_ = self.estimator_.classes_


class SizedMLP(_Delegating):
    """A multi-layer perceptron that stops early on large data.

    At 20,000 rows, 200 epochs take minutes. Early stopping holds out a
    stratified 10% of the rows, which a class of one row cannot join and
    which is too noisy on small tables; so it is used only from
    ``early_stopping_rows`` rows with 20 rows in the rarest class.

    Parameters
    ----------
    hidden_units, hidden_layers : int
        Width and depth of the network (``hidden_layer_sizes``).
    activation, alpha, learning_rate_init :
        As in ``MLPClassifier``.
    """

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

    def _fit(self, X: object, y: object) -> None:
        from sklearn.neural_network import MLPClassifier

        large = len(y) >= self.early_stopping_rows and smallest_class_size(y) >= 20
        self.estimator_ = MLPClassifier(
            hidden_layer_sizes=(self.hidden_units,) * self.hidden_layers,
            activation=self.activation, alpha=self.alpha,
            learning_rate_init=self.learning_rate_init, early_stopping=large,
            random_state=self.random_state,
        ).fit(X, y)
        self.classes_ = self.estimator_.classes_


class EncodedLabels(_Delegating):
    """Fit ``estimator`` on labels recoded as 0..K-1 (XGBoost accepts no others)."""

    def __init__(self, estimator: BaseEstimator):
        self.estimator = estimator

    def _fit(self, X: object, y: object) -> None:
        self.encoder_ = LabelEncoder().fit(y)
        self.estimator_ = clone(self.estimator).fit(X, self.encoder_.transform(y))
        self.classes_ = self.encoder_.classes_


class InnerCVLogistic(_Delegating):
    """L2 logistic regression whose penalty is chosen by inner cross-validation on log loss.

    Small clinical tables overfit an unpenalised model and an arbitrary
    ``C`` alike; choosing ``C`` among ``n_cs`` values (1e-4 to 1e4) by
    stratified ``cv``-fold log loss is the standard remedy. With fewer rows
    in the rarest class than folds, the folds shrink; with a class of one
    row, ``C`` = 1 is used.

    Parameters
    ----------
    n_cs : int
    cv : int
    class_weight : None or "balanced"
    random_state : int
    """

    def __init__(self, n_cs: int = 10, cv: int = 5, class_weight: str | None = None,
                 random_state: int = 0):
        self.n_cs = n_cs
        self.cv = cv
        self.class_weight = class_weight
        self.random_state = random_state

    def _fit(self, X: object, y: object) -> None:
        folds = min(self.cv, smallest_class_size(y))
        if folds >= 2:
            split = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            self.estimator_ = LogisticRegressionCV(
                Cs=self.n_cs, l1_ratios=(0.0,), cv=split, scoring="neg_log_loss",
                class_weight=self.class_weight, use_legacy_attributes=False,
                max_iter=2000, random_state=self.random_state)
        else:
            self.estimator_ = LogisticRegression(class_weight=self.class_weight, max_iter=2000,
                                                 random_state=self.random_state)
        self.estimator_.fit(X, y)
        self.classes_ = self.estimator_.classes_


class SizedEBM(_Delegating):
    """An Explainable Boosting Machine (InterpretML) whose cost follows the table.

    An EBM fits one shape function per feature (and optionally per pair):
    a glass-box model whose every term can be plotted. It is also slow on
    wide tables (300 s per 5-fold CV on 240 x 500 in a quick test), so
    pairwise interactions are dropped above ``max_interaction_features``
    columns or with more than two classes, and ``outer_bags`` stays small.

    Parameters
    ----------
    outer_bags : int
    interactions : int
        Pairwise terms on small enough tables.
    learning_rate : float
    max_interaction_features : int
    random_state : int
    """

    def __init__(self, outer_bags: int = 4, interactions: int = 10,
                 learning_rate: float = 0.015, max_interaction_features: int = 50,
                 random_state: int = 0):
        self.outer_bags = outer_bags
        self.interactions = interactions
        self.learning_rate = learning_rate
        self.max_interaction_features = max_interaction_features
        self.random_state = random_state

    def _fit(self, X: object, y: object) -> None:
        from interpret.glassbox import ExplainableBoostingClassifier  # 1 s import: only when used

        X = np.asarray(X, dtype=float)
        pairs = self.interactions if (X.shape[1] <= self.max_interaction_features
                                      and len(np.unique(y)) == 2) else 0
        self.estimator_ = ExplainableBoostingClassifier(
            outer_bags=self.outer_bags, interactions=pairs, learning_rate=self.learning_rate,
            n_jobs=1, random_state=self.random_state).fit(X, y)
        self.classes_ = self.estimator_.classes_
