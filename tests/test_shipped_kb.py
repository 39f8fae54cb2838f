"""The knowledge base shipped inside the package is consistent with this metamed."""

import json

import numpy as np
import pytest

from metamed import corpus
from metamed.cli import main
from metamed.knowledge import open_storage
from metamed.knowledge.metadata import MetaData
from metamed.knowledge.predictions import READABLE_FORMATS, oof_predictions
from metamed.knowledge.shipped import ARCHIVE
from metamed.knowledge.summary import summarize
from metamed.knowledge.units import cap_task, prepared_task
from metamed.space import config_hash, default_portfolio
from metamed.space.portfolio import (
    molecular_portfolio,
    regression_portfolio,
    survival_portfolio,
)

#: Per task type: tasks on which every config has been tried (the whole corpus), and configs.
EXPECTED = {"classification": (133, 135), "regression": (62, 60), "survival": (73, 16),
            "molecules": (32, 30), "molecule_classes": (30, 30)}


@pytest.fixture(scope="module")
def shipped():
    assert ARCHIVE.is_file(), f"{ARCHIVE} is missing"
    return open_storage()


def test_its_configs_are_the_portfolios_of_this_version(shipped):
    expected = (default_portfolio() + regression_portfolio() + survival_portfolio()
                + molecular_portfolio("regression") + molecular_portfolio("classification"))
    assert set(shipped.configs()) == {config_hash(c) for c in expected}


def test_its_archive_fits_the_wheels_share():
    # 50 MB: PyPI takes files up to 100 MB; the survival tasks (2026.12.06) packed to 4.1 MB,
    # the 32 molecular tasks (2026.12.07) to 4.6 MB, their 30 classification twins
    # (2026.12.08) to 1.9 MB
    assert ARCHIVE.stat().st_size <= 50e6


def test_it_is_versioned_and_records_how_it_was_built(shipped):
    info = shipped.info()
    assert info["kb_version"] and info["build_command"].startswith("metamed kb build")
    assert json.loads(info["cv_protocol"]) == {"n_splits": 5, "n_repeats": 1, "seed": 0}
    assert info["predictions_format"] in READABLE_FORMATS


def test_enough_complete_tasks_of_each_type_and_few_failures(shipped):
    for task_type, (n_tasks, n_configs) in EXPECTED.items():
        metadata = MetaData.from_storage(shipped, task_type)
        assert len(metadata.task_ids) >= n_tasks, task_type
        assert metadata.scores.shape[1] == n_configs, task_type
    assert summarize(shipped)["failed_share"] <= 0.02


@pytest.mark.parametrize("slug", ["rpart_kyphosis", "heplots_diabetes", "reg_mass_birthwt"])
def test_every_successful_fit_kept_its_out_of_fold_predictions(shipped, slug):
    task = prepared_task(corpus.load_task, slug)
    evaluations = shipped.evaluations()
    ok = evaluations[(evaluations["task_id"] == slug) & (evaluations["status"] == "ok")]
    complete = ok.groupby("config_hash")["fold"].nunique() == 5
    oof = oof_predictions(shipped.predictions(slug), task, n_splits=5, seed=0)
    assert set(oof) == set(complete[complete].index) and len(oof) > 50
    assert all(m.shape == (task.n_rows, task.n_outputs) and np.isfinite(m).all()
               for m in oof.values())


def test_its_task_families_are_the_registrys(shipped):
    families = {e.slug: e.family or "" for e in corpus.entries()}
    recorded = shipped.tasks()["family"].to_dict()
    # A classification task built alone ("") may since share a family with the survival task
    # built from the same rows (another task type, so its held-out sets are unchanged); any
    # other family must be the registry's.
    survival = {e.family for e in corpus.select(task_type="survival")}
    renamed = {slug for slug, family in recorded.items() if family == "" != families[slug]}
    assert renamed and all(families[slug] in survival for slug in renamed)
    assert {s: families[s] for s in recorded if s not in renamed} == {
        s: f for s, f in recorded.items() if s not in renamed}


def test_its_tasks_are_the_corpus_tasks_of_this_version(shipped):
    tasks = shipped.tasks()
    slugs = {e.slug for e in corpus.entries()}
    assert set(tasks.index) <= slugs
    for slug in ["rpart_kyphosis", "mass_birthwt", "boot_nodal"]:
        assert tasks.loc[slug, "content_hash"] == corpus.load_task(slug).content_hash()


def test_a_table_the_build_capped_is_still_recognised_as_a_kb_task(shipped):
    task = corpus.load_task("geepack_ohio")  # 2,148 rows: the build fitted 2,000 of them
    assert cap_task(task).n_rows < task.n_rows
    metadata = MetaData.from_storage(shipped, "classification")
    assert metadata.known_as(task.content_hash()) == "geepack_ohio"
    assert metadata.known_as(cap_task(task).content_hash()) is None


def test_the_readme_main_job_runs_on_the_bundled_example(shipped, capsys, tmp_path):
    main(["fit", "examples/medical_data.csv", "--target", "label", "--time-budget", "8",
          "--outer-folds", "3", "--out", str(tmp_path / "model.skops")])  # exits only on error
    out = capsys.readouterr().out
    assert (tmp_path / "model.skops").is_file()
    # the example is corpus task vcdextra_icu: when the KB knows it, fit says so and leaves it out
    known = "vcdextra_icu" in MetaData.from_storage(shipped, "classification").task_ids
    assert ("task 'vcdextra_icu'" in out.replace("\n", " ")) == known
    assert "honest performance" in out
