"""Tables as real systems export them, fitted and predicted on (issue 21).

Given a European export, a table with copied rows, a lab export with units
or a workbook with a cover sheet, the user gets the model the clean table
would give, and is told what was read how.
"""

import numpy as np
import pandas as pd
import pytest

from metamed.automl.estimator import MetaClassifier
from metamed.automl.persistence import save_model
from metamed.data.io import load_task
from metamed.evaluation import plan_cv
from metamed.evaluation.intervals import bootstrap_intervals
from metamed.evaluation.scoring import Scorer


def _cohort(n=120, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"age": rng.integers(30, 85, n), "sex": rng.choice(["M", "F"], n),
                          "bp": rng.normal(135, 18, n).round(1),
                          "dose": rng.choice([5, 10, 20], n)})
    risk = 0.06 * (frame["bp"] - 135) + 0.1 * (frame["dose"] - 10) + rng.normal(0, 1, n)
    return frame.assign(dose=[f"{d} mg" for d in frame["dose"]],
                        outcome=np.where(risk > 0, "ill", "well"))


@pytest.fixture(scope="module")
def model_file(tiny_kb, tmp_path_factory):
    """A model fitted as `metamed fit` fits it, on a table with a unit in 'dose'."""
    path = tmp_path_factory.mktemp("fit") / "cohort.csv"
    _cohort().to_csv(path, index=False)
    model = MetaClassifier(kb=tiny_kb, time_budget=3, outer_splits=0, n_candidates=2)
    model.fit_task(load_task(path, "outcome"))
    return save_model(model, path.with_suffix(".skops"))


def _predict(run_cli, model_file, path, *options):
    out = path.with_name(f"{path.stem}{''.join(options)}_preds.csv")
    code, text, err = run_cli("predict", str(model_file), str(path), "--out", str(out), *options)
    return code, " ".join(text.split()), err, out


def test_predict_reads_a_decimal_comma_file_as_the_dotted_one(run_cli, model_file, tmp_path):
    new = _cohort(20, seed=1)
    new.to_csv(tmp_path / "dots.csv", index=False)
    new.to_csv(tmp_path / "commas.csv", sep=";", decimal=",", index=False)
    *_, dotted = _predict(run_cli, model_file, tmp_path / "dots.csv")
    code, text, err, commas = _predict(run_cli, model_file, tmp_path / "commas.csv")
    assert code == 0, err
    assert "'commas.csv' writes decimals with a comma (e.g. " in text and "read as numbers: bp" \
        in text and "the unit 'mg' was removed from 20 value(s), as in training" in text
    pd.testing.assert_frame_equal(pd.read_csv(commas), pd.read_csv(dotted))


def test_predict_names_categories_coded_otherwise_and_strict_refuses_them(
        run_cli, model_file, tmp_path):
    new = _cohort(20, seed=2)
    new["sex"] = np.where(new["sex"] == "M", 1, 0)
    new.loc[3, "sex"] = 9
    new.to_csv(tmp_path / "coded.csv", index=False)
    code, text, err, _ = _predict(run_cli, model_file, tmp_path / "coded.csv")
    assert code == 0, err
    assert "column 'sex': 20 value(s) never seen in training (" in text
    assert "training had 'F', 'M'), treated as an unknown category." in text
    code, _, err, out = _predict(run_cli, model_file, tmp_path / "coded.csv", "--strict")
    assert code == 2 and "never seen in training" in err and not out.exists()


def test_predict_reads_the_sheet_it_is_told_and_names_the_others(run_cli, model_file, tmp_path):
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"exported": ["2024-05-01"]}).to_excel(book, sheet_name="Cover", index=False)
        _cohort(10, seed=3).to_excel(book, sheet_name="Patients", index=False)
    code, _, err, _ = _predict(run_cli, model_file, path)
    assert code == 2 and "the workbook's sheets are 'Cover' (0), 'Patients' (1)" in \
        " ".join(err.split())
    code, _, err, out = _predict(run_cli, model_file, path, "--sheet", "Patients")
    assert code == 0, err
    assert len(pd.read_csv(out)) == 10


# --- identical rows -------------------------------------------------------------------------


def _doubled(frame):
    return pd.concat([frame, frame], ignore_index=True)


def test_copies_never_straddle_a_split_at_any_level_of_the_nested_cv():
    frame = _cohort()
    task = load_task(_doubled(frame), "outcome")
    original = plan_cv(load_task(frame, "outcome"), n_splits=5, n_repeats=2)
    outer = plan_cv(task, n_splits=5, n_repeats=2)
    for mine, theirs in zip(outer.splits, original.splits, strict=True):
        np.testing.assert_array_equal(mine.test, np.r_[theirs.test, theirs.test + len(frame)])
    inner = task.subset(outer.splits[0].train)
    for split in plan_cv(inner, n_splits=5, n_repeats=1).splits:
        assert set(inner.duplicates[split.train]).isdisjoint(inner.duplicates[split.test])


def test_intervals_resample_copies_together_so_they_are_not_narrowed():
    task = load_task(_cohort(), "outcome")
    doubled = load_task(_doubled(task.X.assign(outcome=task.y)), "outcome")
    rng = np.random.default_rng(0)
    proba = rng.uniform(size=task.n_rows)
    proba = np.c_[proba, 1 - proba]  # noise: any narrowing comes from the copies alone
    scorer = Scorer.for_task(task)
    once = bootstrap_intervals(task.codes, proba[None], scorer)["roc_auc"]
    twice = bootstrap_intervals(doubled.codes, np.r_[proba, proba][None], scorer,
                                doubled.group_labels)["roc_auc"]
    assert twice.estimate == pytest.approx(once.estimate)
    assert twice.high - twice.low == pytest.approx(once.high - once.low, rel=0.15)


def _verdict_kind(sentence):
    return "beat" if sentence.startswith("beat") else (
        "worse" if sentence.startswith("worse") else "no better")


def test_the_verdict_on_a_doubled_table_is_the_originals(tiny_kb, synthetic):
    # Before copies were grouped, this table doubled "beat logistic regression by 0.062 AUC
    # (0.024 to 0.104)" while the table itself was "no better than logistic regression".
    task = synthetic("copied", n=120, p=3, signal=1, seed=7)
    frame = task.X.assign(outcome=task.y)
    verdicts = []
    for table in (frame, _doubled(frame)):
        model = MetaClassifier(kb=tiny_kb, time_budget=8, n_candidates=3, outer_splits=3)
        verdicts.append(_verdict_kind(model.fit_task(load_task(table, "outcome")).verdict_))
    assert verdicts[1] == verdicts[0] == "no better"
