"""The knowledge base keeps its promises: idempotent, resumable, safe for several writers."""

import multiprocessing
import os
import sqlite3

import numpy as np
import pandas as pd
import pytest

from metamed.data.validation import make_task
from metamed.errors import MetamedError
from metamed.knowledge import EvaluationRecord, TaskRecord, open_storage
from metamed.knowledge.build import BuildSettings, build
from metamed.knowledge.metadata import MetaData
from metamed.knowledge.summary import performance_matrix, summarize
from metamed.knowledge.units import Unit, cap_task, run_unit
from metamed.space import config_hash, default_portfolio, named_config

POSTGRES_URL = os.environ.get("METAMED_TEST_POSTGRES_URL")


def _task(name="toy", n=60, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(["x", "y"], n)})
    frame["label"] = np.where(frame["a"] + rng.normal(0, 0.5, n) > 0, "ill", "well")
    return make_task(frame, "label", name=name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def storage(request, tmp_path):
    if request.param == "sqlite":
        return open_storage(str(tmp_path / "kb.sqlite"))
    if not POSTGRES_URL:
        pytest.skip("set METAMED_TEST_POSTGRES_URL to test PostgreSQL (.ci/run does)")
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(
            sa.text("DROP TABLE IF EXISTS predictions, evaluations, tasks, configs, info"))
    return open_storage(POSTGRES_URL)


def _record(task="toy", config="abc", fold=0, status="ok"):
    return EvaluationRecord(task, config, 0, fold, 0, status, {"roc_auc": 0.8})


def _seed_rows(storage):
    storage.add_tasks([TaskRecord("toy", "h", 60, 2, 2, (1.0, 2.0))])
    config = named_config("logreg")
    storage.add_configs([config])
    return config_hash(config)


def test_writes_are_idempotent(storage):
    digest = _seed_rows(storage)
    rows = [_record(config=digest, fold=f) for f in range(3)]
    storage.add_evaluations(rows)
    storage.add_evaluations(rows + [_record(config=digest, fold=3)])
    _seed_rows(storage)
    assert len(storage.evaluations()) == 4
    assert len(storage.tasks()) == 1 and len(storage.configs()) == 1
    assert storage.tasks().loc["toy", "metafeatures"] == (1.0, 2.0)


def test_a_build_runs_once_and_resumes_to_nothing(storage):
    configs = [named_config("logreg"), named_config("rf")]
    settings = BuildSettings(n_splits=3)
    assert build(storage, [_task()], configs, settings) == 6
    assert build(storage, [_task()], configs, settings) == 0
    evaluations = storage.evaluations()
    assert (evaluations["status"] == "ok").all()
    assert evaluations["roc_auc"].between(0.5, 1.0).all()
    assert performance_matrix(storage.evaluations()).shape == (1, 2)


def test_failed_and_timed_out_fits_are_recorded_not_raised():
    task = _task()
    task.X.loc[:, "a"] = np.inf  # bypasses validation: every fit now crashes inside sklearn
    failed = run_unit(Unit(task, named_config("logreg"), 3, 1, 0, timeout=30))
    assert {r.status for r in failed} == {"failed"}
    assert "infinity" in failed[0].error
    slow = run_unit(Unit(_task(), named_config("rf"), 3, 1, 0, timeout=0.0001))
    assert {r.status for r in slow} == {"timeout"}
    assert slow[0].error == "timed out after 0.0001 s"


def test_summary_counts_failures(tmp_path):
    storage = open_storage(str(tmp_path / "kb.sqlite"))
    digest = _seed_rows(storage)
    storage.add_evaluations([_record(config=digest), _record(config=digest, fold=1,
                                                             status="failed")])
    summary = summarize(storage)
    assert (summary["evaluations"], summary["failed"]) == (2, 1)
    assert summary["failed_share"] == 0.5
    assert summary["best_families"] == {"logreg": 1}


def _writer(path, offset):
    storage = open_storage(path)
    for fold in range(offset, offset + 40):
        storage.add_evaluations([_record(config="c", fold=fold)])


def test_several_processes_write_at_once_without_duplicates_or_errors(tmp_path):
    path = str(tmp_path / "kb.sqlite")
    storage = open_storage(path)
    storage.add_tasks([TaskRecord("toy", "h", 60, 2, 2, (1.0,))])
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO configs VALUES ('c', 'c', '{}')")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, offset)) for offset in (0, 20, 20)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert len(storage.evaluations()) == 60


def test_the_shipped_kb_opens_read_only_and_refuses_writes(tmp_path):
    path = tmp_path / "kb.sqlite"
    _seed_rows(open_storage(str(path)))
    from metamed.knowledge import RDBStorage

    read_only = RDBStorage(str(path), read_only=True)
    assert len(read_only.tasks()) == 1
    with pytest.raises(MetamedError, match="read-only"):
        read_only.add_evaluations([_record()])


def test_a_kb_of_another_schema_version_is_refused(tmp_path):
    path = tmp_path / "kb.sqlite"
    open_storage(str(path))
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE info SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(MetamedError, match="schema version 999"):
        open_storage(str(path))


def test_an_unreachable_database_is_one_clear_error():
    with pytest.raises(MetamedError, match="cannot open the knowledge base"):
        open_storage("postgresql://nobody@127.0.0.1:1/none")


def test_big_tasks_are_capped_with_a_note_not_dropped():
    task = _task(n=500)
    capped = cap_task(task, max_rows=100, max_features=1)
    assert capped.n_rows in range(98, 103) and capped.n_features == 1
    assert capped.class_counts.keys() == task.class_counts.keys()
    assert any("rows subsampled 500" in n for n in capped.notes)


def test_dask_cluster_build_stores_the_same_rows_as_a_local_build(tmp_path):
    pytest.importorskip("dask.distributed")
    tasks = [_task("one"), _task("two", seed=1)]
    configs = default_portfolio()[:3]
    local, dask = open_storage(str(tmp_path / "a.sqlite")), open_storage(str(tmp_path / "b.sqlite"))
    build(local, tasks, configs, BuildSettings(n_splits=3))
    build(dask, tasks, configs, BuildSettings(n_splits=3, workers=2, backend="dask"))
    key = ["task_id", "config_hash", "repeat", "fold", "seed"]
    columns = key + ["status", "roc_auc", "brier", "accuracy"]
    a = local.evaluations()[columns].sort_values(key).reset_index(drop=True)
    b = dask.evaluations()[columns].sort_values(key).reset_index(drop=True)
    assert len(a) == 2 * 3 * 3
    pd.testing.assert_frame_equal(a, b)


def test_tasks_without_a_family_are_stored_with_an_empty_one(tmp_path):
    storage = open_storage(str(tmp_path / "kb.sqlite"))
    build(storage, [_task("lonely")], [named_config("logreg")], families={"lonely": None})
    assert storage.tasks().loc["lonely", "family"] == ""


def test_meta_learners_see_only_tasks_tried_on_every_config(tmp_path):
    from metamed.knowledge.metadata import MetaData

    storage = open_storage(str(tmp_path / "kb.sqlite"))
    configs = [named_config("logreg"), named_config("gnb")]
    build(storage, [_task("done")], configs)
    build(storage, [_task("half", seed=2)], configs[:1])
    metadata = MetaData.from_storage(storage, "classification")
    assert metadata.task_ids == ["done"]
    assert metadata.scores.shape == (1, 2)


def test_a_kb_copies_between_storages_and_compacts_for_shipping(storage, tmp_path):
    from metamed.knowledge.transfer import compact_sqlite, copy_storage

    build(storage, [_task("one"), _task("two", seed=3)], [named_config("logreg")])
    storage.set_info("kb_version", "test")
    target_path = tmp_path / "copy.sqlite"
    target = open_storage(str(target_path))
    copy_storage(storage, target)
    copy_storage(storage, target)  # idempotent: nothing duplicated
    assert len(target.evaluations()) == len(storage.evaluations()) == 6
    assert len(target.tasks()) == 2 and len(target.configs()) == 1
    target.close()
    compact_sqlite(str(target_path))
    assert not (tmp_path / "copy.sqlite-wal").exists()
    from metamed.knowledge import RDBStorage

    shipped = RDBStorage(str(target_path), read_only=True)
    key = ["task_id", "config_hash", "fold"]
    pd.testing.assert_frame_equal(
        shipped.evaluations().sort_values(key).reset_index(drop=True),
        storage.evaluations().sort_values(key).reset_index(drop=True), check_dtype=False)
    assert shipped.info()["kb_version"] == "test"
    assert shipped.tasks().loc["one", "metafeatures"] == storage.tasks().loc["one", "metafeatures"]


def test_a_kb_with_other_meta_features_is_refused_in_one_sentence(tmp_path):
    from metamed.knowledge.transfer import copy_storage

    storage = open_storage(str(tmp_path / "kb.sqlite"))
    build(storage, [_task("one")], [named_config("logreg")])
    assert MetaData.from_storage(storage, "classification").task_ids == ["one"]
    other = open_storage(str(tmp_path / "other.sqlite"))
    copy_storage(storage, other)
    other.set_info("metafeatures_version", "0")
    with pytest.raises(MetamedError, match=r"meta-features \(version 0\) are not this metamed"):
        MetaData.from_storage(other, "classification")
    other.set_info("metafeatures_version", storage.info()["metafeatures_version"])
    other.set_info("metafeatures", '["log_rows"]')  # same version, other names
    with pytest.raises(MetamedError, match="rebuild it with `metamed kb build`"):
        MetaData.from_storage(other, "classification")


def _open_new(path, barrier):
    barrier.wait()  # both processes create the schema of the same new file at once
    open_storage(path).set_info("build_command", f"process {os.getpid()}")


def test_two_processes_creating_a_new_kb_at_once_both_succeed(tmp_path):
    context = multiprocessing.get_context("spawn")
    for round_ in range(4):
        path = str(tmp_path / f"new{round_}.sqlite")
        barrier = context.Barrier(2)
        workers = [context.Process(target=_open_new, args=(path, barrier)) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
        assert [w.exitcode for w in workers] == [0, 0], f"round {round_}"
        assert open_storage(path).info()["build_command"].startswith("process ")


def test_reading_a_kb_that_does_not_exist_says_so_and_creates_nothing(tmp_path, run_cli):
    missing = tmp_path / "no_such_kb.sqlite"
    with pytest.raises(MetamedError, match="does not exist"):
        open_storage(str(missing), read_only=True)
    code, _, err = run_cli("recommend", "examples/medical_data.csv", "--target", "label",
                           "--kb", str(missing))
    assert code == 2 and "does not exist" in err
    code, _, err = run_cli("kb", "info", "--db", str(missing))
    assert code == 2 and "does not exist" in err
    assert not missing.exists() and list(tmp_path.iterdir()) == []


def test_the_shipped_archive_is_unpacked_once_into_the_cache(tmp_path, monkeypatch):
    from metamed.knowledge.shipped import pack, unpacked
    from metamed.knowledge.transfer import compact_sqlite

    database = tmp_path / "source.sqlite"
    storage = open_storage(str(database))
    storage.set_info("kb_version", "packed")
    storage.close()
    compact_sqlite(str(database))  # as shipped: no WAL, so reading leaves no side files
    archive = tmp_path / "kb.sqlite.xz"
    pack(database, archive)
    monkeypatch.setenv("METAMED_CACHE", str(tmp_path / "cache"))
    first = unpacked(archive)
    assert first.parent == tmp_path / "cache" and first.read_bytes() == database.read_bytes()
    assert open_storage(str(first), read_only=True).info()["kb_version"] == "packed"
    stamp = first.stat().st_mtime_ns
    unpacked.cache_clear()
    assert unpacked(archive) == first and first.stat().st_mtime_ns == stamp  # not unpacked again
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # no partial file left


def test_kb_copy_packs_a_kb_as_the_package_ships_it(tmp_path, monkeypatch, run_cli):
    from metamed.knowledge.shipped import unpacked

    storage = open_storage(str(tmp_path / "kb.sqlite"))
    build(storage, [_task("one")], [named_config("logreg")])
    storage.close()
    archive = tmp_path / "packed" / "kb.sqlite.xz"
    archive.parent.mkdir()
    code, out, _ = run_cli("kb", "copy", "--db", str(tmp_path / "kb.sqlite"), "--to",
                           str(archive), "--kb-version", "9")
    assert code == 0 and "copied 3 evaluations" in out
    assert not (tmp_path / "packed" / "kb.sqlite").exists()  # only the archive stays
    monkeypatch.setenv("METAMED_CACHE", str(tmp_path / "cache"))
    shipped = open_storage(str(unpacked(archive)), read_only=True)
    assert shipped.info()["kb_version"] == "9" and len(shipped.evaluations()) == 3


def test_an_unwritable_cache_or_a_missing_archive_is_one_sentence(tmp_path, monkeypatch):
    from metamed.knowledge.shipped import pack, unpacked

    with pytest.raises(MetamedError, match="is missing; reinstall metamed"):
        unpacked(tmp_path / "none.sqlite.xz")
    database = tmp_path / "source.sqlite"
    open_storage(str(database)).close()
    archive = tmp_path / "kb.sqlite.xz"
    pack(database, archive)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("METAMED_CACHE", str(blocker / "cache"))  # a folder inside a file
    with pytest.raises(MetamedError, match="set METAMED_CACHE to a writable folder"):
        unpacked(archive)


def _forget_space_version(url):
    """Make a KB look as one written before the search-space version was recorded."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM info WHERE key = 'space_version'"))
    engine.dispose()


def test_a_kb_records_the_search_space_version_it_was_built_with(storage):
    from metamed.space import SPACE_VERSION

    build(storage, [_task("one")], [named_config("logreg")])
    assert storage.info()["space_version"] == SPACE_VERSION
    assert MetaData.from_storage(storage, "classification").task_ids == ["one"]


def _rehash_differently(url: str) -> None:
    """Change the stored logreg config so that it no longer gives its stored hash."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE configs SET config = REPLACE(config, '\"C\": 1.0', "
                                   "'\"C\": 2.0')"))
    engine.dispose()


