"""Clinical classification metrics computed from predicted probabilities.

Why not call ``sklearn.metrics`` directly: confidence intervals need each
metric thousands of times (bootstrap), and scikit-learn's input validation
costs more than the arithmetic on a few hundred patients. These numpy
versions use the same definitions and are tested against scikit-learn.

Conventions: ``codes`` are integer class indices ``0..K-1``; ``proba`` has
one column per class in the same order. Binary metrics are about the
``positive`` index; for more than two classes the macro average over
one-vs-rest problems is reported under the same name.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

EPS = 1e-15

#: Metric name -> True when larger is better, False when smaller is, None for
#: calibration, where the ideal is a value (slope 1, intercept 0).
HIGHER_IS_BETTER: dict[str, bool | None] = {
    "roc_auc": True,
    "pr_auc": True,
    "accuracy": True,
    "balanced_accuracy": True,
    "sensitivity": True,
    "specificity": True,
    "precision": True,
    "f1": True,
    "brier": False,
    "log_loss": False,
    "calibration_slope": None,
    "calibration_intercept": None,
}
METRIC_NAMES = tuple(HIGHER_IS_BETTER)
#: How each metric is named for people (terminal, HTML report).
METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC (average precision)",
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "sensitivity": "Sensitivity (recall)",
    "specificity": "Specificity",
    "precision": "Precision (PPV)",
    "f1": "F1",
    "brier": "Brier score",
    "log_loss": "Log loss",
    "calibration_slope": "Calibration slope (ideal 1)",
    "calibration_intercept": "Calibration intercept (ideal 0)",
}


def all_metrics(codes: np.ndarray, proba: np.ndarray, positive: int | None) -> dict[str, float]:
    """Every metric of :data:`METRIC_NAMES` for one set of predictions.

    For two classes the decision threshold is 0.5 on the positive class;
    otherwise the most probable class is predicted.
    """
    n_classes = proba.shape[1]
    if n_classes == 2 and positive is not None:
        predicted = np.where(proba[:, positive] >= 0.5, positive, 1 - positive)
    else:
        predicted = proba.argmax(axis=1)
    confusion = np.bincount(codes * n_classes + predicted, minlength=n_classes**2)
    confusion = confusion.reshape(n_classes, n_classes)
    results = _confusion_metrics(confusion, positive if n_classes == 2 else None)
    per_class = _one_vs_rest(codes, proba, positive if n_classes == 2 else None)
    results.update(per_class)
    results["brier"] = brier(codes, proba)
    results["log_loss"] = log_loss(codes, proba)
    return results


def _confusion_metrics(confusion: np.ndarray, positive: int | None) -> dict[str, float]:
    total = confusion.sum()
    true_pos = np.diag(confusion).astype(float)
    actual = confusion.sum(axis=1).astype(float)
    called = confusion.sum(axis=0).astype(float)
    recall = _divide(true_pos, actual)
    precision = _divide(true_pos, called)
    true_neg = total - actual - called + true_pos
    specificity = _divide(true_neg, total - actual)
    f1 = _divide(2 * precision * recall, precision + recall)
    pick = (lambda v: v[positive]) if positive is not None else (lambda v: float(np.mean(v)))
    return {
        "accuracy": float(true_pos.sum() / total),
        "balanced_accuracy": float(np.mean(recall[actual > 0])),
        "sensitivity": float(pick(recall)),
        "specificity": float(pick(specificity)),
        "precision": float(pick(precision)),
        "f1": float(pick(f1)),
    }


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ratio that is 0 where the denominator is 0 (sklearn's zero_division=0)."""
    safe = np.where(denominator == 0, 1, denominator)
    return np.where(denominator == 0, 0.0, numerator / safe)


def _one_vs_rest(codes: np.ndarray, proba: np.ndarray, positive: int | None) -> dict[str, float]:
    """Ranking and calibration metrics, for the positive class or macro over classes.

    Classes absent from ``codes`` (or making up all of it) are skipped.
    """
    candidates = [positive] if positive is not None else range(proba.shape[1])
    classes = [k for k in candidates if 0 < np.sum(codes == k) < len(codes)]
    names = ("roc_auc", "pr_auc", "calibration_slope", "calibration_intercept")
    if not classes:
        return dict.fromkeys(names, float("nan"))
    hits, scores = codes[:, None] == np.array(classes), proba[:, classes]
    slopes, intercepts = _calibration(hits, scores)
    curves = [_ranking_curve(hits[:, j], scores[:, j]) for j in range(len(classes))]
    values = [np.mean([_roc_area(*c) for c in curves]),
              np.mean([_average_precision(*c) for c in curves]),
              np.nanmean(slopes), np.nanmean(intercepts)]
    return dict(zip(names, map(float, values), strict=True))


