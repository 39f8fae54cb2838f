"""Preprocessing steps that adapt to the data they are fitted on.

Each wraps a scikit-learn component that cannot adapt itself to what a
medical table throws at it inside a cross-validation fold: a column that is
entirely missing, 30 rows where 1,000 quantiles are asked for, a class of one
row, a selection rule that would keep nothing. They follow scikit-learn's
conventions: ``__init__`` stores its arguments, ``fit`` does the work,
learned attributes end in ``_``.

Those that learn from the target serve both kinds of task and tell them
apart by its type (:func:`is_continuous`): classifiers are always fitted on
integer class codes, regressions on floats.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.feature_selection import SelectorMixin, f_classif, f_regression
from sklearn.impute import KNNImputer
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import QuantileTransformer, TargetEncoder
from sklearn.utils.validation import check_is_fitted, validate_data

from metamed.errors import MetamedError


class ColumnPicker(TransformerMixin, BaseEstimator):
    """Take the named columns of a DataFrame, in the given order.

    Why: ``ColumnTransformer`` looks every column name up in a list, which
    is quadratic in the number of columns (seconds per fit on the widest
    omics tables). Picking the columns once by name here lets the column
    transformer that follows address them by position.
    """

    def __init__(self, columns: Sequence[str]):
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: object = None) -> ColumnPicker:
        if not isinstance(X, pd.DataFrame):
            raise MetamedError(f"a pipeline takes a pandas DataFrame, not {type(X).__name__}.")
        absent = pd.Index(self.columns).difference(X.columns)
        if len(absent):
            raise MetamedError(f"the table has no column {absent[0]!r}, which the pipeline needs.")
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "n_features_in_")
        return X[list(self.columns)]


def is_continuous(y: object) -> bool:
    """Whether ``y`` is a regression's target (floats) rather than class codes."""
    return np.asarray(y).dtype.kind == "f"


def smallest_class_size(y: object) -> int:
    """Rows in the rarest class: what limits any stratified split of ``y``."""
    return int(np.unique(np.asarray(y), return_counts=True)[1].min())


def _as_strings(X: object) -> tuple[np.ndarray, np.ndarray]:
    """Values as an object array of strings, and where they are missing.

    Encoders refuse a column mixing strings and numbers; turning every
    present value into its string makes any categorical column acceptable.
    """
    values = np.asarray(X, dtype=object)
    if values.ndim == 1:
        values = values.reshape(-1, 1)
    missing = pd.isna(values)
    strings = values.astype(str).astype(object)
    return strings, missing


def _most_frequent(strings: np.ndarray, fallback: str) -> str:
    """The commonest level (ties broken alphabetically); ``fallback`` if none."""
    if strings.size == 0:
        return fallback
    levels, counts = np.unique(strings.astype(str), return_counts=True)
    return str(levels[np.argmax(counts)])


class CategoricalImputer(TransformerMixin, BaseEstimator):
    """Fill missing categorical values with the most frequent level or a constant.

    Unlike ``SimpleImputer``, a column that is entirely missing in the
    training fold is filled with ``fill_value`` (not with the number 0), and
    the output is always strings.

    Parameters
    ----------
    strategy : {"most_frequent", "constant"}
    fill_value : str
        The level used by "constant", and for columns with no observed level.
    """

    def __init__(self, strategy: str = "most_frequent", fill_value: str = "missing"):
        self.strategy = strategy
        self.fill_value = fill_value

    def fit(self, X: object, y: object = None) -> CategoricalImputer:
        strings, missing = _as_strings(X)
        self.n_features_in_ = strings.shape[1]
        if self.strategy == "constant":
            self.fills_ = [self.fill_value] * self.n_features_in_
        else:
            self.fills_ = [_most_frequent(strings[~missing[:, j], j], self.fill_value)
                           for j in range(self.n_features_in_)]
        return self

    def transform(self, X: object) -> np.ndarray:
        check_is_fitted(self, "fills_")
        strings, missing = _as_strings(X)
        for j, fill in enumerate(self.fills_):
            strings[missing[:, j], j] = fill
        return strings


class SubsampledKNNImputer(TransformerMixin, BaseEstimator):
    """k-NN imputation whose donors are at most ``max_donors`` training rows.

    ``KNNImputer`` compares every row with every training row; on 20,000 rows
    that is slow and memory-hungry, while a few thousand donors impute as well.
    The donors are training rows, kept in the fitted model.
    """

    keeps_training_rows = True

    def __init__(self, n_neighbors: int = 5, max_donors: int = 2000, random_state: int = 0):
        self.n_neighbors = n_neighbors
        self.max_donors = max_donors
        self.random_state = random_state

    def fit(self, X: object, y: object = None) -> SubsampledKNNImputer:
        X = np.asarray(X, dtype=float)
        rows = np.arange(len(X))
        if len(X) > self.max_donors:
            rng = np.random.default_rng(self.random_state)
            rows = np.sort(rng.choice(rows, self.max_donors, replace=False))
        self.imputer_ = KNNImputer(n_neighbors=self.n_neighbors, keep_empty_features=True)
        self.imputer_.fit(X[rows])
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: object) -> np.ndarray:
        check_is_fitted(self, "imputer_")
        return self.imputer_.transform(np.asarray(X, dtype=float))


