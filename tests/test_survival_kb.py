"""Survival tasks in the knowledge base: scores, out-of-fold risk and S(t), censoring
meta-features, the survival portfolio and a KB whose meta-features predate them."""

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from metamed import corpus
from metamed.automl.replay import ReplayTask, _stratified_half
from metamed.errors import MetamedError
from metamed.evaluation import cross_validate_proba, plan_cv
from metamed.evaluation.scoring import Scorer
from metamed.knowledge import open_storage
from metamed.knowledge.build import BuildSettings, build
from metamed.knowledge.metadata import OLDER_NAMES, MetaData, check_metafeatures
from metamed.knowledge.metafeatures import CENSORING, METAFEATURES_VERSION, metafeature_frame
from metamed.knowledge.predictions import decode, encode, oof_predictions
from metamed.space import config_hash, named_config, pipeline_for_task
from metamed.space.families import MODEL_FAMILIES
from metamed.space.portfolio import SURVIVAL_PORTFOLIO_SIZE, survival_portfolio

CONFIGS = [named_config("cox"), named_config("xgb_cox")]


@pytest.fixture(scope="module")
def veteran():
    return corpus.load_task("survival_veteran_surv")


@pytest.fixture(scope="module")
def built(veteran, tmp_path_factory):
    storage = open_storage(str(tmp_path_factory.mktemp("kb") / "kb.sqlite"))
    build(storage, [veteran], CONFIGS, BuildSettings(n_splits=3, seed=2))
    return storage


def test_stored_risk_and_survival_rebuild_a_direct_cross_validation(veteran, built):
    stored = oof_predictions(built.predictions(veteran.name), veteran, n_splits=3, seed=2)
    plan = plan_cv(veteran, n_splits=3, n_repeats=1, seed=2)
    for config in CONFIGS:
        _, direct = cross_validate_proba(pipeline_for_task(config, veteran), veteran, plan)
        oof = stored[config_hash(config)]
        assert oof.shape == (veteran.n_rows, 1 + len(veteran.horizons))
        np.testing.assert_allclose(oof[:, 1:], direct[0][:, 1:], atol=1e-3)  # S(t), float16
        np.testing.assert_allclose(oof[:, 0], direct[0][:, 0], rtol=1e-3, atol=1e-3)


def test_each_fold_stores_its_concordance_and_brier_score(veteran, built):
    rows = built.evaluations()
    assert len(rows) == 6 and (rows["status"] == "ok").all()
    plan = plan_cv(veteran, n_splits=3, n_repeats=1, seed=2)
    fold = plan.splits[1]
    _, direct = cross_validate_proba(pipeline_for_task(CONFIGS[0], veteran), veteran, plan)
    expected = Scorer.for_task(veteran)(veteran.target_values[fold.test], direct[0][fold.test])
    row = rows[(rows["config_hash"] == config_hash(CONFIGS[0])) & (rows["fold"] == 1)].iloc[0]
    assert row["harrell_c"] == pytest.approx(expected["harrell_c"])
    assert row["integrated_brier"] == pytest.approx(expected["integrated_brier"])
    assert pd.isna(row["roc_auc"]) and pd.isna(row["r2"])  # no other kind's metric


def test_survival_tasks_are_learned_from_by_survival_only(veteran, built):
    survival = MetaData.from_storage(built, "survival")
    assert survival.task_ids == [veteran.name]
    np.testing.assert_allclose(survival.scores.shape, (1, 2))
    assert 0.6 < np.nanmin(survival.scores) < 0.8  # Harrell's C, not an AUC of 0.5 filler
    assert MetaData.from_storage(built, "classification").task_ids == []


def test_a_survival_blob_is_risk_then_survival_at_each_horizon(veteran):
    predictions = np.array([[1.5, 0.9, 0.7, 0.4], [-0.25, 0.95, 0.85, 0.6]])
    blob = encode(predictions, veteran)
    assert len(blob) == 2 * 4 * 2  # float16, rows x (1 + horizons)
    np.testing.assert_allclose(decode(blob, veteran), predictions, atol=1e-3)