def test_a_kb_of_another_search_space_is_refused_when_read_and_when_written(storage):
    from metamed.space import SPACE_VERSION

    build(storage, [_task("one")], [named_config("logreg")])
    storage.set_info("space_version", "0123456789ab")
    _rehash_differently(storage.url)
    digest = config_hash(named_config("logreg"))
    expected = (rf"built with search-space version 0123456789ab and its config {digest} "
                rf"hashes differently in this metamed's search space \(version {SPACE_VERSION}\); "
                r"build a new one with `metamed kb build --db NEW_FILE`, "
                r"or use the metamed version it was built with\.$")
    with pytest.raises(MetamedError, match=expected) as reading:
        MetaData.from_storage(storage, "classification")
    with pytest.raises(MetamedError, match=expected) as writing:
        open_storage(storage.url)
    for error in (reading, writing):
        assert str(error.value).count(". ") == 0  # one sentence
    assert len(open_storage(storage.url, read_only=True).tasks()) == 1  # still inspectable


def test_a_kb_of_a_space_that_has_only_grown_is_accepted(storage):
    # e.g. built before the optional featurize step: every stored hash still reproduces
    build(storage, [_task("one")], [named_config("logreg"), named_config("rf")])
    storage.set_info("space_version", "0123456789ab")
    assert MetaData.from_storage(storage, "classification").task_ids == ["one"]
    assert open_storage(storage.url).info()["space_version"] == "0123456789ab"


