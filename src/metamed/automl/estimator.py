"""``MetaClassifier``: the whole metamed procedure as a scikit-learn estimator."""

from __future__ import annotations

import time
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, column_or_1d

from metamed.evaluation.intervals import bootstrap_intervals
from metamed.knowledge import open_storage
from metamed.knowledge.metadata import MetaData
from metamed.learners import DEFAULT_LEARNER, make_learner
from metamed.report.terminal import task_summary
from metamed.automl.selection import N_CANDIDATES, fit_selected, nested_oof, select_model
from metamed.space import config_name
from metamed.data.task import Task
from metamed.data.validation import conform_features, make_task

#: Share of the time left for the honest outer CV; what remains then chooses the final model.
HONEST_SHARE = 0.5
#: Share of the budget kept back for the final refit on all rows, so the total stays within it.
REFIT_RESERVE = 0.15


@lru_cache(maxsize=4)
def load_metadata(kb: str | None) -> MetaData:
    """Meta-training data of a knowledge base (the shipped one when ``kb`` is None)."""
    return MetaData.from_storage(open_storage(kb))


class MetaClassifier(ClassifierMixin, BaseEstimator):
    """A classifier chosen with meta-knowledge and evaluated honestly.

    ``fit`` computes the table's meta-features, asks a meta-learner for the
    configs that worked on similar medical tasks, runs a budgeted search
    (successive halving over CV folds, the logistic regression always
    included), optionally builds a greedy ensemble, and refits the choice on
    all rows. With ``outer_splits`` > 0 the same procedure is first run
    inside an outer CV, so ``cv_results_`` is a score that played no part in
    choosing the model.

    Parameters
    ----------
    kb : str or None
        Knowledge-base URL or SQLite path; None uses the shipped one.
    learner : str
        Meta-learner name (see ``metamed.learners.LEARNERS``). The default,
        the local portfolio, was chosen on half of the corpus tasks by
        leave-one-task-out; see docs/benchmarks.md for how little it gains.
    time_budget : float
        Seconds for the whole fit, honest evaluation included.
    n_candidates : int
        Recommended configs to evaluate.
    n_splits : int
        Inner CV folds of the search.
    n_repeats : int
        Repeats of the inner CV for the configs that survive the first one.
    outer_splits : int
        Outer CV folds for the honest estimate; 0 skips it.
    ensemble : bool
        Whether to build a greedy ensemble of the fully evaluated configs.
    positive_class : optional
        Positive class for binary metrics (default: the minority class).
    random_state : int

    Attributes
    ----------
    classes_ : ndarray
    recommendations_ : list of Recommendation
    leaderboard_ : DataFrame
        Every candidate tried on all rows, best first, with its CV ROC AUC.
    best_config_ : dict
        Config of the best single candidate.
    cv_results_ : dict of str to Interval
        Honest metrics with 95% CIs (empty when ``outer_splits`` is 0).
    oof_proba_ : ndarray of shape (n_rows, n_classes) or None
        Outer-CV probabilities behind ``cv_results_`` (for ROC, calibration and
        decision curves); None when ``outer_splits`` is 0.
    oof_target_ : ndarray of shape (n_rows,)
        True class indices (into ``classes_``) of the training rows.
    model_ : estimator
        The fitted final pipeline or ensemble (predicts class indices).
    feature_types_ : dict
        Training columns and their types: the schema ``predict`` checks.
    task_summary_ : dict
    notes_ : list of str
    fit_seconds_ : float

    Examples
    --------
    >>> from metamed import MetaClassifier
    >>> model = MetaClassifier(time_budget=30).fit(X, y)          # doctest: +SKIP
    >>> model.cv_results_["roc_auc"]                               # doctest: +SKIP
    Interval(estimate=0.83, low=0.78, high=0.88)
    """

    def __init__(self, kb: str | None = None, *, learner: str = DEFAULT_LEARNER,
                 time_budget: float = 60.0, n_candidates: int = N_CANDIDATES, n_splits: int = 5,
                 n_repeats: int = 1, outer_splits: int = 5, ensemble: bool = True,
                 positive_class: object | None = None, random_state: int = 0) -> None:
        self.kb = kb
        self.learner = learner
        self.time_budget = time_budget
        self.n_candidates = n_candidates
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.outer_splits = outer_splits
        self.ensemble = ensemble
        self.positive_class = positive_class
        self.random_state = random_state

    def fit(self, X, y, groups=None) -> MetaClassifier:
        """Choose, evaluate and fit a model for ``(X, y)``; returns ``self``."""
        started = time.perf_counter()
        if y is None:
            raise ValueError("MetaClassifier requires y to be passed, but the target y is None.")
        frame = _as_frame(X)
        task = self._task(frame, column_or_1d(y, warn=True), groups)
        self.fit_task(task, started)
        self.n_features_in_ = frame.shape[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def fit_task(self, task: Task, started: float | None = None) -> MetaClassifier:
        """:meth:`fit` on an already validated :class:`Task`."""
        started = time.perf_counter() if started is None else started
        metadata = load_metadata(self.kb)
        self.notes_ = []
        known = metadata.known_as(task.content_hash())
        if known is not None:
            metadata = metadata.without(known)
            self.notes_.append(f"this table is the knowledge base's task '{known}'; it and its "
                               "family were left out, so recommendations come from other tasks.")
        learner = make_learner(self.learner).fit(metadata)
        deadline = started + self.time_budget
        options = dict(n_candidates=self.n_candidates, n_splits=self.n_splits,
                       n_repeats=self.n_repeats, ensemble=self.ensemble, seed=self.random_state)
        self.cv_results_, self.oof_proba_ = {}, None
        self.oof_target_ = task.codes
        if self.outer_splits:
            honest = (deadline - time.perf_counter()) * HONEST_SHARE
            self.oof_proba_ = nested_oof(task, learner, honest, outer_splits=self.outer_splits,
                                         **options)
            self.cv_results_ = self._intervals(task, self.oof_proba_)
        search_budget = deadline - time.perf_counter() - self.time_budget * REFIT_RESERVE
        selection = select_model(task, learner, max(0.0, search_budget), **options)
        self.model_ = fit_selected(selection, task)
        self.recommendations_ = selection.recommendations
        self.leaderboard_ = selection.search.leaderboard()
        self.best_config_ = selection.search.candidates[0].config
        self.ensemble_ = [(config_name(m.config), float(w))
                          for m, w in zip(selection.members, selection.weights, strict=True)]
        self.classes_ = np.asarray(task.classes)
        self.feature_types_ = dict(task.feature_types)
        self.n_features_in_ = task.n_features
        self.task_summary_ = task_summary(task)
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _task(self, frame: pd.DataFrame, y: np.ndarray, groups) -> Task:
        frame = frame.copy()
        if "__target__" in frame.columns:
            frame = frame.drop(columns="__target__")
        frame["__target__"] = np.asarray(y)
        if groups is not None:
            frame["__group__"] = np.asarray(groups)
        return make_task(frame, "__target__", name="data", positive_class=self.positive_class,
                         group_column="__group__" if groups is not None else None)

    def _intervals(self, task: Task, oof: np.ndarray) -> dict:
        positive = task.positive_index
        groups = task.group_labels
        return bootstrap_intervals(task.codes, oof[None], positive, groups,
                                   seed=self.random_state)

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class (columns follow ``classes_``)."""
        check_is_fitted(self, "model_")
        frame = _as_frame(X)
        if not isinstance(X, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {frame.shape[1]} features, but MetaClassifier is expecting "
                             f"{self.n_features_in_} features as input.")
        frame, _ = conform_features(frame, self.feature_types_)
        proba = np.zeros((len(frame), len(self.classes_)))
        proba[:, self.model_.classes_.astype(int)] = self.model_.predict_proba(frame)
        return proba

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are imputed inside every pipeline
        tags.input_tags.string = True  # text columns are categorical features
        tags.non_deterministic = False
        return tags

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


def _as_frame(X) -> pd.DataFrame:
    """A DataFrame as it is; an array-like as columns x0, x1, ... (dense, 2-D, real)."""
    if isinstance(X, pd.DataFrame):
        return X
    if issparse(X):
        raise TypeError("sparse data is not supported by MetaClassifier; pass a dense array or "
                        "a DataFrame (X.toarray()).")
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(f"Expected a 2-D table of features, got an array of shape {array.shape}. "
                         "Reshape your data with array.reshape(-1, 1) for one feature or "
                         "array.reshape(1, -1) for one sample.")
    if np.iscomplexobj(array):
        raise ValueError("Complex data not supported: features must be real numbers or text.")
    if array.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={array.shape}) while a minimum "
                         "of 1 is required by MetaClassifier.")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
