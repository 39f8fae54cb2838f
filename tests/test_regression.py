"""Regression end to end: metrics, CV, the space's regression families and their portfolio."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from typer.testing import CliRunner

from metamed import MetaClassifier, MetaRegressor
from metamed.automl.conformal import LEVELS, ConformalRegressor, coverage
from metamed.automl.loto import loto_search, loto_zero_shot, summarize
from metamed.automl.persistence import load_model, save_model
from metamed.automl.search import Candidate
from metamed.automl.selection import Selection
from metamed.cli import app
from metamed.data.validation import make_task
from metamed.errors import MetamedError
from metamed.evaluation import evaluate, plan_cv
from metamed.evaluation.regression_metrics import regression_metrics
from metamed.knowledge import open_storage
from metamed.knowledge.build import BuildSettings, build
from metamed.knowledge.metadata import MetaData
from metamed.knowledge.predictions import oof_predictions
from metamed.report import build_report
from metamed.report.regression import calibration_groups
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
    assert result.oof_predictions.shape == (1, 400, 1) and result.classes == []
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
    first = [f for f in families_for("regression") if MODEL_FAMILIES[f].generation == 1]
    assert names[:13] == first and "svr_rbf" not in names
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
    then 60 rows of 2,000 columns: what a CV fold of a real medical table can hold (400 for
    EBM, which boosts over every column in turn: 113 s at 2,000)."""
    width = 400 if config["model"]["name"] == "ebm_reg" else 2000
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30), "flat": 1.0,
                      "empty": np.nan, "sex": rng.choice(["F", "M"], 30).astype(object)})
    X_new = pd.DataFrame({"a": [0.1, np.nan], "b": [2.0, -1.0], "flat": [3.0, np.nan],
                          "empty": [1.0, 2.0], "sex": ["unknown", np.nan]})
    wide = pd.DataFrame(rng.normal(size=(60, width)), columns=[f"gene{i}" for i in range(width)])
    for train, new in ((X, X_new), (wide, wide.iloc[:5])):
        y = train.iloc[:, 0].fillna(0).to_numpy() + rng.normal(size=len(train))
        numeric = [c for c in train.columns if train[c].dtype.kind == "f"]
        categorical = [c for c in train.columns if c not in numeric]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = build_pipeline(config, numeric, categorical).fit(train, y)
        assert np.isfinite(model.predict(new)).all()


# --- the whole procedure: MetaRegressor, conformal intervals, model files, commands --------

def test_cv_plus_intervals_cover_new_patients_at_their_stated_level():
    train = make_task(_table(n=300, seed=1), "los")
    fresh = make_task(_table(n=3000, seed=2), "los")
    model = ConformalRegressor(pipeline_for_task(named_config("ridge_cv"), train))
    model.fit(train.X, train.target_values)
    covered = {level: coverage(fresh.target_values, model.predict_interval(fresh.X, level))
               for level in LEVELS}
    for level, found in covered.items():
        # Given its 300 training rows, an interval's coverage varies by sqrt(l (1 - l) / 300).
        assert abs(found["coverage"] - level) < 3 * np.sqrt(level * (1 - level) / 300), level
    widths = [covered[level]["mean_width"] for level in LEVELS]
    assert widths == sorted(widths) and widths[0] > 0
    with pytest.raises(MetamedError, match="interval level 0.99 is not one of 0.5, 0.8, 0.9"):
        model.predict_interval(fresh.X, 0.99)


def test_a_slow_model_gets_fewer_cv_plus_refits_and_the_output_says_so():
    task = make_task(_table(n=120, seed=4), "los")
    slow = Candidate(named_config("ridge_cv"), "test", seconds=[2.0, 2.0])
    selection = Selection([], None, [slow], np.ones(1))
    selection.fit_conformal_in(100.0)  # room for all 5 refits and the full fit
    assert selection.conformal_folds == 5 and selection.refit_notes() == []
    selection.fit_conformal_in(9.0)  # 2 s x (3 + 1.25) fits, 4 would not
    assert selection.conformal_folds == 3
    assert "3 CV+ refits instead of 5" in selection.refit_notes()[0]
    selection.fit_conformal_in(1.0)  # never fewer than 2
    assert selection.estimator(task).cv == 2


@pytest.fixture(scope="module")
def fitted_regressor(tiny_kb):
    frame = _table(n=150, seed=3)
    model = MetaRegressor(kb=tiny_kb, time_budget=20, outer_splits=3, n_candidates=3)
    return model.fit(frame.drop(columns="los"), frame["los"]), frame


def test_meta_regressor_reports_its_honest_r2_verdict_and_interval_coverage(fitted_regressor):
    model, frame = fitted_regressor
    assert model.notes_[0].startswith("the knowledge base holds no regression tasks")
    assert set(model.cv_results_) == {"r2", "rmse", "mae", "calibration_slope",
                                      "calibration_intercept"}
    assert 0.3 < model.cv_results_["r2"].estimate < 0.8
    assert "ridge regression (penalty tuned by CV)" in model.verdict_
    at_90 = model.interval_coverage_["0.9"]
    assert 0.8 <= at_90["coverage"] <= 1.0 and at_90["median_width"] > 0
    assert "cv_r2" in model.leaderboard_.columns
    predicted = model.predict(frame.head(20))
    bounds = model.predict_interval(frame.head(20))
    assert ((bounds[:, 0] <= predicted) & (predicted <= bounds[:, 1])).all()