def roc_auc(is_positive: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (the Mann-Whitney U statistic: ties count half)."""
    return _roc_area(*_ranking_curve(is_positive, score))


def _ranking_curve(is_positive: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True and false positives when calling every score >= t, at each distinct t (descending).

    One sort serves both ROC AUC and average precision, which matters when
    a bootstrap recomputes them hundreds of times.
    """
    order = np.argsort(-score, kind="mergesort")
    sorted_score, hits = score[order], is_positive[order]
    last_of_tie = np.r_[np.diff(sorted_score) != 0, True]
    true_pos = np.cumsum(hits)[last_of_tie]
    false_pos = (np.arange(1, len(score) + 1))[last_of_tie] - true_pos
    return true_pos.astype(float), false_pos.astype(float)


def _roc_area(true_pos: np.ndarray, false_pos: np.ndarray) -> float:
    """Trapezoids between the ROC points: a tie between classes counts half."""
    tpr = np.r_[0.0, true_pos] / true_pos[-1]
    fpr = np.r_[0.0, false_pos] / false_pos[-1]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def class_roc_auc(codes: np.ndarray, proba: np.ndarray, positive: int | None = None) -> float:
    """ROC AUC of the positive class (index 1 for two classes), else macro one-vs-rest.

    Classes absent from ``codes`` (or making up all of it) are skipped.
    """
    if positive is None and proba.shape[1] == 2:
        positive = 1
    classes = [positive] if positive is not None else range(proba.shape[1])
    scores = [roc_auc(codes == k, proba[:, k]) for k in classes
              if 0 < np.sum(codes == k) < len(codes)]
    return float(np.mean(scores))


def average_precision(is_positive: np.ndarray, score: np.ndarray) -> float:
    """Area under the precision-recall curve as scikit-learn's average precision."""
    return _average_precision(*_ranking_curve(is_positive, score))


def _average_precision(true_pos: np.ndarray, false_pos: np.ndarray) -> float:
    """Sum over distinct thresholds of (recall gained) x (precision there)."""
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / true_pos[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def brier(codes: np.ndarray, proba: np.ndarray) -> float:
    """Mean squared error of probabilities: [0, 1] for binary, [0, 2] otherwise (as sklearn)."""
    onehot = np.eye(proba.shape[1])[codes]
    total = np.sum((proba - onehot) ** 2, axis=1).mean()
    return float(total / 2 if proba.shape[1] == 2 else total)


def log_loss(codes: np.ndarray, proba: np.ndarray) -> float:
    """Mean negative log-likelihood of the true class (probabilities clipped away from 0)."""
    chosen = np.clip(proba[np.arange(len(codes)), codes], EPS, 1.0)
    return float(-np.mean(np.log(chosen)))


def calibration_slope_intercept(is_positive: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """Calibration slope and calibration-in-the-large on the logit scale.

    Slope: ``b`` in ``logit P(y) = a + b * logit(p)`` (1 is ideal; < 1 means
    predictions are too extreme, the usual sign of overfitting). Intercept:
    ``a`` in ``logit P(y) = a + logit(p)`` with the slope fixed at 1 (0 is
    ideal; > 0 means risks are under-estimated on average). Both are the
    standard definitions of clinical prediction-model validation.
    """
    slopes, intercepts = _calibration(is_positive[:, None], score[:, None])
    return float(slopes[0]), float(intercepts[0])


def logistic_recalibration(is_positive: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """``(a, b)`` of ``logit P(y) = a + b logit(p)``: the intercept and slope that recalibrate."""
    x = _logit(score[:, None])
    intercept, slope = _newton_logistic(is_positive[:, None].astype(float), x, np.zeros_like(x),
                                        with_slope=True)
    return float(intercept[0]), float(slope[0])


def _logit(scores: np.ndarray) -> np.ndarray:
    return np.log(np.clip(scores, 1e-6, 1 - 1e-6) / np.clip(1 - scores, 1e-6, 1))


def _calibration(hits: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slopes and intercepts of every column at once (one-vs-rest problems side by side).

    Each is a logistic regression with at most two coefficients, solved by
    Newton-Raphson for all columns together: with 25 classes and a bootstrap
    of 1,000 resamples, one batched solve instead of 50,000 small ones.
    """
    y = hits.astype(float)
    logit = _logit(scores)
    intercept, slope = _newton_logistic(y, logit, np.zeros_like(logit), with_slope=True)
    in_the_large, _ = _newton_logistic(y, np.zeros_like(logit), logit, with_slope=False)
    return slope, in_the_large


def _newton_logistic(y: np.ndarray, x: np.ndarray, offset: np.ndarray,
                     with_slope: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per column, unpenalised ``logit P(y) = a + b x + offset`` (``b`` = 0 unless ``with_slope``).

    The 2 x 2 Newton systems are solved in closed form, all columns at once.
    """
    a, b = np.zeros(y.shape[1]), np.zeros(y.shape[1])
    for _ in range(25):
        p = expit(a + b * x + offset)
        w = p * (1 - p)
        g_a, g_b = (y - p).sum(axis=0), (x * (y - p)).sum(axis=0)
        h_aa, h_ab, h_bb = w.sum(axis=0) + 1e-9, (w * x).sum(axis=0), (w * x * x).sum(axis=0)
        if with_slope:
            h_bb = h_bb + 1e-9
            det = h_aa * h_bb - h_ab**2
            step_a = (h_bb * g_a - h_ab * g_b) / det
            step_b = (h_aa * g_b - h_ab * g_a) / det
        else:
            step_a, step_b = g_a / h_aa, np.zeros_like(b)
        a, b = a + np.clip(step_a, -5, 5), b + np.clip(step_b, -5, 5)
        if max(np.max(np.abs(step_a)), np.max(np.abs(step_b))) < 1e-8:
            break
    return a, b