def test_a_kb_without_a_recorded_space_version_is_accepted_while_its_hashes_hold(storage):
    from metamed.space import SPACE_VERSION

    build(storage, [_task("one")], [named_config("logreg"), named_config("rf")])
    _forget_space_version(storage.url)
    assert "space_version" not in storage.info()
    # legacy, hashes reproduced
    assert MetaData.from_storage(storage, "classification").task_ids == ["one"]
    assert open_storage(storage.url).info()["space_version"] == SPACE_VERSION  # recorded now


def test_a_kb_without_a_space_version_whose_configs_hash_otherwise_is_refused(storage):

    build(storage, [_task("one")], [named_config("logreg")])
    _forget_space_version(storage.url)
    digest = config_hash(named_config("logreg"))
    _rehash_differently(storage.url)
    expected = (rf"records no search-space version and its config {digest} hashes "
                r"differently in this metamed's search space .*; build a new one")
    with pytest.raises(MetamedError, match=expected):
        MetaData.from_storage(storage, "classification")
    with pytest.raises(MetamedError, match=expected):
        open_storage(storage.url)
    assert "space_version" not in storage.info()  # a refused KB is not stamped


def test_the_shipped_kb_is_of_this_search_space():
    from metamed.knowledge.storage import check_space

    shipped = open_storage()
    check_space(shipped)  # no recorded version: every stored config must hash the same
    assert len(shipped.configs()) > 100