def test_censoring_meta_features_describe_events_and_early_loss(veteran):
    values = metafeature_frame(veteran)
    time, event = veteran.target_values[:, 0], veteran.target_values[:, 1]
    assert values["event_share"] == pytest.approx(event.mean())
    assert values["log_events_per_feature"] == pytest.approx(
        np.log(event.sum() / veteran.n_features))
    assert values["share_censored_early"] == pytest.approx(
        np.mean((event == 0) & (time < np.median(time))))
    twin = corpus.load_task("survival_veteran")  # the classification twin: no censoring
    assert (metafeature_frame(twin)[list(CENSORING)] == 0).all()


def test_the_survival_portfolio_holds_every_survival_family_and_selects_no_column():
    portfolio = survival_portfolio()
    names = {config["model"]["name"] for config in portfolio}
    assert len(portfolio) == SURVIVAL_PORTFOLIO_SIZE
    assert names == {n for n, f in MODEL_FAMILIES.items() if f.task_type == "survival"}
    assert {config["select"]["method"] for config in portfolio} == {"none"}
    assert len({config_hash(c) for c in portfolio}) == len(portfolio)


def _as_version(path, version: str):
    """What a KB written before the censoring (version 1) or molecular (2) meta-features
    looks like."""
    old_names = list(OLDER_NAMES[version])
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT task_id, metafeatures FROM tasks").fetchall()
        for task_id, vector in rows:
            short = json.dumps(json.loads(vector)[: len(old_names)])
            connection.execute("UPDATE tasks SET metafeatures = ? WHERE task_id = ?",
                               (short, task_id))
        connection.execute("UPDATE info SET value = ? WHERE key = 'metafeatures_version'",
                           (version,))
        connection.execute("UPDATE info SET value = ? WHERE key = 'metafeatures'",
                           (json.dumps(old_names),))


@pytest.mark.parametrize("version", ["1", "2"])
def test_an_older_kb_reads_exactly_as_this_version_and_takes_survival_tasks(veteran, tmp_path,
                                                                           version):
    path = tmp_path / "kb.sqlite"
    twin = corpus.load_task("survival_veteran")
    storage = open_storage(str(path))
    build(storage, [twin], [named_config("logreg")], BuildSettings(n_splits=3))
    storage.close()
    _as_version(path, version)
    storage = open_storage(str(path))
    old = MetaData.from_storage(storage, "classification")
    np.testing.assert_allclose(old.metafeatures[0], metafeature_frame(twin).to_numpy())
    build(storage, [veteran], CONFIGS[:1], BuildSettings(n_splits=3))
    assert storage.info()["metafeatures_version"] == str(METAFEATURES_VERSION)
    new = MetaData.from_storage(storage, "survival")
    np.testing.assert_allclose(new.metafeatures[0], metafeature_frame(veteran).to_numpy())
    np.testing.assert_allclose(MetaData.from_storage(storage, "classification").metafeatures,
                               old.metafeatures)


def test_meta_features_of_an_unknown_version_are_refused(built):
    info = {**built.info(), "metafeatures_version": str(METAFEATURES_VERSION + 1)}
    with pytest.raises(MetamedError, match="rebuild it"):
        check_metafeatures(info)


def test_replay_halves_share_the_events_of_a_survival_task(veteran):
    target = veteran.target_values
    data = ReplayTask("veteran", target, np.zeros(len(target), dtype=int),
                      {"a": np.zeros((len(target), 4))}, "a", "a", Scorer.for_task(veteran))
    seen = _stratified_half(data, np.random.default_rng(0))
    for group in (target[:, 1] == 1, target[:, 1] == 0):
        assert abs(seen[group].sum() - group.sum() / 2) <= 1
    assert pd.Series(seen).mean() == pytest.approx(0.5, abs=0.02)
