"""``MetaSurvival``: the metamed procedure for time-to-event outcomes.

The procedure of :class:`~metamed.automl.estimator.MetaClassifier` with a
(time, event) outcome: candidates are ranked by Harrell's C, the model to
beat is the Cox model with a small ridge penalty, and every prediction is a
risk score with the survival probability at any time. The honest outer CV
scores risk and survival at the task's horizons (the quartiles of follow-up
unless chosen) with Harrell's and Uno's C, the time-dependent AUC, the IPCW
Brier score and calibration at each horizon (:mod:`metamed.survival.scoring`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from metamed.automl.ensemble import WeightedAverage
from metamed.automl.estimator import _as_frame, _learned, _MetaEstimator
from metamed.clock import WorkClock
from metamed.data.task import Task
from metamed.data.validation import make_task
from metamed.errors import MetamedError
from metamed.kinds import SURVIVAL
from metamed.learners import DEFAULT_LEARNER, N_CANDIDATES
from metamed.survival.models import survival_curves


class WeightedSurvival(WeightedAverage):
    """A weighted blend of fitted survival models: risk scores and survival curves averaged.

    Members are survival pipelines: ``predict`` gives a risk score and the
    last step has ``predict_survival``.
    """

    def predict_survival(self, X, times) -> np.ndarray:
        check_is_fitted(self, "n_members_")
        return sum(w * survival_curves(e, X, times)
                   for w, e in zip(self.weights, self.estimators, strict=True))


class MetaSurvival(_MetaEstimator):
    """A survival model chosen with meta-knowledge and evaluated honestly against the Cox model.

    Parameters are those of :class:`~metamed.automl.estimator.MetaClassifier`
    (without ``positive_class``), plus ``horizons``: the times at which
    survival is predicted and scored (default: the quartiles of follow-up).

    ``fit(X, y)`` takes ``y`` as an ``(n, 2)`` array or frame of follow-up
    time (> 0) and event indicator (1 event, 0 censored).

    Attributes
    ----------
    horizons_ : tuple of float
    cv_results_ : dict of str to Interval
        Honest Harrell's and Uno's C, integrated Brier score, calibration
        slope, and per horizon (``name@t``) the time-dependent AUC, Brier
        score and observed / expected events, with 95% CIs.
    baseline_comparison_ : dict of str to Interval
        Honest metrics minus the Cox model's on the same outer folds.
    oof_predictions_ : ndarray (n_rows, 1 + len(horizons_)) or None
        Outer-CV risk (column 0) and survival at each horizon.
    oof_target_ : ndarray (n_rows, 2)
        Follow-up time and event of the training rows.
    baseline_survival_ : dict or None
        The final model's baseline survival ``S0(t)`` at the horizons and the
        risk score it refers to (TRIPOD 15a); None for a blend of models.
    recalibration_ : dict
        ``hazard_multiplier`` when the final model's baseline hazard was
        multiplied by the out-of-fold observed / expected events (a
        likelihood-ratio test rejected 1, :mod:`metamed.survival.calibration`);
        with outer CV, the honest O/E before and after the step and how many
        outer folds recalibrated. Empty when neither applies.
    leaderboard_, recommendations_, best_config_, ensemble_, decision_,
    feature_types_, task_summary_, notes_, fit_seconds_ :
        As for :class:`~metamed.automl.estimator.MetaClassifier`.
    """

    task_type = SURVIVAL.name

    def __init__(self, kb: str | None = None, *, learner: str = DEFAULT_LEARNER,
                 time_budget: float = 60.0, n_candidates: int = N_CANDIDATES, n_splits: int = 5,
                 n_repeats: int = 1, outer_splits: int = 5, ensemble: bool = True,
                 shareable: bool = False, horizons: tuple[float, ...] | None = None,
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
        self.horizons = horizons
        self.random_state = random_state

    oof_target_ = _learned("oof_target")

    def fit(self, X, y, groups=None):
        """Choose, evaluate and fit a survival model for ``X`` and (time, event) ``y``."""
        clock = WorkClock(self.time_budget)
        frame = _as_frame(X, type(self).__name__)
        outcome = np.asarray(y, dtype=float) if y is not None else None
        if outcome is None or outcome.ndim != 2 or outcome.shape[1] != 2:
            raise MetamedError("MetaSurvival needs y as two columns: follow-up time and event "
                               "(1 event, 0 censored).")
        table = frame.drop(columns=[c for c in ("__time__", "__event__") if c in frame])
        table = table.assign(__time__=outcome[:, 0], __event__=outcome[:, 1])
        if groups is not None:
            table["__group__"] = np.asarray(groups)
        task = make_task(table, "__time__", event="__event__", name="data",
                         group_column="__group__" if groups is not None else None,
                         horizons=self.horizons, group_duplicates=True)
        return self.fit_task(task, clock, input_columns=list(frame.columns),
                             named_input=isinstance(X, pd.DataFrame))

    def fit_task(self, task: Task, clock: WorkClock | None = None, **options):
        if self.horizons is not None and tuple(self.horizons) != task.horizons:
            raise MetamedError(f"the task's horizons {task.horizons} differ from "
                               f"horizons={tuple(self.horizons)}; build the task with them.")
        return super().fit_task(task, clock, **options)

    @property
    def horizons_(self) -> tuple[float, ...]:
        return tuple(self._state().task_summary["horizons"])

    def predict(self, X) -> np.ndarray:
        """Each row's risk score (higher means an earlier event)."""
        return np.asarray(self._state().model.predict(self._features(X)), dtype=float)

    def predict_survival(self, X, times=None) -> np.ndarray:
        """``S(t | x)`` for each row (rows) at each of ``times`` (default: the horizons)."""
        times = self.horizons_ if times is None else times
        return survival_curves(self._state().model, self._features(X), times)

    @property
    def baseline_survival_(self) -> dict | None:
        last = self._state().model
        last = last.steps[-1][1] if hasattr(last, "steps") else last
        if not hasattr(last, "baseline_cumhaz_"):
            return None
        index = np.searchsorted(last.baseline_times_, self.horizons_, side="right") - 1
        cumhaz = np.where(index >= 0, last.baseline_cumhaz_[np.clip(index, 0, None)], 0.0)
        return {"at_risk_score": float(last.risk_offset_),
                "survival": {f"{t:g}": float(np.exp(-h))
                             for t, h in zip(self.horizons_, cumhaz, strict=True)}}