def test_the_space_version_changes_with_any_default_and_is_the_same_in_every_process():
    import dataclasses
    import subprocess
    import sys

    from metamed.space.params import Float
    from metamed.space.schema import SPACE, SPACE_VERSION, space_version

    assert space_version(SPACE) == SPACE_VERSION
    model = SPACE["model"]
    logreg = {**model.variants["logreg"], "C": dataclasses.replace(model.variants["logreg"]["C"],
                                                                    default=2.0)}
    changed = dataclasses.replace(model, variants={**model.variants, "logreg": logreg})
    assert space_version({**SPACE, "model": changed}) != SPACE_VERSION
    scale = dataclasses.replace(SPACE["scale"], default="robust")
    assert space_version({**SPACE, "scale": scale}) != SPACE_VERSION
    extra = dataclasses.replace(SPACE["scale"], common={"clip": Float(0.0, 1.0, 0.5)})
    assert space_version({**SPACE, "scale": extra}) != SPACE_VERSION  # a new parameter
    code = "from metamed.space import SPACE_VERSION; print(SPACE_VERSION)"
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        assert done.stdout.strip() == SPACE_VERSION


def test_a_regression_score_that_blew_up_on_one_fold_is_read_as_the_floor(tmp_path):
    from metamed.kinds import REGRESSION

    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    task = make_task(frame.assign(y=frame["a"] + rng.normal(0, 0.3, 60)), "y", name="dose")
    path = tmp_path / "kb.sqlite"
    storage = open_storage(str(path))
    configs = [named_config("ridge_cv"), named_config("knn_reg")]
    build(storage, [task], configs)
    r2 = storage.evaluations().set_index(["config_hash", "fold"])["r2"]
    ridge, knn = config_hash(configs[0]), config_hash(configs[1])
    with sqlite3.connect(path) as connection:  # a linear model extrapolating without bound
        connection.execute("UPDATE evaluations SET r2 = -9.7e66 WHERE config_hash = ? AND fold = 0",
                           (ridge,))
    metadata = MetaData.from_storage(open_storage(str(path)), "regression")
    scores = dict(zip(metadata.config_hashes, metadata.scores[0], strict=True))
    folds = r2.loc[ridge].to_numpy()
    assert scores[ridge] == pytest.approx(np.mean([REGRESSION.score_floor, *folds[1:]]))
    assert scores[knn] == pytest.approx(r2.loc[knn].mean())
