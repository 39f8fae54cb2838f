"""What a fit learns, as one object: built once by ``fit``, saved and loaded whole.

``MetaClassifier``, the model file and the ``fit`` command all read the
same :class:`FittedState`, so a fact added to it (the positive class, the
input columns) cannot exist before saving and be missing after loading.
Arrays and the fitted estimator go into the model file as they are; every
other field is a JSON document (:meth:`FittedState.document`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from metamed.automl.decision import Decision
from metamed.evaluation.intervals import Interval
from metamed.learners import Recommendation

#: Fields stored as they are (an estimator, arrays), not inside the JSON document.
BINARY_FIELDS = ("model", "oof_predictions", "oof_target")


@dataclass
class FittedState:
    """Everything ``MetaClassifier.fit`` (or ``MetaRegressor.fit``) learned.

    Attributes
    ----------
    model : estimator
        The fitted final pipeline or ensemble (predicts class indices); for
        a regression, a :class:`~metamed.automl.conformal.ConformalRegressor`.
    classes : ndarray
        Class labels; the column order of probabilities (empty for a regression).
    positive_index : int or None
        Index into ``classes`` of the positive class (binary tasks only).
    input_columns : list of str
        Columns given to ``fit`` (``x0, x1, ...`` for an array), usable or not.
    named_input : bool
        Whether those names came from the user (a DataFrame) rather than ``x0, x1, ...``.
    feature_types : dict
        Usable training columns and their types: the schema ``predict`` checks.
    cv_results : dict of str to Interval
        Honest metrics with 95% CIs (empty without outer CV).
    baseline_comparison : dict of str to Interval
        Each honest metric minus the baseline's (plain logistic regression,
        or tuned ridge) on the same outer folds, with a paired 95% CI (empty
        without outer CV).
    oof_predictions : ndarray or None
        Outer-CV probabilities (a regression: predictions) behind ``cv_results``.
    oof_target : ndarray
        True class indices (a regression: values) of the training rows.
    leaderboard : DataFrame
    recommendations : list of Recommendation
    best_config : dict
    ensemble : list of (name, weight)
    decision : Decision or None
        The policy's decision against plain logistic regression (None when
        the search proposed LR itself or ran without a policy).
    recalibration : dict
        The final model's recalibration and the honest slopes before and
        after it (see ``MetaClassifier.recalibration_``).
    task_summary : dict
    notes : list of str
    fit_seconds : float
    task_type : {"classification", "regression"}
    interval_coverage : dict
        A regression's prediction intervals in the outer folds: per level,
        the share of held-out outcomes inside their interval and the widths.
    """

    model: BaseEstimator
    classes: np.ndarray
    positive_index: int | None
    input_columns: list[str]
    named_input: bool
    feature_types: dict[str, str]
    cv_results: dict[str, Interval]
    baseline_comparison: dict[str, Interval]
    oof_predictions: np.ndarray | None
    oof_target: np.ndarray
    leaderboard: pd.DataFrame
    recommendations: list[Recommendation]
    best_config: dict
    ensemble: list[tuple[str, float]]
    task_summary: dict
    notes: list[str]
    fit_seconds: float
    decision: Decision | None = None
    recalibration: dict = dataclasses.field(default_factory=dict)
    task_type: str = field(kw_only=True)
    interval_coverage: dict = dataclasses.field(default_factory=dict)

    @property
    def positive_class(self) -> object | None:
        return None if self.positive_index is None else self.classes[self.positive_index]

    @property
    def training_values(self) -> list[str]:
        """Fitted components that hold patient values (k-NN rows, support vectors, quantiles).

        Read from the fitted model itself, so a loaded model answers for what it holds.
        """
        from metamed.space.privacy import stored_training_values  # the space: not to predict

        return stored_training_values(self.model)

    def document(self) -> dict:
        """Every field but the estimator and the arrays, as JSON-able values."""
        return {
            "classes": [_plain(c) for c in self.classes],
            "positive_index": self.positive_index,
            "input_columns": list(self.input_columns),
            "named_input": self.named_input,
            "feature_types": dict(self.feature_types),
            "cv_results": _intervals(self.cv_results),
            "baseline_comparison": _intervals(self.baseline_comparison),
            "leaderboard": self.leaderboard.to_dict(orient="records"),
            "recommendations": [dataclasses.asdict(r) for r in self.recommendations],
            "best_config": self.best_config,
            "ensemble": [list(member) for member in self.ensemble],
            "decision": dataclasses.asdict(self.decision) if self.decision else None,
            "recalibration": dict(self.recalibration),
            "task_type": self.task_type,
            "interval_coverage": dict(self.interval_coverage),
            "task_summary": self.task_summary,
            "notes": list(self.notes),
            "fit_seconds": self.fit_seconds,
            "training_values": self.training_values,
        }

    @classmethod
    def from_document(cls, document: dict, **binary: object) -> FittedState:
        """The inverse of :meth:`document`, given the fields in :data:`BINARY_FIELDS`.

        Files written before regression existed name no task type: they are classifiers.
        """
        task_type = document.get("task_type", "classification")
        return cls(
            classes=pd.Series(document["classes"], dtype=object).to_numpy(),
            positive_index=document["positive_index"],
            input_columns=list(document["input_columns"]),
            named_input=bool(document["named_input"]),
            feature_types=dict(document["feature_types"]),
            cv_results={k: Interval(**v) for k, v in document["cv_results"].items()},
            baseline_comparison={k: Interval(**v)
                                 for k, v in document["baseline_comparison"].items()},
            leaderboard=pd.DataFrame(document["leaderboard"]),
            recommendations=[Recommendation(**r) for r in document["recommendations"]],
            best_config=document["best_config"],
            ensemble=[(str(n), float(w)) for n, w in document["ensemble"]],
            decision=(Decision(**{"task_type": task_type, **document["decision"]})
                      if document.get("decision") else None),
            recalibration=dict(document.get("recalibration", {})),
            task_type=task_type,
            interval_coverage=dict(document.get("interval_coverage", {})),
            task_summary=document["task_summary"],
            notes=list(document["notes"]),
            fit_seconds=float(document["fit_seconds"]),
            **binary,
        )


def _intervals(intervals: dict[str, Interval]) -> dict[str, dict]:
    return {name: dataclasses.asdict(interval) for name, interval in intervals.items()}


def _plain(value: object) -> object:
    """A class label as a JSON value (numpy scalars become Python numbers)."""
    return value.item() if hasattr(value, "item") else value