class NormalQuantileScaler(TransformerMixin, BaseEstimator):
    """Map each column to a standard normal through its empirical quantiles.

    The number of quantiles is capped at the number of training rows, which
    ``QuantileTransformer`` does only with a warning. The quantiles are
    training values, kept in the fitted model.
    """

    keeps_training_rows = True

    def __init__(self, n_quantiles: int = 1000, random_state: int = 0):
        self.n_quantiles = n_quantiles
        self.random_state = random_state

    def fit(self, X: object, y: object = None) -> NormalQuantileScaler:
        X = np.asarray(X, dtype=float)
        self.transformer_ = QuantileTransformer(
            n_quantiles=max(1, min(self.n_quantiles, len(X))),
            output_distribution="normal",
            random_state=self.random_state,
        ).fit(X)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: object) -> np.ndarray:
        check_is_fitted(self, "transformer_")
        return self.transformer_.transform(np.asarray(X, dtype=float))


class FoldSafeTargetEncoder(TransformerMixin, BaseEstimator):
    """Cross-fitted target encoding with as many folds as the rarest class allows.

    ``TargetEncoder`` cross-fits its training encoding (so a row never sees
    its own label) with 5 stratified folds; a class of 2 rows cannot fill 5
    folds, so the number of folds shrinks to what the data holds (at least 2).
    """

    def __init__(self, cv: int = 5, random_state: int = 0):
        self.cv = cv
        self.random_state = random_state

    def fit(self, X: object, y: object) -> FoldSafeTargetEncoder:
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: object, y: object = None) -> np.ndarray:
        if is_continuous(y):
            split = KFold(max(2, min(self.cv, len(y))), shuffle=True,
                          random_state=self.random_state)
            self.encoder_ = TargetEncoder(target_type="continuous", cv=split)
        else:
            folds = max(2, min(self.cv, smallest_class_size(y)))
            split = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            self.encoder_ = TargetEncoder(cv=split)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The least populated class")
            encoded = self.encoder_.fit_transform(X, y)
        self.n_features_in_ = self.encoder_.n_features_in_
        return encoded

    def transform(self, X: object) -> np.ndarray:
        check_is_fitted(self, "encoder_")
        return self.encoder_.transform(X)


class FeatureSelector(SelectorMixin, BaseEstimator):
    """Keep the most useful columns, and always at least one.

    Parameters
    ----------
    method : {"kbest", "l1", "trees"}
        "kbest" keeps the top ``fraction`` of columns by ANOVA F score;
        "trees" the top ``fraction`` by extra-trees importance; "l1" the
        columns with a non-zero coefficient in an L1 logistic regression
        (one-vs-rest, strength ``C``). For a regression the F score is that
        of a linear fit, the trees are regression trees, and the L1 model is
        the lasso on the standardised outcome with penalty ``1 / (C n)``.
    fraction : float
        Share of columns kept by "kbest" and "trees" (rounded, at least 1).
    C : float
        Inverse regularisation strength of "l1".

    When a rule would keep nothing (every L1 coefficient zero), the column
    with the best F score is kept, so the model always has an input.
    """

    def __init__(self, method: str = "kbest", fraction: float = 0.5, C: float = 1.0,
                 random_state: int = 0):
        self.method = method
        self.fraction = fraction
        self.C = C
        self.random_state = random_state

    def fit(self, X: object, y: object) -> FeatureSelector:
        self.continuous_ = is_continuous(y)
        X, y = validate_data(self, X, y, dtype=float, y_numeric=self.continuous_)
        if self.method == "l1":
            self.scores_ = self._l1_weights(X, y)
            support = self.scores_ > 0
            self.support_ = support if support.any() else _top(_f_scores(X, y), 1)
            return self
        self.scores_ = _f_scores(X, y) if self.method == "kbest" else self._importances(X, y)
        self.support_ = _top(self.scores_, max(1, round(self.fraction * X.shape[1])))
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_

    def _importances(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor  # fit only

        trees = ExtraTreesRegressor if self.continuous_ else ExtraTreesClassifier
        forest = trees(n_estimators=50, n_jobs=1, random_state=self.random_state)
        return forest.fit(X, y).feature_importances_

    def _l1_weights(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Largest absolute coefficient of each column over one-vs-rest fits (or the lasso's)."""
        if self.continuous_:
            spread = y.std() or 1.0
            lasso = Lasso(alpha=1.0 / (self.C * len(y)), max_iter=5000)
            return np.abs(lasso.fit(X, (y - y.mean()) / spread).coef_)
        classes = np.unique(y)
        targets = [y == label for label in (classes[1:] if len(classes) == 2 else classes)]
        model = LogisticRegression(C=self.C, l1_ratio=1.0, solver="liblinear",
                                   random_state=self.random_state)
        coefs = [clone(model).fit(X, target).coef_[0] for target in targets]
        return np.abs(np.array(coefs)).max(axis=0)


def _f_scores(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ANOVA (or, for a regression, linear) F per column; constant columns score 0."""
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, _ = (f_regression if is_continuous(y) else f_classif)(X, y)
    return np.nan_to_num(scores, nan=0.0, posinf=np.finfo(float).max)


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Mask of the ``k`` highest scores; ties go to the leftmost column."""
    mask = np.zeros(len(scores), dtype=bool)
    mask[np.argsort(-scores, kind="stable")[:k]] = True
    return mask
