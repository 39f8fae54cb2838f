"""The KB keeps each fit's out-of-fold predictions, compactly and recoverably."""

import sqlite3

import numpy as np
import pandas as pd
import pytest

from metamed.data.validation import make_task
from metamed.errors import MetamedError
from metamed.evaluation import cross_validate_proba, plan_cv
from metamed.knowledge import RDBStorage, open_storage
from metamed.knowledge.build import BuildSettings, build
from metamed.knowledge.predictions import PREDICTIONS_FORMAT, decode, encode, oof_predictions
from metamed.knowledge.storage import SCHEMA_VERSION
from metamed.knowledge.transfer import copy_storage
from metamed.space import config_hash, named_config, pipeline_for_task


def _task(n=90, classes=("ill", "well"), seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    score = frame["a"] + rng.normal(0, 0.7, n)
    frame["label"] = np.asarray(classes)[np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
                                         % len(classes)]
    return make_task(frame, "label", name=f"toy{len(classes)}")


def test_encoding_keeps_three_digits_and_restores_the_complement():
    binary, multiclass = _task(classes=("ill", "well")), _task(classes=("a", "b", "c"))
    proba = np.array([[0.25, 0.75], [0.9, 0.1], [0.5, 0.5]])
    blob = encode(proba, binary)
    assert len(blob) == 2 * 3  # float16, one column for a binary task
    np.testing.assert_allclose(decode(blob, binary), proba, atol=1e-3)
    three = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    np.testing.assert_allclose(decode(encode(three, multiclass), multiclass), three, atol=1e-3)


@pytest.mark.parametrize("classes", [("ill", "well"), ("a", "b", "c")])
def test_stored_predictions_rebuild_the_out_of_fold_matrix_of_a_direct_cv(tmp_path, classes):
    task = _task(classes=classes)
    config = named_config("logreg")
    storage = open_storage(str(tmp_path / "kb.sqlite"))
    build(storage, [task], [config], BuildSettings(n_splits=3, seed=4))
    stored = oof_predictions(storage.predictions(task.name), task, n_splits=3, seed=4)
    plan = plan_cv(task, n_splits=3, n_repeats=1, seed=4)
    _, direct = cross_validate_proba(pipeline_for_task(config, task), task, plan, "logreg")
    np.testing.assert_allclose(stored[config_hash(config)], direct[0], atol=2e-3)
    assert storage.info()["predictions_format"] == PREDICTIONS_FORMAT
    assert oof_predictions(storage.predictions(task.name), task, n_splits=4, seed=4) == {}


def test_predictions_travel_with_a_copy(tmp_path):
    task = _task()
    storage = open_storage(str(tmp_path / "kb.sqlite"))
    build(storage, [task], [named_config("logreg"), named_config("rf")], BuildSettings(n_splits=3))
    target = open_storage(str(tmp_path / "copy.sqlite"))
    copy_storage(storage, target)
    key = ["config_hash", "fold"]
    pd.testing.assert_frame_equal(
        target.predictions(task.name).sort_values(key).reset_index(drop=True),
        storage.predictions(task.name).sort_values(key).reset_index(drop=True))
    assert len(target.predictions(task.name)) == 6


def test_a_kb_of_another_protocol_is_not_extended(tmp_path):
    storage = open_storage(str(tmp_path / "kb.sqlite"))
    build(storage, [_task()], [named_config("logreg")], BuildSettings(n_splits=3))
    with pytest.raises(MetamedError, match="built with CV protocol"):
        build(storage, [_task()], [named_config("logreg")], BuildSettings(n_splits=5))
    assert len(storage.evaluations()) == 3


def test_a_version_one_kb_reads_without_predictions_and_upgrades_when_written(tmp_path):
    path = tmp_path / "kb.sqlite"
    storage = open_storage(str(path))
    build(storage, [_task()], [named_config("logreg")], BuildSettings(n_splits=3))
    storage.close()
    with sqlite3.connect(path) as connection:  # what a schema-1 file looks like
        connection.execute("DROP TABLE predictions")
        for name in ("r2", "rmse", "mae"):  # added in version 3
            connection.execute(f"ALTER TABLE evaluations DROP COLUMN {name}")
        connection.execute("UPDATE info SET value = '1' WHERE key = 'schema_version'")
    old = RDBStorage(str(path), read_only=True)
    assert len(old.evaluations()) == 3 and old.predictions("toy2").empty
    assert "r2" not in old.evaluations() and "roc_auc" in old.evaluations()
    old.close()
    upgraded = open_storage(str(path))
    assert upgraded.info()["schema_version"] == str(SCHEMA_VERSION)
    assert upgraded.predictions("toy2").empty
    assert upgraded.evaluations()["r2"].isna().all()  # the new columns, empty for old rows
