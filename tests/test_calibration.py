"""Logistic recalibration: decided on out-of-fold predictions, applied only when needed."""

import numpy as np
import pytest
from scipy.special import expit, logit

from metamed.automl.calibration import Recalibrated, recalibration
from metamed.evaluation.metrics import calibration_slope_intercept


def _predictions(slope: float, n: int = 2000, seed: int = 0):
    """Labels drawn from true risks, and predictions whose logits are ``1/slope`` too extreme."""
    rng = np.random.default_rng(seed)
    true = expit(rng.normal(0, 1.5, n))
    codes = (rng.random(n) < true).astype(int)
    predicted = expit(logit(true) / slope)
    return codes, np.c_[1 - predicted, predicted], true


def test_overconfident_predictions_are_recalibrated_and_good_ones_are_not():
    codes, proba, _ = _predictions(slope=0.5)
    found = recalibration(codes, proba)
    assert found is not None and found[1] == pytest.approx(0.5, abs=0.1)
    # calibrated predictions: rejected (one-sided) at most about 5% of the time, as the level says
    rejected = sum(recalibration(*_predictions(slope=1.0, n=500, seed=s)[:2]) is not None
                   for s in range(1, 41))
    assert rejected <= 6
    assert recalibration(codes, np.c_[proba, 1 - proba.sum(axis=1)]) is None  # 3 classes


def test_the_recalibrated_model_predicts_the_corrected_risks():
    codes, proba, true = _predictions(slope=0.5)

    class Fixed:  # a fitted classifier returning the over-confident risks
        classes_ = np.array([0, 1])

        def fit(self, X, y):
            return self

        def predict_proba(self, X):
            return proba

    a, b = recalibration(codes, proba)
    model = Recalibrated(Fixed(), a, b).fit(None, codes)
    corrected = model.predict_proba(None)
    slope_before, _ = calibration_slope_intercept(codes == 1, proba[:, 1])
    slope_after, _ = calibration_slope_intercept(codes == 1, corrected[:, 1])
    assert slope_before < 0.6 and slope_after == pytest.approx(1.0, abs=1e-6)
    assert np.mean(np.abs(corrected[:, 1] - true)) < np.mean(np.abs(proba[:, 1] - true))
    np.testing.assert_allclose(corrected.sum(axis=1), 1.0)


def test_a_recalibrated_model_file_saves_and_loads(tiny_kb, synthetic, tmp_path):
    from metamed.automl.estimator import MetaClassifier
    from metamed.automl.persistence import load_model, save_model

    task = synthetic("recalibrated", n=120, p=3, signal=2, seed=8)
    model = MetaClassifier(tiny_kb, time_budget=5, outer_splits=0).fit(task.X, task.y)
    wrapped = Recalibrated(model.state_.model, 0.2, 0.7)
    wrapped.classes_ = model.state_.model.classes_  # as fitting it would set
    model.state_.model = wrapped
    save_model(model, tmp_path / "m.skops")
    loaded = load_model(tmp_path / "m.skops")
    assert isinstance(loaded.model_, Recalibrated) and loaded.model_.slope == 0.7
    np.testing.assert_allclose(loaded.predict_proba(task.X), model.predict_proba(task.X))
