"""Regression end to end: metrics, CV, the space's regression families and their portfolio."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from metamed.data.validation import make_task
from metamed.errors import MetamedError
from metamed.evaluation import evaluate, plan_cv
from metamed.evaluation.regression_metrics import regression_metrics
from metamed.space import (
    build_pipeline,
    canonical_config,
    config_hash,
    named_config,
    pipeline_for_task,
)
from metamed.space.components import FeatureSelector, FoldSafeTargetEncoder
from metamed.space.families import MODEL_FAMILIES, families_for
from metamed.space.portfolio import default_portfolio, regression_portfolio


def _table(n=120, seed=0, noise=1.0):
    """Two informative numbers, one pure-noise number, a category with an effect, some NaN."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"age": rng.normal(size=n), "bmi": rng.normal(size=n),
                          "noise": rng.normal(size=n), "site": rng.choice(["a", "b", "c"], n)})
    frame["los"] = (frame["age"] - 0.5 * frame["bmi"] + (frame["site"] == "c")
                    + rng.normal(0, noise, n))
    frame.loc[::13, "bmi"] = np.nan
    return frame


def test_regression_metrics_match_scikit_learn_and_the_calibration_definitions():
    rng = np.random.default_rng(1)
    y = rng.normal(5, 2, 200)
    predicted = 0.5 * y + rng.normal(3, 1, 200)
    metrics = regression_metrics(y, predicted[:, None])
    assert metrics["r2"] == pytest.approx(r2_score(y, predicted))
    assert metrics["rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, predicted)))
    assert metrics["mae"] == pytest.approx(mean_absolute_error(y, predicted))
    assert metrics["calibration_slope"] == pytest.approx(np.polyfit(predicted, y, 1)[0])
    assert metrics["calibration_intercept"] == pytest.approx(y.mean() - predicted.mean())


def test_predictions_shrunk_halfway_to_the_mean_have_slope_two():
    y = np.linspace(0, 10, 50)
    metrics = regression_metrics(y, 5 + 0.5 * (y - 5))
    assert metrics["calibration_slope"] == pytest.approx(2.0)
    assert metrics["calibration_intercept"] == pytest.approx(0.0, abs=1e-12)
    assert regression_metrics(y, y)["r2"] == 1.0


def test_regression_folds_each_get_every_part_of_the_outcome_range():
    task = make_task(_table(n=100), "los")
    plan = plan_cv(task, n_splits=5, n_repeats=2)
    deciles = np.argsort(np.argsort(task.y.to_numpy())) // 10
    for split in plan.splits:
        assert np.bincount(deciles[split.test], minlength=10).tolist() == [2] * 10


def test_the_tuned_ridge_recovers_the_signal_it_was_given():
    # Signal variance 1 + 0.25 + 2/9 and noise variance 1: the best possible R² is 0.60.
    task = make_task(_table(n=400, noise=1.0), "los")
    result = evaluate(task, pipeline_for_task(named_config("ridge_cv"), task),
                      n_repeats=1, n_boot=300)
    r2 = result.metrics["r2"]
    assert 0.5 < r2.estimate < 0.65 and r2.low < r2.estimate < r2.high
    assert result.oof_proba.shape == (1, 400, 1) and result.classes == []
    assert result.to_dict()["metrics"]["rmse"]["higher_is_better"] is False


@pytest.mark.parametrize("family", families_for("regression"))
def test_every_regression_family_fits_a_small_messy_table(family):
    # 60 rows: at its defaults (20 rows per leaf) LightGBM makes no split on 40.
    task = make_task(_table(n=60), "los")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pipeline_for_task(named_config(family), task).fit(task.X, task.target_values)
    predicted = model.predict(task.X)
    assert predicted.shape == (60,) and np.isfinite(predicted).all()
    assert np.std(predicted) > 0  # not the mean for everybody


def test_a_classifier_is_refused_for_a_regression_and_the_reverse():
    task = make_task(_table(), "los")
    with pytest.raises(MetamedError, match="pipeline 'rf' is a classification model and task "
                                           "'task' is a regression; choose one of ridge_cv, "):
        pipeline_for_task(named_config("rf"), task)
    labelled = make_task(_table().assign(high=lambda f: f["los"] > 0), "high")
    with pytest.raises(MetamedError, match="'ridge_cv' is a regression model"):
        pipeline_for_task(named_config("ridge_cv"), labelled)


def test_the_regression_portfolio_is_its_families_defaults_then_distinct_samples():
    portfolio = regression_portfolio()
    names = [c["model"]["name"] for c in portfolio]
    assert names[:13] == families_for("regression")
    assert len({config_hash(c) for c in portfolio}) == len(portfolio) == 60
    assert all(MODEL_FAMILIES[n].task_type == "regression" for n in names)
    assert [config_hash(c) for c in regression_portfolio()] == [config_hash(c) for c in portfolio]
    classifiers = {c["model"]["name"] for c in default_portfolio()}
    assert not classifiers & set(names)


def test_target_encoding_of_a_number_follows_the_category_means():
    rng = np.random.default_rng(0)
    site = rng.choice(["a", "b"], 200).reshape(-1, 1)
    y = np.where(site[:, 0] == "b", 10.0, 0.0) + rng.normal(0, 1, 200)
    encoded = FoldSafeTargetEncoder().fit(site, y).transform(np.array([["a"], ["b"]]))
    assert encoded[0, 0] == pytest.approx(y[site[:, 0] == "a"].mean(), abs=0.5)
    assert encoded[1, 0] == pytest.approx(y[site[:, 0] == "b"].mean(), abs=0.5)


@pytest.mark.parametrize("method", ["kbest", "trees", "l1"])
def test_selection_for_a_number_keeps_the_informative_column(method):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 6))
    y = 3 * X[:, 4] + rng.normal(0, 0.5, 150)
    selector = FeatureSelector(method, fraction=0.2, C=0.05).fit(X, y)
    assert selector.get_support().tolist()[4] and selector.get_support().sum() <= 2


_ROBUST = [named_config(name) for name in families_for("regression")] + [
    canonical_config({"impute": {"numeric": "knn", "categorical": "constant"},
                      "encode": "target", "scale": "quantile", "select": "l1", "model": "ridge"}),
    canonical_config({"encode": "ordinal", "scale": "robust", "select": "trees",
                      "model": "rf_reg"}),
]


@pytest.mark.parametrize("config", _ROBUST, ids=lambda c: c["model"]["name"])
def test_a_fold_with_degenerate_columns_and_a_wide_table_still_fit(config):
    """30 rows with a constant and an all-missing column that vary at prediction time,
    then 60 rows of 2,000 columns: what a CV fold of a real medical table can hold."""
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30), "flat": 1.0,
                      "empty": np.nan, "sex": rng.choice(["F", "M"], 30).astype(object)})
    X_new = pd.DataFrame({"a": [0.1, np.nan], "b": [2.0, -1.0], "flat": [3.0, np.nan],
                          "empty": [1.0, 2.0], "sex": ["unknown", np.nan]})
    wide = pd.DataFrame(rng.normal(size=(60, 2000)), columns=[f"gene{i}" for i in range(2000)])
    for train, new in ((X, X_new), (wide, wide.iloc[:5])):
        y = train.iloc[:, 0].fillna(0).to_numpy() + rng.normal(size=len(train))
        numeric = [c for c in train.columns if train[c].dtype.kind == "f"]
        categorical = [c for c in train.columns if c not in numeric]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = build_pipeline(config, numeric, categorical).fit(train, y)
        assert np.isfinite(model.predict(new)).all()
