"""Survival end to end: the outcome's checks, MetaSurvival, model files and the commands."""

import warnings

import numpy as np
import pandas as pd
import pytest

from metamed.automl.persistence import load_model, save_model
from metamed.data.validation import make_task
from metamed.errors import MetamedError
from metamed.survival import metrics as sm
from metamed.survival.estimator import MetaSurvival


@pytest.fixture(scope="module")
def veteran() -> pd.DataFrame:
    from SurvSet.data import SurvLoader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SurvLoader().load_dataset("veteran")["df"].drop(columns=["pid"])


@pytest.fixture(scope="module")
def fitted(veteran):
    X, y = veteran.drop(columns=["time", "event"]), veteran[["time", "event"]].to_numpy()
    return MetaSurvival(time_budget=6, outer_splits=3, random_state=0).fit(X, y), X


def test_a_survival_task_keeps_time_and_event_and_predicts_at_follow_up_quartiles(veteran):
    task = make_task(veteran, "time", event="event", name="veteran")
    assert task.task_type == "survival" and task.n_rows == 137
    assert task.horizons == tuple(float(f"{q:.3g}") for q in
                                  np.quantile(veteran["time"], [0.25, 0.5, 0.75]))
    np.testing.assert_array_equal(task.target_values[:, 1], veteran["event"])
    assert "time" not in task.X and "event" not in task.X
    assert task.strata().sum() == veteran["event"].sum()  # folds stratified on the event


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.assign(event=np.where(d.index < 5, 2, d.event)), "competing risks"),
    (lambda d: d.assign(time=np.where(d.index == 3, 0, d.time)), "zero or less"),
    (lambda d: d.assign(tstart=0), "counting-process"),
    (lambda d: d.assign(event=np.where(d.index < 130, 0, d.event)), "only 7 events"),
    (lambda d: d.assign(event=np.where(d.event == 1, "dead", "alive")), "holds text"),
])
def test_bad_survival_outcomes_are_refused_in_one_sentence(veteran, change, message):
    with pytest.raises(MetamedError, match=message):
        make_task(change(veteran.copy()), "time", event="event")


def test_r_style_event_codes_are_read_with_a_note(veteran):
    task = make_task(veteran.assign(event=veteran.event + 1), "time", event="event")
    assert task.event.sum() == veteran.event.sum()
    assert any("R's survival convention" in note for note in task.notes)


def test_survival_is_never_inferred_from_a_time_column(veteran):
    assert make_task(veteran.drop(columns=["event"]), "time").task_type == "regression"


def test_meta_survival_is_scored_honestly_against_the_cox_model(fitted):
    model, X = fitted
    results = model.cv_results_
    assert 0.6 < results["harrell_c"].estimate < 0.8  # veteran: Cox ~0.70-0.74 (FINDINGS)
    assert results["harrell_c"].low < results["harrell_c"].estimate < results["harrell_c"].high
    assert {f"auc@{t:g}" for t in model.horizons_} <= set(results)
    assert "the Cox model" in model.verdict_
    assert model.oof_predictions_.shape == (137, 1 + len(model.horizons_))
    risk, survival = model.predict(X), model.predict_survival(X)
    assert survival.shape == (137, 3) and (np.diff(survival, axis=1) <= 1e-12).all()
    # a higher risk score means a lower survival at every horizon
    order = np.argsort(risk)
    assert (np.diff(survival[order], axis=0) <= 1e-9).mean() > 0.95


def test_a_survival_model_file_round_trips_and_predicts_the_same(fitted, tmp_path):
    model, X = fitted
    loaded = load_model(save_model(model, tmp_path / "s.skops"))
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.predict_survival(X, [30, 90]),
                               model.predict_survival(X, [30, 90]))


def test_the_cox_baseline_alone_reproduces_an_independent_concordance(veteran):
    task = make_task(veteran, "time", event="event")
    from metamed.space import named_config, pipeline_for_task

    cox = pipeline_for_task(named_config("cox"), task).fit(task.X, task.target_values)
    c = sm.harrell_c(task.y, task.event, cox.predict(task.X))
    assert 0.72 < c < 0.75  # in-sample; statsmodels' PHReg gives the same coefficients


def test_fit_and_predict_commands_take_time_and_event(run_cli, veteran, tmp_path):
    data, rows = tmp_path / "cohort.csv", tmp_path / "new.csv"
    veteran.to_csv(data, index=False)
    veteran.head(4).to_csv(rows, index=False)
    code, out, _ = run_cli("fit", str(data), "--time", "time", "--event", "event",
                        "--time-budget", "5", "--outer-folds", "0", "--horizons", "30,90",
                        "--out", str(tmp_path / "m.skops"))
    assert code == 0, out
    code, out, _ = run_cli("predict", str(tmp_path / "m.skops"), str(rows), "--out",
                        str(tmp_path / "p.csv"))
    assert code == 0, out
    predictions = pd.read_csv(tmp_path / "p.csv")
    assert list(predictions.columns) == ["risk", "survival_30", "survival_90"]
    assert (predictions["survival_90"] <= predictions["survival_30"]).all()
    code, _, error = run_cli("fit", str(data), "--time", "time")
    assert code != 0 and "--time NAME --event NAME" in error


def test_the_report_of_a_survival_model_has_its_section_headline_and_model_card(fitted, veteran):
    from metamed.report import build_report

    model, _ = fitted
    page = build_report(model, make_task(veteran, "time", event="event"))
    assert "Honest Harrell" in page and "Against the Cox model" in page
    assert f"{int(veteran.event.sum())} events" in page and "Kaplan" in page
