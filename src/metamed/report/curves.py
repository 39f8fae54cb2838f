"""The numbers behind the report's figures, computed from honest predictions.

Every curve here is drawn from the outer-CV (out-of-fold) probabilities a
:class:`~metamed.automl.estimator.MetaClassifier` keeps, never from predictions on
rows the model was fit on, so a figure and the interval next to it tell the
same story. Kept free of plotting so the numbers can be unit-tested on known
inputs and checked against the metrics module (the ROC curve's trapezoid
area is exactly the Mann-Whitney AUC that ``cv_results_`` reports).

Conventions: ``is_positive`` is a boolean array (the class of interest),
``score`` the predicted probability of that class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Thresholds of the threshold table: low ones matter for screening, 0.5 is the default rule.
TABLE_THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
#: The threshold behind the reported sensitivity, specificity and confusion matrix.
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class BinaryView:
    """One binary question asked of the predictions: this class against the rest."""

    label: str
    is_positive: np.ndarray
    score: np.ndarray


def binary_views(codes: np.ndarray, proba: np.ndarray, classes: list[str],
                 positive: int | None) -> list[BinaryView]:
    """The positive class for a binary task; one-vs-rest for every class otherwise.

    The metrics module averages one-vs-rest results over classes for more
    than two classes, so these views are exactly what its macro AUC averages.
    """
    indices = [positive] if positive is not None else range(proba.shape[1])
    views = [BinaryView(str(classes[k]), codes == k, proba[:, k]) for k in indices]
    return [v for v in views if 0 < v.is_positive.sum() < len(v.is_positive)]


def _distinct_threshold_counts(is_positive: np.ndarray, score: np.ndarray):
    """True and false positives when calling every score >= t, for each distinct t (descending)."""
    order = np.argsort(-score, kind="mergesort")
    sorted_score, hits = score[order], is_positive[order].astype(float)
    last_of_tie = np.r_[np.diff(sorted_score) != 0, True]
    true_pos = np.cumsum(hits)[last_of_tie]
    false_pos = np.cumsum(1 - hits)[last_of_tie]
    return sorted_score[last_of_tie], true_pos, false_pos


def roc_curve(is_positive: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates from (0, 0) to (1, 1), one point per distinct score."""
    _, true_pos, false_pos = _distinct_threshold_counts(is_positive, score)
    fpr = np.r_[0.0, false_pos / false_pos[-1]]
    tpr = np.r_[0.0, true_pos / true_pos[-1]]
    return fpr, tpr


def area(x: np.ndarray, y: np.ndarray) -> float:
    """Trapezoid area under a curve (for ROC: ties get half credit, as Mann-Whitney)."""
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


def pr_curve(is_positive: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Recall and precision, one point per distinct score, starting at recall 0 (step plot)."""
    _, true_pos, false_pos = _distinct_threshold_counts(is_positive, score)
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / true_pos[-1]
    return np.r_[0.0, recall], np.r_[precision[0], precision]


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """Step-wise area of :func:`pr_curve` (scikit-learn's average precision)."""
    return float(np.sum(np.diff(recall) * precision[1:]))


@dataclass(frozen=True)
class CalibrationBins:
    """Mean predicted risk and observed frequency in groups of similar predictions."""

    predicted: np.ndarray
    observed: np.ndarray
    count: np.ndarray


def calibration_bins(is_positive: np.ndarray, score: np.ndarray,
                     n_bins: int = 10) -> CalibrationBins:
    """Quantile bins of the predicted risk (equal numbers of patients, so no bin is empty).

    With few patients, equal-width bins at high risk hold one or two people
    and their observed rate is noise; quantile bins keep every point resting
    on about n / n_bins patients. Tied scores stay in one bin.
    """
    n_bins = max(1, min(n_bins, len(np.unique(score))))
    edges = np.unique(np.quantile(score, np.linspace(0, 1, n_bins + 1)))
    index = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, max(len(edges) - 2, 0))
    count = np.bincount(index, minlength=max(len(edges) - 1, 1)).astype(float)
    keep = count > 0
    predicted = np.bincount(index, weights=score, minlength=len(count))[keep] / count[keep]
    observed = np.bincount(index, weights=is_positive.astype(float),
                           minlength=len(count))[keep] / count[keep]
    return CalibrationBins(predicted, observed, count[keep].astype(int))


def confusion_at(is_positive: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, int]:
    """True/false positives/negatives when every score >= threshold is called positive."""
    called = score >= threshold
    return {
        "tp": int(np.sum(called & is_positive)),
        "fp": int(np.sum(called & ~is_positive)),
        "tn": int(np.sum(~called & ~is_positive)),
        "fn": int(np.sum(~called & is_positive)),
    }


def threshold_table(is_positive: np.ndarray, score: np.ndarray,
                    thresholds: tuple[float, ...] = TABLE_THRESHOLDS) -> list[dict[str, float]]:
    """Sensitivity, specificity, PPV and NPV at each threshold (NaN where undefined)."""
    rows = []
    for threshold in thresholds:
        c = confusion_at(is_positive, score, threshold)
        rows.append({
            "threshold": float(threshold),
            "sensitivity": _ratio(c["tp"], c["tp"] + c["fn"]),
            "specificity": _ratio(c["tn"], c["tn"] + c["fp"]),
            "ppv": _ratio(c["tp"], c["tp"] + c["fp"]),
            "npv": _ratio(c["tn"], c["tn"] + c["fn"]),
            "flagged": c["tp"] + c["fp"],
            **c,
        })
    return rows


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


@dataclass(frozen=True)
class DecisionCurve:
    """Net benefit of acting on the model, on everyone, and on no one."""

    thresholds: np.ndarray
    model: np.ndarray
    treat_all: np.ndarray
    treat_none: np.ndarray


def decision_curve(is_positive: np.ndarray, score: np.ndarray,
                   thresholds: np.ndarray | None = None) -> DecisionCurve:
    """Decision curve analysis (Vickers and Elkin, 2006).

    At threshold probability ``t`` (the risk at which a clinician would act),
    net benefit = TP/n - FP/n * t / (1 - t): true positives found, minus false
    positives weighted by the harm-to-benefit odds the threshold implies.
    Treating everyone gives prevalence - (1 - prevalence) * t / (1 - t);
    treating no one gives 0. A model is useful where it beats both.
    """
    if thresholds is None:
        thresholds = np.round(np.arange(0.01, 0.81, 0.01), 2)
    n = len(score)
    prevalence = float(np.mean(is_positive))
    thresholds = np.asarray(thresholds, dtype=float)
    odds = thresholds / (1 - thresholds)
    model = np.empty(len(thresholds))
    for i, (threshold, weight) in enumerate(zip(thresholds, odds, strict=True)):
        counts = confusion_at(is_positive, score, threshold)
        model[i] = (counts["tp"] - counts["fp"] * weight) / n
    treat_all = prevalence - (1 - prevalence) * odds
    return DecisionCurve(thresholds, model, treat_all, np.zeros_like(model))


def multiclass_confusion(codes: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Counts of true class (rows) by most probable class (columns)."""
    k = proba.shape[1]
    return np.bincount(codes * k + proba.argmax(axis=1), minlength=k * k).reshape(k, k)
