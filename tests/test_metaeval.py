"""Leave-one-task-out: learners judged on tasks they never saw."""

import numpy as np
import pandas as pd

from metamed.automl.loto import loto_search, loto_zero_shot, summarize
from metamed.automl.procedure import load_metadata
from metamed.knowledge.metadata import MetaData
from metamed.space import config_hash, named_config

LEARNERS = ["nearest", "single_best", "logreg"]


def test_zero_shot_scores_every_task_for_every_learner(tiny_kb):
    metadata = load_metadata(tiny_kb, "classification")
    rows = loto_zero_shot(metadata, LEARNERS)
    assert len(rows) == len(metadata.task_ids) * len(LEARNERS)
    assert rows["normalized"].between(0, 1).all()
    logreg = metadata.config_hashes.index(config_hash(named_config("logreg")))
    for task, score in rows[rows["learner"] == "logreg"][["task", "roc_auc"]].itertuples(False):
        assert score == metadata.scores[metadata.task_ids.index(task), logreg]


def _metadata(scores: list[list[float]], families: list[str]) -> MetaData:
    ids = [f"t{i}" for i in range(len(scores))]
    configs = [named_config("logreg"), named_config("rf")]
    return MetaData(task_ids=ids, content_hashes=ids, families=families,
                    metafeatures=np.zeros((len(ids), 3)), configs=configs,
                    config_hashes=[config_hash(c) for c in configs],
                    scores=np.array(scores))


def test_zero_shot_hides_the_held_out_task_and_its_whole_family():
    # t0, t1 and t2 share rows (one family) and favour logreg; t3 favours rf.
    # Seen with its family, t0 would get logreg (2 tasks to 1); alone, t3 decides: rf.
    metadata = _metadata([[0.9, 0.6], [0.8, 0.7], [0.85, 0.75], [0.6, 0.8]],
                         ["f", "f", "f", ""])
    rows = loto_zero_shot(metadata, ["single_best"]).set_index("task")
    assert rows.loc["t0", "roc_auc"] == 0.6  # rf's score on t0: the family stayed hidden
    assert rows.loc["t0", "normalized"] == 0.0
    assert rows.loc["t3", "roc_auc"] == 0.6  # t3 sees only the family's logreg preference


def test_summary_counts_wins_ties_and_losses_against_logreg_with_the_tie_margin():
    rows = pd.DataFrame({
        "task": ["a", "b", "c"] * 2,
        "learner": ["logreg"] * 3 + ["nearest"] * 3,
        "roc_auc": [0.70, 0.70, 0.70, 0.72, 0.704, 0.69],
        "normalized": [0.5] * 6, "seconds": [1.0] * 6,
    })
    summary = summarize(rows)
    assert summary.loc["nearest", ["wins", "ties", "losses"]].tolist() == [1, 1, 1]
    assert summary.loc["nearest", "mean_rank"] == (1 + 1 + 2) / 3  # ranks compare exactly


def test_search_mode_scores_the_whole_procedure_in_nested_cv(tiny_kb, tiny_kb_task):
    metadata = load_metadata(tiny_kb, "classification")
    per_task = list(loto_search(metadata, ["nearest", "logreg"], tiny_kb_task, budget=4,
                                task_ids=["task0", "task2"], outer_splits=3))
    assert sorted(len(rows) for rows in per_task) == [2, 2]
    rows = pd.DataFrame([row for rows in per_task for row in rows])
    assert set(rows["task"]) == {"task0", "task2"}
    assert rows["roc_auc"].between(0.5, 1).all()
    assert np.isfinite(rows["normalized"]).all()


def test_a_resumed_search_keeps_only_tasks_that_have_every_learner(tmp_path):
    from metamed.commands.bench import _saved_rows

    out = tmp_path / "rows.csv"
    pd.DataFrame({
        "task": ["a", "a", "b", "c", "c", "c", "d", "d"],
        "learner": ["nearest", "logreg", "nearest", "nearest", "logreg", "logreg", "nearest",
                    "logreg"],
        "roc_auc": [0.7, 0.6, 0.8, 0.5, 0.55, 0.65, 0.9, 0.9],
        "budget": [60, 60, 60, 60, 60, 60, 20, 20],
    }).to_csv(out, index=False)
    kept = _saved_rows(out, ["nearest", "logreg"], ["a", "b", "c", "d"], budget=60)
    assert sorted(set(kept["task"])) == ["a", "c"]  # b lacks logreg, d ran at 20 s: both rerun
    assert kept.loc[(kept["task"] == "c") & (kept["learner"] == "logreg"), "roc_auc"].item() == 0.65
    assert set(_saved_rows(out, ["nearest"], ["b"], budget=60)["task"]) == {"b"}
    assert _saved_rows(tmp_path / "none.csv", ["nearest"], ["a"], budget=60).empty
    pd.DataFrame({"task": ["a"], "learner": ["nearest"], "roc_auc": [0.7]}).to_csv(
        tmp_path / "zero_shot.csv", index=False)
    assert _saved_rows(tmp_path / "zero_shot.csv", ["nearest"], ["a"], budget=60).empty