def test_a_saved_regressor_loads_as_one_and_predicts_the_same(fitted_regressor, tmp_path):
    model, frame = fitted_regressor
    loaded = load_model(save_model(model, tmp_path / "los.skops"))
    assert isinstance(loaded, MetaRegressor)
    np.testing.assert_allclose(loaded.predict(frame), model.predict(frame))
    np.testing.assert_allclose(loaded.predict_interval(frame, 0.8),
                               model.predict_interval(frame, 0.8))
    assert loaded.interval_coverage_ == model.interval_coverage_


def test_each_estimator_refuses_the_other_kind_of_target():
    frame = _table(n=60)
    with pytest.raises(MetamedError,
                       match="looks continuous and cannot be classes .*use --task regression"):
        MetaClassifier(time_budget=5).fit(frame.drop(columns="los"), frame["los"])
    labels = np.where(frame["los"] > 0, "long", "short")
    with pytest.raises(MetamedError, match="holds text such as '(long|short)'.*numbers only"):
        MetaRegressor(time_budget=5).fit(frame.drop(columns="los"), labels)


def test_fit_and_predict_commands_give_values_with_their_intervals(tmp_path, tiny_kb):
    _table(n=120, seed=4).to_csv(tmp_path / "stays.csv", index=False)
    runner = CliRunner()
    fitted = runner.invoke(app, ["fit", str(tmp_path / "stays.csv"), "--target", "los",
                                 "--kb", tiny_kb, "--time-budget", "20", "--outer-folds", "3",
                                 "--out", str(tmp_path / "m.skops")])
    assert fitted.exit_code == 0, fitted.output
    assert "regression: 'los' holds fractions" in fitted.output
    assert "90% conformal (CV+) intervals held" in fitted.output
    assert "verdict:" in fitted.output and "ridge regression" in fitted.output
    predicted = runner.invoke(app, ["predict", str(tmp_path / "m.skops"),
                                    str(tmp_path / "stays.csv"), "--out",
                                    str(tmp_path / "p.csv")])
    assert predicted.exit_code == 0, predicted.output
    table = pd.read_csv(tmp_path / "p.csv")
    assert list(table.columns) == ["predicted", "lower_0.9", "upper_0.9"] and len(table) == 120
    assert (table["lower_0.9"] < table["upper_0.9"]).all()


def test_the_task_option_forces_a_score_to_be_predicted_as_a_number(tmp_path):
    frame = _table(n=80).assign(score=lambda f: (f["los"] * 2).round().clip(-5, 5).astype(int))
    frame.drop(columns="los").to_csv(tmp_path / "score.csv", index=False)
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "score.csv"), "--target",
                                      "score", "--task", "regression", "--repeats", "1"])
    assert result.exit_code == 0, result.output
    assert "regression, as requested" in result.output and "ridge_cv" in result.output


# --- the knowledge base holds both kinds of task --------------------------------------------

def test_one_kb_holds_classification_and_regression_each_with_its_own_configs(tmp_path):
    storage = open_storage(str(tmp_path / "kb.sqlite"))
    stays = make_task(_table(n=90, seed=5), "los", name="stays")
    labelled = make_task(_table(n=90, seed=6).assign(long=lambda f: f["los"] > 0), "long",
                         name="long_stay")
    configs = [named_config("logreg"), named_config("ridge_cv"), named_config("rf_reg")]
    build(storage, [stays, labelled], configs, BuildSettings(n_splits=3))
    rows = storage.evaluations()
    assert rows.groupby("task_id")["config_hash"].nunique().to_dict() == {"long_stay": 1,
                                                                          "stays": 2}
    regression = MetaData.from_storage(storage, "regression")
    assert regression.task_ids == ["stays"] and len(regression.configs) == 2
    measured = rows[rows["task_id"] == "stays"].groupby("config_hash")["r2"].mean()
    assert regression.scores[0].tolist() == measured[regression.config_hashes].tolist()
    assert MetaData.from_storage(storage, "classification").task_ids == ["long_stay"]
    # the stored predictions are float32 values that give back each fold's R²
    oof = oof_predictions(storage.predictions("stays"), stays, n_splits=3, seed=0)
    ridge = config_hash(named_config("ridge_cv"))
    plan = plan_cv(stays, n_splits=3, n_repeats=1)
    by_fold = rows[(rows["task_id"] == "stays") & (rows["config_hash"] == ridge)]
    for split in plan.splits:
        stored = by_fold[by_fold["fold"] == split.fold]["r2"].item()
        again = r2_score(stays.target_values[split.test], oof[ridge][split.test, 0])
        assert again == pytest.approx(stored, abs=1e-5)


