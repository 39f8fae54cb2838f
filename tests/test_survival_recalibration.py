"""A survival model's baseline hazard recalibrated where its out-of-fold level is off."""

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from metamed.automl.persistence import load_model, save_model
from metamed.data.validation import make_task
from metamed.space import named_config, pipeline_for_task
from metamed.survival.calibration import (
    RecalibratedSurvival,
    hazard_recalibration,
    observed_expected,
)
from metamed.survival.estimator import MetaSurvival, WeightedSurvival
from metamed.survival.models import risk_and_survival, survival_curves

HORIZONS = (3.0, 6.0, 10.0)


def _exponential(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Target and the true model's predictions: a constant hazard 0.1 exp(0.7 x), censored."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    rate = 0.1 * np.exp(0.7 * x)
    event_time, censoring = rng.exponential(1 / rate), rng.uniform(2, 20, n)
    target = np.c_[np.minimum(event_time, censoring), event_time <= censoring]
    return target, np.c_[0.7 * x, np.exp(-rate[:, None] * np.array(HORIZONS))]


def _raised(predictions: np.ndarray, power: float) -> np.ndarray:
    return np.c_[predictions[:, 0], predictions[:, 1:] ** power]


@pytest.fixture(scope="module")
def veteran() -> pd.DataFrame:
    from SurvSet.data import SurvLoader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SurvLoader().load_dataset("veteran")["df"].drop(columns=["pid"])


@pytest.fixture(scope="module")
def cox(veteran):
    task = make_task(veteran, "time", event="event", name="veteran")
    return task, pipeline_for_task(named_config("cox"), task).fit(task.X, task.target_values)


@pytest.mark.parametrize(("power", "truth"), [(0.5, 2.0), (2.0, 0.5)])
def test_a_wrong_level_is_rejected_and_its_multiplier_recovered(power, truth):
    target, true = _exponential(seed=1, n=2000)
    gamma = hazard_recalibration(target, _raised(true, power), HORIZONS)
    assert gamma is not None and abs(np.log(gamma / truth)) < 0.1


def test_the_true_model_is_rejected_only_at_the_tests_level():
    # The size of the likelihood-ratio test: the true model's predictions are
    # recalibrated in about 20% of samples (RECALIBRATION_P), not more, not never.
    rejected = [hazard_recalibration(*_exponential(seed), HORIZONS) is not None
                for seed in range(300)]
    assert 0.12 < np.mean(rejected) < 0.30


def test_a_cox_models_own_rows_are_calibrated_in_the_large(cox):
    # Breslow's baseline makes the in-sample cumulative hazards add up to the events
    # exactly (up to the last horizon too); the hazard interpolated between the horizons
    # comes within a few percent, and the test keeps the predictions as they are.
    task, model = cox
    predictions = risk_and_survival(model, task.X, task.horizons)
    observed, expected = observed_expected(task.target_values, predictions, task.horizons)
    time, event = task.target_values.T
    assert observed == np.sum(event[time <= task.horizons[-1]])
    assert abs(expected / observed - 1) < 0.05
    assert hazard_recalibration(task.target_values, predictions, task.horizons) is None


@pytest.mark.parametrize("spoil", [
    lambda t, p: (np.c_[t[:, 0], np.zeros(len(t))], p),  # no event
    lambda t, p: (t, np.c_[p[:, 0], np.ones((len(t), 3))]),  # nothing expected
    lambda t, p: (t, np.where(np.arange(len(t))[:, None] == 4, np.nan, p)),  # unmeasured row
])
def test_degenerate_predictions_are_left_alone(spoil):
    target, true = _exponential(seed=2)
    target, predictions = spoil(target, _raised(true, 0.3))
    assert hazard_recalibration(target, predictions, HORIZONS) is None


def test_the_wrapper_raises_survival_to_gamma_and_keeps_the_risk(cox):
    task, _ = cox
    wrapped = RecalibratedSurvival(pipeline_for_task(named_config("cox"), task), 1.7)
    wrapped.fit(task.X, task.target_values)
    inner = wrapped.estimator
    np.testing.assert_allclose(wrapped.predict(task.X), inner.predict(task.X))
    plain = risk_and_survival(inner, task.X, task.horizons)
    recalibrated = risk_and_survival(wrapped, task.X, task.horizons)
    np.testing.assert_allclose(recalibrated[:, 0], plain[:, 0])
    np.testing.assert_allclose(recalibrated[:, 1:], plain[:, 1:] ** 1.7)
    assert (recalibrated[:, 1:] < plain[:, 1:]).all()
    last = inner.steps[-1][1]
    np.testing.assert_allclose(wrapped.baseline_cumhaz_, 1.7 * last.baseline_cumhaz_)
    assert wrapped.risk_offset_ == last.risk_offset_


def test_a_blend_has_no_single_baseline_to_recalibrate(cox):
    task, model = cox
    blend = WeightedSurvival([model, model], np.array([0.5, 0.5]))
    assert not hasattr(RecalibratedSurvival(blend, 1.2), "baseline_cumhaz_")


@pytest.fixture(scope="module")
def recalibrated_fit(veteran):
    """MetaSurvival whose procedure recalibrates by 1.5 wherever it decides, decisions logged.

    The decision itself is forced: a short budget may leave the search no
    out-of-fold predictions to decide on, and then the real one keeps the model.
    """
    decided_on = []

    def always(selection, task):
        decided_on.append(task.n_rows)
        selection.hazard_multiplier = 1.5

    X, y = veteran.drop(columns=["time", "event"]), veteran[["time", "event"]].to_numpy()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("metamed.automl.selection._recalibrate", always)
        model = MetaSurvival(time_budget=6, outer_splits=3, random_state=0).fit(X, y)
    return model, X, decided_on


def test_each_outer_fold_decides_on_its_own_training_rows(recalibrated_fit):
    model, X, decided_on = recalibrated_fit
    # three outer folds on about two thirds of the 137 rows each, then the final model
    assert len(decided_on) == 4 and decided_on[-1] == len(X)
    assert all(85 <= n <= 95 for n in decided_on[:3])
    found = model.recalibration_
    assert found["hazard_multiplier"] == 1.5 and found["outer_folds_hazard_recalibrated"] == 3
    # the honest "before" is the unwrapped models' predictions: 1.5 times fewer expected events
    assert found["honest_oe_after"] == pytest.approx(found["honest_oe_before"] / 1.5)
    assert any("baseline hazard is multiplied by 1.50" in note for note in model.notes_)
    assert any("recalibrated in 3 outer folds" in note for note in model.notes_)


def test_a_recalibrated_survival_model_file_round_trips(recalibrated_fit, tmp_path):
    model, X, _ = recalibrated_fit
    final = model.state_.model
    assert isinstance(final, RecalibratedSurvival) and final.hazard_multiplier == 1.5
    np.testing.assert_allclose(model.predict_survival(X),
                               survival_curves(final.estimator, X, model.horizons_) ** 1.5)
    loaded = load_model(save_model(model, tmp_path / "r.skops"))
    assert isinstance(loaded.state_.model, RecalibratedSurvival)
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.predict_survival(X, [30, 90]),
                               model.predict_survival(X, [30, 90]))


def test_a_recalibrated_blend_model_file_loads_and_predicts_the_same(recalibrated_fit, cox,
                                                                    tmp_path):
    model, X, _ = recalibrated_fit
    task, _ = cox
    members = [pipeline_for_task(named_config(name), task) for name in ("cox", "xgb_cox")]
    blend = RecalibratedSurvival(WeightedSurvival(members, np.array([0.6, 0.4])), 0.8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        blend.fit(task.X, task.target_values)
    state = dataclasses.replace(model.state_, model=blend)
    holding = MetaSurvival()._set_state(state)
    loaded = load_model(save_model(holding, tmp_path / "b.skops"))
    np.testing.assert_allclose(loaded.predict_survival(X), holding.predict_survival(X))
    assert loaded.baseline_survival_ is None  # a blend has no single baseline
