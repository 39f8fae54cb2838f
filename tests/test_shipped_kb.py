"""The knowledge base shipped inside the package is consistent with this metamed."""

import pytest

from metamed import corpus
from metamed.cli import main
from metamed.knowledge import open_storage
from metamed.knowledge.metadata import MetaData
from metamed.knowledge.shipped import ARCHIVE
from metamed.knowledge.summary import summarize
from metamed.knowledge.units import cap_task
from metamed.space import config_hash, default_portfolio
from metamed.space.families import MODEL_FAMILIES

#: Tasks on which every config has been tried in the shipped file: the whole corpus.
MIN_COMPLETE_TASKS = 133


@pytest.fixture(scope="module")
def shipped():
    assert ARCHIVE.is_file(), f"{ARCHIVE} is missing"
    return open_storage()


def test_its_configs_are_exactly_the_first_generation_portfolio(shipped):
    # The families added since (penalised LR by inner CV, splines, EBM) come after
    # these 120 configs and join the KB at its next build.
    first = [c for c in default_portfolio() if MODEL_FAMILIES[c["model"]["name"]].generation == 1]
    assert len(first) == 120 and first == default_portfolio()[:120]
    assert set(shipped.configs()) == {config_hash(c) for c in first}


def test_its_archive_fits_the_wheels_share():
    assert ARCHIVE.stat().st_size <= 40e6


def test_it_is_versioned_and_records_how_it_was_built(shipped):
    info = shipped.info()
    assert info["kb_version"] and info["build_command"].startswith("metamed kb build")


def test_enough_complete_tasks_and_few_failures(shipped):
    metadata = MetaData.from_storage(shipped)
    assert len(metadata.task_ids) >= MIN_COMPLETE_TASKS
    assert metadata.scores.shape[1] == 120
    assert summarize(shipped)["failed_share"] <= 0.02


def test_its_tasks_are_the_corpus_tasks_of_this_version(shipped):
    tasks = shipped.tasks()
    slugs = {e.slug for e in corpus.entries()}
    assert set(tasks.index) <= slugs
    for slug in ["rpart_kyphosis", "mass_birthwt", "boot_nodal"]:
        assert tasks.loc[slug, "content_hash"] == corpus.load_task(slug).content_hash()


def test_a_table_the_build_capped_is_still_recognised_as_a_kb_task(shipped):
    task = corpus.load_task("geepack_ohio")  # 2,148 rows: the build fitted 2,000 of them
    assert cap_task(task).n_rows < task.n_rows
    assert MetaData.from_storage(shipped).known_as(task.content_hash()) == "geepack_ohio"
    assert MetaData.from_storage(shipped).known_as(cap_task(task).content_hash()) is None


def test_the_readme_main_job_runs_on_the_bundled_example(shipped, capsys, tmp_path):
    main(["fit", "examples/medical_data.csv", "--target", "label", "--time-budget", "8",
          "--outer-folds", "3", "--out", str(tmp_path / "model.skops")])  # exits only on error
    out = capsys.readouterr().out
    assert (tmp_path / "model.skops").is_file()
    # the example is corpus task vcdextra_icu: when the KB knows it, fit says so and leaves it out
    known = "vcdextra_icu" in MetaData.from_storage(shipped).task_ids
    assert ("task 'vcdextra_icu'" in out.replace("\n", " ")) == known
    assert "honest performance" in out
