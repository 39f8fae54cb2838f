"""The clinical metrics agree with scikit-learn on known inputs."""

import numpy as np
import pytest
from sklearn import metrics as skm

from metamed.evaluation.metrics import (
    all_metrics,
    average_precision,
    calibration_slope_intercept,
    roc_auc,
)


def _binary_case(seed=0, n=200):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 2, n)
    score = np.clip(0.3 * codes + rng.uniform(0, 0.7, n), 0.01, 0.99)
    score[:20] = 0.5  # ties, as from a tree
    return codes, np.column_stack([1 - score, score])


def _multiclass_case(seed=1, n=150, k=3):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[codes]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return codes, proba


@pytest.mark.parametrize("positive", [1, 0])
def test_binary_metrics_match_scikit_learn(positive):
    codes, proba = _binary_case()
    got = all_metrics(codes, proba, positive)
    is_pos = (codes == positive).astype(int)
    score = proba[:, positive]
    predicted = (score >= 0.5).astype(int)
    expected = {
        "accuracy": skm.accuracy_score(is_pos, predicted),
        "balanced_accuracy": skm.balanced_accuracy_score(is_pos, predicted),
        "sensitivity": skm.recall_score(is_pos, predicted),
        "specificity": skm.recall_score(is_pos, predicted, pos_label=0),
        "precision": skm.precision_score(is_pos, predicted),
        "f1": skm.f1_score(is_pos, predicted),
        "roc_auc": skm.roc_auc_score(is_pos, score),
        "pr_auc": skm.average_precision_score(is_pos, score),
        "brier": skm.brier_score_loss(is_pos, score),
        "log_loss": skm.log_loss(codes, proba),
    }
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=1e-10), name


def test_multiclass_metrics_are_sklearn_macro_averages():
    codes, proba = _multiclass_case()
    got = all_metrics(codes, proba, None)
    predicted = proba.argmax(axis=1)
    onehot = np.eye(3)[codes]
    spec = np.mean(
        [skm.recall_score(codes == k, predicted == k, pos_label=False) for k in range(3)]
    )
    expected = {
        "accuracy": skm.accuracy_score(codes, predicted),
        "balanced_accuracy": skm.balanced_accuracy_score(codes, predicted),
        "sensitivity": skm.recall_score(codes, predicted, average="macro"),
        "specificity": spec,
        "precision": skm.precision_score(codes, predicted, average="macro", zero_division=0),
        "f1": skm.f1_score(codes, predicted, average="macro"),
        "roc_auc": skm.roc_auc_score(codes, proba, multi_class="ovr", average="macro"),
        "pr_auc": skm.average_precision_score(onehot, proba, average="macro"),
        "brier": skm.brier_score_loss(codes, proba, labels=[0, 1, 2]),
        "log_loss": skm.log_loss(codes, proba),
    }
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=1e-10), name


def test_auc_and_average_precision_handle_all_ties():
    is_pos = np.array([True, False, True, False])
    flat = np.full(4, 0.3)
    assert roc_auc(is_pos, flat) == 0.5
    assert average_precision(is_pos, flat) == pytest.approx(
        skm.average_precision_score(is_pos, flat)
    )


def test_calibration_of_well_calibrated_predictions_is_ideal():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.02, 0.98, 20000)
    y = rng.uniform(size=p.size) < p
    slope, intercept = calibration_slope_intercept(y, p)
    assert slope == pytest.approx(1.0, abs=0.06)
    assert intercept == pytest.approx(0.0, abs=0.05)


def test_overconfident_predictions_have_slope_below_one():
    rng = np.random.default_rng(4)
    p = rng.uniform(0.1, 0.9, 20000)
    y = rng.uniform(size=p.size) < p
    logit = np.log(p / (1 - p))
    overconfident = 1 / (1 + np.exp(-2 * logit))
    slope, _ = calibration_slope_intercept(y, overconfident)
    assert slope == pytest.approx(0.5, abs=0.05)


def test_calibration_slope_matches_unpenalised_logistic_fit():
    codes, proba = _binary_case(seed=5)
    from sklearn.linear_model import LogisticRegression

    logit = np.log(proba[:, 1] / proba[:, 0]).reshape(-1, 1)
    reference = LogisticRegression(C=np.inf).fit(logit, codes).coef_[0, 0]
    slope, _ = calibration_slope_intercept(codes == 1, proba[:, 1])
    assert slope == pytest.approx(reference, rel=1e-4)
