"""Given a task and a pipeline, the user gets honest CV metrics with intervals."""

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from metamed.data.validation import make_task
from metamed.errors import MetamedError
from metamed.evaluation import METRIC_NAMES, evaluate, plan_cv
from metamed.evaluation.scoring import Scorer


def _task(n=120, seed=0, groups=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = np.where(x[:, 0] + 0.5 * rng.normal(size=n) > 0.4, "sick", "well")
    frame = pd.DataFrame(x, columns=["a", "b", "c"]).assign(label=y)
    if groups:
        frame["patient"] = np.repeat(np.arange(n // 3), 3)
    return make_task(frame, "label", group_column="patient" if groups else None)


def _model():
    return make_pipeline(SimpleImputer(), LogisticRegression())


def test_every_metric_has_an_interval_around_its_estimate():
    result = evaluate(_task(), _model(), n_boot=200)
    assert set(result.metrics) == set(METRIC_NAMES)
    for name in ("roc_auc", "accuracy", "sensitivity", "specificity", "brier"):
        interval = result.metrics[name]
        assert interval.low <= interval.estimate <= interval.high, name
        assert interval.high > interval.low, name
    assert result.metrics["roc_auc"].estimate > 0.8


def test_out_of_fold_probabilities_cover_every_row_of_every_repeat():
    result = evaluate(_task(), _model(), n_repeats=2, n_boot=50)
    assert result.oof_predictions.shape == (2, 120, 2)
    assert not np.isnan(result.oof_predictions).any()
    np.testing.assert_allclose(result.oof_predictions.sum(axis=2), 1.0)


def test_uninformative_model_scores_chance():
    result = evaluate(_task(), DummyClassifier(strategy="prior"), n_boot=100)
    # pooled out-of-fold AUC of a constant-per-fold model sits near, not at, 0.5
    assert result.metrics["roc_auc"].estimate == pytest.approx(0.5, abs=0.1)
    assert result.metrics["sensitivity"].estimate == 0.0


def test_folds_shrink_to_fit_the_smallest_class():
    frame = pd.DataFrame({"x": np.arange(30.0), "y": ["a"] * 27 + ["b"] * 3})
    plan = plan_cv(make_task(frame, "y"), n_splits=5, n_repeats=1)
    assert plan.n_splits == 3
    assert "smallest class has only 3 rows" in plan.note


def test_grouped_cv_never_splits_a_patient():
    task = _task(groups=True)
    for split in plan_cv(task, n_repeats=2).splits:
        train = set(task.groups.iloc[split.train])
        assert train.isdisjoint(task.groups.iloc[split.test])


def test_plans_are_reproducible_and_repeats_differ():
    task = _task()
    first, second = plan_cv(task, seed=7), plan_cv(task, seed=7)
    for a, b in zip(first.splits, second.splits, strict=True):
        np.testing.assert_array_equal(a.test, b.test)
    assert not np.array_equal(first.splits[0].test, first.splits[5].test)


def test_a_crashing_pipeline_is_one_clear_error():
    class Broken(LogisticRegression):
        def fit(self, X, y):
            raise RuntimeError("solver exploded")

    message = "failed on repeat 1, fold 1: RuntimeError: solver exploded"
    with pytest.raises(MetamedError, match=message):
        evaluate(_task(), Broken(), name="broken")


def test_a_class_missing_from_a_training_fold_gets_zero_probability():
    frame = pd.DataFrame({"x": np.arange(40.0), "y": ["a"] * 20 + ["b"] * 18 + ["c"] * 2})
    result = evaluate(make_task(frame, "y"), _model(), n_boot=50)
    assert result.oof_predictions.shape[2] == 3
    np.testing.assert_allclose(result.oof_predictions.sum(axis=2), 1.0)


def test_a_large_table_bootstraps_smaller_resamples_rescaled_to_the_same_width(monkeypatch):
    from metamed.evaluation import intervals

    rng = np.random.default_rng(0)
    codes = rng.integers(0, 2, 30_000)
    p = np.clip(0.3 + 0.4 * codes + rng.normal(0, 0.2, codes.size), 0.01, 0.99)
    proba = np.stack([1 - p, p], axis=1)[None]
    scorer = Scorer("classification", positive=1)
    full = intervals.bootstrap_intervals(codes, proba, scorer, n_boot=300)
    monkeypatch.setattr(intervals, "MAX_RESAMPLED", 3_000)
    small = intervals.bootstrap_intervals(codes, proba, scorer, n_boot=300)
    for name in ("roc_auc", "brier", "calibration_slope", "accuracy"):
        assert small[name].estimate == full[name].estimate
        ratio = (small[name].high - small[name].low) / (full[name].high - full[name].low)
        assert 0.8 < ratio < 1.25, (name, ratio)


def test_the_evaluation_says_when_its_intervals_come_from_smaller_resamples(monkeypatch):
    from metamed.evaluation import intervals

    monkeypatch.setattr(intervals, "MAX_RESAMPLED", 50)
    result = evaluate(_task(), LogisticRegression(), n_splits=3, n_repeats=1, n_boot=50)
    assert any("resamples of 50 of the 120 rows, rescaled" in note for note in result.notes)


def test_the_paired_difference_is_zero_for_the_same_predictions_and_positive_for_better():
    from metamed.evaluation.intervals import paired_intervals

    rng = np.random.default_rng(3)
    codes = rng.integers(0, 2, 400)
    weak = np.clip(0.5 + 0.1 * (codes - 0.5) + rng.normal(0, 0.2, 400), 0.01, 0.99)
    strong = np.clip(0.5 + 0.5 * (codes - 0.5) + rng.normal(0, 0.2, 400), 0.01, 0.99)
    as_proba = lambda p: np.stack([1 - p, p], axis=1)  # noqa: E731
    scorer = Scorer("classification", positive=1)
    same = paired_intervals(codes, as_proba(weak), as_proba(weak), scorer, n_boot=200)
    assert (same["roc_auc"].estimate, same["roc_auc"].low, same["roc_auc"].high) == (0, 0, 0)
    better = paired_intervals(codes, as_proba(strong), as_proba(weak), scorer, n_boot=200)
    assert better["roc_auc"].low > 0 and better["brier"].high < 0


def test_the_verdict_says_beat_no_better_or_worse_with_the_interval():
    from metamed.evaluation.baseline import verdict
    from metamed.evaluation.intervals import Interval
    from metamed.kinds import CLASSIFICATION

    assert verdict({"roc_auc": Interval(0.031, 0.012, 0.049)}, CLASSIFICATION) == (
        "beat logistic regression by 0.031 AUC (0.012 to 0.049) on the same outer folds.")
    assert verdict({"roc_auc": Interval(0.004, -0.01, 0.018)}, CLASSIFICATION).startswith(
        "no better than logistic regression here (+0.004 AUC, 95% CI -0.010 to +0.018")
    worse = verdict({"roc_auc": Interval(-0.05, -0.09, -0.01)}, CLASSIFICATION)
    assert worse.startswith("worse than")
    assert "itself" in verdict({"roc_auc": Interval(0.0, 0.0, 0.0)}, CLASSIFICATION)
