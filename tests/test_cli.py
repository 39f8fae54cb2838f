"""The `metamed` command: results on good input, one sentence and exit 2 on bad input."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from metamed.cli import main


@pytest.fixture
def csv_path(tmp_path):
    rng = np.random.default_rng(0)
    n = 90
    frame = pd.DataFrame({"age": rng.normal(60, 10, n), "smoker": rng.choice(["y", "n"], n)})
    frame["label"] = np.where(frame["age"] + rng.normal(0, 8, n) > 60, "case", "control")
    path = tmp_path / "cohort.csv"
    frame.to_csv(path, index=False)
    return path


def test_evaluate_prints_every_metric_with_an_interval(run_cli, csv_path):
    code, out, _ = run_cli("evaluate", str(csv_path), "--target", "label", "--repeats", "1")
    assert code == 0
    for label in ("ROC AUC", "Sensitivity", "Specificity", "Brier", "Calibration slope"):
        assert label in out
    assert "95% CI" in out


def test_evaluate_json_is_machine_readable(run_cli, csv_path):
    code, out, _ = run_cli(
        "evaluate", str(csv_path), "-t", "label", "--repeats", "1", "--json"
    )
    assert code == 0
    result = json.loads(out)
    auc = result["metrics"]["roc_auc"]
    assert auc["ci_low"] <= auc["estimate"] <= auc["ci_high"]
    assert result["task"]["rows"] == 90
    assert result["pipeline"]["model"]["name"] == "logreg"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "--target", "label"], "does not exist"),
        (["{csv}", "--target", "lable"], "Did you mean 'label'"),
        (
            ["{csv}", "--target", "label", "--pipeline", "no_such_model"],
            "no named config 'no_such_model'",
        ),
        (["{csv}", "--target", "label", "--pipeline", "absent.json"], "does not exist"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_code_2(run_cli, csv_path, args, message):
    args = [a.replace("{csv}", str(csv_path)) for a in args]
    code, _, err = run_cli("evaluate", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2  # one sentence, wrapped at most once


def test_debug_shows_the_traceback(csv_path):
    from metamed.errors import MetamedError

    with pytest.raises(MetamedError):
        main(["--debug", "evaluate", str(csv_path), "--target", "lable"])


def test_python_dash_m_runs_the_command():
    done = subprocess.run(
        [sys.executable, "-m", "metamed", "version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == __import__("metamed").__version__


@pytest.fixture
def cohort(tmp_path, synthetic):
    task = synthetic("cohort", n=120, p=3, signal=2, seed=21)
    path = tmp_path / "cohort.csv"
    task.X.assign(outcome=task.y).to_csv(path, index=False)
    return path


def test_fit_then_predict_writes_a_class_and_a_probability_per_class(
    run_cli, cohort, tiny_kb, tmp_path
):
    model = tmp_path / "model.skops"
    code, out, err = run_cli(
        "fit",
        str(cohort),
        "--target",
        "outcome",
        "--kb",
        tiny_kb,
        "--time-budget",
        "10",
        "--outer-folds",
        "3",
        "--out",
        str(model),
    )
    assert code == 0, err
    assert "similar known tasks" in out and "honest performance" in out and "ROC AUC" in out
    assert "verdict:" in out and "logistic regression" in out
    preds = tmp_path / "preds.csv"
    code, out, err = run_cli("predict", str(model), str(cohort), "--out", str(preds))
    assert code == 0, err
    assert "ignored 1 column(s) not used by the model: outcome" in out
    frame = pd.read_csv(preds)
    assert list(frame.columns) == ["predicted", "proba_ill", "proba_well"]
    np.testing.assert_allclose(frame[["proba_ill", "proba_well"]].sum(axis=1), 1.0)


def test_predict_on_data_missing_a_column_is_one_clear_error(run_cli, cohort, tiny_kb, tmp_path):
    model = tmp_path / "model.skops"
    run_cli(
        "fit",
        str(cohort),
        "-t",
        "outcome",
        "--kb",
        tiny_kb,
        "--time-budget",
        "3",
        "--outer-folds",
        "0",
        "--out",
        str(model),
    )
    pd.read_csv(cohort).drop(columns="x0").to_csv(tmp_path / "less.csv", index=False)
    code, _, err = run_cli("predict", str(model), str(tmp_path / "less.csv"))
    assert code == 2 and "lacks 1 column(s) the model was trained on: 'x0'" in err


def test_recommend_explains_each_pipeline(run_cli, cohort, tiny_kb):
    code, out, _ = run_cli(
        "recommend", str(cohort), "-t", "outcome", "--kb", tiny_kb, "--n", "3", "--json"
    )
    assert code == 0
    recommendations = json.loads(out)
    assert len(recommendations) == 3
    assert all("similar known tasks" in r["rationale"] for r in recommendations)


def test_kb_info_summarises_a_knowledge_base(run_cli, tiny_kb):
    code, out, _ = run_cli("kb", "info", "--db", tiny_kb, "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["tasks"] == 8 and summary["configs"] >= 5
    assert summary["evaluations"] == 8 * summary["configs"] * 3  # tasks x configs x folds
    assert summary["failed"] == 0 and sum(summary["best_families"].values()) == 8


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["evaluate", "{csv}", "-t", "label", "--folds", "0"], "'--folds'"),
        (["evaluate", "{csv}", "-t", "label", "--folds", "1"], "'--folds'"),
        (["evaluate", "{csv}", "-t", "label", "--folds", "-3"], "'--folds'"),
        (["evaluate", "{csv}", "-t", "label", "--repeats", "0"], "'--repeats'"),
        (["fit", "{csv}", "-t", "label", "--outer-folds", "1"], "give 0 (no honest estimate)"),
        (["fit", "{csv}", "-t", "label", "--outer-folds", "-2"], "give 0 (no honest estimate)"),
        (["fit", "{csv}", "-t", "label", "--time-budget", "0"], "more than 0 seconds"),
        (["fit", "{csv}", "-t", "label", "--time-budget", "-5"], "more than 0 seconds"),
        (["evaluate", "{csv}"], "Missing option '--target'"),
    ],
)
def test_impossible_settings_are_refused_in_one_sentence(run_cli, csv_path, command, message):
    code, _, err = run_cli(*[a.replace("{csv}", str(csv_path)) for a in command])
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1 and "internal error" not in err


@pytest.mark.parametrize("option", ["--out", "--report"])
def test_output_paths_are_checked_before_any_work(run_cli, tmp_path, option):
    # the data file does not exist either: the path is refused before it is even read
    code, _, err = run_cli("fit", "absent.csv", "-t", "label", option,
                           str(tmp_path / "no_folder" / "file"))
    assert code == 2 and "no_folder' does not exist" in err
    code, _, err = run_cli("fit", "absent.csv", "-t", "label", option, str(tmp_path))
    assert code == 2 and "is a folder" in err


def test_fit_on_too_few_rows_for_nested_cv_says_so_before_fitting(run_cli, tmp_path):
    path = tmp_path / "four.csv"
    path.write_text("a,b,label\n1,2,x\n2,3,x\n3,1,y\n4,0,y\n")
    code, _, err = run_cli("fit", str(path), "-t", "label", "--out", str(tmp_path / "m.skops"))
    assert code == 2 and "outer training fold" in err and "--outer-folds 0" in err
    assert not (tmp_path / "m.skops").exists()


def test_a_shareable_fit_keeps_no_patient_values_and_says_so(run_cli, cohort, tiny_kb, tmp_path):
    from metamed.automl.persistence import load_model
    from metamed.space.privacy import config_keeps_rows

    model_file = tmp_path / "model.skops"
    code, out, err = run_cli("fit", str(cohort), "-t", "outcome", "--kb", tiny_kb,
                             "--time-budget", "6", "--outer-folds", "0", "--shareable",
                             "--out", str(model_file))
    assert code == 0, err
    assert "holds no training rows" in " ".join(out.split())
    model = load_model(model_file)
    assert model.state_.training_values == []
    assert model.leaderboard_["config_hash"].size and not any(
        config_keeps_rows(r.config) for r in model.recommendations_)


def test_predict_counts_what_it_imputes_and_strict_mode_refuses_it(
    run_cli, cohort, tiny_kb, tmp_path
):
    model = tmp_path / "model.skops"
    run_cli("fit", str(cohort), "-t", "outcome", "--kb", tiny_kb, "--time-budget", "3",
            "--outer-folds", "0", "--out", str(model))
    new = pd.read_csv(cohort).head(5).astype({"x0": object})
    new.loc[1, "x0"] = "high"
    new.loc[3, ["x0", "x1", "x2", "ward"]] = None
    new.to_csv(tmp_path / "new.csv", index=False)
    code, out, err = run_cli("predict", str(model), str(tmp_path / "new.csv"),
                             "--out", str(tmp_path / "p.csv"))
    text = " ".join(out.split())
    assert code == 0, err
    assert "column 'x0': 1 text value(s) read as missing" in text
    assert "every feature is missing in data row 4" in text
    assert len(pd.read_csv(tmp_path / "p.csv")) == 5
    code, _, err = run_cli("predict", str(model), str(tmp_path / "new.csv"), "--strict",
                           "--out", str(tmp_path / "q.csv"))
    assert code == 2 and "'high'" in err and not (tmp_path / "q.csv").exists()
    (tmp_path / "header.csv").write_text(",".join(new.columns) + "\n")
    code, _, err = run_cli("predict", str(model), str(tmp_path / "header.csv"))
    assert code == 2 and "no data rows" in err


@pytest.mark.parametrize("kind", ["a CSV file", "another application's SQLite file"])
def test_a_kb_that_is_not_a_knowledge_base_is_one_sentence(run_cli, csv_path, tmp_path, kind):
    import sqlite3

    kb = csv_path
    if kind != "a CSV file":
        kb = tmp_path / "app.sqlite"
        with sqlite3.connect(kb) as connection:
            connection.execute("CREATE TABLE visits (id INTEGER)")
    code, _, err = run_cli("recommend", str(csv_path), "--target", "label", "--kb", str(kb))
    message = " ".join(err.split())
    assert code == 2 and "internal error" not in message
    assert ("file is not a database" if kind == "a CSV file"
            else "is not a metamed knowledge base (OperationalError: no such table: info)"
            ) in message


def test_version_is_an_option_that_imports_no_command():
    code = ("import sys; from metamed.cli import main; main(['--version']); "
            "print(sorted(m for m in ('pandas', 'sklearn', 'metamed.commands.fitting') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == [__import__("metamed").__version__, "[]"]