def test_the_report_of_a_regression_shows_residuals_calibration_and_coverage(fitted_regressor):
    model, frame = fitted_regressor
    task = make_task(frame, "los", task_type="regression")
    page = build_report(model, task, include_rows=True)
    for expected in ("Honest R²", "coverage in outer folds", "Residuals (observed minus",
                     "Mean observed against mean predicted", "R² drop", "Against ridge "
                     "regression with its penalty tuned", "outcome (a number)", "upper 90%"):
        assert expected in page, expected
    assert "logistic regression" not in page and "ROC AUC" not in page
    lowest, highest = calibration_groups(np.arange(20.0), np.arange(20.0))
    assert lowest.tolist() == highest.tolist() and len(lowest) == 10


def test_explain_gives_a_regression_patients_value_and_its_drivers(fitted_regressor, tmp_path):
    model, frame = fitted_regressor
    save_model(model, tmp_path / "m.skops")
    frame.to_csv(tmp_path / "rows.csv", index=False)
    result = CliRunner().invoke(app, ["explain", str(tmp_path / "m.skops"),
                                      str(tmp_path / "rows.csv"), "--row", "2", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    value = summary["probabilities"]["prediction"]
    assert value == pytest.approx(model.predict(frame.iloc[[2]])[0])
    assert {c["feature"] for c in summary["contributions"]} <= set(model.feature_types_)


# --- leave-one-task-out over regression tasks ------------------------------------------------

def _stay_task(task_id: str):
    i = int(task_id.removeprefix("stay"))
    return make_task(_table(n=80 + 20 * i, seed=10 + i, noise=0.5 + 0.5 * i), "los",
                     name=task_id)


@pytest.fixture(scope="module")
def regression_kb(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("regkb") / "kb.sqlite")
    configs = [named_config(name) for name in ("ridge_cv", "ridge", "rf_reg", "knn_reg")]
    build(open_storage(path), [_stay_task(f"stay{i}") for i in range(4)], configs,
          BuildSettings(n_splits=3))
    return path


def test_leave_one_task_out_judges_regression_learners_in_r2_against_the_tuned_ridge(
        regression_kb):
    metadata = MetaData.from_storage(open_storage(regression_kb, read_only=True), "regression")
    assert metadata.task_type == "regression" and len(metadata.task_ids) == 4
    rows = loto_zero_shot(metadata, ["single_best", "ridge_cv"])
    ridge = metadata.config_hashes.index(config_hash(named_config("ridge_cv")))
    for task, score in rows[rows["learner"] == "ridge_cv"][["task", "r2"]].itertuples(False):
        assert score == metadata.scores[metadata.task_ids.index(task), ridge]
    (searched,) = loto_search(metadata, ["nearest", "ridge_cv"], _stay_task, budget=6,
                              task_ids=["stay1"])
    by_learner = {row["learner"]: row for row in searched}
    assert 0 <= by_learner["nearest"]["coverage_90"] <= 1
    assert by_learner["nearest"]["width_90"] > 0 and "coverage_90" not in by_learner["ridge_cv"]
    table = summarize(pd.DataFrame(searched))
    assert {"mean_r2", "wins", "mean_coverage_90"} <= set(table.columns)


def test_bench_loto_runs_on_a_kbs_regression_tasks(regression_kb, run_cli):
    code, out, err = run_cli("bench", "loto", "--kb", regression_kb, "--task", "regression",
                             "--markdown")
    assert code == 0, err
    shown = {line.split("|")[1].strip() for line in out.splitlines()[2:] if line.startswith("|")}
    assert "ridge_cv" in shown and "logreg" not in shown and "mean_r2" in out
    code, _, err = run_cli("bench", "loto", "--kb", regression_kb)
    assert code == 2 and "holds no complete classification tasks" in err


def test_kb_info_counts_regression_wins_by_r2(regression_kb):
    from metamed.knowledge.summary import summarize as summarize_kb

    found = summarize_kb(open_storage(regression_kb, read_only=True))
    assert found["best_families"] == {} and sum(found["best_regression_families"].values()) == 4


def test_repeated_measures_get_intervals_refitted_without_the_whole_patient():
    frame = _table(n=120, seed=7)
    patients = np.repeat(np.arange(30), 4)
    frame["los"] += np.repeat(np.random.default_rng(7).normal(0, 2, 30), 4)  # patient effect
    task = make_task(frame.assign(patient=patients), "los", group_column="patient")
    model = ConformalRegressor(pipeline_for_task(named_config("ridge_cv"), task))
    model.fit(task.X, task.target_values, groups=task.group_labels)
    folds = model.folds_.split(task.X, task.target_values, task.group_labels)
    for train, test in folds:
        assert not set(patients[train]) & set(patients[test])
    assert np.isfinite(model.predict_interval(task.X)).all()


def test_few_shot_learning_refuses_a_regression_in_one_sentence(tmp_path):
    from metamed.fewshot.sources import corpus_data, table_data

    with pytest.raises(MetamedError, match="'reg_mass_birthwt' is a regression; few-shot"):
        corpus_data("reg_mass_birthwt", ways=2)
    _table(n=60).to_csv(tmp_path / "stays.csv", index=False)
    with pytest.raises(MetamedError, match="looks continuous and cannot be classes"):
        table_data(tmp_path / "stays.csv", "los", ways=2)
