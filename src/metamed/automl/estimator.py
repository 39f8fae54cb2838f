"""``MetaClassifier`` and ``MetaRegressor``: the whole metamed procedure as scikit-learn
estimators.

Both run one procedure (:class:`_MetaEstimator`); they differ in the task
type they make of ``y``, the baseline they must beat (plain logistic
regression, ridge with its penalty tuned) and what they predict
(probabilities; numbers with conformal prediction intervals).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted, column_or_1d

from metamed.automl.conformal import DEFAULT_LEVEL
from metamed.automl.state import FittedState
from metamed.clock import WorkClock
from metamed.data.task import Task
from metamed.data.validation import conform_features, make_task
from metamed.errors import MetamedError
from metamed.evaluation.baseline import verdict
from metamed.kinds import CLASSIFICATION, REGRESSION, Kind, kind_for
from metamed.learners import DEFAULT_LEARNER, N_CANDIDATES


def _learned(name: str) -> property:
    """A read-only attribute of the fitted state; NotFittedError before ``fit``."""
    return property(lambda self: getattr(self._state(), name),
                    doc=f"``FittedState.{name}`` of the last fit.")


class _MetaEstimator(BaseEstimator):
    """The procedure both estimators run: recommend, search, evaluate honestly, refit.

    Subclasses set :attr:`task_type` and how predictions are made; the
    parameters are documented on :class:`MetaClassifier` and
    :class:`MetaRegressor`.
    """

    task_type: str  # set by each estimator: the type of task it fits
    positive_class: object | None = None

    def fit(self, X, y, groups=None):
        """Choose, evaluate and fit a model for ``(X, y)``; returns ``self``."""
        clock = WorkClock(self.time_budget)
        if y is None:
            raise MetamedError(f"{type(self).__name__} requires y to be passed, but the target "
                               "y is None.")
        frame = _as_frame(X, type(self).__name__)
        task = self._task(frame, column_or_1d(y, warn=True), groups)
        return self.fit_task(task, clock, input_columns=list(frame.columns),
                             named_input=isinstance(X, pd.DataFrame))

    def fit_task(self, task: Task, clock: WorkClock | None = None, *,
                 input_columns: list[str] | None = None, named_input: bool = True,
                 progress: Callable[[str], None] | None = None):
        """:meth:`fit` on an already validated :class:`Task`.

        ``clock`` counts the budget's work (:mod:`metamed.clock`; default:
        from now on), so a caller can charge reading the table to it;
        ``input_columns`` are the columns the user gave (default: the task's
        features); ``named_input`` whether they are the user's names;
        ``progress`` hears each stage as it starts (the command shows it).
        """
        from metamed.automl.procedure import fitted_state  # the search: not needed to predict

        self.state_ = fitted_state(self, task, clock or WorkClock(self.time_budget),
                                   input_columns=input_columns, named_input=named_input,
                                   progress=progress)
        return self

    def _task(self, frame: pd.DataFrame, y: np.ndarray, groups) -> Task:
        frame = frame.copy()
        if "__target__" in frame.columns:
            frame = frame.drop(columns="__target__")
        frame["__target__"] = np.asarray(y)
        if groups is not None:
            frame["__group__"] = np.asarray(groups)
        return make_task(frame, "__target__", name="data", positive_class=self.positive_class,
                         group_column="__group__" if groups is not None else None,
                         task_type=self.task_type, group_duplicates=True)

    def _features(self, X) -> pd.DataFrame:
        """``X`` in the training schema (columns checked, types converted)."""
        frame = _as_frame(X, type(self).__name__)
        if not isinstance(X, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            raise MetamedError(f"X has {frame.shape[1]} features, but {type(self).__name__} is "
                               f"expecting {self.n_features_in_} features as input.")
        return conform_features(frame, self._state().feature_types)[0]

    def _state(self) -> FittedState:
        check_is_fitted(self, "state_")
        return self.state_

    def _set_state(self, state: FittedState):
        """Adopt a state read from a model file (see :mod:`metamed.automl.persistence`)."""
        self.state_ = state
        return self

    # What the fit learned, read from the one state object (scikit-learn's ``name_`` style).
    model_ = _learned("model")
    feature_types_ = _learned("feature_types")
    cv_results_ = _learned("cv_results")
    baseline_comparison_ = _learned("baseline_comparison")
    oof_predictions_ = _learned("oof_predictions")
    oof_target_ = _learned("oof_target")
    leaderboard_ = _learned("leaderboard")
    recommendations_ = _learned("recommendations")
    best_config_ = _learned("best_config")
    ensemble_ = _learned("ensemble")
    decision_ = _learned("decision")
    recalibration_ = _learned("recalibration")
    task_summary_ = _learned("task_summary")
    notes_ = _learned("notes")
    fit_seconds_ = _learned("fit_seconds")

    @property
    def verdict_(self) -> str | None:
        """Whether the procedure beat the baseline, in one sentence (None without outer CV)."""
        comparison = self._state().baseline_comparison
        return verdict(comparison, self.kind_) if comparison else None

    @property
    def kind_(self) -> Kind:
        """What the model is measured with (:mod:`metamed.kinds`): its type's record, and
        the baseline it had to beat (SVR on ECFP4 for a regression on molecules)."""
        return kind_for(self.task_type, self._state().feature_types)

    @property
    def n_features_in_(self) -> int:
        return len(self._state().input_columns)

    @property
    def feature_names_in_(self) -> np.ndarray:
        """Column names seen in ``fit``; absent (AttributeError) when ``X`` had none."""
        state = self._state()
        if not state.named_input:
            raise AttributeError("feature_names_in_ is defined only when X has column names.")
        return np.asarray(state.input_columns, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are imputed inside every pipeline
        tags.input_tags.string = True  # text columns are categorical features
        tags.non_deterministic = False
        return tags


class MetaClassifier(ClassifierMixin, _MetaEstimator):
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
        Seconds of work for the whole fit, honest evaluation included:
        metamed's own CPU time (:mod:`metamed.clock`), so a busy machine
        takes longer but gives the same answer; the wall clock only caps
        it at ``WALL_CAP`` times the budget.
    n_candidates : int
        Recommended configs to evaluate.
    n_splits : int
        Inner CV folds of the search.
    n_repeats : int
        Repeats of the inner CV for the configs that survive the first one.
    outer_splits : int
        Outer CV folds for the honest estimate; 0 skips it.
    ensemble : bool
        Whether to propose a greedy ensemble of the fully evaluated configs
        (else the best one). The proposal replaces plain logistic regression
        only as far as the noise-aware policy allows (:attr:`decision_`).
    shareable : bool
        Search only pipelines whose fitted model keeps no patient values
        (no k-NN, RBF SVM or quantile scaling), so the model file can be
        shared like a report; see :mod:`metamed.space.privacy`.
    leave_out : tuple of str
        Knowledge-base tasks left out of the meta-knowledge, each with its
        family: for a benchmark on data the KB holds in another form (a
        published split of one of its tasks), where the table's own content
        does not match the stored task and so is not recognised.
    positive_class : optional
        Positive class for binary metrics (default: the minority class).
    random_state : int

    Attributes
    ----------
    state_ : FittedState
        Everything the fit learned, in one object (saved whole); the
        attributes below read it.
    classes_ : ndarray
    positive_class_ : object or None
        The positive class of a binary task (None otherwise).
    n_features_in_ : int
        Columns given to ``fit``, usable or not.
    feature_names_in_ : ndarray
        Their names, when ``X`` was a DataFrame.
    recommendations_ : list of Recommendation
    leaderboard_ : DataFrame
        Every candidate tried on all rows, best first, with its CV ROC AUC.
    best_config_ : dict
        Config of the best single candidate.
    ensemble_ : list of (str, float)
        The final model's pipelines and weights (plain LR among them when
        the policy blended it in).
    decision_ : Decision or None
        Whether, and how far, the search's proposal replaced plain logistic
        regression, with the posterior probability of a real gain
        (:mod:`metamed.automl.policy`); ``decision_.sentence()`` says it.
    recalibration_ : dict
        ``intercept`` and ``slope`` of the final model's logistic
        recalibration when its out-of-fold calibration was off
        (:mod:`metamed.automl.calibration`); with outer CV, the honest
        calibration slope before and after the step and how many outer
        folds recalibrated. Empty when neither applies.
    cv_results_ : dict of str to Interval
        Honest metrics with 95% CIs (empty when ``outer_splits`` is 0).
    baseline_comparison_ : dict of str to Interval
        Honest metrics minus plain logistic regression's on the same outer
        folds, with paired 95% CIs; :attr:`verdict_` says it in words.
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
                 shareable: bool = False, positive_class: object | None = None,
                 leave_out: tuple[str, ...] = (), random_state: int = 0) -> None:
        self.kb = kb
        self.learner = learner
        self.time_budget = time_budget
        self.n_candidates = n_candidates
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.outer_splits = outer_splits
        self.ensemble = ensemble
        self.shareable = shareable
        self.leave_out = leave_out
        self.positive_class = positive_class
        self.random_state = random_state

    task_type = CLASSIFICATION.name
    classes_ = _learned("classes")
    oof_proba_ = _learned("oof_predictions")  # a classifier's predictions are probabilities
    positive_class_ = _learned("positive_class")

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class (columns follow ``classes_``)."""
        state = self._state()
        frame = self._features(X)
        proba = np.zeros((len(frame), len(state.classes)))
        proba[:, state.model.classes_.astype(int)] = state.model.predict_proba(frame)
        return proba

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class MetaRegressor(RegressorMixin, _MetaEstimator):
    """A regressor chosen with meta-knowledge, evaluated honestly, with prediction intervals.

    The procedure of :class:`MetaClassifier` for a continuous outcome
    (length of stay, a lab value): candidates are ranked by cross-validated
    R², the model to beat is ridge regression with its penalty tuned by
    CV, and every prediction comes with conformal (CV+) intervals whose
    coverage the outer CV measures (:mod:`metamed.automl.conformal`).
    Parameters are those of :class:`MetaClassifier` (without
    ``positive_class``).

    Attributes
    ----------
    state_ : FittedState
    cv_results_ : dict of str to Interval
        Honest R², RMSE, MAE, calibration slope and in-the-large, with 95% CIs.
    baseline_comparison_ : dict of str to Interval
        Honest metrics minus the tuned ridge's on the same outer folds.
    interval_coverage_ : dict
        Per interval level (``"0.9"``...), the share of held-out outcomes
        inside their interval in the outer CV, and the mean and median width.
    model_ : ConformalRegressor
    leaderboard_, recommendations_, best_config_, ensemble_, decision_,
    oof_predictions_ : ndarray of shape (n_rows, 1) or None
        Outer-CV predicted values behind ``cv_results_``.
    oof_target_, feature_types_, task_summary_, notes_, fit_seconds_ :
        As for :class:`MetaClassifier`.
    """

    task_type = REGRESSION.name

    def __init__(self, kb: str | None = None, *, learner: str = DEFAULT_LEARNER,
                 time_budget: float = 60.0, n_candidates: int = N_CANDIDATES, n_splits: int = 5,
                 n_repeats: int = 1, outer_splits: int = 5, ensemble: bool = True,
                 shareable: bool = False, leave_out: tuple[str, ...] = (),
                 random_state: int = 0) -> None:
        self.kb = kb
        self.learner = learner
        self.time_budget = time_budget
        self.n_candidates = n_candidates
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.outer_splits = outer_splits
        self.ensemble = ensemble
        self.shareable = shareable
        self.leave_out = leave_out
        self.random_state = random_state

    interval_coverage_ = _learned("interval_coverage")

    def predict(self, X) -> np.ndarray:
        """The predicted value of each row."""
        return np.asarray(self._state().model.predict(self._features(X)), dtype=float)

    def predict_interval(self, X, level: float = DEFAULT_LEVEL) -> np.ndarray:
        """Lower and upper bound (columns) of each row's ``level`` prediction interval."""
        return self._state().model.predict_interval(self._features(X), level)


def _as_frame(X, owner: str) -> pd.DataFrame:
    """A DataFrame as it is; an array-like as columns x0, x1, ... (dense, 2-D, real)."""
    if isinstance(X, pd.DataFrame):
        return X
    if issparse(X):
        raise TypeError(f"sparse data is not supported by {owner}; pass a dense array or "
                        "a DataFrame (X.toarray()).")
    array = np.asarray(X)
    if array.ndim != 2:
        raise MetamedError(f"Expected a 2-D table of features, got an array of shape "
                           f"{array.shape}. Reshape your data with array.reshape(-1, 1) for one "
                           "feature or array.reshape(1, -1) for one sample.")
    if np.iscomplexobj(array):
        raise MetamedError("Complex data not supported: features must be real numbers or text.")
    if array.shape[1] == 0:
        raise MetamedError(f"Found array with 0 feature(s) (shape={array.shape}) while a minimum "
                           f"of 1 is required by {owner}.")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
