"""MetaClassifier: a scikit-learn estimator that reports an honest score."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from metamed.automl.estimator import MetaClassifier
from metamed.automl.persistence import load_model, save_model
from metamed.automl.search import candidate_pool, successive_halving
from metamed.errors import MetamedError
from metamed.kinds import CLASSIFICATION
from metamed.space import config_hash, named_config


def _model(kb, **kw):
    return MetaClassifier(kb=kb, time_budget=kw.pop("time_budget", 20), n_candidates=3,
                          outer_splits=kw.pop("outer_splits", 3), **kw)


def test_fit_predict_and_honest_results(tiny_kb, synthetic):
    task = synthetic("new", n=150, p=4, signal=2, seed=42)
    model = _model(tiny_kb).fit(task.X, task.y)
    assert set(model.classes_) == {"ill", "well"}
    proba = model.predict_proba(task.X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(task.X) == model.classes_[proba.argmax(axis=1)]).all()
    honest = model.cv_results_["roc_auc"]
    assert 0.75 < honest.estimate <= 1 and honest.low < honest.estimate < honest.high
    assert model.leaderboard_["cv_roc_auc"].notna().all()
    assert config_hash(named_config("logreg")) in set(model.leaderboard_["config_hash"])
    assert model.recommendations_ and all(r.rationale for r in model.recommendations_)


def test_the_honest_result_comes_with_its_difference_from_plain_logistic_regression(
        tiny_kb, synthetic):
    from metamed.automl.selection import refit_oof
    from metamed.evaluation.metrics import class_roc_auc

    task = synthetic("verdict", n=150, p=4, signal=2, seed=43)
    model = _model(tiny_kb).fit_task(task)
    lr = class_roc_auc(task.codes, refit_oof(task, named_config("logreg"), 3, 0), 1)
    difference = model.baseline_comparison_["roc_auc"]
    assert difference.estimate == pytest.approx(model.cv_results_["roc_auc"].estimate - lr)
    assert difference.low <= difference.estimate <= difference.high
    assert "logistic regression" in model.verdict_


def test_forty_patients_get_a_sensible_model_not_chance(tiny_kb, synthetic):
    task = synthetic("tiny", n=40, p=3, signal=3, seed=7)
    model = _model(tiny_kb).fit(task.X, task.y)
    assert model.cv_results_["roc_auc"].estimate > 0.8
    assert len(set(model.predict(task.X))) == 2  # not one class for everybody


def test_numpy_input_and_sklearn_conventions(tiny_kb, synthetic):
    task = synthetic("arr", n=90, p=3, signal=2, seed=3)
    model = _model(tiny_kb, outer_splits=0, time_budget=5)
    assert model.get_params()["time_budget"] == 5
    with pytest.raises(NotFittedError):
        model.predict(task.X.to_numpy())
    with pytest.raises(NotFittedError):
        model.cv_results_  # noqa: B018 -- every learned attribute reads the fitted state
    X = task.X.drop(columns="ward").to_numpy()
    assert model.fit(X, task.y.to_numpy()) is model
    assert model.n_features_in_ == 3 and not hasattr(model, "feature_names_in_")
    assert model.predict(X).shape == (90,)
    assert model.cv_results_ == {}
    assert 0 <= model.score(X, task.y.to_numpy()) <= 1


def test_prediction_checks_the_training_schema(tiny_kb, synthetic):
    task = synthetic("schema", n=90, p=3, signal=2, seed=5)
    model = _model(tiny_kb, outer_splits=0, time_budget=5).fit(task.X, task.y)
    with pytest.raises(MetamedError, match="lacks 1 column.*'x1'"):
        model.predict(task.X.drop(columns="x1"))
    unseen = task.X.assign(ward="never seen", extra=1.0)
    assert model.predict_proba(unseen).shape == (90, 2)


def test_saved_model_predicts_the_same_and_keeps_its_results(tiny_kb, tmp_path, synthetic):
    task = synthetic("save", n=90, p=3, signal=2, seed=9)
    X = task.X.assign(constant=1.0)  # given to fit, dropped by validation
    model = _model(tiny_kb, time_budget=8, positive_class="well").fit(X, task.y)
    loaded = load_model(save_model(model, tmp_path / "m.skops"))
    assert loaded.n_features_in_ == model.n_features_in_ == 5
    assert list(loaded.feature_names_in_) == list(model.feature_names_in_) == list(X.columns)
    assert loaded.positive_class_ == model.positive_class_ == "well"  # not the minority
    np.testing.assert_allclose(loaded.predict_proba(task.X), model.predict_proba(task.X))
    assert loaded.cv_results_ == model.cv_results_
    assert loaded.baseline_comparison_ == model.baseline_comparison_
    assert loaded.verdict_ == model.verdict_
    pd.testing.assert_frame_equal(loaded.leaderboard_, model.leaderboard_)
    assert loaded.metamed_version_
    np.testing.assert_allclose(loaded.oof_proba_, model.oof_proba_)
    assert loaded.oof_proba_.shape == (90, 2) and loaded.oof_target_.shape == (90,)


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    bogus = tmp_path / "m.skops"
    bogus.write_text("not a model")
    with pytest.raises(MetamedError, match="not a metamed model file"):
        load_model(bogus)


def test_search_stops_at_its_budget_and_needs_no_baseline_folds_when_nothing_competes(synthetic):
    task = synthetic("budget", n=120, p=3, signal=2, seed=11)
    pool = candidate_pool([(named_config("rf"), "test"), (named_config("knn"), "test")],
                          CLASSIFICATION)
    result = successive_halving(task, pool, budget=0.0)
    folds = {c.config["model"]["name"]: len(c.fold_scores) for c in result.candidates}
    assert folds == {"rf": 0, "knn": 0, "logreg": 0}
    full = successive_halving(task, candidate_pool([], CLASSIFICATION), budget=60)
    assert [len(c.fold_scores) for c in full.candidates] == [5]


def test_the_baseline_gets_every_fold_a_competitor_finished_whatever_the_budget(synthetic):
    task = synthetic("catch-up", n=120, p=3, signal=2, seed=11)
    pool = candidate_pool([(named_config("tree"), "test")],
                          CLASSIFICATION)
    baseline = next(c for c in pool if c.reference)
    baseline.seconds = [1000.0]  # as if one of its folds had taken 1000 s: over any budget
    next(c for c in pool if not c.reference).seconds = [0.001]
    result = successive_halving(task, pool, budget=60)
    folds = {c.config["model"]["name"]: len(c.fold_scores) for c in result.candidates}
    # The tree finished the first rung's 2 folds (and was then cut): so did the baseline,
    # which the budget would have stopped; the decision rule can compare them fold by fold.
    assert folds == {"tree": 2, "logreg": 2}


def test_search_starts_no_fit_it_expects_to_overrun_the_budget(synthetic):
    task = synthetic("guard", n=120, p=3, signal=2, seed=11)
    pool = candidate_pool([(named_config("rf"), "test")],
                          CLASSIFICATION)
    pool[0].seconds = [100.0]  # as if one fold had taken 100 s
    result = successive_halving(task, pool, budget=60)
    folds = {c.config["model"]["name"]: len(c.fold_scores) for c in result.candidates}
    assert folds == {"rf": 0, "logreg": 0}  # the baseline's guess is rf's: 100 s, too
    pool = candidate_pool([(named_config("rf"), "test")],
                          CLASSIFICATION)
    pool[0].seconds = [1.0]
    counts = [len(c.fold_scores) for c in successive_halving(task, pool, budget=60).candidates]
    assert sorted(counts) == [2, 5]  # both measured; the weaker cut after the first rung


def test_repeated_search_cuts_the_field_after_one_full_repeat(synthetic):
    task = synthetic("repeats", n=150, p=3, signal=2, seed=12)
    pool = candidate_pool([(named_config(n), "test") for n in ("rf", "knn", "tree")],
                          CLASSIFICATION)
    result = successive_halving(task, pool, budget=60, n_repeats=2)
    assert sorted(len(c.fold_scores) for c in result.candidates) == [5, 5, 10, 10]
    assert [len(c.fold_scores) for c in result.complete] == [10, 10]
    assert all(c.cut for c in result.candidates if len(c.fold_scores) == 5)
    finalist = result.complete[0]
    finalist.fold_scores = finalist.fold_scores[:7]  # as if time ran out during repeat 2
    assert finalist in result.complete and len(result.complete) == 2
    with pytest.raises(ValueError, match="n_repeats"):
        successive_halving(task, pool, budget=1, n_repeats=0)


def test_a_table_already_in_the_kb_is_left_out_of_its_own_recommendations(tiny_kb, synthetic):
    task = synthetic("task3", n=200, p=6, signal=1, seed=3, linear=False)  # as in the KB
    model = _model(tiny_kb, outer_splits=0, time_budget=5).fit_task(task)
    assert "task 'task3'" in model.notes_[0]
    assert all("task3 (" not in r.rationale for r in model.recommendations_)


def test_with_no_time_to_search_the_logistic_regression_is_chosen(tiny_kb, synthetic):
    task = synthetic("rush", n=90, p=3, signal=2, seed=13)
    model = _model(tiny_kb, outer_splits=0, time_budget=0.0).fit(task.X, task.y)
    assert model.ensemble_ == [("logreg_l2-C1-std", 1.0)]
    assert model.predict(task.X).shape == (90,)
    assert model.leaderboard_["folds"].tolist() == [0]  # nothing competed: LR needs no evidence
    assert "pipelines were left out before the search" in " ".join(model.notes_)
    roomy = _model(tiny_kb, outer_splits=0, time_budget=60).fit(task.X, task.y)
    assert not any("time budget" in note for note in roomy.notes_)


def test_fit_reports_each_stage_as_it_starts(tiny_kb, synthetic):
    task = synthetic("stages", n=120, p=3, signal=2, seed=44)
    heard: list[str] = []
    _model(tiny_kb, time_budget=10).fit_task(task, progress=heard.append)
    assert heard[0] == "honest CV fold 1/3: meta-features and recommendations"
    assert any(s.startswith("honest CV fold 3/3: search: pipeline 1/") for s in heard)
    assert "honest CV fold 2/3: refit" in heard
    order = [heard.index(s) for s in ("intervals and the comparison with logistic regression",
                                      "meta-features and recommendations",
                                      "final fit on every row")]
    assert order == sorted(order) and heard[-1] == "final fit on every row"