def test_oracle_refits_on_the_same_outer_folds_as_the_searched_procedures(tiny_kb, tiny_kb_task):
    from metamed.automl.selection import nested_oof, refit_oof
    from metamed.evaluation.intervals import paired_intervals
    from metamed.evaluation.scoring import Scorer
    from metamed.learners import make_learner
    from metamed.space import named_config

    metadata = load_metadata(tiny_kb, "classification")
    task = tiny_kb_task("task1")
    searched = nested_oof(task, make_learner("logreg").fit(metadata), 30, outer_splits=3,
                          n_candidates=1, ensemble=False)
    np.testing.assert_allclose(refit_oof(task, named_config("logreg"), 3, 0), searched.raw)
    # LR alone in every fold: the procedure's own predictions are the baseline's, so the
    # verdict needs no refit (and the paired difference is exactly zero, without resampling).
    assert searched.baseline_only
    np.testing.assert_array_equal(searched.predictions, searched.raw)
    zero = paired_intervals(task.codes, searched.predictions, searched.predictions,
                            Scorer.for_task(task))
    assert {(i.low, i.high) for i in zero.values() if not np.isnan(i.estimate)} == {(0.0, 0.0)}
    (rows,) = loto_search(metadata, ["oracle"], tiny_kb_task, budget=4, task_ids=["task1"])
    assert rows[0]["learner"] == "oracle" and 0.5 <= rows[0]["roc_auc"] <= 1


def test_bench_summary_joins_runs_over_the_tasks_every_learner_has(tmp_path, run_cli):
    def rows(task, learner, auc):
        return {"task": task, "learner": learner, "roc_auc": auc, "normalized": auc,
                "oracle_auc": 0.9, "seconds": 1.0}

    pd.DataFrame([rows("t1", "logreg", 0.7), rows("t1", "nearest", 0.8),
                  rows("t2", "logreg", 0.6), rows("t2", "nearest", 0.6)]).to_csv(
        tmp_path / "a.csv", index=False)
    pd.DataFrame([rows("t1", "oracle", 0.85)]).to_csv(tmp_path / "b.csv", index=False)
    code, out, _ = run_cli("bench", "summary", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"),
                           "--markdown")
    assert code == 0
    header, _, *body = out.splitlines()
    columns = [c.strip() for c in header.split("|")[1:-1]]
    table = {cells[0]: dict(zip(columns, cells, strict=True))
             for cells in ([c.strip() for c in line.split("|")[1:-1]] for line in body)}
    assert set(table) == {"oracle", "nearest", "logreg"}  # t2 lacks the oracle: left out
    assert table["nearest"]["tasks"] == "1" and table["nearest"]["wins"] == "1"
    assert table["oracle"]["mean_roc_auc"] == "0.85" and table["oracle"]["mean_rank"] == "nan"
    assert table["nearest"]["mean_rank"] == "1"  # the oracle is a reference, not ranked


def test_search_settings_other_than_the_default_are_named_in_the_rows(tiny_kb, tiny_kb_task):
    metadata = load_metadata(tiny_kb, "classification")
    (rows,) = loto_search(metadata, ["nearest", "logreg"], tiny_kb_task, budget=4,
                          task_ids=["task0"], n_candidates=3, n_repeats=2)
    assert [r["learner"] for r in rows] == ["nearest (3 candidates, 2 repeats)", "logreg"]
    assert all(0.5 <= r["roc_auc"] <= 1 for r in rows)


def test_bench_summary_refuses_one_learner_twice_with_different_settings(tmp_path, run_cli):
    for name, budget in (("a.csv", 20), ("b.csv", 60)):
        pd.DataFrame({"task": ["t1"], "learner": ["nearest"], "roc_auc": [0.7],
                      "normalized": [0.5], "oracle_auc": [0.9], "seconds": [1.0],
                      "budget": [budget]}).to_csv(tmp_path / name, index=False)
    code, _, err = run_cli("bench", "summary", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"))
    assert code == 2 and "more than once" in err


def test_bench_loto_compares_every_learner_including_the_default_by_default(tiny_kb, run_cli):
    from metamed.learners import DEFAULT_LEARNER, LEARNERS, ONE_TYPE_LEARNERS

    code, out, _ = run_cli("bench", "loto", "--kb", tiny_kb, "--markdown")
    assert code == 0
    shown = {line.split("|")[1].strip() for line in out.splitlines()[2:] if line.startswith("|")}
    assert shown == set(LEARNERS) - set(ONE_TYPE_LEARNERS) | {"logreg"}
    assert DEFAULT_LEARNER in shown


def test_bench_loto_search_runs_on_corpus_tasks_from_the_shipped_kb(tmp_path, run_cli):
    out = tmp_path / "rows.csv"
    code, printed, err = run_cli("bench", "loto", "--mode", "search", "--learners", "logreg",
                                 "--max-tasks", "1", "--budget", "5", "--out", str(out),
                                 "--markdown")
    assert code == 0, err
    rows = pd.read_csv(out)
    assert len(rows) == 1 and rows["learner"].iloc[0] == "logreg"
    assert 0.5 < rows["roc_auc"].iloc[0] <= 1.0 and "| logreg" in printed
    assert "median_slope" in printed and rows["calibration_slope"].notna().all()


def test_a_search_with_another_threshold_is_labelled_so_its_rows_never_mix():
    from dataclasses import replace

    from metamed.automl.loto import procedure_label
    from metamed.automl.policy import default_policy

    assert procedure_label("local") == "local"
    strict = replace(default_policy("classification"), threshold=0.9)
    assert procedure_label("local", policy=strict) == "local (P>=0.9 k=0 half)"
    assert procedure_label("logreg", policy=strict) == "logreg"
